"""How points are drawn for numeric checks (contract sections 1, 6, 10).

Weights ~ N(0, 1/fan-in), biases ~ N(0, 0.25), inputs ~ N(0, 1); real
targets ~ N(0, 1), ``bce`` targets uniform in (0.05, 0.95), ``cce`` targets
Dirichlet(1) or one class (``targets = "onehot"``).  A point is never
returned where it could not test a gradient: a sample within reach of a kink
(or, under bce, of an output of 1) is redrawn, one sample at a time with the
parameters kept, and a point where relu layers cut every sample off some
parameter (its gradient identically zero) is drawn again; a network whose
every gradient is zero (a one-unit softmax) is never drawn at all.

>>> from symbp.network import Network
>>> net = Network(layers=[2, 300, 1], hidden="relu", batch=64)
>>> point = draw(net, seed=0)
>>> zs, _ = net.forward(point)
>>> bool(abs(zs[1]).min() >= kink_margin(net)), cut_off(net, zs)
(True, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from symbp.errors import NetworkError
from symbp.tables import ACTIVATIONS, LOSSES

if TYPE_CHECKING:
    from symbp.network import Network

# A point is redrawn when a kink is within reach of a finite difference's
# step.  Samples are redrawn one by one (the parameters stay), so the batch
# costs nothing; the contract's margin, |z| >= 1e-3, holds up to KINK_VALUES
# values at kinks per sample; with more (a relu layer of 100,000 units) some
# value is almost surely that close and every draw would be rejected, so the
# margin shrinks in proportion, never below MIN_KINK_MARGIN: a step of finite
# differences moves z by at most ~3e-5 (6e-6 times an input of ~4.5).
KINK_MARGIN = 1e-3
KINK_VALUES = 1000
MIN_KINK_MARGIN = 1e-4
# bce takes log(1 - a), and 1 - a keeps only eps / (1 - a) of its relative
# precision: outputs this close to 1 are redrawn.  Outputs near 0 are not:
# a sigmoid or softmax output is computed to full relative precision however
# small it is, and the loss's curvature in z stays bounded (softmax with cce
# is log-sum-exp), so a 1000-class softmax, whose outputs are all ~1e-3, is
# checked like a 10-class one.
LOG_MARGIN = 1e-2
_MAX_REDRAWS = 2000          # draws of the parameters
_SAMPLE_REDRAWS = 50         # rounds of redrawing the samples that sit near a kink


def draw(net: Network, seed: int = 0) -> dict[str, np.ndarray]:
    """A point drawn from ``seed``, kinks avoided (contract section 1).

    Weights are scaled by 1/sqrt(fan-in) so that sigmoid, softmax and log
    stay well conditioned; a point near a kink is redrawn, never returned.

    >>> from symbp.network import Network
    >>> point = draw(Network(layers=[2, 3, 1]), seed=0)
    >>> {key: value.shape for key, value in point.items()}
    {'W1': (3, 2), 'b1': (3, 1), 'W2': (1, 3), 'b2': (1, 1), 'x': (2, 1), 'y': (1, 1)}
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise NetworkError(f"seed={seed!r} is not a seed; expected an integer >= 0")
    rng = np.random.default_rng(seed)
    for _ in range(_MAX_REDRAWS):
        point = _draw(net, rng)
        for _ in range(_SAMPLE_REDRAWS):
            near = _samples_near_kink(net, point)
            if not near.any():
                break
            # a sample near a kink gets new inputs and targets; the
            # parameters, and every other sample, stay as drawn
            _redraw_samples(net, point, near, rng)
        if not near_kink(net, point):
            return point
    raise NetworkError(f"could not draw a point away from the kinks of {net} "
                       f"in {_MAX_REDRAWS} tries")


def _redraw_samples(net: Network, point, which, rng):
    fresh = _draw(net, rng)
    axis = 1 - net.units_axis
    for key in ("x", "y"):
        taken = np.take(fresh[key], np.flatnonzero(which), axis=axis)
        if axis == 1:
            point[key][:, which] = taken
        else:
            point[key][which, :] = taken


