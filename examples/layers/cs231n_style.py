"""Layers written the way cs231n's assignment 2 asks for them: each forward
returns ``(out, cache)`` and each backward takes ``(dout, cache)``.

Written for symbp's examples (not copied from any solution); every layer
here is right:

    symbp grade-layers examples/layers/cs231n_style.py --random 200
"""

import numpy as np


def affine_forward(x, w, b):
    """x: (N, d1, ..., dk), w: (D, M), b: (M,) -> out (N, M)."""
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)


def softmax_loss(x, y):
    """Mean cross-entropy of the scores x (N, C) for the labels y (N,)."""
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def svm_loss(x, y):
    """Mean multiclass hinge loss, margin 1."""
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    positive = (margins > 0).astype(float)
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return loss, positive / n


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.zeros(x.shape[1]))
    if mode == "train":
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc ** 2).mean(axis=0)
        std = np.sqrt(var + eps)
        xhat = xc / std
        out = gamma * xhat + beta
        cache = (xc, std, xhat, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        cache = None
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Through the computational graph, node by node (Kratzert's steps)."""
    xc, std, xhat, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dstd = -(dxhat * xc).sum(axis=0) / std ** 2
    dvar = 0.5 * dstd / std
    dxc = dxhat / std + 2 * xc * dvar / n
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / n
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """The simplified form: one line for dx."""
    _, std, xhat, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = gamma / (n * std) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(((x - mu) ** 2).mean(axis=1, keepdims=True) + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (std, xhat, gamma)


def layernorm_backward(dout, cache):
    std, xhat, gamma = cache
    d = dout.shape[1]
    dxhat = dout * gamma
    dx = (d * dxhat - dxhat.sum(axis=1, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)) / (d * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def dropout_forward(x, dropout_param):
    """Inverted dropout; p is the probability of keeping a unit."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        mask, out = None, x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def l2_regularization(w, reg):
    """0.5 * reg * ||w||^2 and its gradient."""
    return 0.5 * reg * np.sum(w * w), reg * w


def conv_forward_naive(x, w, b, conv_param):
    """x: (N, C, H, W), w: (F, C, HH, WW), b: (F,) -> out (N, F, H', W')."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, _, height, width = x.shape
    filters, _, hh, ww = w.shape
    assert (height + 2 * pad - hh) % stride == 0, "height does not fit"
    assert (width + 2 * pad - ww) % stride == 0, "width does not fit"
    out_h = 1 + (height + 2 * pad - hh) // stride
    out_w = 1 + (width + 2 * pad - ww) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((n, filters, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x_pad[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            for f in range(filters):
                out[:, f, i, j] = np.sum(window * w[f], axis=(1, 2, 3)) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, height, width = x.shape
    _, _, hh, ww = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + hh)
            cols = slice(j * stride, j * stride + ww)
            for f in range(w.shape[0]):
                grad = dout[:, f, i, j][:, None, None, None]
                dw[f] += np.sum(x_pad[:, :, rows, cols] * grad, axis=0)
                dx_pad[:, :, rows, cols] += w[f] * grad
    dx = dx_pad[:, :, pad:pad + height, pad:pad + width]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    n, c, height, width = x.shape
    out_h = 1 + (height - ph) // stride
    out_w = 1 + (width - pw) // stride
    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            is_max = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += \
                is_max * dout[:, :, i, j][:, :, None, None]
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm of every pixel as a sample: channels last, then back."""
    n, c, height, width = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out, cache = batchnorm_forward(rows, gamma, beta, bn_param)
    return out.reshape(n, height, width, c).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    n, c, height, width = dout.shape
    rows = dout.transpose(0, 2, 3, 1).reshape(-1, c)
    dx, dgamma, dbeta = batchnorm_backward_alt(rows, cache)
    return dx.reshape(n, height, width, c).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """gamma, beta: (1, C, 1, 1); each sample's channels in G groups."""
    eps = gn_param.get("eps", 1e-5)
    n = x.shape[0]
    groups = x.reshape(n, G, -1)
    mu = groups.mean(axis=2, keepdims=True)
    std = np.sqrt(groups.var(axis=2, keepdims=True) + eps)
    xhat = ((groups - mu) / std).reshape(x.shape)
    return gamma * xhat + beta, (xhat, std, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    xhat, std, gamma, G = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(n, G, -1)
    xhat = xhat.reshape(n, G, -1)
    m = xhat.shape[2]
    dx = (m * dxhat - dxhat.sum(axis=2, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=2, keepdims=True)) / (m * std)
    return dx.reshape(dout.shape), dgamma, dbeta
