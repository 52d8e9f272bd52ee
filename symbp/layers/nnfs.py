"""*Neural Networks from Scratch in Python* (Kinsley & Kukiela, nnfs.io): its
classes' calling convention, and the layers of the book that the catalogue
did not have.

The book's classes return nothing.  ``forward(inputs[, training])`` sets
``self.output``; ``backward(dvalues)`` sets ``self.dinputs`` (a dense layer
also ``self.dweights``, ``self.dbiases``).  A loss's ``forward(y_pred,
y_true)`` returns each sample's loss (``Loss.calculate`` takes their mean),
and its ``backward(dvalues, y_true)`` is given the predictions themselves
as ``dvalues``.  :func:`nnfs_class` and :func:`nnfs_loss` build such
conventions (a :class:`~symbp.layers.model.Dlfs` of course ``nnfs``); each
layer's entry lists its class among its classes (``Layer_Dense`` is
``affine``'s, ``Activation_Softmax_Loss_CategoricalCrossentropy``
``softmax_loss``'s).

The entries here are the book's own definitions, where they differ from
the catalogue's:

* ``categorical_crossentropy``: the cross-entropy of probabilities ``x``
  (N x C, a softmax's output, not scores) and integer labels, mean over N
  (``Loss_CategoricalCrossentropy``);
* ``binary_crossentropy``: of probabilities ``x`` (N x D, sigmoid outputs)
  and targets 0 or 1, a mean over the D outputs, then over N
  (``Loss_BinaryCrossentropy``);
* ``mse``, ``mae``: the mean of ``(y - x) ** 2`` and of ``|y - x|`` over
  the outputs and over N (``Loss_MeanSquaredError``, ``Loss_MeanAbsoluteError``);
* ``identity``: ``out = x`` (``Activation_Linear``).

>>> LAYERS_OF_THE_BOOK[1].dlfs.name, LAYERS_OF_THE_BOOK[1].dlfs.per_sample
('Loss_BinaryCrossentropy', True)
"""

from __future__ import annotations

import numpy as np

from symbp.layers.model import Dlfs, Layer, Operand, Size, Try


def nnfs_class(name: str, **fields) -> Dlfs:
    """The convention of a class of the book (module doc): built with no
    argument, ``forward(x)`` sets ``output``, ``backward(dvalues)`` sets
    ``dinputs``; ``fields`` change any of it.

    >>> relu = nnfs_class("Activation_ReLU")
    >>> relu.course, relu.output, relu.returns, relu.attributes
    ('nnfs', 'output', (), {'dinputs': 'dx'})
    """
    defaults = {"init": lambda _a, _c: (), "forward": lambda a, _c: (a["x"],), "returns": (),
                "attributes": {"dinputs": "dx"}, "course": "nnfs", "output": "output"}
    return Dlfs(name, **{**defaults, **fields})


def nnfs_loss(name: str, targets, **fields) -> Dlfs:
    """A loss class of the book: ``forward(y_pred, y_true)`` returns each
    sample's loss, ``backward(dvalues, y_true)`` is given the predictions
    ``x`` as ``dvalues``; ``targets(arrays, config)`` is ``y_true``.

    >>> loss = nnfs_loss("Loss_MeanSquaredError", lambda a, _c: a["y"])
    >>> loss.upstream(None, {"x": 1.0, "y": 2.0}, {})
    (1.0, 2.0)
    """
    loss = {"forward": lambda a, c: (a["x"], targets(a, c)), "output": None,
            "per_sample": True, "upstream": lambda _self, a, c: (a["x"], targets(a, c))}
    return nnfs_class(name, **{**loss, **fields})


