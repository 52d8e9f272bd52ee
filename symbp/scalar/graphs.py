"""Scalar computational graphs (contract section 7), micrograd style.

``graph("price = (apple*apple_num + orange*orange_num) * tax", apple=100, ...)``
parses the right side with the notation's safe parser, builds one node per
operation (a name used twice is one node), computes it forward in float64,
then backward from the output: each node passes its upstream gradient times
its own local derivative to its inputs, and a name's gradient accumulates
over its uses.  The check builds the SymPy expression from the same nodes,
differentiates it with respect to every input and compares.

Every operation comes from the one table ``symbp.scalar.ops.OPS`` (forward,
local derivatives, SymPy form, LaTeX).  At a kink
(relu or abs at exactly 0) the local derivative follows contract section 1,
relu'(0) = 0 and sign(0) = 0, and the node is flagged ``kink``.

Nodes that depend on no input (numbers, and operations on numbers only) are
constants: they get no gradient (``grad`` is None).
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from symbp.errors import GraphError
from symbp.notation.parser import Dialect, parse_formula
from symbp.notation.tree import PRECEDENCE, BinOp, Call, Name, Neg, Number, Walker, precedence
from symbp.scalar import reference, render
from symbp.scalar.ops import FUNCTIONS, OPS, Op, number_text

# what graph expressions may use: numbers, names, + - * / **, unary -, the ops' functions
SCALAR = Dialect(matrix=False, functions=FUNCTIONS)


@dataclass
class Node:
    """One node: an input (a name), a constant (a number) or an operation.

    ``inputs`` are the ids of the nodes it reads; ``expr`` is its
    sub-expression as text, ``column`` where it starts in the formula.
    ``grad`` is d output / d node, None for constants.

    >>> x = graph("f = x * y + x", x=2, y=3).node("x")
    >>> x.op, x.value, x.grad      # d f / d x = y + 1
    ('input', 2.0, 4.0)
    """

    id: str
    op: str                      # "input", "const", or a key of OPS
    inputs: tuple = ()
    value: float = 0.0
    grad: float | None = None
    kink: bool = False
    expr: str = ""
    column: int = 0
    requires_grad: bool = field(default=True, repr=False)   # depends on an input

    def describe(self) -> str:
        return f"node {self.id} = {self.expr} (column {self.column})"

    def to_json(self) -> dict:
        return {"id": self.id, "op": self.op, "inputs": list(self.inputs),
                "value": self.value, "grad": self.grad, "kink": self.kink,
                "expr": self.expr}


@dataclass
class Graph:
    """A scalar graph computed forward and backward; see the module doc.

    >>> g = graph("f = x * y + x", x=2, y=3)
    >>> g.value, g.grad, g.sympy_agrees
    (8.0, {'x': 4.0, 'y': 2.0}, True)
    """

    text: str
    output: str
    nodes: list
    root: str
    values: dict = field(default_factory=dict)

    @property
    def value(self) -> float:
        return self.node(self.root).value

    @property
    def grad(self) -> dict:
        """d output / d input for every input name, from the node-by-node backward."""
        return {n.id: n.grad for n in self.nodes if n.op == "input"}

    @property
    def kinks(self) -> list:
        return [n for n in self.nodes if n.kink]

    def node(self, node_id: str) -> Node:
        return self._by_id[node_id]

    @cached_property
    def _by_id(self) -> dict:
        return {n.id: n for n in self.nodes}

    @cached_property
    def sympy_grad(self) -> dict:
        """SymPy's derivative of the whole expression at the point, by input
        name (:func:`symbp.scalar.reference.sympy_gradient`)."""
        return reference.sympy_gradient(self)

    @cached_property
    def sympy_agrees(self) -> bool:
        """Whether the node-by-node backward matches SymPy for every input."""
        return not self.disagreements

    @cached_property
    def disagreements(self) -> list:
        """(name, backward, SymPy) for every input where the two differ."""
        scale = max([1.0] + [abs(n.grad) for n in self.nodes if n.grad is not None])
        return [(name, ours, self.sympy_grad[name]) for name, ours in self.grad.items()
                if not math.isclose(ours, self.sympy_grad[name], rel_tol=1e-9,
                                    abs_tol=1e-12 * scale)]

    @cached_property
    def ill_conditioned(self) -> str | None:
        """Where the two results differ because float64 lost the point's
        digits (cancellation): one sentence naming the node; else None."""
        if not self.disagreements:
            return None
        found = reference.ill_conditioned(self)
        return None if found is None else reference.ill_conditioned_text(self, *found)

    def local_derivative(self, node: Node, position: int) -> float:
        """d node / d its input at ``position``, from the table, at the graph's values."""
        inputs = [self.node(i) for i in node.inputs]
        try:
            local = OPS[node.op].local[position](*(n.value for n in inputs), node.value)
        except (ValueError, ZeroDivisionError, OverflowError):
            local = float("nan")
        if not math.isfinite(local):
            raise GraphError(f"the derivative of {node.expr} with respect to "
                             f"{inputs[position].expr} is not finite ({_at(inputs)})",
                             where=node.describe())
        return float(local)

    def to_json(self) -> dict:
        return {"output": self.output, "formula": self.text, "value": self.value,
                "grad": self.grad, "nodes": [n.to_json() for n in self.nodes],
                "sympy_agrees": self.sympy_agrees, "ill_conditioned": self.ill_conditioned,
                "sympy_grad": {name: value if math.isfinite(value) else None
                               for name, value in self.sympy_grad.items()}}

    def to_text(self) -> str:
        return render.to_text(self)

    def to_dot(self) -> str:
        return render.to_dot(self)

    def to_latex(self) -> str:
        return render.to_latex(self)

    def _repr_svg_(self):
        """The picture in Jupyter, when Graphviz's ``dot`` is on the machine."""
        if not render.dot_available():
            return None
        return render.render(self.to_dot(), "svg").decode("utf-8")


