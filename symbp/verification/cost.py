"""What evaluating a formula on a network costs, known from shapes alone.

The notation's walk with shapes for values (``_ShapeEvaluator``): every
operation's result shape and the work it does (a matrix product counts rows
x columns x inner size), before anything is allocated or built.  ``verify``
refuses to evaluate a formula whose largest matrix or total work is over its
limits, and the proof entry by entry skips a formula whose matrices are too
large for SymPy.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_formula
>>> cost(parse_formula("x = x + 0*sum(ones(m, m))"), Network(layers=[1, 1], batch=1000)).largest
(1000, 1000)
"""

from __future__ import annotations

from dataclasses import dataclass

from symbp.notation.evaluate import NumericEvaluator, ShapeMismatch

# A formula is evaluated numerically only when its largest matrix has at most
# MAX_ENTRIES entries (4096 x 4096, 128 MB of float64, twice with the running
# bounds) and all its operations together at most MAX_WORK (a few seconds of
# NumPy): checked on the shapes before anything is allocated.  The same holds
# for every formula symbp evaluates on its own account (a diagnosis's
# rewrite: a[L].T - y on 100,000 outputs would broadcast to 10^10 entries).
MAX_ENTRIES = 4096 * 4096
MAX_WORK = 2_000_000_000


@dataclass(frozen=True)
class Shaped:
    """A matrix known by its shape only.

    >>> Shaped(2, 3).T.shape
    (3, 2)
    """
    rows: int
    cols: int

    @property
    def shape(self) -> tuple:
        return (self.rows, self.cols)

    @property
    def T(self) -> Shaped:  # NumPy's name for a transpose
        return Shaped(self.cols, self.rows)

    def __neg__(self) -> Shaped:
        return self


class _Scalar(float):
    """A number whose value does not matter here (only ``size`` reads one)."""


class _ShapeEvaluator(NumericEvaluator):
    """Shapes for values: ``work`` and ``largest`` add up as the walk goes.
    ``values`` maps each quantity to a :class:`Shaped` (default: a network's)."""

    def __init__(self, net, l, values=None):
        super().__init__(net, _Shapes(net) if values is None else values, l)
        self.work, self.largest = 0, (0, 0)

    def count(self, rows, cols, inner=1) -> Shaped:
        self.work += rows * cols * inner
        if rows * cols > self.largest[0] * self.largest[1]:
            self.largest = (rows, cols)
        return Shaped(rows, cols)

    def is_scalar(self, value) -> bool:
        return not isinstance(value, Shaped)

    def number(self, value):
        return _Scalar(value)

    def product(self, left, right):
        return self.count(left.rows, right.cols, left.cols)

    def elementwise(self, op, left, right, column):
        shape = self.broadcast_shape(op, left, right, column)
        return _Scalar(0.0) if shape is None else self.count(*shape)

    def power(self, base, _exponent):
        return base if self.is_scalar(base) else self.count(*base.shape)

    def reduce(self, _entry, value, axis):
        if self.is_scalar(value):
            return Shaped(1, 1)
        self.count(*value.shape)
        return {None: Shaped(1, 1), 0: Shaped(1, value.cols), 1: Shaped(value.rows, 1)}[axis]

    def sized(self, entry, sizes):
        return self.count(*sizes) if entry.name == "ones" else self.count(sizes[0], sizes[0])

    def activate(self, _activation, value, prime):  # noqa: ARG002 (the walk names it)
        return value if self.is_scalar(value) else self.count(*value.shape)

    def function(self, _entry, value):
        return value if self.is_scalar(value) else self.count(*value.shape)


class _Shapes(dict):
    """Every quantity of the network as its shape."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def __missing__(self, key):
        name, k = key
        shape_of = {"dW": "W", "db": "b", "delta": "z", "da": "a"}.get(name, name)
        return Shaped(*self.net.shape(shape_of, k))

    def __contains__(self, key):
        return True


@dataclass(frozen=True)
class Cost:
    """What evaluating a formula on a network computes: ``work`` (a matrix
    product counts rows x columns x inner size) and the ``largest`` matrix.

    >>> large = Cost(work=10, largest=(100, 100))
    >>> large.entries, large.refusal(max_entries=1000, max_work=10**6).split(";")[0]
    (10000, 'the formula makes a 100 x 100 matrix and 10 operations')
    """
    work: int
    largest: tuple

    @property
    def entries(self) -> int:
        return self.largest[0] * self.largest[1]

    def refusal(self, max_entries: int = MAX_ENTRIES, max_work: int = MAX_WORK,
                at: str = "") -> str | None:
        """Why a formula of this cost is not evaluated (its largest matrix over
        ``max_entries`` entries, or its work over ``max_work``), or None; ``at``
        says where (" on batchnorm (N = 4, D = 3)")."""
        if self.entries <= max_entries and self.work <= max_work:
            return None
        rows, cols = self.largest
        return (f"the formula makes a {rows} x {cols} matrix and {self.work:,} "
                f"operations{at}; symbp evaluates at most {max_entries:,} entries and "
                f"{max_work:,} operations (memory and time)")


def cost(formula, net, l: int | None = None, values=None) -> Cost:
    """The :class:`Cost` of both sides of ``formula`` on ``net`` at l
    (``values``: its quantities as :class:`Shaped`, default a network's).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> cost(parse_formula("dW[1] = delta[1] @ x.T"), Network(layers=[2, 3], batch=4), 1)
    Cost(work=24, largest=(3, 2))
    """
    work, largest = 0, (0, 0)
    for side in (formula.left, formula.right):
        evaluator = _ShapeEvaluator(net, l, values)
        try:
            evaluator.walk(side)
        except ShapeMismatch:
            pass  # the numeric check refutes it; the work up to here is what counts
        work += evaluator.work
        if evaluator.largest[0] * evaluator.largest[1] > largest[0] * largest[1]:
            largest = evaluator.largest
    return Cost(work, largest)
