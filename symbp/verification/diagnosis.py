"""What a wrong answer looks like next to the truth: diagnoses of two arrays.

``diagnose(truth, claimed)`` compares a claimed value with the true one and
names the slip when one fits; it knows nothing of formulas or gradients, so
``verify`` (a formula's two sides) and ``grade`` (a user's gradients) share it.

>>> import numpy as np
>>> truth = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> diagnose(truth, -truth)["factor"]
'-1'
>>> diagnose(truth, truth.T)["kind"]
'transpose'
>>> diagnose(truth, np.ones((3, 1)))["kind"]
'shape'

Kinds, each a dict with ``kind``, ``text`` (one sentence) and its own fields:

* ``shape``: the shapes differ (``left``: the truth's, ``right``: the claimed);
* ``transpose``: the claimed value is the truth transposed;
* ``zeros``: the claimed value is all zeros where the truth is not;
* ``factor``: the claimed value is a constant multiple of the truth; ``factor``
  is a name (``"-1"``, ``"m"``, ``"1/m"``, ``"n[L]"``, ``"1/n[L]"``, ``"2"``,
  ``"1/2"``), else a fraction (``"3/7"``) or a decimal, ``value`` the float,
  ``names`` every name the value has here (``["2", "m"]`` at m = 2);
* ``partial``: it agrees on some entries only; ``samples`` (with ``net``),
  ``rows``, ``columns`` list which ones agree where whole ones do, else
  ``agree`` counts the entries that agree out of ``entries``.

None when the two agree, or when none of these fits.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

RTOL = 1e-6
ATOL = 1e-9


def close(left: np.ndarray, right: np.ndarray, rtol: float = RTOL,
          atol: float = ATOL, scale: float | None = None) -> np.ndarray:
    """Entry-wise agreement of two float arrays of one shape.

    The absolute part scales with ``scale``, by default the larger array's
    magnitude (at least 1), so that a value computed through cancellations (a
    - y after a softmax chain rule) is not refuted by rounding; NaNs agree
    with NaNs only.  ``verify`` passes the running bound of what was computed
    (:mod:`symbp.verification.tolerance`), so that a truth that is merely
    small is not "agreed with" by 0.

    >>> close(np.array([1.0, np.nan, 1e-12]), np.array([1.0 + 1e-9, np.nan, 0.0]))
    array([ True,  True,  True])
    >>> close(np.array([1e-12]), np.array([0.0]), scale=1e-12)   # a truth known to be that small
    array([False])
    """
    left = np.asarray(left, dtype=float)
    right = np.asarray(right, dtype=float)
    if scale is None:
        finite = np.concatenate([np.abs(left[np.isfinite(left)]).ravel(),
                                 np.abs(right[np.isfinite(right)]).ravel(), [1.0]])
        scale = float(np.max(finite))
    with np.errstate(invalid="ignore"):
        return np.isclose(left, right, rtol=rtol, atol=atol * scale, equal_nan=True)


def _shape(array) -> list[int]:
    return [int(size) for size in np.shape(array)]


def diagnose(truth, claimed, *, net=None, factors=None,
             scale: float | None = None) -> dict | None:
    """The slip that turns ``truth`` into ``claimed``, or None (see the module doc).

    ``net`` (a Network) lets factors be named ``m`` and ``n[L]`` and agreement
    be described by samples; ``factors`` (``(name, value, meaning)``
    triples, e.g. ``("N", 4.0, " (a sum where a mean is expected?)")``) names
    factors instead, for quantities that are not a network's (a layer's);
    ``scale`` is the tolerance's (see :func:`close`).

    >>> diagnose([[1.0, 2.0]], [[0.25, 0.5]], factors=[("1/N", 0.25, "")])["factor"]
    '1/N'
    """
    truth = np.atleast_2d(np.asarray(truth, dtype=float))
    claimed = np.atleast_2d(np.asarray(claimed, dtype=float))
    if truth.shape != claimed.shape:
        return _different_shapes(truth, claimed)
    agree = close(truth, claimed, scale=scale)
    if agree.all():
        return None
    if truth.shape[0] == truth.shape[1] and truth.size > 1 and \
            close(truth.T, claimed, scale=scale).all():
        return {"kind": "transpose", "text": "the right side is the truth transposed."}
    if not claimed.any():
        return {"kind": "zeros", "text": "the right side is all zeros where the truth is not."}
    found = _factor(truth, claimed, net, factors, scale)
    if found is not None:
        return found
    if agree.any():
        return _partial(agree, net)
    return None


def _different_shapes(truth, claimed) -> dict:
    left, right = _shape(truth), _shape(claimed)
    if claimed.shape == truth.T.shape and close(truth.T, claimed).all():
        return {"kind": "transpose", "left": left, "right": right,
                "text": f"the right side is the truth transposed ({right[0]} x {right[1]} "
                        f"where {left[0]} x {left[1]} is expected)."}
    return {"kind": "shape", "left": left, "right": right,
            "text": f"the right side is {right[0]} x {right[1]} where the left side is "
                    f"{left[0]} x {left[1]}."}


LITERAL_FACTORS = [("-1", -1.0), ("2", 2.0), ("1/2", 0.5), ("-2", -2.0), ("-1/2", -0.5)]


def _named_factors(net, factors=None) -> list[tuple[str, float]]:
    if factors is not None:   # a layer's own names first: "1/N (= 1/2)"
        return [(name, float(value)) for name, value, _ in factors] + LITERAL_FACTORS
    # literal constants first: when m or n[L] equals 2, the text names both
    names = list(LITERAL_FACTORS)
    if net is not None and net.batch > 1:
        names += [("m", float(net.batch)), ("1/m", 1.0 / net.batch),
                  ("-m", -float(net.batch)), ("-1/m", -1.0 / net.batch)]
    if net is not None and net.layers[-1] > 1:
        nL = net.layers[-1]
        names += [("n[L]", float(nL)), ("1/n[L]", 1.0 / nL)]
    return names


def _factor_names(value: float, net, factors=None) -> tuple[list[str], float]:
    """The factor's names, and its value: the exact one when it has a name."""
    named = [(name, exact) for name, exact in _named_factors(net, factors)
             if abs(value - exact) <= RTOL * abs(exact)]
    if named:
        return [name for name, _ in named], named[0][1]
    fraction = Fraction(value).limit_denominator(1000)
    if abs(float(fraction) - value) <= RTOL * abs(value):
        return [str(fraction)], float(fraction)
    return [f"{value:.6g}"], value


