"""What a wrong layer gradient or forward is, next to the truth.

Beside the diagnoses every gradient gets (:func:`~symbp.verification.diagnosis.diagnose`:
``factor`` named by the configuration's sizes, ``N`` or ``1/N``, and by the
layer's own, ``p^2``; ``transpose``; ``shape``; ``zeros``), a layer's gradient
is compared with variants of the truth that SymPy derives from the layer's
definition taken apart at each named quantity q (``mu``, ``var``...):

* ``missing_term``: the truth less the chain-rule path through q (q held
  constant: its adjoint zeroed in the truth's chain), or the path through q alone;
* ``axis``: the truth with d/dq summed over every axis where q is a
  reduction over one (batch norm's ``dmean = np.sum(...)`` without
  ``axis=0``); and, for a parameter's gradient of the wrong shape, the
  per-sample contributions summed over everything, over the other axis, or
  not summed over the batch at all;
* ``overwrite`` and ``flip`` (layers whose outputs share inputs:
  :mod:`symbp.grading.layer_slips`).

No variant is a hand-written backward: each is a derivative of the definition.
The ``config`` diagnosis (right only for some values of a size) grades the
user's code again: :mod:`symbp.grading.layer_config`.
"""

from __future__ import annotations

import numpy as np

from symbp.grading.layer_slips import flipped, overwrite
from symbp.layers.symbolic import truth_for
from symbp.verification.diagnosis import close, diagnose, telling_factor


def named_factors(layer, config: dict) -> list[tuple[str, float, str]]:
    """``(name, value, meaning)`` of the factors a slip in this layer is
    likely to be: its sizes that count things (``N``, ``1/N``, ``T``...)
    and its own (``p^2``).

    >>> from symbp.layers import LAYERS
    >>> [(name, value) for name, value, _ in named_factors(LAYERS["affine"],
    ...                                                     {"N": 3, "d": (2, 2), "M": 2})]
    [('N', 3.0), ('1/N', 0.3333333333333333), ('D', 4.0), ('1/D', 0.25), ('M', 2.0), ('1/M', 0.5)]
    """
    factors = []
    for size in layer.sizes:
        value = int(np.prod(config[size.name])) if size.dims else config[size.name]
        name = "D" if size.dims else size.name
        if value > 1 and size.counts:
            factors += [(name, float(value), _MEANINGS.get(name, "")),
                        (f"1/{name}", 1.0 / value, _MEANINGS.get(f"1/{name}", ""))]
    return factors + list(layer.factors(config))


_MEANINGS = {"N": " (a sum over the batch where a mean is expected, or a missing 1/N?)",
             "1/N": " (a mean over the batch where a sum is expected, or 1/N applied twice?)",
             "1/T": " (averaged over the time steps where their contributions add up?)",
             "T": " (a sum over the time steps where one step is expected?)"}


def _worded(found: dict | None, subject: str) -> dict | None:
    if found is None:
        return None
    text = found["text"].replace("where the left side is", "where the truth is")
    return dict(found, text=text.replace("the right side", subject, 1))


def _as_matrix(array: np.ndarray) -> np.ndarray:
    """A gradient as the 2-D array generic diagnoses compare: itself when it
    is one or two dimensional, else one row (a transpose of an image or a
    filter bank is no slip anyone makes)."""
    return np.atleast_2d(array) if array.ndim <= 2 else array.reshape(1, -1)


def _in_shape(found: dict | None, truth) -> dict | None:
    """A generic diagnosis of arrays of more than two dimensions, in entries."""
    if found and found["kind"] == "partial" and truth.ndim > 2:
        return dict(found, text=f"the right side agrees with the truth on {found['agree']} of "
                                f"{found['entries']} entries only.")
    return found


def _shapes(key: str, truth, claimed) -> dict:
    if max(truth.ndim, claimed.ndim) <= 2:
        return _worded(diagnose(np.atleast_2d(truth), np.atleast_2d(claimed)), key)
    return {"kind": "shape", "left": list(truth.shape), "right": list(claimed.shape),
            "text": f"{key} has shape {claimed.shape} where the truth has {truth.shape}."}