def graph(text: str, /, **values) -> Graph:
    """Build the graph of ``OUT = EXPR`` and compute it forward and backward.

    >>> g = graph("f = x*x + x", x=3)
    >>> g.value, g.grad
    (12.0, {'x': 7.0})
    """
    formula = parse_formula(text, SCALAR)
    if not isinstance(formula.left, Name):
        raise GraphError("the left side must be the output's name, as in price = ...",
                         where="column 1")
    output = formula.left.name
    # Python reads identifiers in NFKC form (the parser's ϑ is θ): so are the values' names
    values = {unicodedata.normalize("NFKC", name): _number(name, value)
              for name, value in values.items()}
    if output in values:
        raise GraphError(f"the output '{output}' is also an input; give it another name")
    builder = _Builder(values, formula.right, output)
    root = builder.walk(formula.right)
    unused = sorted(set(values) - set(builder.leaves))
    if unused:
        raise GraphError(f"{', '.join(map(repr, unused))} {'is' if len(unused) == 1 else 'are'}"
                         " given a value but not used in the expression")
    g = Graph(text=text, output=output, nodes=builder.nodes, root=root.id, values=values)
    _backward(g)
    return g


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise GraphError(f"the value of '{name}' is {value!r}, which is not a number")
    try:
        value = float(value)
    except OverflowError:       # an int beyond float64 (10**400)
        value = math.inf
    if not math.isfinite(value):
        raise GraphError(f"the value of '{name}' is {value}; it must be a finite number")
    return value


