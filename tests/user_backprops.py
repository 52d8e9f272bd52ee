"""Users' own backprops, written by hand as a user would, for the grade tests.

Nothing here imports symbp: these are the implementations ``symbp grade``
judges, so they must not share code with the truth they are graded against.
Each takes ``(params, x, y)`` and returns the gradients of the total loss.
The right ones: ``loop_sigmoid_column`` (a per-sample loop),
``vectorised_tanh_softmax_row`` (vectorised), ``seed001_two_layer`` (seed
001's code), ``make_backprop(...)`` (any configuration, any dtype).  The
wrong ones: ``seed004_bias_averaged`` (seed 004's code: b1 off by 1/m),
``missing_transpose_column`` (W @ delta where W.T @ delta is meant) and
``sigma_prime_of_a_tanh_row`` (tanh'(a) where tanh'(z) is meant).
"""

import numpy as np


def _depth(params):
    return sum(1 for key in params if key.startswith("W"))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- right: a per-sample loop ---------------------------------------------------
# column layout, sigmoid hidden and output, half_sse, mean, with biases, any depth

def loop_sigmoid_column(params, x, y):
    L = _depth(params)
    m = x.shape[1]
    grads = {key: np.zeros_like(value, dtype=float) for key, value in params.items()}
    for i in range(m):
        a = [x[:, i:i + 1]]
        for l in range(1, L + 1):
            a.append(_sigmoid(params[f"W{l}"] @ a[-1] + params[f"b{l}"]))
        delta = (a[L] - y[:, i:i + 1]) * a[L] * (1 - a[L])
        for l in range(L, 0, -1):
            grads[f"W{l}"] += delta @ a[l - 1].T / m
            grads[f"b{l}"] += delta / m
            if l > 1:
                delta = (params[f"W{l}"].T @ delta) * a[l - 1] * (1 - a[l - 1])
    return grads


# -- right: vectorised ------------------------------------------------------------
# row layout, tanh hidden, softmax output, cce, mean, with biases, any depth

def vectorised_tanh_softmax_row(params, x, y):
    L = _depth(params)
    m = x.shape[0]
    a = [x]
    for l in range(1, L):
        a.append(np.tanh(a[-1] @ params[f"W{l}"] + params[f"b{l}"]))
    z = a[-1] @ params[f"W{L}"] + params[f"b{L}"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    a.append(e / e.sum(axis=1, keepdims=True))
    # softmax with cross-entropy: d loss_i / d z_i = a_i - y_i (targets sum to 1)
    delta = (a[L] - y) / m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = a[l - 1].T @ delta
        grads[f"b{l}"] = delta.sum(axis=0, keepdims=True)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * (1 - a[l - 1] ** 2)
    return grads


# -- right: seed 001's two-layer network ----------------------------------------------
# relu hidden, identity output, no bias, sse, sum, row layout (the seed's own lines)

def seed001_two_layer(params, x, y):
    w1, w2 = params["W1"], params["W2"]
    h = np.dot(x, w1)
    h_relu = np.maximum(h, 0)
    y_pred = np.dot(h_relu, w2)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = np.dot(h_relu.T, grad_y_pred)
    grad_h_relu = np.dot(grad_y_pred, w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = np.dot(x.T, grad_h)
    return {"W1": grad_w1, "W2": grad_w2}


# -- wrong: seed 004's single sigmoid layer ------------------------------------------
# row layout, sse, sum; the weights' gradient sums over the batch, the bias's
# averages it (np.mean), and the bias is 1-D as in the seed; keys 'w' and 'b'

def seed004_bias_averaged(param, x, y):
    bias = x @ param["w"] + param["b"]
    y_pred = _sigmoid(bias)
    sig = _sigmoid(bias)
    matrix = np.multiply(sig * (1. - sig), 2 * (y_pred - y))
    matrix2 = np.mean(matrix, 0, keepdims=False)
    return {"w": np.matmul(np.transpose(x), matrix), "b": matrix2}


# -- wrong: a missing transpose ----------------------------------------------------------
# column layout, sigmoid, half_sse, mean; W @ delta where W.T @ delta is meant,
# which goes unnoticed by the shapes when the layers are square

def missing_transpose_column(params, x, y):
    L = _depth(params)
    m = x.shape[1]
    a = [x]
    for l in range(1, L + 1):
        a.append(_sigmoid(params[f"W{l}"] @ a[-1] + params[f"b{l}"]))
    delta = (a[L] - y) * a[L] * (1 - a[L])
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ a[l - 1].T / m
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True) / m
        if l > 1:
            delta = (params[f"W{l}"] @ delta) * a[l - 1] * (1 - a[l - 1])
    return grads


# -- wrong: tanh'(a) instead of tanh'(z) -------------------------------------------------
# row layout, tanh hidden, identity output, half_sse, sum

def sigma_prime_of_a_tanh_row(params, x, y):
    L = _depth(params)
    a = [x]
    for l in range(1, L + 1):
        z = a[-1] @ params[f"W{l}"] + params[f"b{l}"]
        a.append(np.tanh(z) if l < L else z)
    delta = a[L] - y
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = a[l - 1].T @ delta
        grads[f"b{l}"] = delta.sum(axis=0, keepdims=True)
        if l > 1:
            # the slip: the derivative applied to the activation, not to z
            delta = (delta @ params[f"W{l}"].T) * (1 - np.tanh(a[l - 1]) ** 2)
    return grads


# -- right: any configuration, any dtype ------------------------------------------------

_ACTIVATIONS = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z),
                   lambda z: np.where(z > 0, 1.0, 0.01).astype(z.dtype)),
    "softplus": (lambda z: np.log1p(np.exp(z)), _sigmoid),
}


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _loss_gradient(loss, a, y):
    """d loss_i / d a_i for samples as rows."""
    if loss == "half_sse":
        return a - y
    if loss == "sse":
        return 2 * (a - y)
    if loss == "mse":
        return 2 * (a - y) / a.shape[1]
    if loss == "l1":
        return np.sign(a - y)
    if loss == "bce":
        return -y / a + (1 - y) / (1 - a)
    if loss == "cce":
        return -y / a
    raise ValueError(loss)