def diagnose_key(layer, config, arrays, dout, key: str, truth: np.ndarray, claimed) -> dict | None:
    """The slip that turns ``truth`` (gradient ``key``) into ``claimed``, or None.

    >>> from symbp.layers import LAYERS
    >>> from symbp.layers.points import sample_point
    >>> layer, config = LAYERS["affine"], {"N": 3, "d": (2, 2), "M": 2}
    >>> arrays, dout = sample_point(layer, config, 0)
    >>> db = truth_for(layer, config)(arrays, config, dout)[1]["db"]
    >>> diagnose_key(layer, config, arrays, dout, "db", db, db / 3)["text"]
    'db is 1/N times the truth (a mean over the batch where a sum is expected, or 1/N applied twice?).'
    """
    claimed = np.asarray(claimed, dtype=float)
    if claimed.shape != truth.shape:
        if not claimed.any() and truth.any():   # `dx = 0` left as the template set it
            what = f"the number {claimed.item():g}" if claimed.size == 1 else "all zeros"
            return {"kind": "zeros", "left": list(truth.shape), "right": list(claimed.shape),
                    "text": f"{key} is {what} where the truth is not (not implemented yet?)."}
        if claimed.size == truth.size and close(claimed.reshape(truth.shape), truth).all():
            # x = x.reshape(N, D) before dx.reshape(x.shape): the values, not the shape
            return {"kind": "shape", "left": list(truth.shape), "right": list(claimed.shape),
                    "reshape": True, "text": f"{key} holds the right values in that shape "
                                             f"(not reshaped back to {truth.shape}?)."}
        return _axis_of_parameter(layer, config, arrays, dout, key, truth, claimed) or \
            _shapes(key, truth, claimed)
    factors = named_factors(layer, config)
    found = _in_shape(diagnose(_as_matrix(truth), _as_matrix(claimed), factors=factors), truth)
    named = {name for name, _, _ in factors} | {"-1", "2", "1/2", "-2", "-1/2"}
    if found and found["kind"] in ("transpose", "zeros") or \
            (found and found["kind"] == "factor" and found["factor"] in named):
        return _worded(found, key)
    if found and found["kind"] == "factor" and not telling_factor(found["factor"]):
        found = None   # -423/836: where the truth spans a line, any multiple of it matches
    return flipped(key, truth, claimed) or \
        overwrite(layer, config, arrays, dout, key, truth, claimed) or \
        _path_variant(layer, config, arrays, dout, key, truth, claimed) or \
        _other_point(layer, config, arrays, dout, key, truth, claimed) or _worded(found, key)


def _other_point(layer, config, arrays, dout, key, truth, claimed) -> dict | None:
    """The truth at another point, as two slips compute it:

    * ``at_output``: an element-wise layer's derivative taken at its output
      where its input is expected: sigmoid'(a) for sigmoid'(z), the
      forward's ``self.output`` given to a derivative written for the input;
    * ``unmasked``: the gradient with the mask (dropout's) all ones, scaled
      or not: a backward that does not apply the forward's mask.
    """
    truth_of = truth_for(layer, config)
    variants = []
    if not layer.loss and len(layer.operands) == 1 and \
            np.shape(dout) == np.shape(arrays[layer.operands[0].name]):
        name = layer.operands[0].name
        out = truth_of(arrays, config, dout)[0]
        at_output = truth_of({name: out}, config, dout)[1][key]
        variants.append((at_output, {"kind": "at_output", "text": (
            f"{key} is the derivative taken at the output where the input is expected "
            f"({layer.name}'(out) for {layer.name}'({name}): the forward's output given to a "
            "derivative written for its input?).")}))
    masks = [op.name for op in layer.operands if op.kind == "mask"]
    if masks:
        kept = {**arrays, **{name: np.ones_like(arrays[name]) for name in masks}}
        followers = {p.name: 1.0 for p in layer.parameters if p.follows is not None}
        for scaled, words in ((config, "only scaled"), ({**config, **followers}, "nor scaled")):
            variants.append((truth_of(kept, scaled, dout)[1][key], {"kind": "unmasked", "text": (
                f"{key} is the truth with the mask not applied, {words}: every unit passes "
                "its gradient back (the backward does not multiply by the forward's mask?).")}))
    return next((found for variant, found in variants
                 if not close(variant, truth).all() and close(variant, claimed).all()), None)


_AXES = ("axis 0 (the batch)", "axis 1 (the features)")


def _reduced_over(shape: tuple) -> str:
    """The axes a quantity of ``shape`` is a reduction over (its axes of size
    1, as ``keepdims`` leaves them), in words."""
    axes = [a for a, size in enumerate(shape) if size == 1]
    if len(shape) == 2 and len(axes) == 1:
        return f"{_AXES[axes[0]]} only (np.sum without axis={axes[0]}?)"
    return f"axes {tuple(axes)} only (np.sum without axis={tuple(axes)}?)"


def _path_variant(layer, config, arrays, dout, key, truth, claimed) -> dict | None:
    """``missing_term`` or ``axis`` from the definition taken apart (module doc)."""
    truth_of = truth_for(layer, config)
    for name in truth_of.stage_names:
        held = truth_of(arrays, config, dout, adjust={name: np.zeros_like})[1][key]
        without, through = held, truth - held
        if not without.any() or not np.abs(through).max() > 1e-12 * np.abs(truth).max():
            continue   # every path, or none, goes through this quantity
        if close(without, claimed).all():
            return {"kind": "missing_term", "path": name, "text": (
                f"{key} is the truth less the chain-rule path through {name} "
                f"(d/d{name} times d{name}/d{key[1:]} is missing).")}
        if close(through, claimed).all():
            return {"kind": "missing_term", "path": name, "text": (
                f"{key} is only the chain-rule path through {name}: the paths that "
                f"bypass {name} are missing.")}
        shape = truth_of.stage_shapes[name]
        if np.prod(shape) > 1 and 1 in shape:
            pooled = truth_of(arrays, config, dout,
                              adjust={name: lambda a: np.full_like(a, a.sum())})[1][key]
            if close(pooled, claimed).all():
                return {"kind": "axis", "quantity": name, "text": (
                    f"{key} has d{name} summed over every axis where it is summed over "
                    f"{_reduced_over(shape)}.")}
    return None


