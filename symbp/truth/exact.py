"""The symbolic truth: the gradient as SymPy derives it, for a network of any size.

Each local piece of a network (affine map, activation, per-sample loss,
reduction) is differentiated once by SymPy with every width and the batch
size as symbols (:mod:`symbp.truth.lemmas`): its vector-Jacobian product
against a generic upstream gradient, from the tables' forward definitions
(softmax's full Jacobian included).  The chain rule composes these lemmas
layer by layer (:mod:`symbp.truth.chain`), evaluated as vectorised NumPy
emitted from SymPy's results (:mod:`symbp.truth.vectorise`) and cached on
disk per table entry (:mod:`symbp.truth.store`).  No BP1-BP4 formula is
written anywhere, and the cost of the derivation depends on no size.

The element-wise derivation (:mod:`symbp.truth.pieces`: one symbol per
weight, for one network's sizes) stays as a second symbolic route: it builds
the SymPy matrices of :meth:`Truth.symbolic` for the proofs of
``symbp.verify`` (:mod:`symbp.truth.matrices`), and the tests check that
both routes agree.
"""


from __future__ import annotations

import numpy as np

from symbp.network import Network
from symbp.truth.chain import Pass, chain_for


class Truth:
    """The symbolic truth of one network; get it from :func:`truth`.

    >>> net = Network(layers=[2, 3, 1], hidden="tanh", output="identity")
    >>> t = truth(net)
    >>> sorted(t.gradient(net.sample(0)))
    ['W1', 'W2', 'b1', 'b2']
    """

    def __init__(self, net: Network):
        self.net = net
        self._chain = chain_for(net)

    def _run(self, point, backward=True, inputs=True) -> Pass:
        return self._chain.run(self.net, self.net.check_point(point), backward, inputs)

    def gradient(self, point) -> dict[str, np.ndarray]:
        """dL/dW[l], dL/db[l] of the total loss, in the layout's shapes."""
        grads = self._run(point, inputs=False).grads
        return {key: grads[key] for key in self.net.param_keys()}

    def per_sample(self, point) -> dict[str, np.ndarray]:
        """``delta1..deltaL`` and ``da0..daL``: per-sample d loss_i / d z[k]_i and
        d loss_i / d a[k]_i, stacked in the layout like z[k] and a[k]."""
        run = self._run(point)
        out = {f"delta{k}": run.delta[k] for k in range(1, self.net.depth + 1)}
        out.update({f"da{k}": run.da[k] for k in range(self.net.depth + 1)})
        return out

    def loss(self, point) -> float:
        """The total loss, from the symbolic loss expression and reduction."""
        return self._run(point, backward=False).total

    def symbolic(self, batch: int | None = None) -> dict | None:
        """SymPy matrices of every quantity for a batch of ``batch`` samples
        (default the network's), or None when the network is over the budget.

        >>> s = truth(Network(layers=[2, 2], batch=3)).symbolic()
        >>> s[("delta", 1)].shape, s[("dW", 1)].shape
        ((2, 3), (2, 2))
        """
        from symbp.truth import matrices  # SymPy: only proofs need it, not the numbers
        return matrices.symbolic_matrices(self.net, self.net.batch if batch is None else batch)

    @property
    def assumptions(self) -> dict:
        """Substitutions true at every sampled point (cce: each sample's last
        target is 1 minus the others), for the network's batch."""
        from symbp.truth import matrices  # SymPy: see symbolic()
        return matrices.assumptions(self.net, self.net.batch)


def truth(net: Network) -> Truth:
    """The symbolic truth of ``net``; its derivation is shared by every size.

    >>> net = Network(layers=[2, 2, 1], hidden="relu", output="identity", bias=False)
    >>> point = {"x": [[1], [2]], "W1": [[.5, .2], [.3, .7]], "W2": [[.6, .8]], "y": [[1.5]]}
    >>> round(truth(net).loss(point), 12)
    0.08
    """
    return Truth(net)
