"""What one draw cannot show about a user's random forward: how often its
dropout mask keeps a unit, and whether it draws one mask per sample.

symbp grades dropout against the mask the user's forward applied (read
back from its output), so a mask drawn with the wrong probability, or one
row of it shared by the whole batch, passes every gradient check: the
backward is right for that mask.  The forward is not inverted dropout,
though: its output's expected value is not x.  :func:`mask_probe` runs the
forward once on a batch large enough to measure both (10,000 units; the
truth is not needed, so the size limits of the derivation do not apply).
"""

from __future__ import annotations

import numpy as np

from symbp.grading.layer_calls import run_forward_backward
from symbp.grading.layer_draws import Draw, KeyResult

PROBE = {"N": 200, "D": 50}   # 10,000 units: the kept fraction within 0.005 (one sd)
PROBE_P = 0.3                 # far from 1/2, so that keeping and dropping differ
SLACK = 0.05                  # ten standard deviations of the kept fraction


def _kept_fraction(out) -> tuple[float, bool]:
    """The fraction of units the output kept (not 0), and whether every
    sample (row) kept the same ones.

    >>> _kept_fraction(np.array([[2.0, 0.0], [2.0, 0.0]]))
    (0.5, True)
    """
    kept = np.asarray(out) != 0
    return float(kept.mean()), bool(len(kept) > 1 and (kept == kept[0]).all())


def mask_probe(user, found, layer, extra: dict) -> Draw | None:
    """A ``forward_wrong`` draw when the user's dropout forward is not
    inverted dropout in distribution (module doc); None when it is, or when
    the layer has no random mask, or the forward fails (the regular draws
    say how).

    A cs231n dropout whose mask keeps a unit when ``rand() > p``:

    >>> from symbp.grading.discovery import Found
    >>> from symbp.grading.in_process import LocalCode
    >>> from symbp.layers import LAYERS
    >>> def dropout_forward(x, param):
    ...     np.random.seed(param["seed"])
    ...     mask = (np.random.rand(*x.shape) > param["p"]) / param["p"]
    ...     return x * mask, mask
    >>> code = LocalCode({"dropout_forward": dropout_forward,
    ...                   "dropout_backward": lambda dout, mask: dout * mask})
    >>> found = Found("dropout_backward", "dropout", "cs231n", "dropout_forward")
    >>> print(mask_probe(code, found, LAYERS["dropout"], {}).message)
    the forward differs: at p = 0.3 it keeps 69% of the units and multiplies them by 3.333, so its output is on average 2.31 times x where inverted dropout keeps it x (the mask's comparison with p reversed: rand() > p for rand() < p?)
    """
    if not any(op.kind == "mask" for op in layer.operands) or \
            set(PROBE) - layer.config_names():
        return None
    followers = {p.name for p in layer.parameters if p.follows is not None}
    given = {k: v for k, v in layer.default_config(PROBE).items() if k not in followers}
    config = layer.complete({**given, "p": PROBE_P, "seed": 0, **extra})
    arrays = {op.name: np.ones(layer.shapes(config)[op.name]) if op.kind == "real"
              else np.zeros(layer.shapes(config)[op.name]) for op in layer.operands}
    outcome = user.call(run_forward_backward, found, arrays, config,
                        np.ones(layer.shapes(config)["x"]))
    if outcome.error is not None or outcome.value["problem"] is not None:
        return None
    out = np.asarray(outcome.value["out"], dtype=float)
    if out.shape != arrays["x"].shape or not (out != 0).any():
        return None
    fraction, rows_alike = _kept_fraction(out)
    scale = float(np.median(out[out != 0]))
    what = _what_differs(fraction, rows_alike, scale, found.style)
    if what is None:
        return None
    shown = {k: v for k, v in config.items() if k in layer.config_names() | {"seed"}}
    return Draw("forward_wrong", shown, 0, [KeyResult("out", False, message=what)],
                f"the forward differs: {what}")


def _what_differs(fraction: float, rows_alike: bool, scale: float, style: str) -> str | None:
    p = PROBE_P
    if rows_alike and 0 < fraction < 1:
        return ("every sample got the same mask (one draw per feature, e.g. "
                "np.random.rand(1, D)): each unit of each sample is kept or dropped on its own")
    if np.isclose(scale, 1.0):      # the book's Dropout: no scaling in training
        if abs(fraction - p) > SLACK:
            ratio = 1 - p
            return (f"it keeps {fraction:.0%} of the units where Dropout({ratio:g}) drops "
                    f"{ratio:.0%} of them and keeps {p:.0%}")
        return None
    if abs(fraction * scale - 1) > 2 * SLACK * scale:
        given = {"dlfs": "dropout_ratio", "nnfs": "rate"}.get(style, "p")
        return (f"at {given} = {p if style == 'cs231n' else 1 - p:g} it keeps {fraction:.0%} "
                f"of the units and multiplies them by {scale:.4g}, so its output is on average "
                f"{fraction * scale:.2f} times x where inverted dropout keeps it x (the mask's "
                "comparison with p reversed: rand() > p for rand() < p?)")
    return None
