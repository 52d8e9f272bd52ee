"""Central finite differences in float64, a step suited to each entry.

The third, independent source of gradients: it knows nothing of the chain
rule, only the network's forward pass and loss.  The step
h = 6e-6 * max(1, |theta|) balances the truncation error (~h^2) against
rounding (~eps / h) for float64.

>>> from symbp.network import Network
>>> net = Network(layers=[2, 2, 1])
>>> sorted(finite_differences(net, net.sample(seed=0)))
['W1', 'W2', 'b1', 'b2']
"""

from __future__ import annotations

import numpy as np

from symbp.tables import LOSSES

RELATIVE_STEP = 6e-6


def step_for(value: float) -> float:
    """The step of a central difference at ``value``.

    >>> step_for(0.5), round(step_for(-100.0), 12)
    (6e-06, 0.0006)
    """
    return RELATIVE_STEP * max(1.0, abs(value))


def central_differences(function, array: np.ndarray, *, pick=None, on_entry=None) -> np.ndarray:
    """d function / d array, entry by entry, perturbing ``array`` in place
    (and restoring it).

    ``function()`` returns a number, or an array from which ``pick(value,
    index)`` takes the number that belongs to the perturbed entry (a
    per-sample loss vector, say); ``on_entry()`` is called once per entry.

    >>> values = np.array([1.0, 2.0])
    >>> np.round(central_differences(lambda: float(np.sum(values ** 2)), values), 6)
    array([2., 4.])
    """
    gradient = np.zeros_like(array, dtype=float)
    for index in np.ndindex(array.shape):
        if on_entry is not None:
            on_entry()
        original = array[index]
        h = step_for(original)
        array[index] = original + h
        up = function()
        array[index] = original - h
        down = function()
        array[index] = original
        if pick is not None:
            up, down = pick(up, index), pick(down, index)
        gradient[index] = (up - down) / (2 * h)
    return gradient


def finite_differences(net, point, progress=None) -> dict[str, np.ndarray]:
    """dL/dW[l], dL/db[l] of the total loss by central differences;
    ``progress(done)`` is called with the number of entries done so far."""
    p = {key: value.copy() for key, value in net.check_point(point).items()}
    done = [0]

    def on_entry():
        done[0] += 1
        progress(done[0])

    return {key: central_differences(lambda: net.total_loss(p), p[key],
                                     on_entry=progress and on_entry)
            for key in net.param_keys()}


def finite_differences_per_sample(net, point) -> dict[str, np.ndarray]:
    """``delta1..deltaL`` and ``da0..daL`` by central differences.

    A perturbation of one sample's z[k] or a[k] changes only that sample's
    loss, so the whole per-sample loss vector is differentiated at once and
    the entry of the perturbed sample kept.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 2], batch=3)
    >>> finite_differences_per_sample(net, net.sample(seed=0))["delta1"].shape
    (2, 3)
    """
    p = {key: value.copy() for key, value in net.check_point(point).items()}
    zs, acts = net.forward(p)
    sample_axis = 1 - net.units_axis

    def own_sample(losses, index):
        return losses[index[sample_axis]]

    result = {}
    for k in range(net.depth + 1):
        quantities = [("da", acts[k])] + ([("delta", zs[k])] if k else [])
        for name, value in quantities:
            value = value.copy()
            resume = (lambda k=k, v=value: _losses_from(net, p, k, net.activation(k).numpy(
                v, net.units_axis))) if name == "delta" else \
                (lambda k=k, v=value: _losses_from(net, p, k, v))
            result[f"{name}{k}"] = central_differences(resume, value, pick=own_sample)
    return result


def _losses_from(net, p, k: int, a_k: np.ndarray) -> np.ndarray:
    """Each sample's loss when the forward pass resumes from a[k] = a_k."""
    _, acts = net.forward(p, start=k, a=a_k)
    return LOSSES[net.loss].numpy(acts[-1], p["y"], net.units_axis)