def _axis_of_parameter(layer, config, arrays, dout, key, truth, claimed) -> dict | None:
    """A parameter's gradient not summed over the batch, summed over the
    wrong axis, or over everything: compared with its per-sample
    contributions (the truth for ``dout`` restricted to one sample)."""
    shapes = {"left": list(truth.shape), "right": list(claimed.shape)}
    per_sample = _per_sample(layer, config, arrays, dout, key, truth)
    if per_sample is not None:
        if claimed.shape == per_sample.shape and close(per_sample, claimed).all():
            return {"kind": "axis", **shapes, "text": (
                f"{key} is not summed over the batch: one row per sample {claimed.shape} "
                f"where their sum over axis 0 {truth.shape} is expected.")}
        other = per_sample.sum(axis=1)
        if _alike(claimed, other.shape) and close(other, claimed.reshape(other.shape)).all():
            return {"kind": "axis", **shapes, "text": (
                f"{key} is summed over axis 1 (the features) where the sum is over axis 0 "
                "(the batch).")}
    if claimed.size == 1 and truth.size > 1 and np.isclose(claimed.ravel()[0], truth.sum()):
        return {"kind": "axis", **shapes, "text": (
            f"{key} is the sum over every axis where a sum over axis 0 (the batch) is "
            f"expected, one entry per feature {truth.shape}.")}
    return None


def _alike(claimed, shape: tuple) -> bool:
    """Whether ``claimed`` has ``shape`` but for axes of size 1 (an
    ``np.sum(..., keepdims=True)``'s (N, 1) for (N,))."""
    return claimed.size == int(np.prod(shape)) and \
        [s for s in claimed.shape if s != 1] == [s for s in shape if s != 1]


def _per_sample(layer, config, arrays, dout, key, truth):
    """Each sample's contribution to gradient ``key`` (samples x entries), or
    None when the gradient is not a sum over samples (a loss, an input's)."""
    if layer.loss or np.ndim(dout) < 2 or truth.ndim != 1:
        return None
    truth_of = truth_for(layer, config)
    rows = []
    for i in range(np.shape(dout)[0]):
        only_i = np.zeros_like(dout)
        only_i[i] = dout[i]
        rows.append(truth_of(arrays, config, only_i)[1][key])
    rows = np.array(rows)
    return rows if close(rows.sum(axis=0), truth).all() else None


def describe_forward(layer, config, arrays, out, truth_out) -> tuple[str, dict | None]:
    """What differs between a user's forward output and symbp's definition.

    >>> from symbp.layers import LAYERS
    >>> from symbp.layers.points import sample_point
    >>> layer, config = LAYERS["batchnorm"], {"N": 2, "D": 2, "eps": 1e-5}
    >>> arrays, dout = sample_point(layer, config, 0)
    >>> x, gamma, beta = arrays["x"], arrays["gamma"], arrays["beta"]
    >>> out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + 1e-5) + beta
    >>> describe_forward(layer, config, arrays, out, truth_for(layer, config)(arrays, config, dout)[0])[0]
    'the variance with ddof=1 (unbiased) where batch norm uses the biased variance (ddof=0)'
    """
    claimed = np.asarray(out, dtype=float)
    expected = np.asarray(truth_out, dtype=float)
    if claimed.size != expected.size:
        what = f"its output has shape {claimed.shape} where {expected.shape} is expected"
        return what, {"kind": "shape", "left": list(expected.shape),
                      "right": list(claimed.shape), "text": what + "."}
    claimed = claimed.reshape(expected.shape)
    for what, slip in layer.forward_slips:
        with np.errstate(all="ignore"):
            variant = np.asarray(slip(arrays, config), dtype=float)
        if variant.shape == expected.shape and close(variant, claimed).all():
            return what, {"kind": "forward_slip", "text": what + "."}
    found = _other_parameters(layer, config, arrays, out, claimed)
    if found:
        return found, {"kind": "parameter", "text": found + "."}
    diagnosis = _worded(diagnose(np.atleast_2d(expected), np.atleast_2d(claimed),
                                 factors=named_factors(layer, config)), "out")
    if diagnosis:
        return diagnosis["text"].rstrip("."), diagnosis
    error = np.abs(claimed - expected)
    where = np.unravel_index(int(np.argmax(error)), error.shape)
    at = f" at [{', '.join(map(str, where))}]" if where else ""
    return ((f"its output differs from symbp's definition by up to {float(np.max(error)):.3g}"
            f"{at}"), None)


def _other_parameters(layer, config, arrays, out, claimed) -> str | None:
    """A forward that matches the definition with another value of a
    parameter it was given (eps ignored): say which."""
    for name, value in layer.read_back(arrays, out, config).items():
        if name not in config or value is None or np.isclose(value, config[name], rtol=1e-6):
            continue
        other = dict(config, **{name: value})
        if close(truth_for(layer, other)(arrays, other, None)[0], claimed).all():
            return f"the forward uses {name} = {value:.4g} where {config[name]:.4g} is given"
    return None
