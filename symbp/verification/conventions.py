"""Diagnoses of a formula written for another convention than the network's.

Textbooks differ in conventions more than in calculus: samples as columns
(Ng, Nielsen) or as rows (cs231n), one sample's gradient or the batch's,
a softmax differentiated unit by unit.  When a refuted formula fits one of
these, the diagnosis says which, so that a reader who pasted a correct
formula from a text learns what to translate rather than that the text is
wrong:

* ``layout``: the formula holds on the same network with the other layout
  (``dZ[l] @ a[l-1].T`` on samples as rows);
* ``per_sample``: the right side keeps one column (row) per sample where the
  gradient of the total loss has summed them;
* ``softmax_jacobian``: ``sigma_prime`` of a softmax layer, which is only the
  diagonal of its Jacobian (contract section 2), in a chain rule;
* a factor 1/m on delta or da, which are per sample: the mean's 1/m written
  into them (cs231n's ``dscores /= N``) is said to belong to dW and db.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_formula
>>> net = Network(layers=[3, 2, 2], batch=4, layout="row")
>>> layout_diagnosis(parse_formula("dW[2] = dZ[2] @ a[1].T / m"), net, [None], seed=0)["kind"]
'layout'
"""

from __future__ import annotations

from symbp.errors import SymbpError
from symbp.notation.evaluate import ShapeMismatch
from symbp.notation.tree import Call, Neg, Quantity, subtrees
from symbp.verification.tolerance import compare, evaluate_bounded
from symbp.verification.values import numeric_quantities

_GRADIENTS = ("delta", "da", "dW", "db")


def layout_diagnosis(formula, net, layers, seed: int) -> dict | None:
    """``layout`` when the formula holds at the point of ``seed`` on ``net``
    with the other layout, for every l of ``layers``; else None.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> net = Network(layers=[3, 2, 2], batch=4)
    >>> layout_diagnosis(parse_formula("dW[2] = dZ[2] @ a[1].T / m"), net, [None], 0) is None
    True
    """
    other = "row" if net.layout == "column" else "column"
    try:
        twin = net.replace(layout=other)
        values = numeric_quantities(twin, twin.sample(seed))
        for l in layers:
            left = evaluate_bounded(formula.left, twin, values, l)
            right = evaluate_bounded(formula.right, twin, values, l)
            if compare(left, right) != "agree":
                return None
    except (ShapeMismatch, SymbpError, ArithmeticError, ValueError):
        return None   # a diagnosis never costs the verdict
    stacked = {"column": "columns", "row": "rows"}
    return {"kind": "layout", "holds_in": other,
            "text": f"the formula holds in {other} layout (samples as {stacked[other]}); this "
                    f"network stacks samples as {stacked[net.layout]} (layout = {net.layout}): "
                    "each quantity is the transpose of the other layout's."}


def per_sample_hint(net, left_shape, right_shape) -> str | None:
    """A shape diagnosis's addition when the right side keeps one column
    (row) per sample where the left side, a gradient of the total loss, has
    one: the batch not summed.

    >>> from symbp.network import Network
    >>> per_sample_hint(Network(layers=[2, 3], batch=4), (3, 1), (3, 4))
    'one column per sample where the gradient sums over the batch: (1/m) * sum(..., axis=1)?'
    """
    if net.batch < 2 or len(left_shape) != 2 or len(right_shape) != 2:
        return None
    samples = 1 if net.layout == "column" else 0
    units = 1 - samples
    if left_shape[samples] != 1 or right_shape[samples] != net.batch or \
            left_shape[units] != right_shape[units]:
        return None
    what = "column" if samples == 1 else "row"
    mean = "(1/m) * " if net.reduction == "mean" else ""
    return (f"one {what} per sample where the gradient sums over the batch: "
            f"{mean}sum(..., axis={samples})?")


def softmax_jacobian(formula, net, l) -> dict | None:
    """``softmax_jacobian`` when a gradient formula applies a derivative to
    a softmax layer (sigma_prime(z[L]) with a softmax output): that is the
    diagonal of the Jacobian only, s * (1 - s), and every output depends on
    every input.  None otherwise.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> net = Network(layers=[2, 3], output="softmax", loss="cce")
    >>> softmax_jacobian(parse_formula("delta[L] = da[L] * sigma_prime(z[L])"), net, None)["kind"]
    'softmax_jacobian'
    """
    left = formula.left.operand if isinstance(formula.left, Neg) else formula.left
    if not isinstance(left, Quantity) or left.name not in _GRADIENTS:
        return None
    for call in subtrees(formula.right):
        if not isinstance(call, Call) or not call.func.endswith("_prime"):
            continue
        argument = call.args[0]
        layered = isinstance(argument, Quantity) and argument.name in ("z", "a")
        k = argument.index.resolve(l, net.depth) if layered else None
        softmax = call.func == "softmax_prime" or (
            call.func == "sigma_prime" and k is not None and 1 <= k <= net.depth
            and not net.activation(k).elementwise)
        if softmax:
            cce = (" (with cce the output error is delta[L] = a[L] - y)"
                   if net.loss == "cce" and k == net.depth else "")
            return {"kind": "softmax_jacobian", "column": call.column,
                    "text": f"{call.func} (column {call.column}) of a softmax layer is only the "
                            "diagonal of its Jacobian, s * (1 - s), but each softmax output "
                            f"depends on every unit's input: the chain rule needs the whole "
                            f"Jacobian{cce}."}
    return None


def per_sample_wording(formula, diagnosis: dict | None) -> dict | None:
    """The factor 1/m on a per-sample quantity (delta, da) explained: the
    mean's 1/m belongs to dW and db; any other diagnosis as it is.

    >>> from symbp.notation.parser import parse_formula
    >>> found = per_sample_wording(parse_formula("delta[L] = (a[L] - y) / m"),
    ...                            {"kind": "factor", "factor": "1/m", "text": "..."})
    >>> found["text"][:60]
    'the right side is 1/m times the truth: delta[k] and da[k] ar'
    """
    left = formula.left.operand if isinstance(formula.left, Neg) else formula.left
    if not diagnosis or diagnosis["kind"] != "factor" or diagnosis["factor"] != "1/m" or \
            not isinstance(left, Quantity) or left.name not in ("delta", "da"):
        return diagnosis
    return {**diagnosis, "text": "the right side is 1/m times the truth: delta[k] and da[k] "
            "are per sample (d loss_i / d z[k]_i), so the mean's 1/m belongs to dW and db "
            "(cs231n's dscores /= N is delta[L] / m)."}
