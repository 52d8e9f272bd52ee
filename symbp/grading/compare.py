"""One returned gradient against the truth: what it is, its shape, its values.

The truth comes from the symbolic derivation and is exact to rounding, so
the tolerance is tight: an entry is wrong when

    |claimed - truth| > atol + rtol * max|truth of that gradient|

with ``rtol = 16 * eps * size`` (float64 at most 1e-10), ``size = depth *
sqrt((widest layer + 1) * m)``, and ``atol = 4 * eps * U``, U the largest
entry of dL/da[L] or of any gradient: a floor of a few rounding units for
gradients that cancel to zero in exact arithmetic (their rounding is
relative to the terms summed, which the result does not show), small enough
that a gradient whose entries are all tiny, such as one behind leaky_relu's
0.01 slopes, is still judged on its own scale.  ``eps`` is the returned
dtype's, but never finer than float64's: the truth and the inputs FUNC got
are float64, so a ``longdouble`` answer carries no more than that.

>>> from symbp.network import Network
>>> _relative_tolerance(Network(layers=[2, 1]), np.float64) < 1e-12
True
"""

from __future__ import annotations

import numpy as np

from symbp.grading.report import KeyGrade
from symbp.grading.slips import diagnose_gradient, sum_everywhere
from symbp.grading.user_code import Unreadable

SAFETY = 16          # measured worst rounding error of correct backprops is < 1 * eps * size
FLOAT64_CAP = 1e-10  # so that an error of 1e-8 times a gradient's largest entry is caught
ATOL_ROUNDING_UNITS = 4  # the absolute floor, in rounding units of U (module doc)
_REAL_KINDS = "fiub"


def eps(dtype) -> float:
    """The rounding unit of answers of ``dtype``: its own, at least float64's.

    >>> eps(np.longdouble) == eps(np.float64) < eps(np.float32)
    True
    """
    dtype = np.dtype(dtype)
    own = float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else 0.0
    return max(own, float(np.finfo(np.float64).eps))


def _relative_tolerance(net, dtype) -> float:
    """The default ``rtol`` for gradients of ``dtype`` on ``net`` (module doc)."""
    size = net.depth * float(np.sqrt((max(net.layers) + 1) * net.batch))
    rtol = SAFETY * eps(dtype) * size
    return min(rtol, FLOAT64_CAP) if eps(dtype) == eps(np.float64) else rtol


def output_scale(net, point, truth) -> float:
    """U of the module doc: the size of the terms the gradients are sums of.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum")
    >>> point = {"W1": np.array([[1.0, 2.0]]), "b1": np.zeros((1, 1)),
    ...          "x": np.array([[3.0], [0.0]]), "y": np.zeros((1, 1))}
    >>> output_scale(net, point, net.gradient(point))   # dL/da[1] = 3, the true dW1 = [[9, 0]]
    9.0
    """
    da_out = net.per_sample(point)[f"da{net.depth}"]   # the truth's, via the network
    per_total = 1.0 / net.batch if net.reduction == "mean" else 1.0
    largest = [float(np.max(np.abs(g))) for g in truth.values()]
    return max([float(np.max(np.abs(da_out))) * per_total] + largest)


def _dims(shape) -> str:
    return " x ".join(map(str, shape))


def grade_value(net, key: str, name: str, truth: np.ndarray, value, context) -> KeyGrade:
    """The grade of ``value`` (plain data from FUNC) as the gradient ``key``;
    ``context`` carries ``scale``, ``rtol``, ``atol`` and the point's truths
    (:class:`symbp.grading.slips.Context`).

    >>> from symbp.grading.slips import Context
    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum")
    >>> point = net.sample(0)
    >>> truth = net.gradient(point)
    >>> context = Context(output_scale(net, point, truth), truth=truth)
    >>> grade_value(net, "W1", "dW1", truth["W1"], truth["W1"].copy(), context).ok
    True
    >>> grade_value(net, "W1", "dW1", truth["W1"], truth["W1"].T, context).line()
    'W1 (dW1): WRONG, shape (2, 1) where (1, 2) is expected (column layout); W1 is the truth transposed (2 x 1 where 1 x 2 is expected)'
    """
    kind = _not_numbers(value)
    if kind is not None:
        return KeyGrade(key, name, False, "not_array",
                        f"{kind} where a {_dims(truth.shape)} array is expected")
    claimed = np.asarray(value)
    if claimed.dtype.kind not in _REAL_KINDS:
        return KeyGrade(key, name, False, "not_array",
                        f"an array of {claimed.dtype} where real numbers are expected")
    grade = KeyGrade(key, name, False, dtype=str(claimed.dtype))
    claimed, grade.note = _accepted_shape(key, claimed, truth)
    if claimed.ndim == 0 or claimed.shape != truth.shape:
        grade.problem = "shape"
        grade.message = (f"one number where a {_dims(truth.shape)} array is expected"
                         if claimed.ndim == 0 else
                         f"shape {claimed.shape} where {truth.shape} is expected "
                         f"({net.layout} layout)")
        grade.diagnosis = sum_everywhere(key, truth, claimed) or (
            diagnose_gradient(net, key, truth, claimed.astype(float), context)
            if claimed.ndim == 2 else None)
        return grade
    finite = np.isfinite(claimed)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        grade.problem, grade.where = "non_finite", bad
        grade.message = f"{claimed[bad]} at [{', '.join(map(str, bad))}]"
        return grade
    return _compare(net, grade, truth, claimed, context)


def _not_numbers(value) -> str | None:
    """What ``value`` is when it cannot be an array of numbers, else None."""
    if isinstance(value, Unreadable):
        reason = f" ({value.reason})" if value.reason else ""
        return f"a {value.kind} symbp cannot read{reason}"
    if isinstance(value, (np.ndarray, np.generic, int, float)) and not isinstance(value, bool):
        return None
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} (return np.asarray(...))"
    return f"a {type(value).__name__}"


def _accepted_shape(key, claimed, truth):
    if key.startswith("b") and claimed.ndim == 1 and claimed.size == truth.size:
        return (claimed.reshape(truth.shape),
                f"1-D {tuple(claimed.shape)} accepted as {truth.shape}")
    if claimed.ndim == 0 and truth.size == 1:
        return claimed.reshape(truth.shape), f"a number accepted as {_dims(truth.shape)}"
    return claimed, None


def _compare(net, grade: KeyGrade, truth, claimed, context) -> KeyGrade:
    rtol = _relative_tolerance(net, claimed.dtype) if context.rtol is None else context.rtol
    atol = ATOL_ROUNDING_UNITS * eps(claimed.dtype) * context.scale \
        if context.atol is None else context.atol
    as_float = claimed.astype(float)
    error = np.abs(as_float - truth)
    largest = float(np.max(np.abs(truth)))
    tolerance = atol + rtol * largest
    where = np.unravel_index(int(np.argmax(error)), error.shape)
    grade.where = tuple(int(i) for i in where)
    grade.max_abs_error = float(error[where])
    if largest:
        grade.max_rel_error = grade.max_abs_error / largest
    else:  # the truth is all zeros: any error is infinitely far off, relatively
        grade.max_rel_error = float("inf") if grade.max_abs_error else 0.0
    grade.tolerance = tolerance
    grade.ok = bool(grade.max_abs_error <= tolerance)
    if not grade.ok:
        grade.problem = "values"
        grade.diagnosis = diagnose_gradient(net, grade.key, truth, as_float, context)
    return grade
