"""The backward pass of a layer's computational graph, written as notation.

A layer's graph is a list of nodes ``q = expression`` in the notation
(batch norm's nine: ``mu = mean(x, axis=0)``, ``xmu = x - mu``, ...).  Going
backwards, each node passes its gradient ``dq`` (the upstream) to the
quantities its expression names, times the local derivative of each
operation: the chain rule of the notation's operations, as seed 001's add
and multiply layers do for scalars, with NumPy's broadcasting undone where
an operand was broadcast (a sum over that axis) and a reduction's gradient
spread back (``ones(N, D) * dvar / N``).  An element-wise function's local
derivative is SymPy's derivative of the function's table entry.

Nothing here is trusted: every equation built is checked by verify on the
layer before a derivation writes it (:mod:`symbp.derivation.layer_derive`).

>>> from symbp.layers.formulas import SizedLayer
>>> from symbp.notation.text import notation_text
>>> graph = Graph(SizedLayer.of("batchnorm"), ["xhat = xmu * ivar"])
>>> [(name, notation_text(tree)) for name, tree in graph.contributions(graph.nodes[0])]
[('xmu', 'dxhat * ivar'), ('ivar', 'sum(dxhat * xmu, axis=0)')]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np

from symbp.layers.formula_values import notation_values, point_values
from symbp.notation.evaluate import evaluate_numeric
from symbp.notation.functions import FUNCTIONS
from symbp.notation.parser import LAYER_MATRIX, parse_expression, parse_formula
from symbp.notation.quantities import LAYER_QUANTITIES
from symbp.notation.tree import BinOp, Call, Name, Neg, Number, Transpose, Walker
from symbp.verification.layer_verdicts import LayerContext

ONE = Number(Fraction(1))
# the probe's sizes: all different, so that each axis's size has one name
PROBE = {"N": 2, "D": 3, "C": 4, "M": 5}


@dataclass(frozen=True)
class Node:
    """One node of a layer's graph: ``name = expression``.

    >>> from symbp.layers.formulas import SizedLayer
    >>> node = Graph(SizedLayer.of("batchnorm"), ["xhat = xmu * ivar"]).nodes[0]
    >>> node.name, node.text
    ('xhat', 'xhat = xmu * ivar')
    """
    name: str
    expression: object
    text: str


def _times(a, b):
    """``a * b``, tidied: ones dropped, signs and divisions moved outwards
    (``dout / p * mask`` is written ``dout * mask / p``)."""
    if a == ONE:
        return b
    if b == ONE:
        return a
    if isinstance(b, BinOp) and b.op == "/":
        return BinOp("/", _times(a, b.left), b.right)
    if isinstance(a, BinOp) and a.op == "/":
        return BinOp("/", _times(a.left, b), a.right)
    if isinstance(a, Neg):
        return Neg(_times(a.operand, b))
    if isinstance(b, Neg):
        return Neg(_times(a, b.operand))
    return BinOp("*", a, b)


def _neg(a):
    if isinstance(a, Neg):
        return a.operand
    if isinstance(a, BinOp) and a.op in "*/@":
        return BinOp(a.op, _neg(a.left), a.right)
    return Neg(a)


def added(parts):
    """The sum of trees, a negated one subtracted.

    >>> from symbp.notation.text import notation_text
    >>> notation_text(added([Name("dout"), Neg(Name("dx")), Name("dy")]))
    'dout - dx + dy'
    """
    total = parts[0]
    for part in parts[1:]:
        total = BinOp("-", total, part.operand) if isinstance(part, Neg) else \
            BinOp("+", total, part)
    return total


@cache
def _derivative(func: str):
    """SymPy's derivative of an element-wise function of the notation, as a
    notation tree in the placeholder ``x`` (None where it is 0)."""
    import sympy

    from symbp.derivation.sympy_printing import sympy_notation
    t = sympy.Symbol("t", real=True)
    derivative = sympy.diff(FUNCTIONS[func].sympy(t), t)
    if derivative == 0:
        return None
    return parse_expression(sympy_notation(derivative, {t: "x"}), LAYER_MATRIX)


class _Substitute(Walker):
    """A tree with the placeholder ``x`` replaced by a subtree."""

    prefix = "_sub_"

    def __init__(self, value):
        self.value = value

    def _sub_Name(self, node):
        return self.value if node.name == "x" else node

    def _sub_Number(self, node):
        return node

    def _sub_Neg(self, node):
        return Neg(self.walk(node.operand))

    def _sub_BinOp(self, node):
        return BinOp(node.op, self.walk(node.left), self.walk(node.right))

    def _sub_Call(self, node):
        return Call(node.func, tuple(self.walk(a) for a in node.args), node.axis)


class Graph:
    """A layer's graph: its nodes (parsed), the shapes of every expression
    at a probe with sizes all different, and the backward rules.

    >>> from symbp.layers.formulas import SizedLayer
    >>> from symbp.notation.text import notation_text
    >>> graph = Graph(SizedLayer.of("affine"), ["out = x @ w + b"])
    >>> [(name, notation_text(tree)) for name, tree in graph.contributions(graph.nodes[0])]
    [('x', 'dout @ w.T'), ('w', 'x.T @ dout'), ('b', 'sum(dout, axis=0)')]
    """

    def __init__(self, sized, lines):
        probe = {k: v for k, v in PROBE.items() if k in sized.layer.sizes()}
        self.sized = sized.replace(**probe)
        self.values = notation_values(self.sized, point_values(self.sized, 0))
        self.names = {value: name for name, value in probe.items()}
        self.nodes = []
        for line in lines:
            formula = parse_formula(line, LAYER_MATRIX)
            self.nodes.append(Node(formula.left.name, formula.right, line))
        self.differentiable = {n.name for n in self.nodes} | {
            name for name in LAYER_QUANTITIES if f"d{name}" in _names(self.values)}

    def shape(self, tree) -> tuple:
        value = evaluate_numeric(tree, LayerContext(self.sized), self.values)
        return tuple(np.shape(value)) if np.ndim(value) == 2 else (1, 1)

    def dims(self, shape) -> tuple:
        return tuple(Number(Fraction(1)) if size == 1 else Name(self.names[size])
                     for size in shape)

    def upstream(self, node: Node):
        """d node: ``dout`` for the output (1 for a loss), else its gradient's
        name; 1 for a term the objective adds as it is (weight decay's penalty)."""
        name = "dout" if node.name == "out" else f"d{node.name}"
        return Name(name) if name in _names(self.values) else ONE

    def contributions(self, node: Node) -> list:
        """``(name, tree)`` of each quantity the node passes its gradient to."""
        return self._pull(node.expression, self.upstream(node))

    def local(self, node: Node) -> list:
        """``(name, tree)``: each input's local derivative, entry by entry
        (what an upstream 1 contributes, before any broadcast is undone); not
        for a matrix product, whose local derivative is not entry-wise."""
        return self._pull(node.expression, ONE, at_leaf=False)

    # -- the rules -------------------------------------------------------------------

    def _pull(self, expr, upstream, at_leaf: bool = True) -> list:
        if isinstance(expr, Name):
            if expr.name not in self.differentiable:
                return []
            return [(expr.name, self._fit(upstream, expr) if at_leaf else upstream)]
        if isinstance(expr, Number):
            return []
        if isinstance(expr, Neg):
            return self._pull(expr.operand, _neg(upstream), at_leaf)
        if isinstance(expr, Transpose):
            return self._pull(expr.operand, Transpose(self._fit(upstream, expr)), at_leaf)
        if isinstance(expr, BinOp):
            return self._binop(expr, upstream, at_leaf)
        return self._call(expr, upstream, at_leaf)

    def _binop(self, expr, upstream, at_leaf):
        a, b = expr.left, expr.right
        if expr.op in "+-":
            right = upstream if expr.op == "+" else _neg(upstream)
            return self._pull(a, upstream, at_leaf) + self._pull(b, right, at_leaf)
        if expr.op == "*":
            return self._pull(a, _times(upstream, b), at_leaf) + \
                self._pull(b, _times(upstream, a), at_leaf)
        if expr.op == "/":
            through_b = _neg(_times(upstream, BinOp("/", a, BinOp("**", b, Number(Fraction(2))))))
            return self._pull(a, _times(upstream, BinOp("/", ONE, b)), at_leaf) + \
                self._pull(b, through_b, at_leaf)
        if expr.op == "**":
            k = b.value
            local = a if k == 2 else BinOp("**", a, Number(k - 1))
            return self._pull(a, _times(BinOp("*", Number(k), local), upstream), at_leaf)
        full = self._fit(upstream, expr)   # a matrix product
        return self._pull(a, BinOp("@", full, Transpose(b)), at_leaf) + \
            self._pull(b, BinOp("@", Transpose(a), full), at_leaf)

    def _call(self, expr, upstream, at_leaf):
        entry = FUNCTIONS[expr.func]
        if entry.kind in ("labels", "sizes"):
            return []   # onehot(y), ones(...), eye(...): constants
        (arg,) = expr.args if len(expr.args) == 1 else (None,)
        if entry.kind == "reduce":
            if entry.name == "mean":
                rows, cols = self.shape(arg)
                count = {None: rows * cols, 0: rows, 1: cols}[expr.axis]
                upstream = BinOp("/", upstream, self._size(count))
            return self._pull(arg, upstream, at_leaf)
        if entry.kind == "elementwise":
            derivative = _derivative(expr.func)
            if derivative is None:
                return []
            local = _Substitute(arg).walk(derivative)
            return self._pull(arg, _times(local, upstream), at_leaf)
        if entry.kind == "activation" and entry.activation == "softmax" and not entry.prime:
            full = self._fit(upstream, expr)
            pulled = BinOp("*", expr, BinOp("-", full, Call("sum", (BinOp("*", expr, full),), 1)))
            return self._pull(arg, pulled, at_leaf)
        if entry.kind == "activation" and not entry.prime:
            local = Call(f"{entry.activation}_prime", (arg,))
            return self._pull(arg, _times(upstream, local), at_leaf)
        raise ValueError(f"no backward rule for {expr.func}()")

    def _size(self, count: int):
        if count in self.names:
            return Name(self.names[count])
        for name, value in self.names.items():
            for other, second in self.names.items():
                if name * other == count:
                    return BinOp("*", Name(value), Name(second))
        return Number(Fraction(count))

    def _fit(self, upstream, target):
        """``upstream`` made ``target``'s shape: summed over the axes where
        ``target`` was broadcast, spread over the axes a reduction removed."""
        have, want = self.shape(upstream), self.shape(target)
        if have == want:
            return upstream
        summed = [axis for axis in (0, 1) if want[axis] == 1 and have[axis] > 1]
        if len(summed) == 2:
            upstream = Call("sum", (upstream,))
        elif summed:
            upstream = Call("sum", (upstream,), summed[0])
        if isinstance(upstream, Call) and isinstance(upstream.args[0], Neg):
            upstream = Neg(Call("sum", (upstream.args[0].operand,), upstream.axis))
        have = self.shape(upstream)
        if have != want:
            return _times(Call("ones", self.dims(want)), upstream)
        return upstream


def _names(values) -> set:
    return {key[0] for key in values if key[1] is None}