def _draw(net: Network, rng) -> dict[str, np.ndarray]:
    point = {}
    for key, shape in net.point_shapes().items():
        if key[0] == "W":
            fan_in = net.layers[int(key[1:]) - 1]
            point[key] = rng.normal(0.0, 1.0, shape) / np.sqrt(fan_in)
        elif key[0] == "b":
            point[key] = rng.normal(0.0, 0.5, shape)
        elif key == "x":
            point[key] = rng.normal(0.0, 1.0, shape)
    point["y"] = _draw_targets(net, rng)
    return point


def _draw_targets(net: Network, rng) -> np.ndarray:
    shape = net.shape("y")
    domain = LOSSES[net.loss].domain
    if net.targets == "onehot":
        # asked for whatever the loss (bce too: exercise 4's labels, one-hot over K sigmoids)
        classes = rng.integers(0, net.layers[-1], net.batch)
        return net.one_hot(classes)
    if domain == "unit":
        return rng.uniform(0.05, 0.95, shape)
    if domain == "simplex":
        per_sample = rng.dirichlet(np.ones(net.layers[-1]), net.batch)  # m x nL
        return per_sample.T.copy() if net.layout == "column" else per_sample
    return rng.normal(0.0, 1.0, shape)


def near_kink(net: Network, point) -> bool:
    """True where the point is too close to a kink (or, under bce, to an
    output of 1) to check gradients at, or where relu layers cut every
    sample off some parameter; see ``kink_margin``.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 3, 1], hidden="relu")
    >>> point = draw(net, seed=0)
    >>> at_kink = dict(point, W1=0 * point["W1"], b1=0 * point["b1"])   # every z1 is 0
    >>> near_kink(net, point), near_kink(net, at_kink)
    (False, True)
    """
    if _samples_near_kink(net, point).any():
        return True
    zs, _ = net.forward(point)
    return cut_off(net, zs)


def _samples_near_kink(net: Network, point) -> np.ndarray:
    """For each sample, whether it comes within ``kink_margin`` of a kink
    (or, under bce, within LOG_MARGIN of an output of 1)."""
    zs, acts = net.forward(point)
    margin = kink_margin(net)
    units = net.units_axis
    near = np.zeros(net.batch, dtype=bool)
    for l in range(1, net.depth + 1):
        if net.activation(l).kink:
            near |= np.any(np.abs(zs[l]) < margin, axis=units)
    loss = LOSSES[net.loss]
    if loss.kink:
        near |= np.any(np.abs(acts[-1] - point["y"]) < margin, axis=units)
    if loss.log_complement and not _constant_output(net):
        near |= np.any(acts[-1] > 1 - LOG_MARGIN, axis=units)
    return near


def kink_margin(net: Network) -> float:
    """How close to a kink a sampled point may come: 1e-3 (contract
    section 1) up to ``KINK_VALUES`` values at kinks per sample, less in
    proportion beyond, never below ``MIN_KINK_MARGIN``.

    >>> from symbp.network import Network
    >>> kink_margin(Network(layers=[2, 4, 1], hidden="relu", batch=64))
    0.001
    >>> kink_margin(Network(layers=[2, 4096, 1], hidden="relu"))
    0.000244140625
    """
    values = sum(net.layers[l] for l in range(1, net.depth + 1)
                 if net.activation(l).kink)
    if LOSSES[net.loss].kink:
        values += net.layers[-1]
    return max(MIN_KINK_MARGIN, KINK_MARGIN * min(1.0, KINK_VALUES / max(values, 1)))


def _constant_output(net: Network) -> bool:
    """A normalising output (softmax) of a single unit: 1 whatever its input."""
    return not ACTIVATIONS[net.output].elementwise and net.layers[-1] == 1


def untestable(net: Network) -> str | None:
    """Why every gradient of ``net`` is identically zero, or None.

    >>> from symbp.network import Network
    >>> untestable(Network(layers=[2, 1], output="softmax", loss="cce"))
    'a softmax of one output unit is 1 whatever its input, so every gradient is 0'
    """
    if _constant_output(net):
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
