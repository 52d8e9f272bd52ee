"""Diagnoses of a wrong gradient that only ``grade`` can make: it knows which
key a value belongs to, every other key's truth, and the weight decay.

``symbp.verification.diagnosis.diagnose`` names the generic slips (a factor,
a transpose, a shape, zeros); on top of it, here:

* ``decay`` (:mod:`symbp.verification.decay`): the weight-decay part alone
  is off by a factor ("the decay term is 1/m of what it should be": Ng's
  lambda/m where l2 is lambda), or missing, or the data part alone is;
* ``shifted``: the value is exactly another key's truth (``W0`` holding the
  true ``W1``: layers counted from 0);
* ``axis``: one number where an array is expected, equal to the sum (mean) of
  all the truth's entries: ``np.sum`` without ``axis=``;
* ``partial``: agreement described by units of the layers (a weight
  matrix's rows and columns are units, not samples), never counting entries
  where the truth is exactly 0 (dead relu units) as agreement;
* ``bias_reduction``: ``b[l]`` is 1/m (or m) times the truth while ``W[l]``
  is right: averaged where it should be summed (or the reverse);
* ``bias_decay``: ``b[l]`` carries the decay ``lambda * b[l]`` (exercise
  4's Theta regularised with its bias column).

>>> import numpy as np
>>> sum_everywhere("b1", np.array([[1.0], [2.0]]), np.array(3.0))["kind"]
'axis'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symbp.verification.decay import decay_diagnosis
from symbp.verification.diagnosis import close, diagnose, telling_factor


@dataclass
class Context:
    """What a key's diagnosis may compare with: the tolerances in force, every
    key's truth and, with weight decay, every key's truth without it.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum", l2=0.5)
    >>> point = net.sample(0)
    >>> context = Context(1.0, truth=net.gradient(point),
    ...                   without_decay=net.replace(l2=0.0).gradient(point))
    >>> np.allclose(context.truth["W1"] - context.without_decay["W1"], 0.5 * point["W1"])
    True
    """

    scale: float
    rtol: float | None = None
    atol: float | None = None
    truth: dict = field(default_factory=dict)
    without_decay: dict = field(default_factory=dict)
    biases: dict = field(default_factory=dict)   # the point's, for a decay on them


def _layer(key: str) -> int:
    return int(key[1:])


def diagnose_gradient(net, key: str, truth, claimed, context: Context) -> dict | None:
    """The slip that turns ``truth`` into ``claimed`` for the gradient ``key``.

    A decay term of ``2 * l2 * W`` (a penalty without its 1/2):

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum", l2=0.5)
    >>> point = net.sample(0)
    >>> truth, data = net.gradient(point), net.replace(l2=0.0).gradient(point)
    >>> claimed = data["W1"] + 2 * 0.5 * point["W1"]
    >>> diagnose_gradient(net, "W1", truth["W1"], claimed, Context(1.0, truth=truth,
    ...                                                             without_decay=data))["text"]
    'the decay term is 2 times what it should be (a penalty reg * sum(W**2), without the 1/2, has the gradient 2 * reg * W: its lambda is 2 * reg).'
    """
    shifted = _shifted(key, claimed, context.truth)
    if shifted is not None:
        return shifted
    if truth.shape == claimed.shape and key.startswith("W") and net.l2:
        found = _decay(net, key, claimed, context)
        if found is not None:
            return found
    if key.startswith("b") and net.l2 and key in context.biases:
        found = _bias_decay(net, key, truth, claimed, context.biases[key])
        if found is not None:
            return found
    found = diagnose(truth, claimed, net=net)
    if found is None or found["kind"] == "factor" and not telling_factor(found["factor"]):
        return None
    text = found["text"].replace("where the left side is", "where the truth is")
    found = dict(found, text=text.replace("the right side", key, 1))
    if found["kind"] == "partial":
        return _partial_by_units(net, key, truth, claimed)
    return found


def _shifted(key, claimed, truths) -> dict | None:
    for other, value in truths.items():
        if other != key and value.shape == np.shape(claimed) and np.any(value) and \
                close(value, claimed).all():
            return {"kind": "shifted", "holds": other,
                    "text": f"{key} holds exactly the true {other}"
                            + (" (are the layers counted from another start?)"
                               if other[0] == key[0] else "")}
    return None


def shifted_extra(name: str, value, truths) -> str | None:
    """For a key the network does not have (``W0``): which true gradient it holds.

    >>> truths = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[3.0]])}
    >>> shifted_extra("W0", [[1.0, 2.0]], truths)
    'W0 holds exactly the true W1: are the layers counted from 0?'
    >>> shifted_extra("W0", [[2.0, 1.0]], truths) is None
    True
    """
    try:
        claimed = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    for other, truth in truths.items():
        if truth.shape == claimed.shape and np.any(truth) and close(truth, claimed).all():
            return f"{name} holds exactly the true {other}: are the layers counted from 0?"
    return None


def _decay(net, key, claimed, context) -> dict | None:
    data = context.without_decay[key]
    return decay_diagnosis(data, context.truth[key] - data, claimed, net=net, subject=key)


def _bias_decay(net, key, truth, claimed, bias) -> dict | None:
    """``claimed`` is the truth plus ``l2 * b``: the decay covers the biases
    (exercise 4's Theta regularised with its bias column).

    >>> from symbp.network import Network
    >>> net = Network(layers=[1, 1], l2=0.5)
    >>> _bias_decay(net, "b1", np.array([[1.0]]), np.array([[2.0]]), np.array([[2.0]]))["kind"]
    'bias_decay'
    """
    decay = net.l2 * np.asarray(bias, dtype=float)
    if not np.any(decay) or not close(claimed - truth, decay).all():
        return None
    return {"kind": "bias_decay", "text": (
        f"{key} has a decay term lambda * {key}: the weight decay leaves the biases out "
        "(regularise W only; in Theta, every column but the first)")}


def sum_everywhere(key, truth, claimed) -> dict | None:
    """One number where an array is expected, equal to the sum (or mean) of
    every entry of the truth.

    >>> sum_everywhere("b1", np.array([[1.0], [2.0]]), 1.5)["text"]
    'b1 is one number, the mean of every entry of the truth: a mean over every axis (np.mean without axis=?)'
    >>> sum_everywhere("b1", np.array([[1.0], [2.0]]), 2.0) is None
    True
    """
    if np.size(claimed) != 1 or truth.size < 2:
        return None
    number = float(np.asarray(claimed, dtype=float).ravel()[0])
    for what, value in (("sum", truth.sum()), ("mean", truth.mean())):
        if close(np.array([number]), np.array([value])).all():
            return {"kind": "axis", "reduced": what,
                    "text": f"{key} is one number, the {what} of every entry of the truth: "
                            f"a {what} over every axis (np.{what} without axis=?)"}
    return None


def _partial_by_units(net, key, truth, claimed) -> dict | None:
    # entries where the truth is exactly 0 (a dead relu unit) agree with
    # almost any slip: they are no evidence of agreement
    agree = close(truth, claimed) & (truth != 0)
    if not agree.any():
        return None
    l = _layer(key)
    column = net.layout == "column"
    # which layer's units a row and a column of this gradient belong to (a
    # bias's one axis of length > 1 runs over its own layer's units)
    by_axis = {0: l if column else l - 1, 1: l - 1 if column else l} if key.startswith("W") \
        else {0: l, 1: l}
    evidence = truth != 0
    found = {"kind": "partial", "agree": int(agree.sum()), "entries": int(evidence.sum())}
    for axis in (0, 1):
        whole = np.flatnonzero(np.all(agree | ~evidence, axis=1 - axis)
                               & np.any(agree, axis=1 - axis))
        partly = np.flatnonzero(np.any(agree, axis=1 - axis))
        if truth.shape[axis] > 1 and len(whole) and len(whole) == len(partly):
            units = ", ".join(map(str, whole.tolist()))
            found.update(units=whole.tolist(), layer=by_axis[axis],
                         text=f"{key} agrees with the truth only for unit(s) {units} of "
                              f"layer {by_axis[axis]} ({'rows' if axis == 0 else 'columns'} "
                              f"{units})")
            return found
    found["text"] = (f"{key} agrees with the truth on {found['agree']} of its "
                     f"{found['entries']} nonzero entries only")
    return found


def bias_reduction(net, keys) -> None:
    """Rename a 1/m or m factor on b[l] when W[l] is right: the bias gradient
    was averaged over the batch where the weights' was summed (or the reverse).

    >>> from symbp.grading.report import KeyGrade
    >>> from symbp.network import Network
    >>> factor = {"kind": "factor", "factor": "1/4", "value": 0.25, "text": "b1 is 1/4 times ..."}
    >>> keys = [KeyGrade("W1", "dW1", True), KeyGrade("b1", "db1", False, diagnosis=factor)]
    >>> bias_reduction(Network(layers=[2, 1], batch=4), keys)
    >>> keys[1].diagnosis["text"]
    "b1 is 1/m times the truth while W1 is right: the bias gradient is averaged over the batch where it should be summed like the weights' (m = 4)."
    """
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
