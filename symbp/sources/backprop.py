"""The hand-coded NumPy backprop: the textbook algorithm, vectorised.

Written independently of the symbolic code (it never imports it): the
symbolic truth and finite differences are what it is checked against.
Works for any depth, both layouts, every activation (softmax through its
full Jacobian), every loss and reduction, and L2 weight decay (``l2 * W``
added to each weight gradient, the textbook form).

>>> from symbp.network import Network
>>> net = Network(layers=[2, 3, 1], batch=2)
>>> grads = backprop(net, net.sample(seed=1))
>>> grads["W1"].shape, grads["b1"].shape
((3, 2), (3, 1))
"""

from __future__ import annotations

import numpy as np

from symbp.network import as_network
from symbp.tables import LOSSES


def backprop(net, point) -> dict[str, np.ndarray]:
    """dL/dW[l] and dL/db[l] of the total loss, keyed like the point.

    >>> from symbp.network import Network
    >>> net = Network(layers=[1, 1], output="identity", bias=False)   # L = (w x - y)^2 / 2
    >>> backprop(net, {"W1": np.array([[2.0]]), "x": np.array([[3.0]]), "y": np.array([[1.0]])})
    {'W1': array([[15.]])}
    """
    net = as_network(net)
    return _backward(net, net.check_point(point))[0]


def backprop_per_sample(net, point) -> dict[str, np.ndarray]:
    """Per-sample errors ``delta1..deltaL`` and ``da0..daL``, stacked like z and a.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 3, 1], batch=4)
    >>> per_sample = backprop_per_sample(net, net.sample(seed=0))
    >>> sorted(per_sample), per_sample["delta1"].shape
    (['da0', 'da1', 'da2', 'delta1', 'delta2'], (3, 4))
    """
    return _backward(net, net.check_point(point))[1]


def _activation_vjp(net, l: int, z: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """d loss_i / d z[l] from d loss_i / d a[l], sample by sample."""
    activation = net.activation(l)
    axis = net.units_axis
    if activation.elementwise:
        return upstream * activation.numpy_prime(z, axis)
    # softmax: the full Jacobian J[i, j] = s_i (delta_ij - s_j) of every sample
    s = activation.numpy(z, axis)
    by_sample = s.T if axis == 0 else s                     # m x n
    up_by_sample = upstream.T if axis == 0 else upstream    # m x n
    eye = np.eye(by_sample.shape[1])
    jacobians = by_sample[:, :, None] * (eye[None] - by_sample[:, None, :])  # m x n x n
    delta = np.einsum("sij,si->sj", jacobians, up_by_sample)
    return delta.T if axis == 0 else delta


def _backward(net, p):
    zs, acts = net.forward(p)
    column = net.layout == "column"
    scale = 1.0 / net.batch if net.reduction == "mean" else 1.0
    L = net.depth
    per_sample, grads = {}, {}
    upstream = LOSSES[net.loss].numpy_grad(acts[L], p["y"], net.units_axis)
    per_sample[f"da{L}"] = upstream
    for l in range(L, 0, -1):
        delta = _activation_vjp(net, l, zs[l], upstream)
        per_sample[f"delta{l}"] = delta
        W = p[f"W{l}"]
        if column:
            grads[f"W{l}"] = scale * delta @ acts[l - 1].T + net.l2 * W
            upstream = W.T @ delta
        else:
            grads[f"W{l}"] = scale * acts[l - 1].T @ delta + net.l2 * W
            upstream = delta @ W.T
        if net.bias:
            grads[f"b{l}"] = scale * delta.sum(axis=1 if column else 0, keepdims=True)
        per_sample[f"da{l - 1}"] = upstream
    return {key: grads[key] for key in net.param_keys()}, per_sample
