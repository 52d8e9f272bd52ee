"""Linear classifiers as cs231n's first assignment writes them
(``softmax.py``, ``linear_svm.py``): the loss of the scores ``X W`` and its
gradient with respect to ``W``, from ``W`` (D x C), a batch ``X`` (N x D),
integer labels ``y`` and the regularisation strength ``reg``:
``softmax_loss_naive(W, X, y, reg) -> (loss, dW)`` and
``softmax_loss_vectorized``, ``svm_loss_naive`` and ``svm_loss_vectorized``.

The loss is the softmax (or SVM, margin 1) loss of the scores averaged over
the N samples, plus the weight decay ``coefficient * reg * sum(W ** 2)``:
cs231n's templates write ``reg * np.sum(W * W)`` since 2017
(``coefficient`` 1, so ``dW += 2 * reg * W``) and ``0.5 * reg * np.sum(W *
W)`` before; the coefficient is read back from the loss the code returns.
Only W is differentiated: X and y are data.
"""

from __future__ import annotations

import numpy as np

from symbp.layers.losses import SOFTMAX_DATA, SVM_DATA, svm_kinks
from symbp.layers.model import Cs231n, Layer, Operand, Parameter, Size

_OPERANDS = (
    Operand("W", lambda c: (c["D"], c["C"]), lambda c: (c["D"], c["C"]), "dW"),
    Operand("X", lambda c: (c["N"], c["D"]), lambda c: (c["N"], c["D"])),
    Operand("y", lambda c: (c["N"],), lambda c: (c["N"], c["C"]), None, kind="labels"))
_SIZES = (Size("N", 1, 4, default=3), Size("D", 1, 4, default=3), Size("C", 2, 5, default=3))
_PARAMETERS = (
    Parameter("reg", (0.1, 0.7, 2.5), 0.1, "the regularisation strength"),
    Parameter("coefficient", (), 1.0, "the factor on reg * sum(W ** 2) in the loss",
              follows=lambda _c: 1.0))
_COEFFICIENTS = {1.0: None, 0.5: "the loss adds 0.5 * reg * sum(W * W) (cs231n's templates "
                                  "before 2017), so dW adds reg * W"}


_DIVIDED_BY_C = "the data loss divided by C (the classes) where it is averaged over N (the samples)"


def _scores(arrays) -> dict:
    """The arrays of the data loss: scores ``x = X W`` and the labels."""
    return {"x": np.asarray(arrays["X"], dtype=float) @ np.asarray(arrays["W"], dtype=float),
            "y": arrays["y"]}


def _decay(arrays, config) -> float:
    return config["coefficient"] * config["reg"] * float(np.sum(np.asarray(arrays["W"]) ** 2))


def _read_coefficient(arrays, out, config, data_loss) -> dict:
    """The coefficient the returned loss implies (0.5 or 1); 1 when it is
    neither, so that the forward check says what else differs."""
    norm = config["reg"] * float(np.sum(np.asarray(arrays["W"], dtype=float) ** 2))
    if np.size(out) != 1 or not norm:
        return {}
    value = (float(np.ravel(out)[0]) - data_loss(_scores(arrays), config)) / norm
    return {"coefficient": next((c for c in _COEFFICIENTS if np.isclose(value, c, rtol=1e-6)),
                                1.0)}


def _classifier(kind: str, title: str, data, slips, **extra):
    data_loss = data.value

    def define(ops, W, X, y, reg, coefficient):
        scores = ops.stage("scores", X @ W)
        decay = ops.stage("decay", (W ** 2).sum() * (coefficient * reg))
        return {"out": data.define(ops, scores, y) + decay}

    def forward(arrays, config):
        return data_loss(_scores(arrays), config) + _decay(arrays, config)

    def backward(arrays, config, _dout):
        dscores = data.gradient(_scores(arrays))
        return {"dW": np.asarray(arrays["X"]).T @ dscores
                + 2 * config["coefficient"] * config["reg"] * np.asarray(arrays["W"])}

    def wrong_average(divisor: str):
        def variant(arrays, config):
            count = len(arrays["X"]) if divisor == "1" else np.shape(arrays["W"])[1]
            return data_loss(_scores(arrays), config) * len(arrays["X"]) / count \
                + _decay(arrays, config)
        return variant

    return Layer(
        f"linear_{kind}", title, operands=_OPERANDS, sizes=_SIZES, parameters=_PARAMETERS, loss=True,
        define=define, forward=forward, backward=backward,
        read_back=lambda a, out, c: _read_coefficient(a, out, c, data_loss),
        forward_slips=((_DIVIDED_BY_C, wrong_average("C")),
                       ("the data loss summed over the samples where it is averaged over N",
                        wrong_average("1")), *slips),
        factors=lambda c: [("reg", c["reg"], " (reg applied twice?)")],
        cs231n=Cs231n(None, (f"{kind}_loss_naive", f"{kind}_loss_vectorized"),
                      lambda a, c: (a["W"], a["X"], a["y"], c["reg"]), ("loss", "dW"),
                      reads={"coefficient": lambda _c: _COEFFICIENTS}),
        **extra)


LINEAR_SOFTMAX = _classifier(
    "softmax", "linear softmax classifier: softmax loss of X W (mean over N) + "
               "coefficient * reg * sum(W ** 2)",
    SOFTMAX_DATA, ())

LINEAR_SVM = _classifier(
    "svm", "linear SVM: multiclass hinge loss of X W, margin 1 (mean over N) + "
           "coefficient * reg * sum(W ** 2)",
    SVM_DATA,
    (("the correct class's own margin (1 per sample) added to the loss",
      lambda a, c: SVM_DATA.value(_scores(a), c) + 1 + _decay(a, c)),),
    kink_distance=lambda a, c: svm_kinks(_scores(a), c))
