"""The tables every feature reads: activations and losses.

Each entry holds a NumPy function, its NumPy derivative, its SymPy form and
its LaTeX name.  Adding an activation or a loss is one entry here; the
network, the symbolic truth, the backprop, the notation and the derivations
all look names up in these two dicts.  ``tests/test_functions.py`` walks the
whole table and checks every NumPy derivative against SymPy's ``diff``.

The SymPy forms hold for every width: an element-wise activation is one
scalar expression; softmax and every loss are written in index form (an
``IndexedBase`` and a ``Sum`` up to a symbolic width ``n``), which the truth
differentiates once for all sizes.  The list forms (one SymPy expression per
unit, for one network's widths) are built from the same definitions.

Kink conventions (contract section 1): relu'(0) = 0, leaky_relu'(0) = 0.01,
step(0) = 0, sign(0) = 0.  The SymPy forms use ``Piecewise`` with a strict
``> 0`` so that their derivatives follow the same convention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from symbp.errors import UnknownNameError

LEAKY_SLOPE = 0.01


class Table(dict):
    """Entries by name; a missing name is an :class:`~symbp.errors.UnknownNameError`
    (a KeyError) that lists the names there are.

    >>> Table("a colour", {"red": 1})["blue"]
    Traceback (most recent call last):
    ...
    symbp.errors.UnknownNameError: 'blue' is not a colour; expected one of red.
    """

    def __init__(self, what: str, entries):
        super().__init__(entries)
        self.what = what

    def __missing__(self, key):
        raise UnknownNameError(f"{key!r} is not {self.what}; expected one of "
                               + ", ".join(self))


@dataclass(frozen=True)
class Activation:
    """One activation.

    ``numpy(z, axis)`` and ``numpy_prime(z, axis)`` act on arrays; ``axis`` is
    the units axis and only matters for softmax, whose ``numpy_prime`` is the
    diagonal of its Jacobian, ``s * (1 - s)`` (contract section 2).
    ``sympy(zs)`` maps a list of SymPy expressions (one sample's units) to the
    list of activations; element-wise activations act entry by entry.
    ``indexed(z, i, n)`` is unit ``i`` of ``n`` in index form (``z`` a SymPy
    ``IndexedBase``, ``n`` any width, symbolic or not): the definition of an
    activation that mixes units (softmax), whose ``sympy`` is built from it.

    >>> relu, z = ACTIVATIONS["relu"], np.array([-1.0, 2.0])
    >>> relu.numpy(z), relu.numpy_prime(z), relu.kink
    (array([0., 2.]), array([0., 1.]), True)
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
    indexed: Callable | None = None

    def sympy_scalar(self, z):
        """The SymPy form of an element-wise activation at one expression."""
        return self.sympy([z])[0]

    def sympy_indexed(self, z, i, n):
        """Unit ``i`` of a layer of ``n`` units in index form, ``z`` an ``IndexedBase``.

        >>> import sympy
        >>> z, i, n = sympy.IndexedBase("z"), sympy.Symbol("i"), sympy.Symbol("n")
        >>> ACTIVATIONS["tanh"].sympy_indexed(z, i, n)
        tanh(z[i])
        >>> ACTIVATIONS["softmax"].sympy_indexed(z, i, n)
        exp(z[i])/Sum(exp(z[_k]), (_k, 0, n - 1))
        """
        return self.sympy_scalar(z[i]) if self.elementwise else self.indexed(z, i, n)


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


def _softmax(z, axis=0):
    shifted = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _sum_over(body, n):
    """``Sum(body(k), (k, 0, n - 1))`` over a fresh index ``k`` (units or samples)."""
    sp = _sympy()
    k = sp.Dummy("k", integer=True)
    return sp.Sum(body(k), (k, 0, n - 1))


def _list_form(indexed):
    """The list form of an index-form activation: one expression per unit of
    ``zs``.  Each sum over the units is expanded once and shared by every unit
    (O(n), not O(n^2))."""
    def sympy_list(zs):
        sp = _sympy()
        z, i = sp.IndexedBase("z"), sp.Dummy("i", integer=True)
        form = indexed(z, i, len(zs))
        units = {z[k]: value for k, value in enumerate(zs)}
        sums = {s: sp.Dummy("sum") for s in form.atoms(sp.Sum)}
        expanded = {d: s.doit().xreplace(units) for s, d in sums.items()}
        shell = form.xreplace(sums)
        return [shell.xreplace({z[i]: value}).xreplace(expanded) for value in zs]
    return sympy_list


def _softmax_indexed(z, i, n):
    exp = _sympy().exp
    return exp(z[i]) / _sum_over(lambda k: exp(z[k]), n)


ACTIVATIONS: dict[str, Activation] = Table("an activation", {a.name: a for a in [
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
        sympy=_list_form(_softmax_indexed),
        indexed=_softmax_indexed,
        latex=r"\operatorname{softmax}",
        elementwise=False, output_only=True),
]})


