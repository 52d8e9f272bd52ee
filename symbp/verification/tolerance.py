"""When two numeric sides agree: a tolerance scaled to what was computed.

Each side of a formula is evaluated with a running bound beside its value
(``_BoundedEvaluator``, the notation's walk with NumPy pairs): the size
of the numbers that went into each entry, which is what its rounding error is
proportional to.  Sums add their terms' bounds, products multiply them, a
function's bound is its value plus its slope times its argument's bound.  The
absolute floor of agreement is ``ATOL`` times the larger side's bound, so

* an entry computed through cancellation (a - y after a softmax chain rule,
  the units' sum of a softmax error) agrees with 0 within its terms' rounding;
* a truth that is merely small (a vanishing gradient deep in a narrow
  network, 1e-12) is not "agreed with" by 0: ``0 * X`` has bound 0, so the
  floor is the truth's own size and the claim is refuted.

An entry that is NaN or infinite is undefined: never agreement (see
:func:`compare`).

>>> import numpy as np
>>> left = Bounded(np.array([[1e-12]]), np.array([[1e-12]]))
>>> right = Bounded(np.array([[0.0]]), np.array([[0.0]]))
>>> compare(left, right)
'differ'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.notation.evaluate import NumericEvaluator

RTOL = 1e-6
ATOL = 1e-9


@dataclass(frozen=True)
class Bounded:
    """A value (number or 2-D array) and its running bound (same shape, >= 0).

    >>> pair = Bounded(np.array([[1.0, -2.0]]), np.array([[1.0, 2.0]]))
    >>> pair.T.shape, (-pair).bound     # a sign changes the value, not its size
    ((2, 1), array([[1., 2.]]))
    """
    value: object
    bound: object

    @property
    def shape(self):
        return np.shape(self.value)

    @property
    def T(self):
        return Bounded(np.transpose(self.value), np.transpose(self.bound))

    def __neg__(self):
        return Bounded(-self.value, self.bound)


def _exact(value) -> Bounded:
    """A value known to rounding: its bound is its size."""
    value = np.asarray(value, dtype=float) if np.ndim(value) else float(value)
    return Bounded(value, np.abs(value))


class _BoundedEvaluator(NumericEvaluator):
    """NumPy on Bounded pairs: the notation's walk with a running bound."""

    def __init__(self, net, values, l):
        super().__init__(net, _BoundedValues(values), l)

    def is_scalar(self, value) -> bool:
        return np.ndim(value.value) == 0

    def number(self, value):
        return _exact(float(value))

    def size(self, node) -> int:
        return int(self.walk(node).value)

    def product(self, left, right):
        return Bounded(left.value @ right.value, left.bound @ right.bound)

    def elementwise(self, op, left, right, column):
        self.broadcast_shape(op, left, right, column)
        (a, p), (b, q) = (left.value, left.bound), (right.value, right.bound)
        with np.errstate(all="ignore"):
            if op in "+-":
                return Bounded(a + b if op == "+" else a - b, p + q)
            if op == "*":
                return Bounded(a * b, p * q)
            value = a / b
            return Bounded(value, p / np.abs(b) + np.abs(value) * q / np.abs(b))

    def power(self, base, exponent):
        k = float(exponent.value)
        k = int(k) if k.is_integer() else k
        with np.errstate(all="ignore"):
            value = np.power(base.value, k)
            slope = np.abs(k * np.power(base.value, k - 1)) if k else 0.0
            return Bounded(value, np.abs(value) + slope * base.bound)

    def reduce(self, entry, value, axis):
        pairs = [super(_BoundedEvaluator, self).reduce(entry, part, axis)
                 for part in (value.value, value.bound)]
        return Bounded(*pairs)

    def sized(self, entry, sizes):
        return _exact(entry.numpy(*sizes))

    def activate(self, activation, value, prime):
        array = np.atleast_2d(np.asarray(value.value, dtype=float))
        with np.errstate(all="ignore"):
            f = activation.numpy_prime if prime else activation.numpy
            result = f(array, self.net.units_axis)
        if np.ndim(value.value) == 0:
            result = float(result[0, 0])
        # every activation and derivative of the table has slope at most 1
        return Bounded(result, np.abs(result) + value.bound)

    def function(self, entry, value):
        result = super().function(entry, value.value)
        x, p = value.value, value.bound
        with np.errstate(all="ignore"):
            # a function's slope at x: how its argument's rounding carries over
            slope = {"log": lambda: 1 / np.abs(x), "exp": lambda: np.abs(result),
                     "sqrt": lambda: 0.5 / np.abs(result),
                     "abs": lambda: 1.0}.get(entry.name, lambda: 0.0)()
            return Bounded(result, np.abs(result) + slope * p)


