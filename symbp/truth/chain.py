"""The chain rule over the lemmas: the numeric truth of a network of any size.

Forward, each layer's affine map and activation; then, from the loss back to
the input, each piece's vector-Jacobian product (:mod:`symbp.truth.lemmas`,
SymPy's derivatives with symbolic sizes, as NumPy code from
:mod:`symbp.truth.store`) applied to the gradient that reaches it.  The
arrays stay in the layout's own orientation (units along ``units_axis``).

Per-sample quantities (``delta``, ``da``) are the products with each
sample's own loss gradient: the affine map and the activations act on each
sample alone, so applying a lemma to the stacked per-sample gradients gives
them all at once.  The parameters' gradients are those of the total: the
per-sample ``delta`` weighted by d total / d loss[s], the reduction's lemma
(the chain rule through the reduction).  Weight decay (``l2``) adds its
own term and derivative (:mod:`symbp.truth.penalty`).

Nothing here depends on a width or the batch size: one :class:`Chain` per
kind of network (loss, reduction, layout, bias) serves every size, and
building it costs nothing once the lemmas' code is cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from symbp.network import Network
from symbp.truth.penalty import decay_gradient, decay_value
from symbp.truth.store import functions


@dataclass
class Pass:
    """One evaluation, every array in the layout's orientation.

    >>> net = Network(layers=[2, 3, 1], batch=4)
    >>> run = chain_for(net).run(net, net.sample(seed=0))
    >>> run.z[1].shape, run.losses.shape, sorted(run.grads)
    ((3, 4), (4,), ['W1', 'W2', 'b1', 'b2'])
    """

    z: list
    a: list
    losses: np.ndarray
    total: float
    delta: list = field(default_factory=list)
    da: list = field(default_factory=list)
    grads: dict = field(default_factory=dict)


class Chain:
    """The lemmas of one kind of network, composed by the chain rule (each
    layer's activation is looked up when a network of that depth runs).

    >>> net = Network(layers=[1, 1], output="identity", bias=False)   # L = (w x - y)^2 / 2
    >>> point = {"W1": np.array([[2.0]]), "x": np.array([[3.0]]), "y": np.array([[1.0]])}
    >>> run = chain_for(net).run(net, point)
    >>> run.total, run.grads["W1"]
    (12.5, array([[15.]]))
    """

    def __init__(self, loss, reduction, layout, bias):
        self.affine = functions("affine", layout, bias)
        self.loss = functions("loss", loss)
        self.reduction = functions("reduction", reduction)
        self.bias = bias
        # the samples' axis of every array: where the reduction's weights go
        self.weights_shape = (1, -1) if layout == "column" else (-1, 1)

    def _activations(self, net):
        return [functions("activation", net.hidden)] * (net.depth - 1) + \
            [functions("activation", net.output)]

    def _affine(self, p, l, a):
        W = p[f"W{l}"]
        return self.affine.forward(W, a, p[f"b{l}"]) if self.bias else self.affine.forward(W, a)

    def run(self, net: Network, p: dict, backward: bool = True, inputs: bool = True) -> Pass:
        """Forward, then (``backward``) every gradient; ``da[0]``, the
        gradient at the inputs, only with ``inputs`` (no parameter needs it,
        and it is the widest product of all)."""
        axis, L = net.units_axis, net.depth
        acts = self._activations(net)
        zs, activations = [None], [p["x"]]
        for l in range(1, L + 1):
            zs.append(self._affine(p, l, activations[-1]))
            activations.append(acts[l - 1].forward(zs[-1], axis))
        losses = self.loss.value(activations[L], p["y"], axis).ravel()
        total = float(self.reduction.total(losses, 0)[0])
        if net.l2:  # weight decay: its own term of the total (contract section 10)
            total += decay_value([p[f"W{l}"] for l in range(1, L + 1)], net.l2)
        out = Pass(zs, activations, losses, total)
        if not backward:
            return out
        weights = self.reduction.weights(losses, 0).reshape(self.weights_shape)
        da = self.loss.gradient(activations[L], p["y"], axis)
        out.delta, out.da = [None] * (L + 1), [None] * (L + 1)
        out.da[L] = da
        for l in range(L, 0, -1):
            delta = acts[l - 1].vjp(zs[l], da, axis)
            of_total = delta * weights
            dW = self.affine.vjp_W(of_total, activations[l - 1])
            # weight decay: its own derivative, added to the data part
            out.grads[f"W{l}"] = dW + decay_gradient(p[f"W{l}"], net.l2) if net.l2 else dW
            if self.bias:
                out.grads[f"b{l}"] = self.affine.vjp_b(of_total)
            da = self.affine.vjp_A(p[f"W{l}"], delta) if l > 1 or inputs else None
            out.delta[l], out.da[l - 1] = delta, da
        return out


@lru_cache(maxsize=64)
def _chain(*kind) -> Chain:
    return Chain(*kind)


def chain_for(net: Network) -> Chain:
    """The truth's chain for ``net``: one per kind of network, whatever its sizes.

    >>> chain_for(Network(layers=[2, 3, 2], batch=4)) is chain_for(Network(layers=[50, 1]))
    True
    """
    return _chain(str(net.loss), net.reduction, net.layout, net.bias)
