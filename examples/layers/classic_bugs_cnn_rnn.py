"""Five classic slips in convolutional and recurrent layers, each forward
right and each backward wrong in one place, most of them invisible to a
check at one configuration:

    symbp grade-layers examples/layers/classic_bugs_cnn_rnn.py

* max_pool_backward_naive assigns the window's gradient (=) where windows
  add up (+=): right at cs231n's check (2 x 2 windows at stride 2, which
  never overlap), wrong wherever windows overlap;
* conv_backward_naive un-pads with a hard-coded [1:-1]: right at cs231n's
  check (pad = 1) only;
* Convolution (Deep Learning from Scratch's, with im2col) un-pads with
  [pad:-pad] in its col2im: an empty slice at pad = 0;
* conv_backward_im2col returns the filters' gradient flipped (rotated 180
  degrees), as a true convolution would have it;
* lstm_backward averages the weights' gradients over the time steps where
  they add up: right for a sequence of one step.

Written for symbp's examples; see docs/layers.md for what symbp says.
"""

import numpy as np
from dlfs_util import col2im, im2col


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, height, width = x.shape
    out = np.zeros((n, c, 1 + (height - ph) // stride, 1 + (width - pw) // stride))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + ph,
                                j * stride:j * stride + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c, out_h, out_w = dout.shape
    for k in range(n):
        for ch in range(c):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[k, ch, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    # slip: = where overlapping windows' gradients must add up (+=)
                    dx[k, ch, i * stride:i * stride + ph, j * stride:j * stride + pw] = \
                        (window == window.max()) * dout[k, ch, i, j]
    return dx


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, hh, ww = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h = 1 + (x_pad.shape[2] - hh) // stride
    out_w = 1 + (x_pad.shape[3] - ww) // stride
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x_pad[:, None, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = (window * w).sum(axis=(2, 3, 4)) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, hh, ww = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + hh), slice(j * stride, j * stride + ww)
            grad = dout[:, :, i, j][:, :, None, None, None]
            dw += (x_pad[:, None, :, rows, cols] * grad).sum(axis=0)
            dx_pad[:, :, rows, cols] += (w[None] * grad).sum(axis=1)
    dx = dx_pad[:, :, 1:-1, 1:-1]              # slip: the pad of cs231n's check, hard-coded
    return dx, dw, dout.sum(axis=(0, 2, 3))


def col2im_unpadded(col, input_shape, filter_h, filter_w, stride, pad):
    """col2im onto the padded image, then the padding cut off."""
    n, c, height, width = input_shape
    padded = col2im(col, (n, c, height + 2 * pad, width + 2 * pad), filter_h, filter_w, stride)
    return padded[:, :, pad:-pad, pad:-pad]    # slip: an empty slice when pad = 0


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        fn, _, fh, fw = self.W.shape
        out_h = 1 + (x.shape[2] + 2 * self.pad - fh) // self.stride
        out_w = 1 + (x.shape[3] + 2 * self.pad - fw) // self.stride
        self.x, self.col = x, im2col(x, fh, fw, self.stride, self.pad)
        self.col_W = self.W.reshape(fn, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(x.shape[0], out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(fn, c, fh, fw)
        return col2im_unpadded(dout @ self.col_W.T, self.x.shape, fh, fw, self.stride, self.pad)


def conv_forward_im2col(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    f, _, hh, ww = w.shape
    cols = im2col(x, hh, ww, stride, pad)
    out_h = 1 + (x.shape[2] + 2 * pad - hh) // stride
    out_w = 1 + (x.shape[3] + 2 * pad - ww) // stride
    out = (cols @ w.reshape(f, -1).T + b).reshape(x.shape[0], out_h, out_w, f)
    return out.transpose(0, 3, 1, 2), (x, w, conv_param, cols)


def conv_backward_im2col(dout, cache):
    x, w, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    f, _, hh, ww = w.shape
    rows = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (rows.T @ cols).reshape(w.shape)[:, :, ::-1, ::-1]   # slip: flipped, as for a convolution
    dx_pad = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad))
    dcols = (rows @ w.reshape(f, -1)).reshape(*x.shape[:1], *dout.shape[2:], x.shape[1], hh, ww)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx_pad[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += dcols[:, i, j]
    dx = dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, rows.sum(axis=0)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_forward(x, h0, Wx, Wh, b):
    n, steps, _ = x.shape
    size = h0.shape[1]
    h, c = np.zeros((n, steps, size)), np.zeros((n, size))
    caches, prev_h = [], h0
    for t in range(steps):
        a = x[:, t] @ Wx + prev_h @ Wh + b
        i, f, o = (_sigmoid(a[:, k * size:(k + 1) * size]) for k in range(3))
        g = np.tanh(a[:, 3 * size:])
        caches.append((x[:, t], prev_h, c, i, f, o, g))
        c = f * c + i * g
        prev_h = h[:, t] = o * np.tanh(c)
    return h, (caches, Wx, Wh)


def lstm_backward(dh, cache):
    caches, Wx, Wh = cache
    n, steps, size = dh.shape
    dx = np.zeros((n, steps, Wx.shape[0]))
    dWx, dWh, db = [], [], []
    dnext_h, dnext_c = np.zeros((n, size)), np.zeros((n, size))
    for t in reversed(range(steps)):
        x_t, prev_h, prev_c, i, f, o, g = caches[t]
        tanh_c = np.tanh(f * prev_c + i * g)
        dh_t = dh[:, t] + dnext_h
        dc = dnext_c + dh_t * o * (1 - tanh_c ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                        dh_t * tanh_c * o * (1 - o), dc * i * (1 - g ** 2)])
        dx[:, t] = da @ Wx.T
        dWx.append(x_t.T @ da)
        dWh.append(prev_h.T @ da)
        db.append(da.sum(axis=0))
        dnext_h, dnext_c = da @ Wh.T, dc * f
    # slip: the steps' contributions averaged, where they add up
    return dx, dnext_h, np.mean(dWx, axis=0), np.mean(dWh, axis=0), np.mean(db, axis=0)