@dataclass(frozen=True)
class Loss:
    """One per-sample loss, summed over the output units.

    ``numpy(a, y, axis)`` gives each sample's loss (``axis`` is the units
    axis); ``numpy_grad(a, y, axis)`` its derivative with respect to each
    output unit, d loss_i / d a_j.  ``indexed(a, y, n)`` is one sample's loss
    in index form (``a``, ``y`` SymPy ``IndexedBase``, ``n`` the number of
    output units, symbolic or not): the definition the truth differentiates,
    from which :meth:`sympy` builds the loss of two lists of SymPy
    expressions.  ``outputs`` names the output
    activations the loss may follow (None: any), ``domain`` the targets the
    sampler draws: "real", "unit" (in (0, 1)) or "simplex".

    >>> a, y = np.array([[0.5], [2.0]]), np.array([[0.0], [1.0]])   # 2 units x 1 sample
    >>> LOSSES["half_sse"].numpy(a, y), LOSSES["half_sse"].numpy_grad(a, y).ravel()
    (array([0.625]), array([0.5, 1. ]))
    >>> LOSSES["cce"].domain, LOSSES["cce"].outputs
    ('simplex', ('sigmoid', 'softmax'))
    """

    name: str
    numpy: Callable
    numpy_grad: Callable
    indexed: Callable
    latex: str
    outputs: tuple[str, ...] | None = None
    domain: str = "real"
    min_units: dict = field(default_factory=dict)
    kink: bool = False
    logs: bool = False             # takes log(a): d loss / d a is as steep as 1 / a
    log_complement: bool = False   # takes log(1 - a): outputs near 1 lose their digits

    def sympy(self, a, y):
        """One sample's loss of the lists ``a`` and ``y`` (the index form at their length).

        >>> import sympy
        >>> a, y = sympy.symbols("a0:2"), sympy.symbols("y0:2")
        >>> LOSSES["mse"].sympy(a, y)
        (a0 - y0)**2/2 + (a1 - y1)**2/2
        """
        sp = _sympy()
        A, Y = sp.IndexedBase("a"), sp.IndexedBase("y")
        units = {**{A[j]: value for j, value in enumerate(a)},
                 **{Y[j]: value for j, value in enumerate(y)}}
        return self.indexed(A, Y, len(a)).doit().xreplace(units)


def _units(a, axis):
    return np.asarray(a).shape[axis]


def _over_units(term):
    """A loss summed over the output units: ``Sum(term(a[j], y[j]), (j, 0, n - 1))``."""
    return lambda a, y, n: _sum_over(lambda j: term(a[j], y[j]), n)


LOSSES: dict[str, Loss] = Table("a loss", {l.name: l for l in [
    Loss(
        "half_sse",
        numpy=lambda a, y, axis=0: 0.5 * np.sum((a - y) ** 2, axis=axis),
        numpy_grad=lambda a, y, _axis=0: a - y,
        indexed=lambda a, y, n: _sympy().Rational(1, 2) * _over_units(
            lambda ai, yi: (ai - yi) ** 2)(a, y, n),
        latex=r"\frac{1}{2}\sum_j (a_j - y_j)^2"),
    Loss(
        "sse",
        numpy=lambda a, y, axis=0: np.sum((a - y) ** 2, axis=axis),
        numpy_grad=lambda a, y, _axis=0: 2.0 * (a - y),
        indexed=_over_units(lambda ai, yi: (ai - yi) ** 2),
        latex=r"\sum_j (a_j - y_j)^2"),
    Loss(
        "mse",
        numpy=lambda a, y, axis=0: np.mean((a - y) ** 2, axis=axis),
        numpy_grad=lambda a, y, axis=0: 2.0 * (a - y) / _units(a, axis),
        indexed=lambda a, y, n: _over_units(lambda ai, yi: (ai - yi) ** 2)(a, y, n) / n,
        latex=r"\frac{1}{n_L}\sum_j (a_j - y_j)^2"),
    Loss(
        "l1",
        numpy=lambda a, y, axis=0: np.sum(np.abs(a - y), axis=axis),
        numpy_grad=lambda a, y, _axis=0: np.sign(a - y),
        indexed=_over_units(lambda ai, yi: _sympy().Abs(ai - yi)),
        latex=r"\sum_j \lvert a_j - y_j \rvert", kink=True),
    Loss(
        "bce",
        numpy=lambda a, y, axis=0: -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a), axis=axis),
        numpy_grad=lambda a, y, _axis=0: (a - y) / (a * (1 - a)),
        indexed=lambda a, y, n: -_over_units(
            lambda ai, yi: yi * _sympy().log(ai) + (1 - yi) * _sympy().log(1 - ai))(a, y, n),
        latex=r"-\sum_j \left[y_j \log a_j + (1 - y_j)\log(1 - a_j)\right]",
        outputs=("sigmoid", "softmax"), domain="unit", logs=True, log_complement=True,
        # a one-unit softmax is 1 whatever its input: log(1 - a) is log 0
        min_units={"softmax": 2}),
    Loss(
        "cce",
        numpy=lambda a, y, axis=0: -np.sum(y * np.log(a), axis=axis),
        numpy_grad=lambda a, y, _axis=0: -y / a,
        indexed=lambda a, y, n: -_over_units(lambda ai, yi: yi * _sympy().log(ai))(a, y, n),
        latex=r"-\sum_j y_j \log a_j",
        outputs=("sigmoid", "softmax"), domain="simplex", logs=True),
]})

# The total loss from the per-sample losses, in index form over the samples
# (``losses`` an IndexedBase, ``m`` the batch size, symbolic or not).
REDUCTION_FORMS: dict[str, Callable] = {
    "sum": lambda losses, m: _sum_over(lambda s: losses[s], m),
    "mean": lambda losses, m: _sum_over(lambda s: losses[s], m) / m,
}
REDUCTIONS = tuple(REDUCTION_FORMS)
LAYOUTS = ("column", "row")