def make_backprop(hidden="sigmoid", output="sigmoid", loss="half_sse", reduction="mean",
                  layout="column", bias=True, dtype=np.float64):
    """A vectorised backprop for one configuration, computed in ``dtype``.

    Works with samples as rows whatever the layout (a column-layout user
    transposes in and out), and takes softmax through each sample's Jacobian.
    """
    def backprop(params, x, y):
        column = layout == "column"
        P = {key: np.asarray(value, dtype=dtype) for key, value in params.items()}
        if column:  # transpose into samples-as-rows
            P = {key: value.T for key, value in P.items()}
            x, y = x.T, y.T
        x, y = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
        L, m = _depth(P), x.shape[0]
        zs, acts = [None], [x]
        for l in range(1, L + 1):
            z = acts[-1] @ P[f"W{l}"] + (P[f"b{l}"] if bias else 0)
            name = output if l == L else hidden
            zs.append(z)
            acts.append(_softmax_rows(z) if name == "softmax" else _ACTIVATIONS[name][0](z))
        upstream = _loss_gradient(loss, acts[L], y)
        if reduction == "mean":
            upstream = upstream / dtype(m)
        grads = {}
        for l in range(L, 0, -1):
            name = output if l == L else hidden
            if name == "softmax":
                s = acts[l]
                delta = s * (upstream - np.sum(upstream * s, axis=1, keepdims=True))
            else:
                delta = upstream * _ACTIVATIONS[name][1](zs[l])
            grads[f"W{l}"] = acts[l - 1].T @ delta
            if bias:
                grads[f"b{l}"] = delta.sum(axis=0, keepdims=True)
            upstream = delta @ P[f"W{l}"].T
        if column:
            grads = {key: value.T for key, value in grads.items()}
        return grads
    return backprop


# -- right on one-hot targets only: labels read back from y ------------------------------
# row layout, relu hidden, softmax output, cce, mean (cs231n's softmax loss on
# a target matrix: it takes each sample's class to be the argmax of its target)

def cs231n_argmax_row(params, x, y):
    L = _depth(params)
    N = x.shape[0]
    labels = np.argmax(y, axis=1)
    a = [x]
    for l in range(1, L):
        a.append(np.maximum(0, a[-1] @ params[f"W{l}"] + params[f"b{l}"]))
    scores = a[-1] @ params[f"W{L}"] + params[f"b{L}"]
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    delta = probs.copy()
    delta[np.arange(N), labels] -= 1
    delta /= N
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = a[l - 1].T @ delta
        grads[f"b{l}"] = delta.sum(axis=0, keepdims=True)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * (a[l - 1] > 0)
    return grads
