"""Layers written the way cs231n's assignment 3 asks for them in
``rnn_layers.py``: word embedding, a vanilla RNN and an LSTM (one step and a
whole sequence), temporal affine and the temporal softmax loss.

Written for symbp's examples (not copied from any solution); every layer
here is right:

    symbp grade-layers examples/layers/cs231n_rnn_style.py --random 200
"""

import numpy as np


def sigmoid(x):
    """The logistic function, without overflow for large negative x."""
    out = np.empty_like(x, dtype=float)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1 + exp_x)
    return out


def word_embedding_forward(x, W):
    """x: (N, T) integers in [0, V), W: (V, D) -> out (N, T, D)."""
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)          # a word may occur more than once
    return dW


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    n, steps, _ = x.shape
    h = np.zeros((n, steps, h0.shape[1]))
    caches, prev_h = [], h0
    for t in range(steps):
        prev_h, cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, caches


def rnn_backward(dh, cache):
    n, steps, _ = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((n, steps, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
    dprev_h = np.zeros((n, Wh.shape[0]))
    for t in reversed(range(steps)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    h = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = sigmoid(a[:, :h]), sigmoid(a[:, h:2 * h]), sigmoid(a[:, 2 * h:3 * h])
    g = np.tanh(a[:, 3 * h:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                    dnext_h * tanh_c * o * (1 - o), dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    n, steps, _ = x.shape
    h = np.zeros((n, steps, h0.shape[1]))
    prev_h, prev_c, caches = h0, np.zeros_like(h0), []
    for t in range(steps):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, cache):
    n, steps, hidden = dh.shape
    x0, _, _, Wx, Wh, *_ = cache[0]
    dx = np.zeros((n, steps, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
    dprev_h, dprev_c = np.zeros((n, hidden)), np.zeros((n, hidden))
    for t in reversed(range(steps)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = \
            lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    """x: (N, T, D), w: (D, M), b: (M,) -> out (N, T, M)."""
    n, steps, d = x.shape
    out = (x.reshape(n * steps, d) @ w).reshape(n, steps, -1) + b
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    n, steps, d = x.shape
    rows = dout.reshape(n * steps, -1)
    dx = (rows @ w.T).reshape(x.shape)
    dw = x.reshape(n * steps, d).T @ rows
    return dx, dw, rows.sum(axis=0)


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax loss summed over the steps where mask is True, divided by N."""
    n, steps, v = x.shape
    scores = x.reshape(n * steps, v)
    labels, counted = y.reshape(-1), mask.reshape(-1)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n * steps)
    loss = -np.sum(counted * log_probs[rows, labels]) / n
    dscores = np.exp(log_probs)
    dscores[rows, labels] -= 1
    dscores *= counted[:, None] / n
    if verbose:
        print("dx:", dscores.shape)
    return loss, dscores.reshape(x.shape)
