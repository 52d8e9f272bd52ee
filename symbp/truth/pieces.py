"""The element-wise route: one sample's local pieces for one network's sizes,
each differentiated on its own, one symbol per weight and unit.

The truth of ``Network.gradient`` is derived once for every size
(:mod:`symbp.truth.lemmas`); this route, whose cost grows with every width,
stays for small networks: it builds the SymPy matrices of the proofs
(:mod:`symbp.truth.matrices`) and cross-checks the other route in the tests.
Its pieces:

* the affine map ``z = W a + b`` (in the layout's orientation), by SymEngine
  when installed, else SymPy (:func:`symbp.truth.codegen.engine`);
* the activation ``a = act(z)`` from ``ACTIVATIONS[...].sympy`` (softmax is
  differentiated as a whole: its full Jacobian, never only its diagonal);
* the per-sample loss ``LOSSES[net.loss].sympy(a[L], y)``, and the reduction
  of the per-sample losses to the total.

No backprop formula is written here: each piece's derivative is SymPy's (or
SymEngine's), and :mod:`symbp.truth.program` composes them by the chain rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy

from symbp.network import Network
from symbp.tables import LOSSES
from symbp.truth import lemmas
from symbp.truth.codegen import (
    ElementwiseCode,
    EntryCode,
    NormalisedCode,
    affine_template,
    elementwise,
    elementwise_template,
    engine,
    normalised_template,
    separable_terms,
    sparse_jacobian,
    template_jacobian,
)


def _symbol(eng, name):
    return sympy.Symbol(name, real=True) if eng is sympy else eng.Symbol(name)


def _vector(eng, stem, n):
    return [_symbol(eng, f"{stem}_{j + 1}") for j in range(n)]


def _inputs(l, n, eng=sympy):
    """Layer l's input symbols: x for l = 1, else a[l-1]."""
    return _vector(eng, "x" if l == 1 else f"a{l - 1}", n)


class AffinePiece:
    """Layer l's ``z = W a + b`` for one sample, and its three Jacobians.

    >>> piece = AffinePiece(Network(layers=[2, 1]), 1, sympy)
    >>> piece.z, piece.J_b
    ([W1_1_1*x_1 + W1_1_2*x_2 + b1_1], {(0, 0): 1})
    """

    def __init__(self, net: Network, l: int, eng):
        rows, cols = net.shape("W", l)
        self.W = [[_symbol(eng, f"W{l}_{r + 1}_{c + 1}") for c in range(cols)]
                  for r in range(rows)]
        self.b = _vector(eng, f"b{l}", net.layers[l]) if net.bias else []
        self.a = _inputs(l, net.layers[l - 1], eng)
        W = eng.Matrix(self.W)
        if net.layout == "column":
            z = W * eng.Matrix(len(self.a), 1, self.a)
        else:
            z = eng.Matrix(1, len(self.a), self.a) * W
        self.z = [z[j] + self.b[j] if self.b else z[j] for j in range(net.layers[l])]
        flat_W = [s for row in self.W for s in row]
        self.J_a = sparse_jacobian(self.z, self.a)
        self.J_W = sparse_jacobian(self.z, flat_W)
        self.J_b = sparse_jacobian(self.z, self.b)

    def code(self):
        code = affine_template(self.z, self.a, self.W, self.b, self.J_a, self.J_W, self.J_b)
        if code is None:  # cannot happen for the map built above; guards the templates
            raise AssertionError("the affine map's derivatives do not fit a matrix product")
        return code


class ActivationPiece:
    """Layer l's ``a = act(z)`` for one sample and its Jacobian (``compile`` emits NumPy).

    An activation whose units are all one expression of their own z (checked
    per entry) is differentiated once; so is one that mixes the units through
    one symmetric sum (softmax, :func:`normalised_template`); any other entry
    by entry.  ``J`` (every entry, by SymPy) is built when asked for.

    >>> softmax = ActivationPiece(Network(layers=[2, 2], output="softmax", loss="cce"), 1)
    >>> softmax.elementwise, softmax.normalised is not None, len(softmax.J)
    (False, True, 4)
    """

    def __init__(self, net: Network, l: int):
        self.z = _vector(sympy, f"z{l}", net.layers[l])
        self.exprs = net.activation(l).sympy(list(self.z))
        rows = [(s,) for s in self.z]
        self.template = elementwise_template(self.exprs, rows)
        self.normalised, self._J = None, None
        if self.template is not None:
            self.derivative, self._J = template_jacobian(*self.template, rows)
        else:
            self.normalised = normalised_template(self.exprs, self.z)
        self.elementwise = self.template is not None or (
            self.normalised is None and all(i == k for i, k in self.J))

    @property
    def J(self) -> dict:
        if self._J is None:
            self._J = sparse_jacobian(self.exprs, self.z)
        return self._J

    def compile(self):
        self._diag = None
        if self.template is not None:
            holes = self.template[0]
            self._forward = ElementwiseCode(*self.template)
            self._diag = ElementwiseCode(holes, self.derivative)
        elif self.normalised is not None:
            self._forward = NormalisedCode(self.normalised)
        else:
            self._forward = EntryCode(self.z, self.exprs)
            diag = [self.J.get((i, i), sympy.Integer(0)) for i in range(len(self.z))]
            self._diag = elementwise(diag, [(s,) for s in self.z]) if self.elementwise else None
            if self._diag is None:
                self._keys = list(self.J)
                self._entries = EntryCode(self.z, list(self.J.values()))
        return self

    def forward(self, z):
        if isinstance(self._forward, EntryCode):
            return np.array(self._forward(*z))
        return self._forward(z)

    def vjp(self, z, upstream):
        """delta_k = sum_i upstream_i * d a_i / d z_k, per sample."""
        if self._diag is not None:
            return self._diag(z) * upstream
        if isinstance(self._forward, NormalisedCode):
            return self._forward.vjp(z, upstream)
        delta = np.zeros_like(upstream)
        for (i, k), value in zip(self._keys, self._entries(*z), strict=True):
            delta[k] += upstream[i] * value
        return delta


