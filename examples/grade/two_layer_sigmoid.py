"""A correct backprop written by hand for any depth: column layout, sigmoid
layers, half_sse, mean over the batch.  Grade it with

    symbp grade examples/grade/two_layer_sigmoid.py:gradients --layers 3,4,2 --batch 3 --random 20 --vary-depth
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gradients(params, x, y):
    L = sum(1 for key in params if key.startswith("W"))
    m = x.shape[1]
    a = [x]
    for l in range(1, L + 1):
        a.append(sigmoid(params[f"W{l}"] @ a[-1] + params[f"b{l}"]))
    delta = (a[L] - y) * a[L] * (1 - a[L])           # BP1
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ a[l - 1].T / m        # BP4, averaged over the batch
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True) / m
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * a[l - 1] * (1 - a[l - 1])   # BP2
    return grads
