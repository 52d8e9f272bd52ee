"""The symbolic truth: the gradient as SymPy derives it, layer by layer.

One sample's network is built from symbols: every entry of W, b, x, y, and an
independent symbol for every pre-activation z[l]_j and activation a[l]_j.
Each local piece is differentiated on its own:

* the affine map ``z[l] = W[l] a[l-1] + b[l]`` (in the layout's orientation),
  by SymEngine when installed, else SymPy (:func:`symbp.codegen.engine`);
* the activation ``a[l] = act(z[l])`` from ``ACTIVATIONS[...].sympy`` (softmax
  is differentiated as a whole: its full Jacobian, never only its diagonal);
* the per-sample loss ``LOSSES[net.loss].sympy(a[L], y)``, and the reduction
  of the per-sample losses to the total.

The chain rule then composes the pieces' Jacobians, from the loss back to the
input, as vector-Jacobian products: no BP1-BP4 formula is written here.
Numerically, each piece's derived entries are checked against a vectorisable
template before NumPy code is emitted for it (:mod:`symbp.codegen`); one
sample's derivation serves every batch size, so its cost does not depend on
the batch.  Symbolically (:meth:`Truth.symbolic`), the same pieces are composed
into SymPy matrices for the proofs of ``symbp.verify``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy

from .codegen import (ElementwiseCode, EntryCode, NormalisedCode, affine_template, elementwise,
                      elementwise_template, engine, normalised_template, separable_terms,
                      sparse_jacobian, template_jacobian)
from .functions import LOSSES
from .errors import NetworkError
from .network import Network

# A symbolic derivation is attempted only while its estimated size, in terms
# of the chain-rule sums it builds, stays under this count (never a clock).
SYMBOLIC_BUDGET = 200_000

# One symbol per weight: [256,512,256] (263k parameters) derives in ~12 s and
# 300 MB, so a million is about a minute and over a GB; beyond it, refuse.
MAX_PARAMETERS = 1_000_000

__all__ = ["Truth", "truth", "derive", "Pieces", "reduction_weights", "SYMBOLIC_BUDGET"]


def _symbol(eng, name):
    return sympy.Symbol(name, real=True) if eng is sympy else eng.Symbol(name)


def _vector(eng, stem, n):
    return [_symbol(eng, f"{stem}_{j + 1}") for j in range(n)]


def _inputs(l, n, eng=sympy):
    """Layer l's input symbols: x for l = 1, else a[l-1]."""
    return _vector(eng, "x" if l == 1 else f"a{l - 1}", n)


class _AffinePiece:
    """Layer l's ``z = W a + b`` for one sample, and its three Jacobians."""

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


class _ActivationPiece:
    """Layer l's ``a = act(z)`` for one sample and its Jacobian (``compile`` emits NumPy).

    An activation whose units are all one expression of their own z (checked
    per entry) is differentiated once; so is one that mixes the units through
    one symmetric sum (softmax, :func:`normalised_template`); any other entry
    by entry.  ``J`` (every entry, by SymPy) is built when asked for.
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
        for (i, k), value in zip(self._keys, self._entries(*z)):
            delta[k] += upstream[i] * value
        return delta


class _LossPiece:
    """One sample's loss of a[L] and y and its gradient (``compile`` emits NumPy).

    A loss that is a sum of one template per output unit (checked per unit)
    is differentiated once; any other loss term by term.
    """

    def __init__(self, net: Network):
        n = net.layers[-1]
        self.a, self.y = _vector(sympy, f"a{net.depth}", n), _vector(sympy, "y", n)
        self.expr = LOSSES[net.loss].sympy(list(self.a), list(self.y))
        rows = list(zip(self.a, self.y))
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
        pairs = list(zip(self.a, self.y))
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
    """d L / d loss_s for each sample s, by SymPy from the reduction's expression.

    >>> reduction_weights("mean", 2)
    (1/2, 1/2)
    """
    losses = sympy.symbols(f"loss0:{m}", real=True)
    total = sympy.Add(*losses)
    if reduction == "mean":
        total = total / m
    return tuple(total.diff(s) for s in losses)


@lru_cache(maxsize=256)
def _sample_weights(reduction: str, m: int) -> np.ndarray:
    return np.array([float(w) for w in reduction_weights(reduction, m)])


@dataclass
class _Pass:
    """One evaluation: every quantity units-first (units x samples)."""

    z: list
    a: list
    losses: np.ndarray
    weights: np.ndarray
    delta: list = field(default_factory=list)
    da: list = field(default_factory=list)
    grads: dict = field(default_factory=dict)


@dataclass
class Pieces:
    """One sample's local pieces, each differentiated: the derivation proper."""

    net: Network
    affine: list
    act: list
    loss: _LossPiece


def derive(net: Network) -> Pieces:
    """Differentiate one sample's affine maps, activations and loss (no code yet).

    >>> pieces = derive(Network(layers=[2, 3, 1]))
    >>> len(pieces.affine[1].J_W)    # d z_i / d W1: one entry per weight
    6
    """
    eng = engine()
    L = net.depth
    return Pieces(net, [None] + [_AffinePiece(net, l, eng) for l in range(1, L + 1)],
                  [None] + [_ActivationPiece(net, l) for l in range(1, L + 1)],
                  _LossPiece(net))


