"""The notation evaluated over symbolic sizes: each side of a formula as one
entry at a generic position (row r, column c), in SymPy's index form.

An :class:`IndexMatrix` is a shape (SymPy sizes: ``n1``, ``m``, ``1``, 3) and
a body, the entry at (r, c) as an expression in two placeholder indices; a
matrix product is a ``Sum`` over a fresh dummy, ``sum(X, axis=0)`` a ``Sum``
over the rows, ``eye(n)`` a ``KroneckerDelta``, broadcasting reads index 0
of a size-1 axis.  The quantities come from
:class:`symbp.truth.general.FamilyTruth` (canonical order: units first),
laid out as the network's layout asks.  Nothing is built entry by entry, so
the work depends on the formula, never on the sizes.

The evaluator is the notation's own tree walk with this algebra; a shape that
does not fit is :class:`~symbp.notation.evaluate.ShapeMismatch`, as numerically.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_expression
>>> net = Network(layers=[2, 3, 2], batch=4)
>>> value = evaluate_index(parse_expression("delta[l] @ a[l-1].T"), SymbolicNetwork.of(net), 2)
>>> value.shape
(n2, n1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symbp.notation.evaluate import SymbolicEvaluator
from symbp.tables import ACTIVATIONS
from symbp.truth.general import (
    Family,
    FamilyTruth,
    M,
    activation_entry,
    elementwise_forms,
    size,
)

ROW = sympy.Symbol("_r", integer=True, nonnegative=True)
COLUMN = sympy.Symbol("_c", integer=True, nonnegative=True)


@dataclass(frozen=True)
class IndexMatrix:
    """A matrix with sizes that may be symbols: its entry at (ROW, COLUMN).

    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> bias = IndexMatrix(n, sympy.S.One, sympy.IndexedBase("b")[ROW])
    >>> bias.T.shape, bias.entry(2, 5)    # one column: read at column 0 wherever asked
    ((1, n), b[2])
    """
    rows: object
    cols: object
    body: object

    @property
    def shape(self) -> tuple:
        return (self.rows, self.cols)

    @property
    def T(self) -> IndexMatrix:
        return IndexMatrix(self.cols, self.rows,
                           self.body.xreplace({ROW: COLUMN, COLUMN: ROW}))

    def __neg__(self) -> IndexMatrix:
        return IndexMatrix(self.rows, self.cols, -self.body)

    def entry(self, i, j):
        """The entry at (i, j); a size-1 axis is read at 0 (broadcasting)."""
        i = sympy.S.Zero if self.rows == 1 else i
        j = sympy.S.Zero if self.cols == 1 else j
        return self.body.xreplace({ROW: i, COLUMN: j})

    def map(self, function) -> IndexMatrix:
        return IndexMatrix(self.rows, self.cols, function(self.body))


@dataclass(frozen=True)
class SymbolicNetwork:
    """What the evaluator reads of a network, with every width and the batch
    as symbols (or any sizes given).

    >>> from symbp.network import Network
    >>> symbolic = SymbolicNetwork.of(Network(layers=[2, 3, 1]))
    >>> symbolic.layers, symbolic.batch, symbolic.units_axis
    ((n0, n1, n2), m, 0)
    """
    family: Family
    layout: str
    layers: tuple
    batch: object

    @classmethod
    def of(cls, net, depth: int | None = None) -> SymbolicNetwork:
        family = Family.of(net, depth)
        return cls(family, net.layout, tuple(size(k) for k in range(family.depth + 1)), M)

    @property
    def depth(self) -> int:
        return self.family.depth

    @property
    def bias(self) -> bool:
        return self.family.bias

    @property
    def hidden(self) -> str:
        return self.family.hidden

    @property
    def l2(self) -> float:
        return self.family.l2

    @property
    def units_axis(self) -> int:
        return 0 if self.layout == "column" else 1

    def activation(self, k: int):
        return ACTIVATIONS[self.family.activation(k)]


class _Quantities(Mapping):
    """Every quantity as an IndexMatrix, built when the walk asks for it."""

    def __init__(self, net: SymbolicNetwork, truth: FamilyTruth):
        self.net, self.truth = net, truth
        self._built = {}

    def __getitem__(self, key):
        if key not in self._built:
            self._built[key] = self._build(*key)
        return self._built[key]

    def __contains__(self, key):
        return True

    def __iter__(self):
        return iter(self._built)

    def __len__(self):
        return len(self._built)

    def _laid_out(self, rows, cols, entry) -> IndexMatrix:
        """A (units, samples) quantity in the layout: samples as columns or rows."""
        if self.net.layout == "column":
            return IndexMatrix(rows, cols, entry(ROW, COLUMN))
        return IndexMatrix(cols, rows, entry(COLUMN, ROW))

    def _build(self, name, k):
        truth, n, m = self.truth, self.net.layers, self.net.batch
        if name == "x" or (name == "a" and k == 0):
            return self._laid_out(n[0], m, truth.x)
        if name == "y":
            return self._laid_out(n[-1], m, truth.y)
        if name in ("W", "dW"):
            entry = truth.W if name == "W" else truth.dW
            return self._laid_out(n[k], n[k - 1], lambda p, q: entry(k, p, q))
        if name in ("b", "db"):
            entry = truth.b if name == "b" else truth.db
            return self._laid_out(n[k], sympy.S.One, lambda p, _q: entry(k, p))
        entry = getattr(truth, name)
        return self._laid_out(n[k], m, lambda p, s: entry(k, p, s))


def _heaviside(e):
    return sympy.Heaviside(e, 0)


class IndexEvaluator(SymbolicEvaluator):
    """The notation's walk with index-form algebra (see the module doc).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> evaluator = IndexEvaluator(SymbolicNetwork.of(Network(layers=[2, 1])), {}, None)
    >>> column_sums = evaluator.walk(parse_expression("sum(ones(m, m), axis=0)"))
    >>> column_sums.shape, column_sums.body.doit()
    ((1, m), m)
    """

    def is_scalar(self, value) -> bool:
        return not isinstance(value, IndexMatrix)

    def number(self, value):
        if isinstance(value, sympy.Basic):
            return value
        fraction = Fraction(value)
        return sympy.Rational(fraction.numerator, fraction.denominator)

    def size(self, node):
        return self.walk(node)

    def product(self, left, right):
        t = sympy.Dummy("t", integer=True)
        return IndexMatrix(left.rows, right.cols, sympy.Sum(
            left.entry(ROW, t) * right.entry(t, COLUMN), (t, 0, left.cols - 1)))

    def elementwise(self, op, left, right, column):
        shape = self.broadcast_shape(op, left, right, column)
        apply = {"+": sympy.Add, "-": lambda p, q: p - q, "*": sympy.Mul,
                 "/": lambda p, q: p / q}[op]
        if shape is None:
            return apply(left, right)
        sides = [v if self.is_scalar(v) else v.entry(ROW, COLUMN) for v in (left, right)]
        return IndexMatrix(*shape, apply(*sides))

    def power(self, base, exponent):
        if self.is_scalar(base):
            return base ** exponent
        return base.map(lambda e: e ** exponent)

    def reduce(self, entry, value, axis):
        if self.is_scalar(value):
            value = IndexMatrix(sympy.S.One, sympy.S.One, value)
        rows, cols = value.shape
        t, u = sympy.Dummy("t", integer=True), sympy.Dummy("u", integer=True)
        if axis is None:
            total = sympy.Sum(value.entry(t, u), (t, 0, rows - 1), (u, 0, cols - 1))
            result, count = IndexMatrix(sympy.S.One, sympy.S.One, total), rows * cols
        elif axis == 0:
            result = IndexMatrix(sympy.S.One, cols, sympy.Sum(value.entry(t, COLUMN),
                                                              (t, 0, rows - 1)))
            count = rows
        else:
            result = IndexMatrix(rows, sympy.S.One, sympy.Sum(value.entry(ROW, t),
                                                              (t, 0, cols - 1)))
            count = cols
        return result.map(lambda e: e / count) if entry.name == "mean" else result

    def sized(self, entry, sizes):
        if entry.name == "ones":
            return IndexMatrix(*sizes, sympy.S.One)
        return IndexMatrix(sizes[0], sizes[0], sympy.KroneckerDelta(ROW, COLUMN))

    def activate(self, activation, value, prime):
        if self.is_scalar(value):
            return self.activate(activation, IndexMatrix(sympy.S.One, sympy.S.One, value),
                                 prime).body
        if activation.elementwise:
            t, form, derivative = elementwise_forms(activation.name)
            chosen = derivative if prime else form
            return value.map(lambda e: chosen.xreplace({t: e}))
        if self.net.units_axis == 0:
            entry = activation_entry(activation.name, lambda k: value.entry(k, COLUMN), ROW,
                                     value.rows)
        else:
            entry = activation_entry(activation.name, lambda k: value.entry(ROW, k), COLUMN,
                                     value.cols)
        if entry is None:
            raise NotImplementedError(f"{activation.name} has no form over symbolic sizes")
        return IndexMatrix(value.rows, value.cols, entry * (1 - entry) if prime else entry)

    def function(self, entry, value):
        # step as Heaviside(., 0): 1 where > 0, else 0, and no Piecewise to fold
        scalar = _heaviside if entry.name == "step" else entry.sympy
        return scalar(value) if self.is_scalar(value) else value.map(scalar)


def evaluate_index(node, net: SymbolicNetwork, l: int | None = None,
                   truth: FamilyTruth | None = None):
    """A tree's value in index form (an IndexMatrix, or a SymPy scalar).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> net = SymbolicNetwork.of(Network(layers=[2, 1], output="identity"))
    >>> db = evaluate_index(parse_expression("db[L]"), net)
    >>> db.shape, db.body
    ((n1, 1), Sum((-y[_r, _t] + z1[_r, _t])/m, (_t, 0, m - 1)))
    """
    truth = FamilyTruth(net.family) if truth is None else truth
    return IndexEvaluator(net, _Quantities(net, truth), l).walk(node)
