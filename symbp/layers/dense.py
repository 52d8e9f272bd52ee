"""Dense layers and seed 001's nodes: affine, relu, sigmoid, tanh, multiply,
add and (inverted) dropout.

Each is one :class:`~symbp.layers.model.Layer`: its definition over grids of
symbols (the truth), symbp's own NumPy forward and backward, its sizes, and
its names in cs231n's ``layers.py``, *Deep Learning from Scratch* and
*Neural Networks from Scratch* (:mod:`symbp.layers.nnfs`).
"""

from __future__ import annotations

import inspect
from dataclasses import replace

import numpy as np

from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Parameter, Size, features
from symbp.layers.nnfs import nnfs_class
from symbp.tables import ACTIVATIONS


def _matrix(rows: str, cols: str, grad: str | None, name: str, kind: str = "real") -> Operand:
    """An operand whose array is rows x cols (samples as rows)."""
    return Operand(name, lambda c: (c[rows], c[cols]), lambda c: (c[rows], c[cols]), grad, kind)


NxD = (Size("N", 1, 4), Size("D", 1, 4))


# -- affine ----------------------------------------------------------------------------

def _affine(_ops, x, w, b):
    return {"out": x @ w + b}


def _affine_forward(arrays, _config):
    x = arrays["x"]
    return x.reshape(x.shape[0], -1) @ arrays["w"] + arrays["b"]


def _affine_backward(arrays, _config, dout):
    x, w = arrays["x"], arrays["w"]
    return {"dx": (dout @ w.T).reshape(x.shape), "dw": x.reshape(x.shape[0], -1).T @ dout,
            "db": dout.sum(axis=0)}


def _dense_parameters(instance, arrays) -> str | None:
    """nnfs's ``Layer_Dense(n_inputs, n_neurons)`` draws its own weights: the
    point's are set in their place, the biases as one row (1, M).  Its
    regularisers are left at 0 (their default), which the note says."""
    instance.weights, instance.biases = arrays["w"], arrays["b"].reshape(1, -1)
    try:
        taken = inspect.signature(type(instance)).parameters
    except (TypeError, ValueError):
        return None
    regularisers = [name for name in taken if "regulari" in name.lower()]
    if regularisers:
        return (f"{type(instance).__name__} was built with {', '.join(regularisers)} at 0 (their "
                "default): dweights and dbiases were graded without the L1/L2 terms")
    return None


AFFINE = Layer(
    "affine", "affine (fully connected) layer: out = x w + b",
    operands=(Operand("x", lambda c: (c["N"], *c["d"]), lambda c: (c["N"], features(c)), "dx"),
              Operand("w", lambda c: (features(c), c["M"]), lambda c: (features(c), c["M"]), "dw"),
              Operand("b", lambda c: (c["M"],), lambda c: (1, c["M"]), "db")),
    sizes=(Size("N", 1, 4), Size("d", 1, 3, dims=True), Size("M", 1, 4)),
    define=_affine, forward=_affine_forward, backward=_affine_backward,
    cs231n=Cs231n("affine_forward", ("affine_backward",),
                  lambda a, _c: (a["x"], a["w"], a["b"]), ("dx", "dw", "db")),
    dlfs=Dlfs("Affine", init=lambda a, _c: (a["w"], a["b"]), forward=lambda a, _c: (a["x"],),
              returns=("dx",), attributes={"dW": "dw", "db": "db"}, flat=("d",)),
    dlfs_also=(nnfs_class("Layer_Dense", init=lambda _a, c: (features(c), c["M"]),
                          before=_dense_parameters, flat=("d",), rows=("db",),
                          attributes={"dweights": "dw", "dbiases": "db", "dinputs": "dx"}),))


# -- element-wise activations (their NumPy forms come from the activation table) --------

