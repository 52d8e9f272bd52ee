"""One layer of a user's graded at one configuration and point.

:func:`grade_draw` draws the point, runs the user's forward and backward
(through ``user.call``: in the sandbox's child process), reads back what
the user's forward fixed itself (dropout's mask and scale, DLFS batch norm's
eps), checks the forward against symbp's definition, then each gradient
against the exact truth, and reports in-place changes.  The truth is always
computed here, in symbp's own process.

A gradient is *tested* at a point only when its truth is not all zeros
there: a zero returned where the truth is zero says nothing (batch norm's
dx at N = 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symbp.grading.layer_calls import run_forward_backward
from symbp.grading.layer_diagnosis import describe_forward, diagnose_key
from symbp.grading.user_code import Unreadable
from symbp.layers.points import sample_point
from symbp.layers.symbolic import truth_for
from symbp.verification.diagnosis import close

FAILING = ("forward_wrong", "error", "wrong")
# by the dtype returned: float16 keeps about 3 digits (a right gradient
# returned in it is off by ~1e-3 of its size); longdouble is held to float64's
RTOL = {np.dtype("float64"): 1e-8, np.dtype("float32"): 1e-4, np.dtype("float16"): 1e-2}
ABSOLUTE = 1e-12   # times the largest true gradient entry of the layer: rounding of sums
_READ_RTOL = 1e-6  # a value read back from an output: float32 output (the book 2's masks) too


@dataclass
class KeyResult:
    """One gradient (or an input the code changed in place) at one point.

    >>> KeyResult("dx", False, 0.25).line(), KeyResult("dx", True, 0.0, tested=False).line()
    ('dx: WRONG, off by up to 0.25', 'dx: untested (all zeros here)')
    """

    key: str
    ok: bool
    max_abs_error: float | None = None
    diagnosis: dict | None = None
    message: str | None = None
    note: str | None = None
    tested: bool = True          # the truth is not all zeros here
    implemented: bool = True

    def to_json(self) -> dict:
        return {"key": self.key, "ok": self.ok, "max_abs_error": self.max_abs_error,
                "diagnosis": self.diagnosis, "message": self.message, "note": self.note}

    def line(self) -> str:
        """One line of the human report."""
        note = f" (note: {self.note})" if self.note else ""
        if self.ok and self.diagnosis and self.diagnosis["kind"] == "mutates":
            return f"{self.key}: written in place, harmless here (see the note)"
        if self.ok:
            return f"{self.key}: {'ok' if self.tested else 'untested (all zeros here)'}{note}"
        if self.diagnosis and self.diagnosis["kind"] == "mutates":
            return f"{self.key}: WRONG, {self.diagnosis['text'].rstrip('.')}"
        text = self.message or f"off by up to {self.max_abs_error:.3g}"
        said = self.diagnosis["text"].rstrip(".") if self.diagnosis else ""
        if said and said != text.rstrip("."):   # a forward's message is its diagnosis
            text += f"; {said}"
        return f"{self.key}: WRONG, {text}{note}"


@dataclass
class Draw:
    """The outcome at one configuration and point.

    >>> draw = Draw("wrong", {"N": 2, "D": 3}, 5, [KeyResult("dx", False, 0.5)])
    >>> draw.verdict in FAILING, [key.line() for key in draw.keys]
    (True, ['dx: WRONG, off by up to 0.5'])
    """

    verdict: str                 # ok | wrong | forward_wrong | error | unimplemented
    config: dict
    seed: int
    keys: list = field(default_factory=list)
    message: str | None = None
    notes: list = field(default_factory=list)
    problem: str | None = None   # an error's kind: "raised", "returned", or "process"


def _convention(layer, found):
    return layer.convention(found.style, found.name)


def _read_back(layer, found, arrays, config, out) -> tuple[dict, dict, list, str | None]:
    """Arrays and configuration completed with what the user's forward fixed
    itself; notes; or the sentence saying the value it fixed is not allowed.

    A value the code fixes itself that could not be read back (DLFS batch
    norm's eps at N = 1) is left out of the configuration reported.
    """
    found_values = layer.read_back(arrays, out, config)
    arrays = {**arrays, **{k: v for k, v in found_values.items() if k in arrays}}
    notes = []
    for name, accepted in _convention(layer, found).reads.items():
        if name not in found_values:
            config = {k: v for k, v in config.items() if k != name}
            continue
        value = found_values[name]
        meaning = next(p.meaning for p in layer.parameters if p.name == name)
        if value is None:
            return arrays, config, notes, f"{meaning} is not one number the forward applies"
        if accepted is None:
            config = {**config, name: value}
            notes.append(f"{name} read back from the forward: {value:g}")
            continue
        options = accepted(config)
        match = next((v for v in options if np.isclose(value, v, rtol=_READ_RTOL, atol=0)), None)
        if match is None:
            expected = " or ".join(f"{v:.4g}" for v in options)
            return arrays, config, notes, f"{meaning} is {value:.4g} where {expected} is expected"
        # the value the code applies (a float32 mask's scale is 1/p to float32's precision)
        config = {**config, name: value}
        if options[match]:
            notes.append(options[match])
    return arrays, config, notes, None


def _array(value):
    """The user's value as a float array, or None when it is not numbers."""
    if value is None or isinstance(value, (Unreadable, str, dict)):
        return None
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001  (a ragged list, say)
        return None
    return array if array.dtype.kind in "fiub" else None


def _grade_key(layer, config, arrays, dout, key, truth, value, scale, elsewhere=None) -> KeyResult:
    if value is None:
        holder = next((name for name, array in (elsewhere or {}).items()
                       if np.shape(array) == truth.shape and close(np.asarray(array), truth).all()
                       and np.any(truth)), None)
        if holder is not None:   # the book's `self.b = np.sum(dout, axis=0)` for self.db
            return KeyResult(key, False, message=f"not set, but self.{holder} holds it "
                             f"(assigned to self.{holder} where its gradient is expected?)")
        return KeyResult(key, False, message="not implemented (None)", implemented=False)
    claimed = _array(value)
    tested = bool(np.any(truth))
    if claimed is None:
        what = type(value).__name__
        if isinstance(value, Unreadable):
            what = value.kind + (f" symbp cannot read ({value.reason})" if value.reason else "")
        message = f"an array of {value.dtype} where real numbers are expected" \
            if isinstance(value, np.ndarray) else f"a {what} where an array is expected"
        return KeyResult(key, False, message=message, tested=tested)
    note = None
    if claimed.shape != truth.shape and claimed.size == truth.size and \
            tuple(s for s in claimed.shape if s != 1) == tuple(s for s in truth.shape if s != 1):
        note = f"shape {claimed.shape} accepted as {truth.shape}"
        claimed = claimed.reshape(truth.shape)
    if claimed.shape != truth.shape:
        return KeyResult(key, False, message=f"shape {claimed.shape} where {truth.shape} is "
                         "expected", tested=tested,
                         diagnosis=diagnose_key(layer, config, arrays, dout, key, truth, claimed))
    if not np.isfinite(claimed).all():
        return KeyResult(key, False, message="NaN or inf among its entries", tested=tested)
    error = np.abs(claimed.astype(float) - truth)
    largest = float(np.max(error)) if error.size else 0.0
    rtol = RTOL.get(claimed.dtype, RTOL[np.dtype("float64")])
    tolerance = rtol * float(np.max(np.abs(truth), initial=0.0)) + ABSOLUTE * scale
    if largest <= tolerance:
        return KeyResult(key, True, largest, note=note, tested=tested)
    return KeyResult(key, False, largest, note=note, tested=tested,
                     diagnosis=diagnose_key(layer, config, arrays, dout, key, truth, claimed))


def _mutation(found, change: dict) -> KeyResult:
    """An in-place change as a key: wrong when it reaches the caller's own
    arrays (an input, the cache that holds one, the layer's state); a note
    when the backward wrote into its upstream gradient (the book's
    ``Relu.backward``: ``dout[self.mask] = 0``), which a sequential network
    never reads again."""
    what = "cache" if change["what"] == "self" else change["what"]
    who = found.forward if change["stage"] == "forward" and found.forward else found.name
    given = found.forward or found.name
    also = [f"the {a} given to {given}" if "[" not in a and "." not in a else a
            for a in change["also"]]
    same = f" (the same array as {', '.join(also)})" if also else ""
    internal = change["stage"] == "backward" and change.get("internal", False)
    diagnosis = {"kind": "mutates", "what": what, "path": change["path"],
                 "stage": change["stage"], "harmless": bool(change.get("upstream")) or internal}
    if internal and not change.get("upstream"):
        text = (f"{who} changes {change['path']} in place, an array its forward made (the "
                "book 2's TimeSoftmaxWithLoss: dx = ys; dx[...] -= 1): harmless unless the "
                "backward runs twice after one forward")
        return KeyResult(what, True, change["change"], dict(diagnosis, text=text + "."),
                         note=text)
    if diagnosis["harmless"]:
        text = (f"{who} writes into its upstream gradient {change['path']} in place: "
                "harmless where each upstream gradient is used once, as in a sequential "
                "network; one also sent elsewhere (a residual branch) would be changed")
        return KeyResult(what, True, change["change"], dict(diagnosis, text=text + "."),
                         note=text)
    text = (f"{who} changed {change['path']} in place{same}, by up to {change['change']:.3g}: "
            "symbp graded it on copies; a caller that reads it again gets the changed values.")
    return KeyResult(what, False, change["change"], dict(diagnosis, text=text))


def grade_draw(user, found, layer, config: dict, seed: int) -> Draw:
    """Grade ``found`` at ``config`` and the point of ``seed`` (module doc).

    A backward right in its values that zeroes its cache (the forward's x) in place:

    >>> from symbp.grading.discovery import Found
    >>> from symbp.grading.in_process import LocalCode
    >>> from symbp.layers import LAYERS
    >>> def relu_backward(dout, x):
    ...     x[x < 0] = 0
    ...     return dout * (x > 0)
    >>> code = LocalCode({"relu_forward": lambda x: (np.maximum(x, 0), x),
    ...                   "relu_backward": relu_backward})
    >>> draw = grade_draw(code, Found("relu_backward", "relu", "cs231n", "relu_forward"),
    ...                   LAYERS["relu"], {"N": 3, "D": 4}, 0)
    >>> draw.verdict, [key.line() for key in draw.keys]  # doctest: +ELLIPSIS
    ('wrong', ['dx: ok', 'cache: WRONG, relu_backward changed cache in place (the same array as the x given to relu_forward), by up to ...'])
    """
    arrays, dout = sample_point(layer, config, seed)
    outcome = user.call(run_forward_backward, found, arrays, config, dout)
    if outcome.error is not None:
        return Draw("error", config, seed, message=str(outcome.error), problem="process")
    result = outcome.value
    mutated = [_mutation(found, change) for change in result["mutated"]]
    harmless = [key.note for key in mutated if key.ok]
    if result["problem"] is not None:
        at = f" at {result['where']}" if result["where"] else ""
        verdict = "unimplemented" if result["problem"] == "unimplemented" else "error"
        label = f"the {result['stage']} raised " if result["problem"] == "raised" else ""
        return Draw(verdict, config, seed, mutated, f"{label}{result['what']}{at}", harmless,
                    problem=result["problem"])
    arrays, shown, notes, refused = _read_back(layer, found, arrays, config, result["out"])
    notes = result.get("notes", []) + notes
    config = {**config, **shown}   # the truth needs every parameter, read back or not
    truth_out, truth = truth_for(layer, config)(arrays, config, dout)
    out = _array(result["out"])
    differs = refused or out is None or out.size != np.size(truth_out) or \
        not close(out.reshape(np.shape(truth_out)), truth_out).all()
    accepted = layer.tolerated(arrays, config, out, truth_out) \
        if differs and not refused and out is not None and layer.tolerated else None
    if accepted:   # a harmless convention (the book's log(y + 1e-7)): noted, then graded
        notes.append(accepted)
    elif differs:
        what, diagnosis = (refused, None) if refused else \
            ("its output is not numbers", None) if out is None else \
            describe_forward(layer, config, arrays, out, truth_out)
        keys = [KeyResult("out", False, diagnosis=diagnosis, message=what)] + mutated
        return Draw("forward_wrong", shown, seed, keys, f"the forward differs: {what}",
                    notes + harmless)
    scale = max([float(np.max(np.abs(t), initial=0.0)) for t in truth.values()] + [0.0])
    keys = [_grade_key(layer, config, arrays, dout, key, truth[key], result["grads"].get(key),
                       scale, result["grads"].get(f"{key}?")) for key in truth] + mutated
    wrong = [k for k in keys if not k.ok and k.implemented]
    missing = [k.key for k in keys if not k.implemented]
    verdict = "wrong" if wrong else "unimplemented" if missing else "ok"
    message = f"not implemented: {', '.join(missing)}" if missing and not wrong else None
    return Draw(verdict, shown, seed, keys, message, notes + harmless)