class _Program:
    """The numeric truth of one network shape (any batch): vectorised NumPy
    code emitted from the verified templates of each local derivative."""

    def __init__(self, pieces: Pieces):
        self.net = pieces.net
        # only the emitted code of the affine maps is kept: their expressions
        # (one per weight) would be most of the memory of a cached truth
        self.affine = [None] + [piece.code() for piece in pieces.affine[1:]]
        self.act = [None] + [piece.compile() for piece in pieces.act[1:]]
        self.loss = pieces.loss.compile()

    def run(self, net: Network, p: dict, backward: bool = True) -> _Pass:
        units_first = (lambda A: A) if net.layout == "column" else (lambda A: A.T)
        L = net.depth
        zs, acts = [None], [units_first(p["x"])]
        for l in range(1, L + 1):
            b = p[f"b{l}"] if net.bias else None
            zs.append(self.affine[l].forward(p[f"W{l}"], b, acts[-1]))
            acts.append(self.act[l].forward(zs[-1]))
        y = units_first(p["y"])
        weights = _sample_weights(net.reduction, y.shape[1])
        out = _Pass(zs, acts, self.loss.value(acts[L], y), weights)
        if not backward:
            return out
        da = self.loss.gradient(acts[L], y)
        out.delta, out.da = [None] * (L + 1), [None] * (L + 1)
        out.da[L] = da
        for l in range(L, 0, -1):
            delta = self.act[l].vjp(zs[l], da)
            W = p[f"W{l}"]
            dW, db = self.affine[l].param_vjp(delta, acts[l - 1], weights, W.shape,
                                              net.shape("b", l))
            out.grads[f"W{l}"] = dW
            if net.bias:
                out.grads[f"b{l}"] = db
            da = self.affine[l].input_vjp(W, delta)
            out.delta[l], out.da[l - 1] = delta, da
        return out


@lru_cache(maxsize=64)
def _program(shape_net: Network) -> _Program:
    return _Program(derive(shape_net))


def _shape_key(net: Network) -> Network:
    # the derivation is one sample's: every batch size shares it
    return net if net.batch == 1 else net.replace(batch=1)


class Truth:
    """The symbolic truth of one network; get it from :func:`truth`.

    >>> net = Network(layers=[2, 3, 1], hidden="tanh", output="identity")
    >>> t = truth(net)
    >>> sorted(t.gradient(net.sample(0)))
    ['W1', 'W2', 'b1', 'b2']
    """

    def __init__(self, net: Network):
        self.net = net
        self._program = _program(_shape_key(net))

    def _run(self, point, backward=True) -> _Pass:
        return self._program.run(self.net, self.net.check_point(point), backward)

    def gradient(self, point) -> dict[str, np.ndarray]:
        """dL/dW[l], dL/db[l] of the total loss, in the layout's shapes."""
        grads = self._run(point).grads
        return {key: grads[key] for key in self.net.param_keys()}

    def per_sample(self, point) -> dict[str, np.ndarray]:
        """``delta1..deltaL`` and ``da0..daL``: per-sample d loss_i / d z[k]_i and
        d loss_i / d a[k]_i, stacked in the layout like z[k] and a[k]."""
        run = self._run(point)
        back = (lambda A: A) if self.net.layout == "column" else (lambda A: A.T)
        out = {f"delta{k}": back(run.delta[k]) for k in range(1, self.net.depth + 1)}
        out.update({f"da{k}": back(run.da[k]) for k in range(self.net.depth + 1)})
        return out

    def loss(self, point) -> float:
        """The total loss, from the symbolic loss expression and reduction."""
        run = self._run(point, backward=False)
        # the reduction is linear: L = sum_s (d L / d loss_s) * loss_s
        return float(run.weights @ run.losses)

    def symbolic(self, batch: int | None = None) -> dict | None:
        """SymPy matrices of every quantity for a batch of ``batch`` samples
        (default the network's), or None when the network is over the budget.

        >>> s = truth(Network(layers=[2, 2], batch=3)).symbolic()
        >>> s[("delta", 1)].shape, s[("dW", 1)].shape
        ((2, 3), (2, 2))
        """
        from .symbolic_matrices import symbolic_matrices
        return symbolic_matrices(self.net, self.net.batch if batch is None else batch)

    @property
    def assumptions(self) -> dict:
        """Substitutions true at every sampled point (cce: each sample's last
        target is 1 minus the others), for the network's batch."""
        from .symbolic_matrices import assumptions
        return assumptions(self.net, self.net.batch)


def truth(net: Network) -> Truth:
    """The symbolic truth of ``net``; the derivation is cached per network shape.

    >>> net = Network(layers=[2, 2, 1], hidden="relu", output="identity", bias=False)
    >>> point = {"x": [[1], [2]], "W1": [[.5, .2], [.3, .7]], "W2": [[.6, .8]], "y": [[1.5]]}
    >>> round(truth(net).loss(point), 12)
    0.08
    """
    parameters = sum(int(np.prod(net.shape(key[0], int(key[1:])))) for key in net.param_keys())
    if parameters > MAX_PARAMETERS:
        raise NetworkError(
            f"layers={list(net.layers)} has {parameters:,} parameters; the symbolic truth is "
            f"derived for networks of at most {MAX_PARAMETERS:,}",
            suggestion="check a narrower network: the same formulas hold at every width")
    return Truth(net)