class _Builder(Walker):
    """The parser's tree -> nodes in topological order, each computed forward."""

    prefix = "_build_"

    def __init__(self, values: dict, root, output: str):
        self.values, self.root, self.output = values, root, output
        self.nodes: list[Node] = []
        self.leaves: dict = {}          # a name or a number -> its one node
        self.count = 0

    def _build_Name(self, tree: Name) -> Node:
        return self.leaf(tree.name, tree)

    def _build_Number(self, tree: Number) -> Node:
        return self.leaf(tree.value, tree)

    def _build_BinOp(self, tree: BinOp) -> Node:
        return self.operation(tree, tree.op, (tree.left, tree.right))

    def _build_Neg(self, tree: Neg) -> Node:
        return self.operation(tree, "neg", (tree.operand,))

    def _build_Call(self, tree: Call) -> Node:
        return self.operation(tree, tree.func, tree.args)

    def unknown(self, tree) -> Node:   # the SCALAR dialect produces nothing else
        raise GraphError(f"{type(tree).__name__} is not part of a scalar graph",
                         where=f"column {tree.column}")

    def operation(self, tree, op: str, args) -> Node:
        inputs = [self.walk(arg) for arg in args]
        self.count += 1
        node_id = self.output if tree is self.root else f"#{self.count}"
        node = Node(node_id, op, tuple(n.id for n in inputs),
                    expr=expression(tree), column=tree.column,
                    requires_grad=any(n.requires_grad for n in inputs))
        node.value = _forward(OPS[op], node, inputs)
        node.kink = OPS[op].kink(*(n.value for n in inputs))
        return self.add(node)

    def leaf(self, key, tree) -> Node:
        if key in self.leaves:
            return self.leaves[key]
        if isinstance(key, str):
            if key not in self.values:
                raise GraphError(f"'{key}' has no value; give one, e.g. {key}=1",
                                 where=f"column {tree.column}")
            node = Node(key, "input", value=self.values[key], expr=key, column=tree.column)
        else:
            node = Node(_constant_id(key), "const", value=float(key),
                        expr=_constant_id(key), column=tree.column, requires_grad=False)
        self.leaves[key] = node
        return self.add(node)

    def add(self, node: Node) -> Node:
        self.nodes.append(node)
        return node


def _constant_id(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def _forward(op: Op, node: Node, inputs: list) -> float:
    args = [n.value for n in inputs]
    problem = op.domain(*args)
    if problem is None:
        try:
            value = op.forward(*args)
        except (ValueError, ZeroDivisionError, OverflowError):
            value = float("nan")
        if math.isfinite(value):
            return value
        problem = "the value is too large for float64"
    raise GraphError(f"{problem} ({_at(inputs)})", where=node.describe())


def _at(inputs: list) -> str:
    """The values of a node's inputs, as in 'x - 2 = 0, y = 1'."""
    return ", ".join(f"{n.expr} = {number_text(n.value)}" for n in inputs
                     if n.op != "const") or "constants only"


def _backward(g: Graph):
    """Reverse topological order: each node sends grad * local derivative down."""
    for n in g.nodes:
        n.grad = 0.0 if n.requires_grad else None
    root = g.node(g.root)
    if root.requires_grad:
        root.grad = 1.0
    for node in reversed(g.nodes):
        if node.op in ("input", "const") or node.grad is None:
            continue
        for position, child in enumerate(node.inputs):
            if g.node(child).requires_grad:
                g.node(child).grad += node.grad * g.local_derivative(node, position)


# -- sub-expressions as text ------------------------------------------------------

class _ExpressionText(Walker):
    """A tree written back as text, with only the brackets it needs."""

    prefix = "_text_"

    def _text_Name(self, tree: Name) -> str:
        return tree.name

    def _text_Number(self, tree: Number) -> str:
        return _constant_id(tree.value)

    def _text_Call(self, tree: Call) -> str:
        return f"{tree.func}({', '.join(self.walk(a) for a in tree.args)})"

    def _text_Neg(self, tree: Neg) -> str:
        return "-" + self.bracket(tree.operand, PRECEDENCE["neg"], strict=False)

    def _text_BinOp(self, tree: BinOp) -> str:
        mine = PRECEDENCE[tree.op]
        right_assoc = tree.op == "**"
        left = self.bracket(tree.left, mine, strict=right_assoc)
        right = self.bracket(tree.right, mine, strict=not right_assoc and tree.op in "-/")
        return f"{left} {tree.op} {right}" if mine < PRECEDENCE["neg"] else \
            f"{left}{tree.op}{right}"

    def bracket(self, tree, outer: int, strict: bool) -> str:
        # a constant prints as a decimal here, so it binds like any atom
        inner = PRECEDENCE["atom"] if isinstance(tree, Number) else precedence(tree)
        text = self.walk(tree)
        return f"({text})" if inner < outer or (strict and inner == outer) else text


def expression(tree) -> str:
    """A tree written back as text, with only the brackets it needs.

    >>> from symbp.notation.parser import parse_expression
    >>> expression(parse_expression("(x - (y - 2)) * -(z**2)", SCALAR))
    '(x - (y - 2)) * -z**2'
    """
    return _ExpressionText().walk(tree)
