"""The ``config`` diagnosis: code right only for some values of a size that
changes the code path (a stride, a pad, a filter or pool size, a sequence
length), found by grading the same code again at the failing configuration
with that size moved over its range.

A backward that un-pads with a hard-coded ``[1:-1]`` is right at pad = 1
only (cs231n's notebook checks pad 1); one that slices ``[pad:-pad]`` is
empty at pad = 0 and right at 1 and 2.  The diagnosis names the values:
"right only when pad = 1, wrong at pad = 0 or 2".  The sizes that must fit
the one moved (a convolution's H and W) move with it to the nearest values
that do; the point is drawn from the failing point's seed.
"""

from __future__ import annotations

from symbp.errors import LayerError
from symbp.grading.layer_draws import grade_draw
from symbp.layers.points import check_config


def with_seed(layer, config: dict, seed: int) -> dict:
    """A layer whose forward draws at random (dropout) is given the point's
    seed (cs231n's ``dropout_param["seed"]``), so that its mask is repeatable.

    >>> from symbp.layers import LAYERS
    >>> with_seed(LAYERS["dropout"], {"N": 2, "D": 3, "p": 0.6}, 7)
    {'N': 2, 'D': 3, 'p': 0.6, 'seed': 7}
    >>> with_seed(LAYERS["relu"], {"N": 2, "D": 3}, 7)
    {'N': 2, 'D': 3}
    """
    random = any(op.kind == "mask" for op in layer.operands)
    return {**config, "seed": seed} if random else config


def _values(values) -> str:
    """``1``, ``1 or 2``, ``0, 1 or 2``."""
    return ", ".join(map(str, values[:-1])) + (" or " if len(values) > 1 else "") + \
        str(values[-1])


def _sort(draw, value, right: list, wrong: list) -> None:
    """Put ``value`` among the right or the wrong ones by ``draw``'s verdict;
    a right draw that tested nothing (every unit dropped by a dropout mask,
    every gradient zero) is neither."""
    if draw.verdict != "ok":
        wrong.append(value)
    elif any(key.tested for key in draw.keys if key.implemented and not (
            key.diagnosis and key.diagnosis["kind"] == "mutates")):   # a gradient, not a write
        right.append(value)


def config_diagnosis(user, found, layer, failing, extra: dict, fixed: dict) -> dict | None:
    """``{"kind": "config", ...}`` when the code is right at some values of a
    path size (module doc) and wrong at the failing one; None otherwise.

    An L2 penalty whose gradient uses reg = 0.7 whatever reg it is given:

    >>> import numpy as np
    >>> from symbp.grading.discovery import Found
    >>> from symbp.grading.in_process import LocalCode
    >>> from symbp.layers import LAYERS
    >>> layer, found = LAYERS["l2"], Found("l2_regularization", "l2", "cs231n")
    >>> code = LocalCode({"l2_regularization": lambda w, reg: (0.5 * reg * np.sum(w**2), 0.7 * w)})
    >>> failing = grade_draw(code, found, layer, layer.default_config({"reg": 0.1}), 0)
    >>> config_diagnosis(code, found, layer, failing, {}, {})["text"]
    'right only when reg = 0.7, wrong at reg = 0.1 or 2.5: reg fixed in the code instead of the one given? (the same code graded again at each value).'
    """
    base = {k: v for k, v in failing.config.items() if k in layer.config_names()}
    verdicts = {}
    for size in layer.sizes:
        if not size.path or size.name in fixed or size.name not in base:
            continue
        right, wrong = [], [base[size.name]]
        for value in range(size.low, size.high + 1):
            if value == base[size.name]:
                continue
            moved = layer.fit({**base, size.name: value}, keep={size.name, *fixed})
            try:
                moved = check_config(layer, moved)
            except LayerError:
                continue   # nothing fits this value with the rest as it is
            draw = grade_draw(user, found, layer, with_seed(layer, {**moved, **extra},
                                                            failing.seed), failing.seed)
            if draw.problem == "process":
                return None    # a time limit: each further value would cost it again
            _sort(draw, value, right, wrong)
        if right:
            verdicts[size.name] = (sorted(right), sorted(wrong))
    verdicts.update(_parameter_verdicts(user, found, layer, failing, extra, fixed, base))
    if not verdicts:
        return None
    numbers = {p.name for p in layer.parameters}
    parts = [f"right only when {name} = {_values(right)}, wrong at {name} = {_values(wrong)}"
             + (f": {name} fixed in the code instead of the one given?"
                if name in numbers and len(right) == 1 else "")
             for name, (right, wrong) in verdicts.items()]
    return {"kind": "config", "right": {name: right for name, (right, _) in verdicts.items()},
            "text": "; ".join(parts) + " (the same code graded again at each value)."}