class _BoundedValues(dict):
    """The quantities at a point, each an exact Bounded pair (built on demand)."""

    def __init__(self, values):
        super().__init__()
        self._values = values

    def __missing__(self, key):
        self[key] = _exact(self._values[key])
        return self[key]

    def __contains__(self, key):
        return key in self._values


def evaluate_bounded(node, net, values, l=None) -> Bounded:
    """A tree's value and running bound at a point (``values`` as for
    :func:`symbp.notation.evaluate.evaluate_numeric`).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> values = {("a", 1): np.array([[0.75]]), ("y", None): np.array([[0.5]])}
    >>> evaluate_bounded(parse_expression("a[1] - y"), Network(layers=[1, 1]), values)
    Bounded(value=array([[0.25]]), bound=array([[1.25]]))
    """
    return _BoundedEvaluator(net, values, l).walk(node)


def as_matrices(left: Bounded, right: Bounded) -> tuple[Bounded, Bounded]:
    """Both sides as 2-D pairs; a number stands for a matrix of the other's shape.

    >>> as_matrices(Bounded(2.0, 2.0), Bounded(np.ones((1, 2)), np.ones((1, 2))))[0]
    Bounded(value=array([[2., 2.]]), bound=array([[2., 2.]]))
    """
    def widened(side, other):
        if np.ndim(side.value) == 0 and np.ndim(other.value) != 0:
            shape = np.shape(other.value)
            return Bounded(np.full(shape, float(side.value)), np.full(shape, float(side.bound)))
        return side
    left, right = widened(left, right), widened(right, left)
    return (Bounded(np.atleast_2d(np.asarray(left.value, float)), np.atleast_2d(left.bound)),
            Bounded(np.atleast_2d(np.asarray(right.value, float)), np.atleast_2d(right.bound)))


def scale(left: Bounded, right: Bounded) -> float:
    """The larger side's running bound: what the absolute floor is relative to
    (infinite bounds left out).

    >>> scale(Bounded(np.ones((1, 1)), np.array([[3.0]])), Bounded(0.5, np.inf))
    3.0
    """
    return max(float(np.max(b[np.isfinite(b)], initial=0.0))
               for b in (np.asarray(left.bound), np.asarray(right.bound)))


def compare(left: Bounded, right: Bounded) -> str:
    """``agree``, ``differ`` (shapes or values), ``left undefined`` or
    ``right undefined`` (a NaN or an infinity among its entries).

    >>> compare(Bounded(1.0, 1.0), Bounded(1.0 + 1e-12, 1.0))
    'agree'
    >>> compare(Bounded(np.ones((1, 1)), np.ones((1, 1))), Bounded(np.array([[np.nan]]), 0.0))
    'right undefined'
    """
    left, right = as_matrices(left, right)
    if not np.isfinite(left.value).all():
        return "left undefined"
    if not np.isfinite(right.value).all():
        return "right undefined"
    if left.value.shape != right.value.shape:
        return "differ"
    floor = ATOL * scale(left, right)
    with np.errstate(all="ignore"):
        agree = np.abs(left.value - right.value) <= RTOL * np.abs(right.value) + floor
    return "agree" if agree.all() else "differ"


# why a side can be undefined at a sampled point, for the messages that say so
UNDEFINED_WHY = "(NaN or infinity: a log or square root of a negative number, or a division by zero?)"


def disagreement(left: Bounded, right: Bounded) -> tuple[str, float, np.ndarray, np.ndarray] | None:
    """None where the sides agree (:func:`compare`); else the outcome, the
    scale the floor is relative to (:func:`scale`) and both values as 2-D
    arrays.

    >>> disagreement(Bounded(1.0, 1.0), Bounded(1.0, 1.0)) is None
    True
    >>> outcome, bound, left, right = disagreement(Bounded(np.ones((1, 2)), 1.0), Bounded(0.0, 2.0))
    >>> outcome, bound, right
    ('differ', 2.0, array([[0., 0.]]))
    """
    outcome = compare(left, right)
    if outcome == "agree":
        return None
    bound = scale(left, right)
    left, right = as_matrices(left, right)
    return outcome, bound, left.value, right.value
