"""Five classic slips in layer-by-layer backprop, one per layer, each
forward right and each backward wrong in one place:

    symbp grade-layers examples/layers/classic_bugs.py

* affine_backward averages the bias gradient over the batch (db is 1/N of it);
* relu_backward turns its cache (the forward's input x) into the mask in place;
* softmax_loss divides the loss by N but not its gradient (dx is N times it);
* batchnorm_backward sums dmean without axis=0 (over every feature at once);
* dropout_backward scales by p where the forward divided by p (dx is p^2 of it).

Written for symbp's examples; see docs/layers.md for what symbp says.
"""

import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.mean(axis=0)                     # slip: the bias gradient is a sum over the batch
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    x[x > 0] = 1                               # slip: writes the mask into the cache (and x)
    x[x <= 0] = 0
    return dout * x


def softmax_loss(x, y):
    n = x.shape[0]
    probs = np.exp(x - x.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).sum() / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1                   # slip: dx is not divided by n
    return loss, dx


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, mu, var, eps, xhat, gamma)


def batchnorm_backward(dout, cache):
    x, mu, var, eps, xhat, gamma = cache
    n = x.shape[0]
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu) * -0.5 * (var + eps) ** -1.5, axis=0)
    dmean = np.sum(dxhat * -1 / np.sqrt(var + eps)) \
        + dvar * np.mean(-2 * (x - mu), axis=0)  # slip: the first sum has no axis=0
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / n + dmean / n
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed", 0))
    if mode != "train":
        return x, (dropout_param, None)
    mask = np.random.rand(*x.shape) < p
    return x * mask / p, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask * dropout_param["p"]    # slip: the forward divided by p