class LossPiece:
    """One sample's loss of a[L] and y and its gradient (``compile`` emits NumPy).

    A loss that is a sum of one template per output unit (checked per unit)
    is differentiated once; any other loss term by term.

    >>> LossPiece(Network(layers=[2, 2])).grad
    [a1_1 - y_1, a1_2 - y_2]
    """

    def __init__(self, net: Network):
        n = net.layers[-1]
        self.a, self.y = _vector(sympy, f"a{net.depth}", n), _vector(sympy, "y", n)
        self.expr = LOSSES[net.loss].sympy(list(self.a), list(self.y))
        rows = list(zip(self.a, self.y, strict=True))
        units = separable_terms(self.expr, rows)
        self.template = units and elementwise_template(units, rows)
        if self.template:
            self.derivative, J = template_jacobian(*self.template, rows)
            self.grad = [J.get((j, j), sympy.Integer(0)) for j in range(n)]
        else:
            J = sparse_jacobian([self.expr], self.a)
            self.grad = [J.get((0, j), sympy.Integer(0)) for j in range(n)]

    def compile(self):
        if self.template:
            self._unit_value = ElementwiseCode(*self.template)
            self._grad = ElementwiseCode(self.template[0], self.derivative)
            return self
        self._value = sympy.lambdify(self.a + self.y, self.expr, modules="numpy")
        pairs = list(zip(self.a, self.y, strict=True))
        self._grad = elementwise(self.grad, pairs) or EntryCode(self.a + self.y, self.grad)
        return self

    def value(self, a, y):
        if self.template:
            return self._unit_value(a, y).sum(axis=0)
        return np.broadcast_to(np.asarray(self._value(*a, *y), float), a.shape[1:])

    def gradient(self, a, y):
        if isinstance(self._grad, EntryCode):
            return np.array(self._grad(*a, *y))
        return self._grad(a, y)


@lru_cache(maxsize=256)
def reduction_weights(reduction: str, m: int) -> tuple:
    """d L / d loss_s for each sample s: the reduction's lemma (derived by SymPy
    for a symbolic batch size) at this batch size.

    >>> reduction_weights("mean", 2)
    (1/2, 1/2)
    """
    lemma = lemmas.reduction(reduction).functions["weights"][1]
    return tuple(lemma.subs({lemmas.m: m, lemmas.p: s}) for s in range(m))


def shape_key(net: Network) -> Network:
    """The network with batch 1 (one sample's derivation serves every batch
    size), soft targets and no weight decay (neither changes a piece: the
    decay is added by :mod:`symbp.truth.penalty`).

    >>> key = shape_key(Network(layers=[2, 1], batch=8, l2=0.1))
    >>> key.batch, key.l2, key == shape_key(Network(layers=[2, 1], batch=3))
    (1, 0.0, True)
    """
    if net.batch == 1 and not net.l2 and net.targets == "soft":
        return net
    return net.replace(batch=1, l2=0.0, targets="soft")


@dataclass
class Pieces:
    """One sample's local pieces, each differentiated: the derivation proper
    (entry l of ``affine`` and ``act`` is layer l's; entry 0 is None).

    >>> pieces = derive(Network(layers=[2, 3, 1]))
    >>> len(pieces.affine), type(pieces.act[2]).__name__, type(pieces.loss).__name__
    (3, 'ActivationPiece', 'LossPiece')
    """

    net: Network
    affine: list
    act: list
    loss: LossPiece


def derive(net: Network) -> Pieces:
    """Differentiate one sample's affine maps, activations and loss (no code yet).

    >>> pieces = derive(Network(layers=[2, 3, 1]))
    >>> len(pieces.affine[1].J_W)    # d z_i / d W1: one entry per weight
    6
    """
    eng = engine()
    L = net.depth
    return Pieces(net, [None] + [AffinePiece(net, l, eng) for l in range(1, L + 1)],
                  [None] + [ActivationPiece(net, l) for l in range(1, L + 1)],
                  LossPiece(net))

