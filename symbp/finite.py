"""Central finite differences in float64, a step suited to each entry.

The third, independent source of gradients: it knows nothing of the chain
rule, only ``net.loss``.  The step h = 6e-6 * max(1, |theta|) balances the
truncation error (~h^2) against rounding (~eps / h) for float64.

>>> from symbp.network import Network
>>> net = Network(layers=[2, 2, 1])
>>> sorted(finite_differences(net, net.sample(seed=0)))
['W1', 'W2', 'b1', 'b2']
"""

from __future__ import annotations

import numpy as np

RELATIVE_STEP = 6e-6


def _step(value: float) -> float:
    return RELATIVE_STEP * max(1.0, abs(value))


def _central(function, array: np.ndarray, on_entry=None) -> np.ndarray:
    """d function / d array entry by entry, perturbing ``array`` in place."""
    gradient = np.zeros_like(array, dtype=float)
    for index in np.ndindex(array.shape):
        if on_entry is not None:
            on_entry()
        original = array[index]
        h = _step(original)
        array[index] = original + h
        up = function()
        array[index] = original - h
        down = function()
        array[index] = original
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

    return {key: _central(lambda: net.total_loss(p), p[key], progress and on_entry)
            for key in net.param_keys()}


def finite_differences_per_sample(net, point) -> dict[str, np.ndarray]:
    """``delta1..deltaL`` and ``da0..daL`` by central differences.

    A perturbation of one sample's z[k] or a[k] changes only that sample's
    loss, so the whole per-sample loss vector is differentiated at once and
    the entry of the perturbed sample kept.
    """
    p = {key: value.copy() for key, value in net.check_point(point).items()}
    zs, acts = net.forward(p)
    sample_axis = 1 - net.units_axis
    result = {}
    for k in range(net.depth + 1):
        quantities = [("da", acts[k], k)] + ([("delta", zs[k], k)] if k else [])
        for name, array, layer in quantities:
            array = array.copy()
            result[f"{name}{k}"] = _per_sample_central(
                net, p, array, lambda arr, n=name, lay=layer: _losses_from(net, p, n, lay, arr),
                sample_axis)
    return result


def _per_sample_central(net, p, array, losses_of, sample_axis):
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        h = _step(original)
        array[index] = original + h
        up = losses_of(array)
        array[index] = original - h
        down = losses_of(array)
        array[index] = original
        gradient[index] = (up[index[sample_axis]] - down[index[sample_axis]]) / (2 * h)
    return gradient


def _losses_from(net, p, name: str, k: int, value: np.ndarray) -> np.ndarray:
    """Each sample's loss when the forward pass resumes from z[k] or a[k] = value."""
    from .functions import LOSSES
    axis = net.units_axis
    a = net.activation(k).numpy(value, axis) if name == "delta" else value
    for l in range(k + 1, net.depth + 1):
        W = p[f"W{l}"]
        z = W @ a if net.layout == "column" else a @ W
        if net.bias:
            z = z + p[f"b{l}"]
        a = net.activation(l).numpy(z, axis)
    return LOSSES[net.loss].numpy(a, p["y"], axis)
