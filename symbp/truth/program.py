"""The element-wise route's numbers: one network shape's derivation
(:mod:`symbp.truth.pieces`, one symbol per weight) as vectorised NumPy code
emitted from the verified templates of each local derivative, composed by
the chain rule from the loss back to the input.

This is the second symbolic route, for small networks: its cost grows with
every width (not with the batch).  The truth that ``Network.gradient`` uses
is :mod:`symbp.truth.chain`, derived once for every size; the tests check
that the two routes agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from symbp.network import Network
from symbp.truth.penalty import decay_gradient
from symbp.truth.pieces import Pieces, derive, reduction_weights, shape_key


@lru_cache(maxsize=256)
def _sample_weights(reduction: str, m: int) -> np.ndarray:
    return np.array([float(w) for w in reduction_weights(reduction, m)])


@dataclass
class Pass:
    """One evaluation: every quantity units-first (units x samples).

    >>> net = Network(layers=[2, 3, 1], batch=4)
    >>> run = program_for(net).run(net, net.sample(seed=0))
    >>> run.z[1].shape, run.weights     # d L / d loss_s under the mean
    ((3, 4), array([0.25, 0.25, 0.25, 0.25]))
    """

    z: list
    a: list
    losses: np.ndarray
    weights: np.ndarray
    delta: list = field(default_factory=list)
    da: list = field(default_factory=list)
    grads: dict = field(default_factory=dict)


class Program:
    """The numeric truth of one network shape (any batch): vectorised NumPy
    code emitted from the verified templates of each local derivative.

    >>> net = Network(layers=[2, 3, 1], batch=4)
    >>> point = net.sample(seed=0)
    >>> grads = program_for(net).run(net, point).grads     # agrees with the other route
    >>> all(np.allclose(grads[key], value) for key, value in net.gradient(point).items())
    True
    """

    def __init__(self, pieces: Pieces):
        self.net = pieces.net
        # only the emitted code of the affine maps is kept: their expressions
        # (one per weight) would be most of the memory of a cached truth
        self.affine = [None] + [piece.code() for piece in pieces.affine[1:]]
        self.act = [None] + [piece.compile() for piece in pieces.act[1:]]
        self.loss = pieces.loss.compile()

    def run(self, net: Network, p: dict, backward: bool = True) -> Pass:
        units_first = (lambda A: A) if net.layout == "column" else (lambda A: A.T)
        L = net.depth
        zs, acts = [None], [units_first(p["x"])]
        for l in range(1, L + 1):
            b = p[f"b{l}"] if net.bias else None
            zs.append(self.affine[l].forward(p[f"W{l}"], b, acts[-1]))
            acts.append(self.act[l].forward(zs[-1]))
        y = units_first(p["y"])
        weights = _sample_weights(net.reduction, y.shape[1])
        out = Pass(zs, acts, self.loss.value(acts[L], y), weights)
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
            # weight decay: its own derivative, added to the data part (contract section 10)
            out.grads[f"W{l}"] = dW + decay_gradient(W, net.l2) if net.l2 else dW
            if net.bias:
                out.grads[f"b{l}"] = db
            da = self.affine[l].input_vjp(W, delta)
            out.delta[l], out.da[l - 1] = delta, da
        return out


@lru_cache(maxsize=64)
def _compiled(shape_net: Network) -> Program:
    return Program(derive(shape_net))


def program_for(net: Network) -> Program:
    """The element-wise route's compiled code for ``net``'s shape (cached; any batch size).

    >>> from symbp.network import Network
    >>> program_for(Network(layers=[2, 2], batch=3)) is program_for(Network(layers=[2, 2]))
    True
    """
    return _compiled(shape_key(net))

