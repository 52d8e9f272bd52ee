"""The notation's tree: its nodes, the one dispatcher every walk uses, and
the one table of operator precedence.

The parser (:mod:`symbp.notation.parser`) builds these frozen dataclasses;
evaluators, printers and the scalar graph builder read them.  Each of those
is a :class:`Walker`: it defines one method per node class it handles
(``_walk_Number``, ``_print_BinOp``, ...) and :meth:`Walker.walk` finds the
method for a node along its class's MRO, as SymPy's ``Printer._print`` does.

>>> tree = BinOp("+", Name("x"), Number(Fraction(1, 2)))
>>> [type(node).__name__ for node in subtrees(tree)]
['BinOp', 'Name', 'Number']
>>> precedence(tree) < precedence(Neg(Name("x")))
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction

# binding strength: a child binding more loosely than its parent gets brackets
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "@": 2, "/": 2, "neg": 3, "**": 4, "atom": 5}


@dataclass(frozen=True)
class Index:
    """An index expression: ``base`` is 'l', 'L' or None (a literal), plus ``offset``.

    >>> Index("l", 1).resolve(2, depth=3), str(Index("L", -1))
    (3, 'L-1')
    """
    base: str | None
    offset: int

    def resolve(self, l: int | None, depth: int) -> int:
        """The integer this index stands for, given the free index l and L."""
        start = {"l": l, "L": depth, None: 0}[self.base]
        return start + self.offset

    def __str__(self):
        if self.base is None:
            return str(self.offset)
        return self.base + (f"{self.offset:+d}" if self.offset else "")


@dataclass(frozen=True)
class Node:
    """A node of the tree; ``column`` (1-based, 0: not from a text) is where
    it starts in the formula, and is left out of comparisons.

    >>> Name("x", column=5) == Name("x"), Name("x", column=5).column
    (True, 5)
    """
    column: int = field(default=0, kw_only=True, compare=False)


@dataclass(frozen=True)
class Number(Node):
    """A number of a formula, kept exact.

    >>> from symbp.notation.parser import parse_expression
    >>> parse_expression("0.1")
    Number(column=1, value=Fraction(1, 10))
    """
    value: Fraction


@dataclass(frozen=True)
class Name(Node):
    """``x``, ``y``, ``m`` in formulas; any variable in scalar graphs.

    >>> from symbp.notation.parser import parse_expression
    >>> parse_expression("m")
    Name(column=1, name='m')
    """
    name: str


@dataclass(frozen=True)
class Quantity(Node):
    """An indexed quantity, its name normalised (``dZ`` and ``dz`` are ``delta``).

    >>> from symbp.notation.parser import parse_expression
    >>> parse_expression("dZ[L-1]")
    Quantity(column=1, name='delta', index=Index(base='L', offset=-1))
    """
    name: str
    index: Index


@dataclass(frozen=True)
class BinOp(Node):
    """A binary operation: ``op`` is one of ``+ - * / @ **``.

    >>> from symbp.notation.text import notation_text
    >>> notation_text(BinOp("-", Name("y"), BinOp("-", Name("x"), Name("m"))))
    'y - (x - m)'
    """
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    """A minus sign.

    >>> from symbp.notation.text import notation_text
    >>> notation_text(Neg(BinOp("+", Name("x"), Name("y"))))
    '-(x + y)'
    """
    operand: Node


@dataclass(frozen=True)
class Transpose(Node):
    """``.T``, the transpose of its operand.

    >>> from symbp.notation.parser import parse_expression
    >>> tree = parse_expression("a[l-1].T")
    >>> type(tree).__name__, tree.operand.name
    ('Transpose', 'a')
    """
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    """A function call; ``axis`` is set for ``sum``/``mean`` with an axis.

    >>> from symbp.notation.parser import parse_expression
    >>> tree = parse_expression("sum(delta[l], axis=1)")
    >>> tree.func, len(tree.args), tree.axis
    ('sum', 1, 1)
    """
    func: str
    args: tuple
    axis: int | None = None


@dataclass(frozen=True)
class Formula:
    """A parsed ``LEFT = RIGHT`` and the text it was parsed from.

    >>> from symbp.notation.parser import parse_formula
    >>> formula = parse_formula("dW[l] = delta[l] @ a[l-1].T / m")
    >>> formula.left.name, formula.uses_free_index()
    ('dW', True)
    """
    left: Node
    right: Node
    text: str

    def uses_free_index(self) -> bool:
        """Whether an index of the formula is written with the free index ``l``."""
        return any(index.base == "l" for index in indices(self.left) + indices(self.right))


def children(node: Node) -> tuple:
    """The sub-expressions of a node, in order.

    >>> children(BinOp("+", Name("x"), Name("y")))
    (Name(column=0, name='x'), Name(column=0, name='y'))
    """
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, (Neg, Transpose)):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def subtrees(node: Node):
    """Every node of a tree, parents before their children.

    >>> [type(node).__name__ for node in subtrees(Neg(Transpose(Name("x"))))]
    ['Neg', 'Transpose', 'Name']
    """
    yield node
    for child in children(node):
        yield from subtrees(child)


def indices(node: Node) -> list[Index]:
    """Every index used in a tree (of quantities, and of sizes like n[k]).

    >>> from symbp.notation.parser import parse_expression
    >>> [str(index) for index in indices(parse_expression("W[l+1].T @ delta[l+1] / n[L]"))]
    ['l+1', 'l+1', 'L']
    """
    return [sub.index for sub in subtrees(node) if isinstance(sub, Quantity)]


def replaced(node: Node, target: Node, replacement: Node) -> Node:
    """The tree with the node ``target`` (by identity) replaced.

    >>> x = Name("x")
    >>> replaced(Neg(x), x, Name("y"))
    Neg(column=0, operand=Name(column=0, name='y'))
    """
    if node is target:
        return replacement
    changes = {}
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        if isinstance(value, tuple) and value and isinstance(value[0], Node):
            changes[item.name] = tuple(replaced(v, target, replacement) for v in value)
        elif isinstance(value, Node):
            changes[item.name] = replaced(value, target, replacement)
    return dataclasses.replace(node, **changes) if changes else node


def constant_value(node: Node) -> Fraction | None:
    """The value of a tree made only of numbers, or None.

    >>> constant_value(BinOp("/", Number(Fraction(1)), Neg(Number(Fraction(4)))))
    Fraction(-1, 4)
    """
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Neg):
        inner = constant_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, BinOp) and node.op in "+-*/":
        left, right = constant_value(node.left), constant_value(node.right)
        if left is None or right is None or (node.op == "/" and right == 0):
            return None
        return {"+": left + right, "-": left - right, "*": left * right,
                "/": left / right if right else None}[node.op]
    return None


def precedence(node: Node) -> int:
    """How tightly a node binds (:data:`PRECEDENCE`); a fraction binds like ``/``.

    >>> x, y = Name("x"), Name("y")
    >>> precedence(BinOp("+", x, y)), precedence(BinOp("@", x, y)), precedence(Neg(x))
    (1, 2, 3)
    >>> precedence(Number(Fraction(1, 2))), precedence(Number(Fraction(2)))
    (2, 5)
    """
    if isinstance(node, BinOp):
        return PRECEDENCE[node.op]
    if isinstance(node, Neg):
        return PRECEDENCE["neg"]
    if isinstance(node, Number) and node.value.denominator != 1:
        return PRECEDENCE["/"]
    return PRECEDENCE["atom"]


class Walker:
    """The one dispatcher for walks over a tree: :meth:`walk` calls the method
    named ``prefix + class name`` for the first class along the node's MRO
    that has one, else :meth:`unknown`.  Subclasses add methods, never their
    own dispatch.

    >>> class Count(Walker):
    ...     prefix = "_count_"
    ...     def _count_Node(self, node):
    ...         return 1 + sum(self.walk(child) for child in children(node))
    >>> Count().walk(BinOp("*", Name("x"), Neg(Name("y"))))
    4
    """

    prefix = "_walk_"

    def walk(self, node, *args):
        for cls in type(node).__mro__:
            method = getattr(self, self.prefix + cls.__name__, None)
            if method is not None:
                return method(node, *args)
        return self.unknown(node, *args)

    def unknown(self, node, *args):  # noqa: ARG002  (subclasses may use the arguments)
        raise TypeError(f"{type(self).__name__} cannot walk a {type(node).__name__}")
