"""The numeric truth of one network shape: vectorised NumPy code emitted from
the verified templates of each local derivative (:mod:`symbp.truth.pieces`),
composed by the chain rule as vector-Jacobian products from the loss back to
the input.  One sample's derivation serves every batch size, so its cost
does not depend on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from symbp.network import Network
from symbp.truth.penalty import decay_gradient
from symbp.truth.pieces import Pieces, derive, reduction_weights


@lru_cache(maxsize=256)
def sample_weights(reduction: str, m: int) -> np.ndarray:
    return np.array([float(w) for w in reduction_weights(reduction, m)])


@dataclass
class Pass:
    """One evaluation: every quantity units-first (units x samples)."""

    z: list
    a: list
    losses: np.ndarray
    weights: np.ndarray
    delta: list = field(default_factory=list)
    da: list = field(default_factory=list)
    grads: dict = field(default_factory=dict)


class Program:
    """The numeric truth of one network shape (any batch): vectorised NumPy
    code emitted from the verified templates of each local derivative."""

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
        weights = sample_weights(net.reduction, y.shape[1])
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


def shape_key(net: Network) -> Network:
    """The network with batch 1 (one sample's derivation serves every batch
    size), soft targets and no weight decay (neither changes a piece: the
    decay is added by :mod:`symbp.truth.penalty`)."""
    if net.batch == 1 and not net.l2 and net.targets == "soft":
        return net
    return net.replace(batch=1, l2=0.0, targets="soft")


@lru_cache(maxsize=64)
def _compiled(shape_net: Network) -> Program:
    return Program(derive(shape_net))


def program_for(net: Network) -> Program:
    """The compiled truth of ``net``'s shape (cached; any batch size).

    >>> from symbp.network import Network
    >>> program_for(Network(layers=[2, 2], batch=3)) is program_for(Network(layers=[2, 2]))
    True
    """
    return _compiled(shape_key(net))


def clear_cache() -> None:
    """Forget every compiled truth (benchmarks time cold derivations with it)."""
    _compiled.cache_clear()