def labels_or_onehot(arrays: dict, config: dict):
    """A classifier's targets: the integer labels ``y``, or their one-hot
    rows when the configuration's way of calling says ``targets: onehot``.

    >>> labels_or_onehot({"y": np.array([2, 0])}, {"C": 3, "targets": "onehot"})
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    labels = np.asarray(arrays["y"], dtype=int)
    if config.get("targets") == "onehot":
        return np.eye(config["C"])[labels]
    return labels


# the classes that take labels or one-hot targets are tried with labels first
TARGET_TRIES = (Try({"targets": "labels"}),
                Try({"targets": "onehot"}, "the loss was given one-hot targets: its forward "
                                           "does not take integer labels"))


def _matrix(rows: str, cols: str, grad: str | None, name: str, kind: str) -> Operand:
    return Operand(name, lambda c: (c[rows], c[cols]), lambda c: (c[rows], c[cols]), grad, kind)


def _size(arrays) -> int:
    return int(np.size(arrays["x"]))


# -- categorical cross-entropy of probabilities ------------------------------------------------

def _crossentropy(ops, x, y):
    correct = ops.stage("correct", (x * y).sum(axis=1))
    return {"out": (-ops.log(correct)).mean()}


def _correct(arrays):
    x = np.asarray(arrays["x"], dtype=float)
    return x[np.arange(len(x)), np.asarray(arrays["y"], dtype=int)]


def _crossentropy_backward(arrays, _config, _dout):
    dx = np.zeros_like(np.asarray(arrays["x"], dtype=float))
    dx[np.arange(len(dx)), np.asarray(arrays["y"], dtype=int)] = -1.0 / _correct(arrays)
    return {"dx": dx / len(dx)}


CATEGORICAL_CROSSENTROPY = Layer(
    "categorical_crossentropy", "cross-entropy of probabilities (a softmax's output) and "
                                "integer labels, mean over N: loss = mean(-log x[i, y_i])",
    operands=(_matrix("N", "C", "dx", "x", "probs"),
              Operand("y", lambda c: (c["N"],), lambda c: (c["N"], c["C"]), None, "labels")),
    sizes=(Size("N", 1, 4), Size("C", 2, 5)), loss=True, define=_crossentropy,
    forward=lambda a, _c: float(-np.mean(np.log(_correct(a)))),
    backward=_crossentropy_backward,
    dlfs=nnfs_loss("Loss_CategoricalCrossentropy", labels_or_onehot, tries=TARGET_TRIES))


# -- binary cross-entropy, a mean over the outputs then over the samples -----------------------

def _binary_crossentropy(ops, x, y):
    each = y * ops.log(x) + (1 - y) * ops.log(1 - x)
    return {"out": -each.sum() / (x.shape[0] * x.shape[1])}


def _binary_value(arrays, _config) -> float:
    x, y = arrays["x"], arrays["y"]
    return float(-np.mean(y * np.log(x) + (1 - y) * np.log(1 - x)))


BINARY_CROSSENTROPY = Layer(
    "binary_crossentropy", "binary cross-entropy of probabilities and 0/1 targets, mean over "
                           "the outputs and over N",
    operands=(_matrix("N", "D", "dx", "x", "unit"), _matrix("N", "D", None, "y", "binary")),
    sizes=(Size("N", 1, 4), Size("D", 1, 4)), loss=True, define=_binary_crossentropy,
    forward=_binary_value,
    backward=lambda a, _c, _d: {"dx": (a["x"] - a["y"]) / (a["x"] * (1 - a["x"])) / _size(a)},
    dlfs=nnfs_loss("Loss_BinaryCrossentropy", lambda a, _c: a["y"]))


# -- regression losses ---------------------------------------------------------------------------

def _regression(name: str, title: str, cls: str, define, value, backward, **extra) -> Layer:
    return Layer(
        name, title, operands=(_matrix("N", "D", "dx", "x", "real"),
                               _matrix("N", "D", None, "y", "real")),
        sizes=(Size("N", 1, 4), Size("D", 1, 4)), loss=True, define=define,
        forward=lambda a, _c: float(np.mean(value(a["y"] - a["x"]))),
        backward=lambda a, _c, _d: {"dx": backward(a["x"] - a["y"]) / _size(a)},
        dlfs=nnfs_loss(cls, lambda a, _c: a["y"]), **extra)


MSE = _regression(
    "mse", "mean squared error, mean over the outputs and over N: loss = mean((y - x) ** 2)",
    "Loss_MeanSquaredError",
    lambda _ops, x, y: {"out": ((y - x) ** 2).sum() / (x.shape[0] * x.shape[1])},
    np.square, lambda difference: 2 * difference)
MAE = _regression(
    "mae", "mean absolute error, mean over the outputs and over N: loss = mean(|y - x|)",
    "Loss_MeanAbsoluteError",
    lambda ops, x, y: {"out": (ops.positive_part(y - x) + ops.positive_part(x - y)).sum()
                       / (x.shape[0] * x.shape[1])},
    np.abs, np.sign,
    kink_distance=lambda a, _c: float(np.min(np.abs(a["x"] - a["y"]))))


# -- the linear activation ----------------------------------------------------------------------

IDENTITY = Layer(
    "identity", "identity (linear activation): out = x",
    operands=(_matrix("N", "D", "dx", "x", "real"),), sizes=(Size("N", 1, 4), Size("D", 1, 4)),
    define=lambda _ops, x: {"out": x}, forward=lambda a, _c: np.array(a["x"], dtype=float),
    backward=lambda _a, _c, dout: {"dx": np.array(dout, dtype=float)},
    dlfs=nnfs_class("Activation_Linear"))

LAYERS_OF_THE_BOOK = (CATEGORICAL_CROSSENTROPY, BINARY_CROSSENTROPY, MSE, MAE, IDENTITY)