def _activation(name: str, title: str, cs231n_name: str, dlfs_name: str, nnfs_name: str,
                **extra) -> Layer:
    table = ACTIVATIONS[name]

    def define(ops, x):
        return {"out": getattr(ops, "positive_part" if name == "relu" else name)(x)}

    def backward(arrays, _config, dout):
        return {"dx": dout * table.numpy_prime(arrays["x"])}

    return Layer(
        name, title, operands=(_matrix("N", "D", "dx", "x"),), sizes=NxD, define=define,
        forward=lambda a, _c: table.numpy(a["x"]), backward=backward,
        # Ng's dnn_utils: relu(Z) -> (A, Z) and relu_backward(dA, cache)
        cs231n=Cs231n(f"{cs231n_name}_forward", (f"{cs231n_name}_backward",),
                      lambda a, _c: (a["x"],), ("dx",), input_cached=(cs231n_name,)),
        dlfs=Dlfs(dlfs_name, init=lambda _a, _c: (), forward=lambda a, _c: (a["x"],),
                  returns=("dx",)), dlfs_also=(nnfs_class(nnfs_name),), **extra)


RELU = _activation("relu", "relu: out = max(0, x)", "relu", "Relu", "Activation_ReLU",
                   kink_distance=lambda a, _c: float(np.min(np.abs(a["x"]))))
SIGMOID = _activation("sigmoid", "sigmoid: out = 1 / (1 + exp(-x))", "sigmoid", "Sigmoid",
                      "Activation_Sigmoid")
TANH = _activation("tanh", "tanh: out = tanh(x)", "tanh", "Tanh", "Activation_Tanh")


# -- the second book's MatMul and Softmax ---------------------------------------------------

MATMUL = Layer(
    "matmul", "matrix product without a bias: out = x W (Deep Learning from Scratch 2)",
    operands=(_matrix("N", "D", "dx", "x"), _matrix("D", "M", "dW", "W")),
    sizes=(Size("N", 1, 4), Size("D", 1, 4), Size("M", 1, 4)),
    define=lambda _ops, x, W: {"out": x @ W}, forward=lambda a, _c: a["x"] @ a["W"],
    backward=lambda a, _c, dout: {"dx": dout @ a["W"].T, "dW": a["x"].T @ dout},
    dlfs=Dlfs("MatMul", init=lambda a, _c: (a["W"],), forward=lambda a, _c: (a["x"],),
              returns=("dx",), attributes={"dW": "dW"}))


def _softmax(ops, x):
    exps = ops.exp(x)
    return {"out": exps / exps.sum(axis=1)}


