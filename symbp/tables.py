"""The tables every feature reads: activations and losses.

Each entry holds a NumPy function, its NumPy derivative, its SymPy form and
its LaTeX name.  Adding an activation or a loss is one entry here; the
network, the symbolic truth, the backprop, the notation and the derivations
all look names up in these two dicts.  ``tests/test_functions.py`` walks the
whole table and checks every NumPy derivative against SymPy's ``diff``.

Kink conventions (contract section 1): relu'(0) = 0, leaky_relu'(0) = 0.01,
step(0) = 0, sign(0) = 0.  The SymPy forms use ``Piecewise`` with a strict
``> 0`` so that their derivatives follow the same convention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """One activation.

    ``numpy(z, axis)`` and ``numpy_prime(z, axis)`` act on arrays; ``axis`` is
    the units axis and only matters for softmax, whose ``numpy_prime`` is the
    diagonal of its Jacobian, ``s * (1 - s)`` (contract section 2).
    ``sympy(zs)`` maps a list of SymPy expressions (one sample's units) to the
    list of activations; element-wise activations act entry by entry.
    ``sympy_indexed(z, i, n)`` is the same over a symbolic number of units, for
    an activation that is not element-wise: unit i's activation, where ``z(k)``
    is unit k's pre-activation and ``n`` the number of units (a SymPy symbol).
    """

    name: str
    numpy: Callable
    numpy_prime: Callable
    sympy: Callable
    latex: str
    elementwise: bool = True
    output_only: bool = False
    kink: bool = False        # not differentiable at z = 0: sampled points keep |z| >= 1e-3
    dead_below: bool = False  # zero for every z <= 0: a layer can be zero everywhere
    sympy_indexed: Callable | None = None

    def sympy_scalar(self, z):
        """The SymPy form of an element-wise activation at one expression."""
        return self.sympy([z])[0]


def _elementwise(scalar):
    return lambda zs: [scalar(z) for z in zs]


def _sympy():
    import sympy
    return sympy


def _sigmoid(z, _axis=0):
    # split by sign so that exp never overflows
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _sympy_softmax_indexed(z, i, n):
    sp = _sympy()
    k = sp.Dummy("k", integer=True)
    return sp.exp(z(i)) / sp.Sum(sp.exp(z(k)), (k, 0, n - 1))


def _softmax(z, axis=0):
    shifted = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _sympy_softmax(zs):
    sp = _sympy()
    exps = [sp.exp(z) for z in zs]
    total = sp.Add(*exps)
    return [e / total for e in exps]


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in [
    Activation(
        "identity",
        numpy=lambda z, _axis=0: np.asarray(z, dtype=float),
        numpy_prime=lambda z, _axis=0: np.ones_like(z, dtype=float),
        sympy=_elementwise(lambda z: z),
        latex=r"\operatorname{id}"),
    Activation(
        "sigmoid",
        numpy=_sigmoid,
        numpy_prime=lambda z, _axis=0: _sigmoid(z) * (1.0 - _sigmoid(z)),
        sympy=_elementwise(lambda z: 1 / (1 + _sympy().exp(-z))),
        latex=r"\sigma"),
    Activation(
        "tanh",
        numpy=lambda z, _axis=0: np.tanh(z),
        numpy_prime=lambda z, _axis=0: 1.0 - np.tanh(z) ** 2,
        sympy=_elementwise(lambda z: _sympy().tanh(z)),
        latex=r"\tanh"),
    Activation(
        "relu",
        numpy=lambda z, _axis=0: np.where(z > 0, z, 0.0),
        numpy_prime=lambda z, _axis=0: np.where(np.asarray(z) > 0, 1.0, 0.0),
        sympy=_elementwise(lambda z: _sympy().Piecewise((z, z > 0), (0, True))),
        latex=r"\operatorname{relu}",
        kink=True, dead_below=True),
    Activation(
        "leaky_relu",
        numpy=lambda z, _axis=0: np.where(z > 0, z, LEAKY_SLOPE * np.asarray(z)),
        numpy_prime=lambda z, _axis=0: np.where(np.asarray(z) > 0, 1.0, LEAKY_SLOPE),
        sympy=_elementwise(lambda z: _sympy().Piecewise(
            (z, z > 0), (_sympy().Rational(str(LEAKY_SLOPE)) * z, True))),
        latex=r"\operatorname{leaky}",
        kink=True),
    Activation(
        "softplus",
        numpy=lambda z, _axis=0: np.logaddexp(0.0, z),
        numpy_prime=_sigmoid,
        sympy=_elementwise(lambda z: _sympy().log(1 + _sympy().exp(z))),
        latex=r"\operatorname{softplus}"),
    Activation(
        "softmax",
        numpy=_softmax,
        numpy_prime=lambda z, axis=0: _softmax(z, axis) * (1.0 - _softmax(z, axis)),
        sympy=_sympy_softmax,
        sympy_indexed=_sympy_softmax_indexed,
        latex=r"\operatorname{softmax}",
        elementwise=False, output_only=True),
]}


@dataclass(frozen=True)
class Loss:
    """One per-sample loss, summed over the output units.

    ``numpy(a, y, axis)`` gives each sample's loss (``axis`` is the units
    axis); ``numpy_grad(a, y, axis)`` its derivative with respect to each
    output unit, d loss_i / d a_j.  ``sympy(a, y)`` builds one sample's loss
    from two lists of SymPy expressions.  ``outputs`` names the output
    activations the loss may follow (None: any), ``domain`` the targets the
    sampler draws: "real", "unit" (in (0, 1)) or "simplex".
    """

    name: str
    numpy: Callable
    numpy_grad: Callable
    sympy: Callable
    latex: str
    outputs: tuple[str, ...] | None = None
    domain: str = "real"
    min_units: dict = field(default_factory=dict)
    kink: bool = False
    logs: bool = False


def _units(a, axis):
    return np.asarray(a).shape[axis]


LOSSES: dict[str, Loss] = {l.name: l for l in [
    Loss(
        "half_sse",
        numpy=lambda a, y, axis=0: 0.5 * np.sum((a - y) ** 2, axis=axis),
        numpy_grad=lambda a, y, _axis=0: a - y,
        sympy=lambda a, y: _sympy().Rational(1, 2) * _sympy().Add(
            *[(ai - yi) ** 2 for ai, yi in zip(a, y, strict=True)]),
        latex=r"\frac{1}{2}\sum_j (a_j - y_j)^2"),
    Loss(
        "sse",
        numpy=lambda a, y, axis=0: np.sum((a - y) ** 2, axis=axis),
        numpy_grad=lambda a, y, _axis=0: 2.0 * (a - y),
        sympy=lambda a, y: _sympy().Add(*[(ai - yi) ** 2 for ai, yi in zip(a, y, strict=True)]),
        latex=r"\sum_j (a_j - y_j)^2"),
    Loss(
        "mse",
        numpy=lambda a, y, axis=0: np.mean((a - y) ** 2, axis=axis),
        numpy_grad=lambda a, y, axis=0: 2.0 * (a - y) / _units(a, axis),
        sympy=lambda a, y: _sympy().Add(
            *[(ai - yi) ** 2 for ai, yi in zip(a, y, strict=True)]) / len(a),
        latex=r"\frac{1}{n_L}\sum_j (a_j - y_j)^2"),
    Loss(
        "l1",
        numpy=lambda a, y, axis=0: np.sum(np.abs(a - y), axis=axis),
        numpy_grad=lambda a, y, _axis=0: np.sign(a - y),
        sympy=lambda a, y: _sympy().Add(*[_sympy().Abs(ai - yi) for ai, yi in zip(a, y, strict=True)]),
        latex=r"\sum_j \lvert a_j - y_j \rvert", kink=True),
    Loss(
        "bce",
        numpy=lambda a, y, axis=0: -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a), axis=axis),
        numpy_grad=lambda a, y, _axis=0: (a - y) / (a * (1 - a)),
        sympy=lambda a, y: -_sympy().Add(*[
            yi * _sympy().log(ai) + (1 - yi) * _sympy().log(1 - ai) for ai, yi in zip(a, y, strict=True)]),
        latex=r"-\sum_j \left[y_j \log a_j + (1 - y_j)\log(1 - a_j)\right]",
        outputs=("sigmoid", "softmax"), domain="unit", logs=True,
        # a one-unit softmax is 1 whatever its input: log(1 - a) is log 0
        min_units={"softmax": 2}),
    Loss(
        "cce",
        numpy=lambda a, y, axis=0: -np.sum(y * np.log(a), axis=axis),
        numpy_grad=lambda a, y, _axis=0: -y / a,
        sympy=lambda a, y: -_sympy().Add(*[yi * _sympy().log(ai) for ai, yi in zip(a, y, strict=True)]),
        latex=r"-\sum_j y_j \log a_j",
        outputs=("sigmoid", "softmax"), domain="simplex", logs=True),
]}

REDUCTIONS = ("sum", "mean")
LAYOUTS = ("column", "row")
