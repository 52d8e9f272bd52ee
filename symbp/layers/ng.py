"""The layers of Andrew Ng's deep-learning course ("Building your Deep
Neural Network: Step by Step"), samples as columns:

* linear: ``Z = W A_prev + b`` (A_prev n_prev x m, W n x n_prev, b n x 1):
  ``linear_forward(A, W, b) -> (Z, cache)``, ``linear_backward(dZ, cache)
  -> (dA_prev, dW, db)``;
* linear_relu, linear_sigmoid: ``A = g(W A_prev + b)``:
  ``linear_activation_forward(A_prev, W, b, activation) -> (A, cache)``,
  ``linear_activation_backward(dA, cache, activation) -> (dA_prev, dW, db)``.

The course's dZ and dA are gradients of the loss summed over the m examples,
its dW and db those of the cost, the mean: dW and db are 1/m of the
vector-Jacobian product (:attr:`Cs231n.means`), dA_prev the product itself.
"""

from __future__ import annotations

import numpy as np

from symbp.layers.model import Cs231n, Layer, Operand, Size

_OPERANDS = (
    Operand("A_prev", lambda c: (c["n_prev"], c["m"]), lambda c: (c["n_prev"], c["m"]),
            "dA_prev"),
    Operand("W", lambda c: (c["n"], c["n_prev"]), lambda c: (c["n"], c["n_prev"]), "dW"),
    Operand("b", lambda c: (c["n"], 1), lambda c: (c["n"], 1), "db"))
_SIZES = (Size("m", 1, 4, default=3), Size("n_prev", 1, 4, default=3),
          Size("n", 1, 4, default=2))
_RETURNS = ("dA_prev", "dW", "db")


def _z(arrays) -> np.ndarray:
    return arrays["W"] @ arrays["A_prev"] + arrays["b"]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# the activations: the definition's, NumPy's value and NumPy's derivative (of Z)
_ACTIVATIONS = {
    None: (lambda _ops, z: z, lambda z: z, np.ones_like),
    "relu": (lambda ops, z: ops.positive_part(z), lambda z: np.maximum(z, 0.0),
             lambda z: (z > 0).astype(float)),
    "sigmoid": (lambda ops, z: ops.sigmoid(z), _sigmoid,
                lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)))}


def _ng_layer(activation: str | None) -> Layer:
    symbolic, value, slope = _ACTIVATIONS[activation]

    def define(ops, A_prev, W, b):
        return {"out": symbolic(ops, ops.stage("Z", W @ A_prev + b))}

    def backward(arrays, _config, dout):
        dZ = dout * slope(_z(arrays))
        return {"dA_prev": arrays["W"].T @ dZ, "dW": dZ @ arrays["A_prev"].T,
                "db": dZ.sum(axis=1, keepdims=True)}

    if activation is None:
        name, title = "linear", "Ng's linear layer: Z = W A_prev + b (samples as columns)"
        convention = Cs231n("linear_forward", ("linear_backward",),
                            lambda a, _c: (a["A_prev"], a["W"], a["b"]), _RETURNS,
                            means=("dW", "db"), course="ng")
    else:
        name = f"linear_{activation}"
        title = f"Ng's linear -> {activation} layer: A = {activation}(W A_prev + b)"
        convention = Cs231n("linear_activation_forward", ("linear_activation_backward",),
                            lambda a, _c: (a["A_prev"], a["W"], a["b"], activation),
                            _RETURNS, backward_args=(activation,), means=("dW", "db"),
                            course="ng")
    kinks = (lambda a, _c: float(np.min(np.abs(_z(a))))) if activation == "relu" else \
        (lambda _a, _c: float("inf"))
    return Layer(name, title, operands=_OPERANDS, sizes=_SIZES, define=define,
                 forward=lambda a, _c: value(_z(a)), backward=backward, kink_distance=kinks,
                 cs231n=convention)


NG_LINEAR = _ng_layer(None)
NG_LINEAR_RELU = _ng_layer("relu")
NG_LINEAR_SIGMOID = _ng_layer("sigmoid")
