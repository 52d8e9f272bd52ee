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

from symbp.network import as_network
from symbp.tables import LOSSES

RELATIVE_STEP = 6e-6


def step_for(value: float) -> float:
    """The step of a central difference at ``value``.

    >>> step_for(0.5), round(step_for(-100.0), 12)
    (6e-06, 0.0006)
    """
    return RELATIVE_STEP * max(1.0, abs(value))


def output_step_for(value: float) -> float:
    """The step at an output a[L] of a loss that takes log(a): relative to
    the value itself (cce over 1000 classes has outputs of ~1e-3, and
    d loss / d a = -y / a has a curvature an absolute step would cross).

    >>> output_step_for(1e-3), output_step_for(0.0)
    (6e-09, 6e-12)
    """
    return RELATIVE_STEP * max(abs(value), 1e-6)


def central_differences(function, array: np.ndarray, *, pick=None, on_entry=None,
                        entries=None, step=step_for) -> np.ndarray:
    """d function / d array, entry by entry, perturbing ``array`` in place
    (and restoring it).

    ``function()`` returns a number, or an array from which ``pick(value,
    index)`` takes the number that belongs to the perturbed entry (a
    per-sample loss vector, say); ``on_entry()`` is called once per entry.
    ``entries`` (index tuples) limits the work to those entries; the others
    are left 0.  ``step(value)`` is the step at an entry of that value.

    >>> values = np.array([1.0, 2.0])
    >>> np.round(central_differences(lambda: float(np.sum(values ** 2)), values), 6)
    array([2., 4.])
    """
    gradient = np.zeros_like(array, dtype=float)
    for index in (np.ndindex(array.shape) if entries is None else entries):
        if on_entry is not None:
            on_entry()
        original = array[index]
        h = step(original)
        array[index] = original + h
        up = function()
        array[index] = original - h
        down = function()
        array[index] = original
        if pick is not None:
            up, down = pick(up, index), pick(down, index)
        gradient[index] = (up - down) / (2 * h)
    return gradient


def directional_difference(function, array: np.ndarray, direction: np.ndarray) -> float:
    """The derivative of ``function()`` along ``direction`` (a unit vector of
    ``array``'s shape), by one central difference, ``array`` perturbed in
    place and restored: gradcheck's fast mode, one number for a whole array.

    >>> values = np.array([1.0, 2.0])
    >>> unit = np.array([0.6, 0.8])
    >>> round(directional_difference(lambda: float(np.sum(values ** 2)), values, unit), 6)
    4.4
    """
    original = array.copy()
    h = step_for(float(np.max(np.abs(array))) if array.size else 0.0)
    array[...] = original + h * direction
    up = function()
    array[...] = original - h * direction
    down = function()
    array[...] = original
    return (up - down) / (2 * h)


def finite_differences(net, point, progress=None) -> dict[str, np.ndarray]:
    """dL/dW[l], dL/db[l] of the total loss by central differences;
    ``progress(done)`` is called with the number of entries done so far.

    >>> from symbp.network import Network
    >>> net = Network(layers=[1, 1], output="identity", bias=False)   # L = (w x - y)^2 / 2
    >>> point = {"W1": np.array([[2.0]]), "x": np.array([[3.0]]), "y": np.array([[1.0]])}
    >>> np.round(finite_differences(net, point)["W1"], 6)   # (2 * 3 - 1) * 3
    array([[15.]])
    """
    return sampled_finite_differences(as_network(net), point, progress=progress)[0]


def sampled_finite_differences(net, point, *, entries=None, directions=None, progress=None):
    """Central differences of the total loss at ``entries[key]`` (index
    tuples; every entry of a key not listed) and along ``directions[key]``
    (unit arrays of the key's shape): ``(gradients, directional)``, the
    entries not differenced left 0, ``directional[key]`` one derivative per
    direction.  ``progress(done)`` counts the differences taken.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 2])
    >>> along_w01 = np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> gradients, directional = sampled_finite_differences(
    ...     net, net.sample(seed=0), entries={"W1": [(0, 1)]}, directions={"W1": [along_w01]})
    >>> int(np.count_nonzero(gradients["W1"])), int(np.count_nonzero(gradients["b1"]))
    (1, 2)
    >>> bool(np.isclose(directional["W1"][0], gradients["W1"][0, 1]))
    True
    """
    p = net.checked(point)   # stepped entry by entry below: validated once
    entries, directions = entries or {}, directions or {}
    done = [0]

    def step():
        done[0] += 1
        if progress is not None:
            progress(done[0])

    def loss():
        return net.total_loss(p)

    gradients, directional = {}, {}
    for key in net.param_keys():
        gradients[key] = central_differences(loss, p[key], on_entry=step,
                                             entries=entries.get(key))
        directional[key] = []
        for direction in directions.get(key, ()):
            step()
            directional[key].append(directional_difference(loss, p[key], direction))
    return gradients, directional


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
    p = net.checked(point)   # stepped entry by entry below: validated once
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
            logs = LOSSES[net.loss].logs and (name, k) == ("da", net.depth)
            step = output_step_for if logs else step_for
            result[f"{name}{k}"] = central_differences(resume, value, pick=own_sample, step=step)
    return result


def _losses_from(net, p, k: int, a_k: np.ndarray) -> np.ndarray:
    """Each sample's loss when the forward pass resumes from a[k] = a_k."""
    _, acts = net.forward(p, start=k, a=a_k)
    return LOSSES[net.loss].numpy(acts[-1], p["y"], net.units_axis)
