"""Loss layers: softmax (cross-entropy) loss, multiclass SVM loss, and L2
weight decay.  Each output is one number, so the upstream gradient is 1.

*Deep Learning from Scratch 2*'s ``SigmoidWithLoss`` takes scores ``x``
(N,) and labels 0 or 1, and averages the binary cross-entropy over N.

The softmax and SVM losses take scores ``x`` (N x C) and N integer labels
``y``, and average over the N samples, as cs231n's ``softmax_loss(x, y)`` and
``svm_loss(x, y)`` do.  Their definitions see the labels as the one-hot
matrix ``y`` (so that one derivation serves every labelling):
``loss = mean_i (log sum_c exp x_ic - sum_c y_ic x_ic)`` and
``loss = (1/N) sum_i sum_c (1 - y_ic) max(0, x_ic - sum_k y_ik x_ik + 1)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Parameter, Size, Try
from symbp.layers.nnfs import labels_or_onehot, nnfs_loss

SCORES_AND_LABELS = (
    Operand("x", lambda c: (c["N"], c["C"]), lambda c: (c["N"], c["C"]), "dx"),
    Operand("y", lambda c: (c["N"],), lambda c: (c["N"], c["C"]), None, kind="labels"))
N_AND_C = (Size("N", 1, 4), Size("C", 2, 5))


def _one_class(config) -> frozenset:
    return frozenset({"dx"}) if config["C"] == 1 else frozenset()


def _rows(arrays):
    labels = np.asarray(arrays["y"], dtype=int)
    return np.arange(len(labels)), labels


@dataclass(frozen=True)
class DataLoss:
    """A loss of scores ``x`` (N x C) and labels ``y``, as the loss layers
    here and the linear classifiers (:mod:`symbp.layers.classifiers`, scores
    ``X W``) use it: ``define(ops, x, y)`` the loss in the definition's
    terms, ``value(arrays, config)`` and ``gradient(arrays)`` (d loss / d x)
    symbp's own NumPy, with ``arrays = {"x": ..., "y": ...}``.

    >>> arrays = {"x": np.zeros((2, 4)), "y": np.array([0, 3])}
    >>> bool(np.isclose(SOFTMAX_DATA.value(arrays, {}), np.log(4)))   # uniform: log C
    True
    >>> SOFTMAX_DATA.gradient(arrays)[0]                                 # (p - onehot) / N
    array([-0.375,  0.125,  0.125,  0.125])
    """

    define: Callable
    value: Callable
    gradient: Callable


# -- softmax loss ------------------------------------------------------------------------------

def _softmax_loss(ops, x, y):
    exps = ops.exp(x)
    ops.stage("probs", exps / exps.sum(axis=1))
    lse = ops.stage("lse", ops.log(exps.sum(axis=1)))
    correct = ops.stage("correct", (x * y).sum(axis=1))
    return {"out": (lse - correct).mean()}


def _log_probs(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _log_delta(arrays, _config, out, exact) -> str | None:
    """A loss of ``-log(p + delta)`` for a small delta against log 0, as the
    book's ``cross_entropy_error`` (``np.log(y + 1e-7)``) and many cs231n
    ``softmax_loss`` write it: the note saying so, or None.  Its gradient is
    the exact loss's (``p - y``, what the book's backward returns), which the
    backward is graded against."""
    correct = np.exp(_log_probs(np.asarray(arrays["x"], dtype=float))[_rows(arrays)])
    return _delta_note(correct, out, exact)


def _delta_note(correct, out, exact) -> str | None:
    """The note for a mean of ``-log(p + delta)`` over the probabilities
    ``correct`` of the right classes, or None.  The delta is read from the
    loss (Newton's method from delta = 0, then checked) and accepted up to 1e-4."""
    loss = float(np.ravel(out)[0]) if np.size(out) == 1 else None
    if loss is None or not np.isfinite(loss) or loss > exact:
        return None
    delta = 0.0
    for _ in range(30):   # Newton on mean(-log(p + delta)) = loss, convex and decreasing
        delta += (float(np.mean(-np.log(correct + delta))) - loss) * \
            float(1.0 / np.mean(1.0 / (correct + delta)))
        if not 0 <= delta <= 1e-4:
            return None
    again = float(np.mean(-np.log(correct + delta)))
    if abs(again - loss) > 1e-9 * max(1.0, abs(loss)):
        return None
    return (f"the loss adds {delta:.2g} inside the log (log(p + {delta:.2g}), against log 0): "
            "graded against the exact loss's gradient")


def _softmax_forward(arrays, _config):
    return float(-_log_probs(arrays["x"])[_rows(arrays)].mean())


def _softmax_backward(arrays, _config, _dout):
    dx = np.exp(_log_probs(arrays["x"]))
    dx[_rows(arrays)] -= 1.0
    return {"dx": dx / len(dx)}


SOFTMAX_DATA = DataLoss(lambda ops, x, y: _softmax_loss(ops, x, y)["out"], _softmax_forward,
                        lambda arrays: _softmax_backward(arrays, None, None)["dx"])


def _probabilities(instance, arrays) -> np.ndarray:
    """What nnfs's softmax classifier's ``backward(dvalues, y_true)`` is
    given: the softmax its forward kept in ``self.output``, or, for the
    book's final class, which has no forward, the softmax of the scores."""
    kept = getattr(instance, "output", None)
    if isinstance(kept, np.ndarray) and kept.shape == np.shape(arrays["x"]):
        return kept
    return np.exp(_log_probs(np.asarray(arrays["x"], dtype=float)))


SOFTMAX_LOSS = Layer(
    "softmax_loss", "softmax (cross-entropy) loss of integer labels, mean over N",
    operands=SCORES_AND_LABELS, sizes=N_AND_C, loss=True,
    define=_softmax_loss, forward=_softmax_forward, backward=_softmax_backward,
    vacuous=_one_class, tolerated=_log_delta,
    cs231n=Cs231n(None, ("softmax_loss",), lambda a, _c: (a["x"], a["y"]), ("loss", "dx")),
    dlfs=Dlfs("SoftmaxWithLoss", init=lambda _a, _c: (),
              forward=lambda a, c: (a["x"], labels_or_onehot(a, c)), returns=("dx",),
              tries=(Try({"targets": "labels"}),
                     Try({"targets": "onehot"}, "SoftmaxWithLoss.forward was given one-hot "
                                                "targets: it does not take integer labels"))),
    # nnfs's softmax classifier: forward(inputs, y_true) returns the mean loss (and keeps
    # the softmax in self.output), backward(dvalues, y_true) is given that softmax
    dlfs_also=(nnfs_loss("Activation_Softmax_Loss_CategoricalCrossentropy", labels_or_onehot,
                         upstream=lambda self, a, c: (_probabilities(self, a),
                                                      labels_or_onehot(a, c)),
                         forward_optional=True),))


# -- sigmoid loss (Deep Learning from Scratch 2) ---------------------------------------------

def _sigmoid_loss(ops, x, t):
    p = ops.stage("p", ops.sigmoid(x))
    return {"out": -(t[:, 1:2] * ops.log(p) + t[:, 0:1] * ops.log(1 - p)).sum() / x.shape[0]}


def _right_class(arrays):
    """Each sample's probability of its label (1: sigmoid(x), 0: 1 - sigmoid(x))."""
    p = 1.0 / (1.0 + np.exp(-np.asarray(arrays["x"], dtype=float)))
    return np.where(np.asarray(arrays["t"]) == 1, p, 1.0 - p)


SIGMOID_LOSS = Layer(
    "sigmoid_loss", "sigmoid with the binary cross-entropy loss of labels 0 or 1, mean over N",
    operands=(Operand("x", lambda c: (c["N"],), lambda c: (c["N"], 1), "dx"),
              Operand("t", lambda c: (c["N"],), lambda c: (c["N"], 2), None, kind="labels")),
    sizes=(Size("N", 1, 4, default=3),), loss=True, define=_sigmoid_loss,
    forward=lambda a, _c: float(-np.mean(np.log(_right_class(a)))),
    backward=lambda a, _c, _dout: {"dx": (1.0 / (1.0 + np.exp(-a["x"])) - a["t"]) / len(a["x"])},
    tolerated=lambda a, _c, out, exact: _delta_note(_right_class(a), out, exact),
    # the second book's SigmoidWithLoss().forward(x, t), backward(dout=1)
    dlfs=Dlfs("SigmoidWithLoss", init=lambda _a, _c: (), forward=lambda a, _c: (a["x"], a["t"]),
              returns=("dx",)))


# -- SVM loss ------------------------------------------------------------------------------------

def _svm_loss(ops, x, y):
    correct = ops.stage("correct", (x * y).sum(axis=1))
    margins = ops.stage("margins", x - correct + 1)
    return {"out": ((1 - y) * ops.positive_part(margins)).sum() / x.shape[0]}


def _margins(arrays):
    x = arrays["x"]
    rows, labels = _rows(arrays)
    margins = x - x[rows, labels][:, None] + 1.0
    margins[rows, labels] = 0.0
    return margins


def _svm_backward(arrays, _config, _dout):
    above = (_margins(arrays) > 0).astype(float)
    rows, labels = _rows(arrays)
    above[rows, labels] = -above.sum(axis=1)
    return {"dx": above / len(above)}


def svm_kinks(arrays, _config) -> float:
    """How far the margins of scores ``x`` are from 0 (the hinge's kink).

    >>> svm_kinks({"x": np.array([[0.0, -1.25, -2.0]]), "y": np.array([0])}, {})
    0.25
    """
    margins = _margins(arrays)
    rows, labels = _rows(arrays)
    margins[rows, labels] = np.inf   # the correct class's own margin is not a kink
    return float(np.min(np.abs(margins)))


def _svm_value(arrays, _config) -> float:
    return float(np.maximum(_margins(arrays), 0).sum() / len(arrays["x"]))


SVM_DATA = DataLoss(lambda ops, x, y: _svm_loss(ops, x, y)["out"], _svm_value,
                    lambda arrays: _svm_backward(arrays, None, None)["dx"])

SVM_LOSS = Layer(
    "svm_loss", "multiclass SVM (hinge) loss, margin 1, mean over N",
    operands=SCORES_AND_LABELS, sizes=N_AND_C, loss=True,
    define=_svm_loss, forward=_svm_value,
    backward=_svm_backward, vacuous=_one_class, kink_distance=svm_kinks,
    forward_slips=(("the correct class's own margin (1 per sample) added to the loss",
                    lambda a, _c: float(np.maximum(_margins(a), 0).sum() / len(a["x"]) + 1)),),
    cs231n=Cs231n(None, ("svm_loss",), lambda a, _c: (a["x"], a["y"]), ("loss", "dx")))


# -- L2 weight decay ------------------------------------------------------------------------------

def _l2_read_back(arrays, out, config) -> dict:
    norm = float(np.sum(np.asarray(arrays["w"], dtype=float) ** 2)) * config["reg"]
    value = float(np.asarray(out, dtype=float).ravel()[0]) if np.size(out) == 1 else None
    return {"coefficient": value / norm} if value is not None and norm else {}


L2 = Layer(
    "l2", "L2 weight decay: loss = (reg / 2) * sum(w ** 2)",
    operands=(Operand("w", lambda c: (c["D"], c["M"]), lambda c: (c["D"], c["M"]), "dw"),),
    sizes=(Size("D", 1, 4), Size("M", 1, 4)), loss=True,
    parameters=(Parameter("reg", (0.1, 0.7, 2.5), 0.7, "lambda"),
                Parameter("coefficient", (), 0.5, "the factor on reg * sum(w ** 2)",
                          follows=lambda _c: 0.5)),
    define=lambda _ops, w, reg, coefficient: {"out": (w ** 2).sum() * (coefficient * reg)},
    forward=lambda a, c: float(c["coefficient"] * c["reg"] * np.sum(a["w"] ** 2)),
    backward=lambda a, c, _dout: {"dw": 2 * c["coefficient"] * c["reg"] * a["w"]},
    read_back=_l2_read_back,
    factors=lambda c: [("reg", c["reg"], " (reg applied twice?)"),
                       ("1/reg", 1 / c["reg"], " (reg missing?)")],
    cs231n=Cs231n(None, ("l2_regularization", "l2_loss"), lambda a, c: (a["w"], c["reg"]),
                  ("loss", "dw"),
                  reads={"coefficient": lambda _c: {
                      0.5: None, 1.0: "reg * sum(w ** 2) without the 1/2 (so dw = 2 * reg * w)"}}))
