"""The symbolic truth: the gradient as SymPy derives it, layer by layer.

One sample's network is built from symbols: every entry of W, b, x, y, and an
independent symbol for every pre-activation z[l]_j and activation a[l]_j.
Each local piece is differentiated on its own:

* the affine map ``z[l] = W[l] a[l-1] + b[l]`` (in the layout's orientation),
  by SymEngine when installed, else SymPy (:func:`symbp.truth.codegen.engine`);
* the activation ``a[l] = act(z[l])`` from ``ACTIVATIONS[...].sympy`` (softmax
  is differentiated as a whole: its full Jacobian, never only its diagonal);
* the per-sample loss ``LOSSES[net.loss].sympy(a[L], y)``, and the reduction
  of the per-sample losses to the total.

The chain rule then composes the pieces' Jacobians, from the loss back to the
input, as vector-Jacobian products: no BP1-BP4 formula is written here.
Numerically, each piece's derived entries are checked against a vectorisable
template before NumPy code is emitted for it (:mod:`symbp.truth.codegen`); one
sample's derivation serves every batch size, so its cost does not depend on
the batch.  Symbolically (:meth:`Truth.symbolic`), the same pieces are composed
into SymPy matrices for the proofs of ``symbp.verify``.
"""


from __future__ import annotations

import numpy as np

from symbp.errors import NetworkError
from symbp.network import Network
from symbp.truth import matrices
from symbp.truth.penalty import decay_value
from symbp.truth.program import Pass, program_for

# One symbol per weight: [256,512,256] (263k parameters) derives in ~12 s and
# 300 MB, so a million is about a minute and over a GB; beyond it, refuse.
MAX_PARAMETERS = 1_000_000


class Truth:
    """The symbolic truth of one network; get it from :func:`truth`.

    >>> net = Network(layers=[2, 3, 1], hidden="tanh", output="identity")
    >>> t = truth(net)
    >>> sorted(t.gradient(net.sample(0)))
    ['W1', 'W2', 'b1', 'b2']
    """

    def __init__(self, net: Network):
        self.net = net
        self._program = program_for(net)

    def _run(self, point, backward=True) -> Pass:
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
        weights = [self.net.check_point(point)[f"W{l}"] for l in range(1, self.net.depth + 1)]
        return float(run.weights @ run.losses) + decay_value(weights, self.net.l2)

    def symbolic(self, batch: int | None = None) -> dict | None:
        """SymPy matrices of every quantity for a batch of ``batch`` samples
        (default the network's), or None when the network is over the budget.

        >>> s = truth(Network(layers=[2, 2], batch=3)).symbolic()
        >>> s[("delta", 1)].shape, s[("dW", 1)].shape
        ((2, 3), (2, 2))
        """
        return matrices.symbolic_matrices(self.net, self.net.batch if batch is None else batch)

    @property
    def assumptions(self) -> dict:
        """Substitutions true at every sampled point (cce: each sample's last
        target is 1 minus the others), for the network's batch."""
        return matrices.assumptions(self.net, self.net.batch)


def truth(net: Network) -> Truth:
    """The symbolic truth of ``net``; the derivation is cached per network shape.

    >>> net = Network(layers=[2, 2, 1], hidden="relu", output="identity", bias=False)
    >>> point = {"x": [[1], [2]], "W1": [[.5, .2], [.3, .7]], "W2": [[.6, .8]], "y": [[1.5]]}
    >>> round(truth(net).loss(point), 12)
    0.08
    """
    parameters = net.parameter_count
    if parameters > MAX_PARAMETERS:
        raise NetworkError(
            f"layers={list(net.layers)} has {parameters:,} parameters; the symbolic truth is "
            f"derived for networks of at most {MAX_PARAMETERS:,}",
            suggestion="check a narrower network: the same formulas hold at every width")
    return Truth(net)