def _factor(truth, claimed, net, factors=None, scale=None) -> dict | None:
    weight = float(np.sum(truth * truth))
    if not np.isfinite(weight) or weight == 0.0 or not np.isfinite(claimed).all():
        return None
    value = float(np.sum(truth * claimed)) / weight
    if value == 0.0 or not close(value * truth, claimed, scale=scale).all():
        return None
    names, value = _factor_names(value, net, factors)
    if truth.size == 1 and names[0] not in dict(_named_factors(net, factors)):
        return None  # any two numbers are multiples: only a named factor says something
    return factor_diagnosis(names, value, factors)


def telling_factor(factor: str) -> bool:
    """Whether a factor says something about a slip: a named one (``m``,
    ``1/n[L]``) or a small fraction (``2``, ``-1/2``, ``3/4``), not one a
    coincidence makes (``809/799``: where every entry is off by one common
    ratio, as all of a single sample's gradients are).

    >>> telling_factor("1/m"), telling_factor("3/2"), telling_factor("809/799")
    (True, True, False)
    """
    try:
        value = Fraction(factor)
    except (ValueError, ZeroDivisionError):
        return True
    return abs(value.numerator) <= 4 and value.denominator <= 4


def factor_diagnosis(names: list, value: float, factors=None) -> dict:
    """The ``factor`` diagnosis for a factor known by ``names`` (the first is
    its name, the others equal it here: ``2 (= m)`` at m = 2); ``factors`` as
    for :func:`diagnose`.

    >>> factor_diagnosis(["m"], 4.0)["text"]
    'the right side is m times the truth (a sum where a mean is expected, or a missing 1/m?).'
    """
    name = names[0]
    also = f" (= {', '.join(names[1:])})" if len(names) > 1 else ""
    meanings = {"m": " (a sum where a mean is expected, or a missing 1/m?)",
                "1/m": " (a mean where a sum is expected, or a doubled 1/m?)",
                # update rules (Zhou's g_j, the PDP delta rule) define their error
                # terms as the negative gradient: pasted as a gradient, a sign flip
                "-1": " (a sign flip: y - a for a - y, or an error term defined as the "
                      "negative gradient, as update rules' are?)"}
    meanings.update({n: m for n, _, m in factors or () if m})
    meaning = meanings.get(name, "")
    return {"kind": "factor", "factor": name, "value": value, "names": list(names),
            "text": f"the right side is {name}{also} times the truth{meaning}."}


def _listed(positions) -> str:
    return ", ".join(str(int(p)) for p in positions)


def _partial(agree: np.ndarray, net) -> dict:
    rows = np.flatnonzero(agree.all(axis=1))
    columns = np.flatnonzero(agree.all(axis=0))
    rows_partly = np.flatnonzero(agree.any(axis=1))
    columns_partly = np.flatnonzero(agree.any(axis=0))
    found = {"kind": "partial", "agree": int(agree.sum()), "entries": int(agree.size)}
    sample_axis = None if net is None else 1 - net.units_axis
    # whole samples (columns in column layout, rows in row layout) first
    if sample_axis == 1 and len(columns) and len(columns) == len(columns_partly):
        found["samples"] = columns.tolist()
        found["text"] = f"the right side agrees with the truth on sample(s) {_listed(columns)} only."
    elif sample_axis == 0 and len(rows) and len(rows) == len(rows_partly):
        found["samples"] = rows.tolist()
        found["text"] = f"the right side agrees with the truth on sample(s) {_listed(rows)} only."
    elif len(rows) and len(rows) == len(rows_partly):
        found["rows"] = rows.tolist()
        found["text"] = f"the right side agrees with the truth on row(s) {_listed(rows)} only."
    elif len(columns) and len(columns) == len(columns_partly):
        found["columns"] = columns.tolist()
        found["text"] = (f"the right side agrees with the truth on column(s) "
                         f"{_listed(columns)} only.")
    else:
        found["text"] = (f"the right side agrees with the truth on {found['agree']} of "
                         f"{found['entries']} entries only.")
    return found
