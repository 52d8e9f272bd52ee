"""Networks and points that cannot test a gradient (contract sections 6 and 10).

A gradient that is identically zero at a point agrees with any slip that
also gives zero there (``dW2 * 2`` is still 0), so such points are redrawn,
as kinks are, and networks whose every gradient is zero are never drawn
and refused by ``check`` and ``grade``.

>>> from symbp.network import Network
>>> untestable(Network(layers=[3, 1], output="softmax", loss="cce")) is not None
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from symbp.tables import ACTIVATIONS

if TYPE_CHECKING:
    from symbp.network import Network


def constant_output(net: Network) -> bool:
    """A normalising output (softmax) of a single unit: 1 whatever its input."""
    return not ACTIVATIONS[net.output].elementwise and net.layers[-1] == 1


def untestable(net: Network) -> str | None:
    """Why every gradient of ``net`` is identically zero, or None.

    >>> from symbp.network import Network
    >>> untestable(Network(layers=[2, 1], output="softmax", loss="cce"))
    'a softmax of one output unit is 1 whatever its input, so every gradient is 0'
    """
    if constant_output(net):
        return (f"a {net.output} of one output unit is 1 whatever its input, so every "
                "gradient is 0")
    return None


def cut_off(net: Network, zs) -> bool:
    """True when some parameter's gradient is identically zero at the point
    because layers that are zero in every unit (relu) cut every sample off.

    A sample whose layer k is zero in every unit adds nothing to the
    gradients of layers 1..k, nor to W[k+1] (its input is zero); each sample
    may be cut at another layer (Ng's sizes 4, 5, 3, 1 with a batch of 3 do
    this at about 0.5% of points).  ``zs`` are the pre-activations of
    :meth:`Network.forward`.

    >>> import numpy as np
    >>> from symbp.network import Network
    >>> net = Network(layers=[1, 1, 1], hidden="relu", batch=2)
    >>> cut_off(net, [None, np.array([[-1.0, 2.0]]), np.array([[0.5, 0.5]])])
    False
    >>> cut_off(net, [None, np.array([[-1.0, -2.0]]), np.array([[0.5, 0.5]])])
    True
    """
    dead = np.zeros((net.depth + 1, net.batch), dtype=bool)   # dead[k, s]: layer k of s
    for k in range(1, net.depth + 1):
        if net.activation(k).dead_below:
            dead[k] = ~np.any(zs[k] > 0, axis=net.units_axis)
    cut = np.zeros(net.batch, dtype=bool)        # some layer >= l is dead for sample s
    for l in range(net.depth, 0, -1):
        cut |= dead[l]
        if np.all(cut | dead[l - 1]):            # W[l] gets nothing from any sample
            return True
    return False
