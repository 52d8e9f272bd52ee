"""Grading a user's own backprop against the symbolic truth.

``grade(func, net)`` calls ``func(params, x, y)`` at a point of ``net`` and
compares every gradient it returns with ``net.gradient(point)``, which comes
from the symbolic derivation and is exact to rounding.  So the tolerance can
be tight: an entry is wrong when

    |claimed - truth| > atol + rtol * max|truth of that gradient|

with ``rtol = 16 * eps(dtype) * size`` (float64 at most 1e-10), ``size =
depth * sqrt((widest layer + 1) * m)``, and ``atol = 4 * eps(dtype) * U``,
U the largest entry of dL/da[L] or of any gradient: a floor of a few
rounding units for gradients that cancel to zero in exact arithmetic (their
rounding is relative to the terms summed, which the result does not show),
small enough that a gradient whose entries are all tiny, such as one behind
leaky_relu's 0.01 slopes, is still judged on its own scale.

>>> import numpy as np
>>> from symbp.network import Network
>>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum")
>>> def my_grads(params, x, y):
...     delta = params["W1"] @ x + params["b1"] - y
...     return {"W1": delta @ x.T, "b1": delta.sum(axis=1, keepdims=True)}
>>> grade(my_grads, net).ok
True

``symbp.grading.random_grade.grade_random(func, net, n)`` repeats this on ``n`` networks drawn by
Hypothesis and reports the smallest failing one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.errors import UsageError
from symbp.grading.sandbox import UserCodeFailed
from symbp.grading.user_code import describe_exception
from symbp.network import Network
from symbp.truth.exact import truth as symbolic_truth
from symbp.verification.diagnosis import diagnose

SAFETY = 16          # measured worst rounding error of correct backprops is < 1 * eps * size
FLOAT64_CAP = 1e-10  # so that an error of 1e-8 times a gradient's largest entry is caught
ATOL_ROUNDING_UNITS = 4  # the absolute floor, in rounding units of U (module doc)


@dataclass
class KeyGrade:
    """The grade of one gradient: ``ok``, or what is wrong with it."""

    key: str                       # symbp's key, "W1"
    name: str                      # the user's key (``names``), "w1"
    ok: bool
    problem: str | None = None     # missing, extra, not_array, shape, non_finite, values, exception
    message: str | None = None     # one sentence for a problem
    max_abs_error: float | None = None
    max_rel_error: float | None = None   # relative to the gradient's largest entry
    where: tuple | None = None
    tolerance: float | None = None
    dtype: str | None = None
    diagnosis: dict | None = None
    note: str | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "name": self.name, "ok": self.ok, "problem": self.problem,
                "message": self.message, "max_abs_error": self.max_abs_error,
                # JSON has no infinity: a relative error against an all-zero truth is null
                "max_rel_error": None if self.max_rel_error == float("inf") else self.max_rel_error,
                "where": list(self.where) if self.where is not None else None,
                "tolerance": self.tolerance, "dtype": self.dtype,
                "diagnosis": self.diagnosis, "note": self.note}

    def line(self) -> str:
        """One line of the human report."""
        label = self.key if self.name == self.key else f"{self.key} ({self.name})"
        if self.ok:
            text = f"{label}: ok, max error {self.max_abs_error:.2g} (tolerance {self.tolerance:.2g})"
        elif self.problem == "values":
            text = (f"{label}: WRONG, off by up to {self.max_abs_error:.3g} "
                    f"({self.max_rel_error:.3g} of its largest entry) at "
                    f"[{', '.join(map(str, self.where))}]")
        else:
            text = f"{label}: WRONG, {self.message}"
        if not self.ok and self.diagnosis:
            text += f"; {self.diagnosis['text'].rstrip('.')}"
        if self.note:
            text += f" (note: {self.note})"
        return text


@dataclass
class GradeReport:
    """Every gradient's grade at one point of one network.

    ``ok`` when every key is right; ``wrong`` lists the wrong ones; ``error``
    is the exception FUNC raised (file, line and message), if it raised.
    """

    network: Network
    seed: int | None
    keys: list[KeyGrade]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return all(k.ok for k in self.keys)

    @property
    def wrong(self) -> list[KeyGrade]:
        return [k for k in self.keys if not k.ok]

    def lines(self) -> list[str]:
        where = f"on {self.network}" + (f" at the point of seed {self.seed}"
                                         if self.seed is not None else "")
        head = [where] + ([f"FUNC raised {self.error}"] if self.error else [])
        return head + [k.line() for k in self.keys]

    def __str__(self):
        return "\n".join(self.lines())

    def to_json(self) -> dict:
        return {"ok": self.ok, "network": self.network.to_dict(), "seed": self.seed,
                "error": self.error, "keys": [k.to_json() for k in self.keys]}


def grade(func, net: Network, point=None, *, rtol=None, atol=None, names=None,
          seed: int = 0) -> GradeReport:
    """Grade ``func(params, x, y) -> {key: gradient}`` on ``net`` at ``point``
    (default ``net.sample(seed)``).

    ``names`` maps symbp's keys to the user's (``{"W1": "w"}``), for the
    parameters passed in and the gradients returned.  ``rtol``/``atol``
    replace the tolerance derived from the dtype returned (module doc).
    """
    names = _checked_names(names, net)
    if point is None:
        point = net.sample(seed)
    else:
        seed = None
    p = net.check_point(point)
    truth = net.gradient(p)
    scale = _output_scale(net, p, truth)
    params = {names.get(k, k): p[k].copy() for k in net.param_keys()}
    result, raised = _call(func, params, p["x"].copy(), p["y"].copy())
    if raised is not None:
        what, where = raised
        at = f" at {where}" if where else ""
        keys = [KeyGrade(k, names.get(k, k), False, "exception",
                         f"not returned: FUNC raised {what.split(':')[0]}{at}")
                for k in net.param_keys()]
        return GradeReport(net, seed, keys, f"{what}{at}")
    if not isinstance(result, dict):
        keys = [KeyGrade(k, names.get(k, k), False, "not_dict",
                         f"not returned: FUNC returned {type(result).__name__}, not a dict "
                         "of gradients") for k in net.param_keys()]
        return GradeReport(net, seed, keys)
    keys = [_grade_key(net, k, names.get(k, k), truth[k], result, scale, rtol, atol)
            for k in net.param_keys()]
    expected = {names.get(k, k) for k in net.param_keys()}
    keys += [KeyGrade(str(extra), str(extra), False, "extra",
                      f"an extra key: {net} has no parameter named {extra!r}")
             for extra in result if extra not in expected]
    _bias_reduction(net, keys)
    return GradeReport(net, seed, keys)


def _checked_names(names, net) -> dict:
    names = dict(names or {})
    unknown = [k for k in names if k not in net.param_keys()]
    if unknown:
        raise UsageError(f"the names map {', '.join(map(repr, unknown))}, which the network "
                         f"does not have; expected keys among {', '.join(net.param_keys())}")
    mapped = [names.get(k, k) for k in net.param_keys()]
    if len(set(mapped)) != len(mapped):
        raise UsageError(f"the names give two parameters the same name ({', '.join(mapped)}); "
                         "give each key its own name")
    return names


def _output_scale(net, p, truth) -> float:
    """U of the module doc: the size of the terms the gradients are sums of."""
    da_out = symbolic_truth(net).per_sample(p)[f"da{net.depth}"]
    per_total = 1.0 / net.batch if net.reduction == "mean" else 1.0
    largest = [float(np.max(np.abs(g))) for g in truth.values()]
    return max([float(np.max(np.abs(da_out))) * per_total] + largest)


def _eps(dtype) -> float:
    dtype = np.dtype(dtype) if np.issubdtype(np.dtype(dtype), np.floating) else np.dtype(float)
    return float(np.finfo(dtype).eps)


def relative_tolerance(net: Network, dtype) -> float:
    """The default ``rtol`` for gradients of ``dtype`` on ``net`` (module doc).

    >>> relative_tolerance(Network(layers=[2, 1]), np.float64) < 1e-12
    True
    """
    size = net.depth * float(np.sqrt((max(net.layers) + 1) * net.batch))
    rtol = SAFETY * _eps(dtype) * size
    return min(rtol, FLOAT64_CAP) if _eps(dtype) == _eps(np.float64) else rtol


def _call(func, params, x, y):
    """FUNC's result and None, or None and (what it raised, where in the user's code)."""
    try:
        return func(params, x, y), None
    except UserCodeFailed as failed:   # raised in the user's process (symbp.grading.sandbox)
        return None, (failed.error.what, failed.error.where)
    except (Exception, SystemExit) as raised:  # noqa: BLE001  (the user's code may raise anything)
        return None, describe_exception(raised)


def _grade_key(net, key, name, truth, result, scale, rtol, atol) -> KeyGrade:
    if name not in result:
        return KeyGrade(key, name, False, "missing", f"missing: FUNC returned no {name!r}")
    value = result[name]
    if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")) or np.ndim(value) == 0:
        return KeyGrade(key, name, False, "not_array",
                        f"{type(value).__name__} where a {truth.shape[0]} x {truth.shape[1]} "
                        "array is expected")
    claimed = np.asarray(value)
    if claimed.dtype.kind not in "fiub":
        return KeyGrade(key, name, False, "not_array",
                        f"an array of {claimed.dtype} where real numbers are expected")
    grade_ = KeyGrade(key, name, False, dtype=str(claimed.dtype))
    claimed, grade_.note = _accept_1d_bias(key, claimed, truth)
    if claimed.shape != truth.shape:
        grade_.problem = "shape"
        grade_.message = (f"shape {claimed.shape} where {truth.shape} is expected "
                          f"({net.layout} layout)")
        grade_.diagnosis = _diagnose(net, key, truth, claimed) if claimed.ndim == 2 else None
        return grade_
    finite = np.isfinite(claimed)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        grade_.problem, grade_.where = "non_finite", bad
        grade_.message = f"{claimed[bad]} at [{', '.join(map(str, bad))}]"
        return grade_
    return _compare(net, grade_, truth, claimed, scale, rtol, atol)


def _accept_1d_bias(key, claimed, truth):
    if key.startswith("b") and claimed.ndim == 1 and claimed.size == truth.size:
        return (claimed.reshape(truth.shape),
                f"1-D {tuple(claimed.shape)} accepted as {truth.shape}")
    return claimed, None


def _compare(net, grade_, truth, claimed, scale, rtol, atol) -> KeyGrade:
    default = relative_tolerance(net, claimed.dtype)
    rtol = default if rtol is None else float(rtol)
    atol = ATOL_ROUNDING_UNITS * _eps(claimed.dtype) * scale if atol is None else float(atol)
    error = np.abs(claimed.astype(float) - truth)
    largest = float(np.max(np.abs(truth)))
    tolerance = atol + rtol * largest
    where = np.unravel_index(int(np.argmax(error)), error.shape)
    grade_.where = tuple(int(i) for i in where)
    grade_.max_abs_error = float(error[where])
    if largest:
        grade_.max_rel_error = grade_.max_abs_error / largest
    else:  # the truth is all zeros: any error is infinitely far off, relatively
        grade_.max_rel_error = float("inf") if grade_.max_abs_error else 0.0
    grade_.tolerance = tolerance
    grade_.ok = bool(grade_.max_abs_error <= tolerance)
    if not grade_.ok:
        grade_.problem = "values"
        grade_.diagnosis = _diagnose(net, grade_.key, truth, claimed.astype(float))
    return grade_


def _diagnose(net, key, truth, claimed) -> dict | None:
    """``diagnose``'s finding, worded for a gradient rather than a formula's sides."""
    found = diagnose(truth, claimed, net=net)
    if found is None:
        return None
    text = found["text"].replace("where the left side is", "where the truth is")
    return dict(found, text=text.replace("the right side", key, 1))


def _bias_reduction(net, keys):
    """Rename a 1/m or m factor on b[l] when W[l] is right: the bias gradient
    was averaged over the batch where the weights' was summed (or the reverse)."""
    by_key = {k.key: k for k in keys}
    for l in range(1, net.depth + 1):
        weights, bias = by_key.get(f"W{l}"), by_key.get(f"b{l}")
        if not (weights and bias and weights.ok and bias.diagnosis) or net.batch < 2:
            continue
        value = bias.diagnosis.get("value") if bias.diagnosis["kind"] == "factor" else None
        factor = next((name for name, named in (("1/m", 1.0 / net.batch), ("m", net.batch))
                       if value is not None and abs(value - named) <= 1e-6 * named), None)
        if factor is None:
            continue
        doing, should = ("averaged", "summed") if factor == "1/m" else ("summed", "averaged")
        bias.diagnosis = dict(bias.diagnosis, kind="bias_reduction", factor=factor, text=(
            f"b{l} is {factor} times the truth while W{l} is right: the bias gradient is "
            f"{doing} over the batch where it should be {should} like the weights' "
            f"(m = {net.batch})."))


# -- many networks ------------------------------------------------------------------