def _parameter_verdicts(user, found, layer, failing, extra, fixed, base) -> dict:
    """The same grading with each of a layer's parameters (batch norm's eps)
    moved over its choices: a backward that hard-codes ``1e-5`` where it
    should use the eps it was given is right at that value only.  Parameters
    the user's code fixes itself (read back from its output) are left alone."""
    convention = layer.convention(found.style, found.name)
    verdicts = {}
    for parameter in layer.parameters:
        name = parameter.name
        if parameter.follows is not None or name in fixed or name in convention.reads or \
                name not in base or len(parameter.choices) < 2:
            continue
        followers = {p.name for p in layer.parameters if p.follows is not None}
        right, wrong = [], [base[name]]
        for value in parameter.choices:
            if value == base[name]:
                continue
            moved = layer.complete({**{k: v for k, v in base.items() if k not in followers},
                                    name: value})
            draw = grade_draw(user, found, layer, with_seed(layer, {**moved, **extra},
                                                            failing.seed), failing.seed)
            if draw.problem == "process":
                return {}    # a time limit: each further value would cost it again
            _sort(draw, value, right, wrong)
        if right:
            verdicts[name] = (sorted(right), sorted(wrong))
    return verdicts


SPECIFIC = ("factor", "transpose", "axis", "missing_term", "overwrite", "flip", "mutates")


def attach(draw, diagnosis: dict) -> None:
    """Give the config diagnosis to each wrong key that has no more specific
    one (none, a shape, zeros, a partial agreement), or to the message of a
    draw that raised.

    >>> from symbp.grading.layer_draws import Draw, KeyResult
    >>> draw = Draw("wrong", {"pad": 0}, 0, [KeyResult("dx", False, 0.5), KeyResult("dw", True, 0.0)])
    >>> attach(draw, {"kind": "config", "text": "right only when pad = 1, wrong at pad = 0."})
    >>> [key.line() for key in draw.keys]
    ['dx: WRONG, off by up to 0.5; right only when pad = 1, wrong at pad = 0', 'dw: ok']
    """
    keys = [k for k in draw.keys if not k.ok and k.implemented and
            (k.diagnosis is None or k.diagnosis["kind"] not in SPECIFIC)]
    for key in keys:
        key.diagnosis = diagnosis
    if not keys and draw.verdict == "error":
        draw.message = f"{draw.message}; {diagnosis['text'].rstrip('.')}"


def needs(draw) -> bool:
    """Whether a failing draw has a wrong key (or an error) no specific diagnosis explains.

    >>> from symbp.grading.layer_draws import Draw, KeyResult
    >>> factor = {"kind": "factor", "text": "dx is 2 times the truth."}
    >>> unexplained = Draw("wrong", {}, 0, [KeyResult("dx", False, 0.5)])
    >>> explained = Draw("wrong", {}, 0, [KeyResult("dx", False, 0.5, diagnosis=factor)])
    >>> needs(unexplained), needs(explained)
    (True, False)
    """
    if draw.verdict == "error":
        return draw.problem == "raised"   # not a time limit or a process that ended
    return any(not k.ok and k.implemented and
               (k.diagnosis is None or k.diagnosis["kind"] not in SPECIFIC) for k in draw.keys)