def _softmax_rows(x):
    exps = np.exp(x - x.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def _softmax_backward(arrays, _config, dout):
    probs = _softmax_rows(arrays["x"])
    return {"dx": probs * (dout - (dout * probs).sum(axis=1, keepdims=True))}


SOFTMAX = Layer(
    "softmax", "softmax of each row: out = exp(x) / sum(exp(x)) (Deep Learning from Scratch 2)",
    operands=(_matrix("N", "D", "dx", "x"),), sizes=(Size("N", 1, 4), Size("D", 2, 5)),
    define=_softmax, forward=lambda a, _c: _softmax_rows(a["x"]), backward=_softmax_backward,
    dlfs=Dlfs("Softmax", init=lambda _a, _c: (), forward=lambda a, _c: (a["x"],),
              returns=("dx",)),
    dlfs_also=(nnfs_class("Activation_Softmax"),))


# -- seed 001's multiply and add nodes ---------------------------------------------------

def _node(name: str, title: str, dlfs_name: str, define, forward, backward) -> Layer:
    return Layer(
        name, title, operands=(_matrix("N", "D", "dx", "x"), _matrix("N", "D", "dy", "y")),
        sizes=NxD, define=define, forward=forward, backward=backward,
        dlfs=Dlfs(dlfs_name, init=lambda _a, _c: (), forward=lambda a, _c: (a["x"], a["y"]),
                  returns=("dx", "dy")))


MULTIPLY = _node("multiply", "multiply node: out = x * y", "MulLayer",
                 lambda _ops, x, y: {"out": x * y},
                 lambda a, _c: a["x"] * a["y"],
                 lambda a, _c, dout: {"dx": dout * a["y"], "dy": dout * a["x"]})
ADD = _node("add", "add node: out = x + y", "AddLayer",
            lambda _ops, x, y: {"out": x + y},
            lambda a, _c: a["x"] + a["y"],
            lambda _a, _c, dout: {"dx": dout.copy(), "dy": dout.copy()})


# -- dropout (inverted, train mode) ---------------------------------------------------------

def _dropout(ops, x, mask, scale):
    kept = ops.stage("kept", x * mask)
    return {"out": kept * scale}


def _dropout_read_back(arrays, out, _config) -> dict:
    """The mask the user's forward applied (where its output is not 0) and the
    one factor on the kept units; a forward that is not ``x * mask * s``
    gives back no factor (``scale`` None)."""
    x, out = np.asarray(arrays["x"], dtype=float), np.asarray(out, dtype=float)
    if out.shape != x.shape:
        return {}
    kept = out != 0
    found = {"mask": kept.astype(float)}
    if kept.any():
        ratios = out[kept] / x[kept]
        same = np.allclose(ratios, ratios[0], rtol=1e-9, atol=0)
        found["scale"] = float(np.median(ratios)) if same else None
    return found


def _cs231n_scales(config) -> dict:
    return {1.0 / config["p"]: None,
            1.0 / (1.0 - config["p"]): "p taken as the probability of dropping a unit "
                                       "(as cs231n's dropout_forward did before 2018)"}


def _dlfs_scales(config) -> dict:
    return {1.0: "the book's Dropout: kept units are not scaled in training",
            1.0 / config["p"]: None}


_BOOK_DROPOUT = Dlfs("Dropout", init=lambda _a, c: (1.0 - c["p"],),
                     forward=lambda a, _c: (a["x"],), returns=("dx",),
                     reads={"scale": _dlfs_scales})

DROPOUT = Layer(
    "dropout", "inverted dropout, train mode: out = x * mask / p",
    operands=(_matrix("N", "D", "dx", "x"), _matrix("N", "D", None, "mask", kind="mask")),
    sizes=NxD,
    parameters=(Parameter("p", (0.3, 0.6, 0.8), 0.6, "the probability of keeping a unit"),
                Parameter("scale", (), 1 / 0.6, "the factor on the kept units",
                          follows=lambda c: 1.0 / c["p"])),
    define=_dropout,
    forward=lambda a, c: a["x"] * a["mask"] * c["scale"],
    backward=lambda a, c, dout: {"dx": dout * a["mask"] * c["scale"]},
    read_back=_dropout_read_back,
    factors=lambda c: [("p", c["p"], ""), ("1/p", 1 / c["p"], ""),
                       ("p^2", c["p"] ** 2, " (scaled by p where 1/p is expected?)"),
                       ("1/p^2", 1 / c["p"] ** 2, "")],
    cs231n=Cs231n("dropout_forward", ("dropout_backward",),
                  lambda a, c: (a["x"], {"p": c["p"], "mode": "train", "seed": c.get("seed", 0)}),
                  ("dx",), reads={"scale": _cs231n_scales}),
    dlfs=_BOOK_DROPOUT,
    # the book 2's TimeDropout(dropout_ratio): the same calls, scaled by 1 / (1 - ratio);
    # nnfs's Layer_Dropout(rate), rate the probability of dropping, scaled by 1 / (1 - rate)
    dlfs_also=(replace(_BOOK_DROPOUT, name="TimeDropout"),
               nnfs_class("Layer_Dropout", init=lambda _a, c: (1.0 - c["p"],),
                          reads={"scale": lambda c: {1.0 / c["p"]: None}})))
