"""Convolution and max pooling over images ``x`` of N x C x H x W.

As cs231n's ``conv_forward_naive`` and *Deep Learning from Scratch*'s
``Convolution``: F filters ``w`` of C x HH x WW (FN x C x FH x FW in the
book) slide over ``x`` zero-padded by ``pad`` on each side, ``stride`` apart;
each output is the window's entries times the filter's, summed, plus the
filter's bias (a cross-correlation: the filter is not flipped).  H' = 1 + (H +
2 pad - HH) / stride must be a whole number, as cs231n asserts; only such
configurations are drawn.

Max pooling (``max_pool_forward_naive``, the book's ``Pooling``) takes the
largest entry of each pool_height x pool_width window, ``stride`` apart,
without padding.  Windows overlap when the stride is smaller than the pool:
that is where a backward that assigns (``=``) instead of adding (``+=``)
goes wrong, and where cs231n's notebook check (2 x 2 at stride 2) does not
look.  Points with two entries of a window within 1e-3 of its maximum are
redrawn (a tie has no derivative).
"""

from __future__ import annotations

import numpy as np

from symbp.layers.grid import Grid
from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Size


def _spatial(name: str, default: int, window: str, padded: bool) -> Size:
    """H or W: a whole number of strides from one window to the last."""
    if padded:
        def fits(value, c):
            span = value + 2 * c["pad"] - c[window]
            return span >= 0 and span % c["stride"] == 0
        rule = f"{name} + 2 pad - {window} must be a whole number (>= 0) of strides"
    else:
        def fits(value, c):
            return value >= c[window] and (value - c[window]) % c["stride"] == 0
        rule = f"{name} - {window} must be a whole number (>= 0) of strides"
    return Size(name, 1, 5 if padded else 6, default=default, fits=fits,
                rule=rule + " (cs231n asserts it)")


def _out_size(config: dict, axis: str) -> int:
    """H' (``axis`` "H") or W' of a convolution or pooling configuration."""
    window = {"H": "HH", "W": "WW"}[axis] if "HH" in config else \
        {"H": "pool_height", "W": "pool_width"}[axis]
    return 1 + (config[axis] + 2 * config.get("pad", 0) - config[window]) // config["stride"]


def _image(grad: str = "dx") -> Operand:
    shape = lambda c: (c["N"], c["C"], c["H"], c["W"])
    return Operand("x", shape, shape, grad)


def _windows(image: Grid, height: int, width: int, stride: int, each) -> Grid:
    """``each(window)`` (N x ... x 1 x 1 or N x F) for every window position,
    arranged as N x . x H' x W'."""
    rows = []
    for i in range(1 + (image.shape[2] - height) // stride):
        row = []
        for j in range(1 + (image.shape[3] - width) // stride):
            window = image[:, :, i * stride:i * stride + height, j * stride:j * stride + width]
            row.append(each(window))
        rows.append(Grid.stack(row, axis=-1))
    return Grid.stack(rows, axis=-2)


# -- convolution -----------------------------------------------------------------------

def _unreached(config) -> frozenset:
    """dx and dw are identically zero when every window lies in the padding
    (pad 1 around an image of one row, windows of one row at stride 2)."""
    def reached(axis, window):
        return any(i * config["stride"] < config["pad"] + config[axis] and
                   i * config["stride"] + config[window] > config["pad"]
                   for i in range(_out_size(config, axis)))
    return frozenset() if reached("H", "HH") and reached("W", "WW") else frozenset({"dx", "dw"})


def _conv(_ops, x, w, b, stride, pad):
    padded = x.pad(((0, 0), (0, 0), (pad, pad), (pad, pad)))
    filters, _, height, width = w.shape
    flat = w.reshape(filters, -1).T
    return {"out": _windows(padded, height, width, stride,
                            lambda window: window.reshape(window.shape[0], -1) @ flat + b)}


def _pad(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _conv_forward(arrays, config):
    x, w, b = arrays["x"], arrays["w"], arrays["b"]
    stride, padded = config["stride"], _pad(x, config["pad"])
    _, _, height, width = w.shape
    out = np.empty((len(x), len(w), _out_size(config, "H"), _out_size(config, "W")))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = padded[:, :, i * stride:i * stride + height, j * stride:j * stride + width]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def _conv_backward(arrays, config, dout):
    x, w = arrays["x"], arrays["w"]
    stride, pad = config["stride"], config["pad"]
    padded = _pad(x, pad)
    dpadded, dw = np.zeros_like(padded), np.zeros_like(w)
    _, _, height, width = w.shape
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + height)
            cols = slice(j * stride, j * stride + width)
            dw += np.tensordot(dout[:, :, i, j], padded[:, :, rows, cols], axes=([0], [0]))
            dpadded[:, :, rows, cols] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    dx = dpadded[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return {"dx": dx, "dw": dw, "db": dout.sum(axis=(0, 2, 3))}


def _filters(c):
    return (c["F"], c["C"], c["HH"], c["WW"])


CONV = Layer(
    "conv", "convolution: F filters of C x HH x WW, stride, zero padding pad",
    operands=(_image(), Operand("w", _filters, _filters, "dw"),
              Operand("b", lambda c: (c["F"],), lambda c: (1, c["F"]), "db")),
    sizes=(Size("N", 1, 4, default=2), Size("C", 1, 3, default=2), Size("F", 1, 3, default=2),
           Size("HH", 1, 3, default=3, path=True), Size("WW", 1, 3, default=3, path=True),
           Size("stride", 1, 3, default=1, counts=False, path=True),
           Size("pad", 0, 2, minimum=0, default=1, counts=False, path=True),
           _spatial("H", 4, "HH", padded=True), _spatial("W", 4, "WW", padded=True)),
    define=_conv, forward=_conv_forward, backward=_conv_backward, cse=False,
    vacuous=_unreached,
    overwrite="right only where no two outputs reach the same entry (one filter, one "
              "sample, windows that do not overlap)",
    cs231n=Cs231n("conv_forward_naive", ("conv_backward_naive",),
                  lambda a, c: (a["x"], a["w"], a["b"], {"stride": c["stride"], "pad": c["pad"]}),
                  ("dx", "dw", "db"),
                  also=(("conv_forward_im2col", "conv_backward_im2col"),
                        ("conv_forward_strides", "conv_backward_strides"),
                        ("conv_forward_fast", "conv_backward_fast"))),
    dlfs=Dlfs("Convolution", init=lambda a, c: (a["w"], a["b"], c["stride"], c["pad"]),
              forward=lambda a, _c: (a["x"],), returns=("dx",),
              attributes={"dW": "dw", "db": "db"}))


# -- max pooling -----------------------------------------------------------------------

def _max_pool(ops, x, pool_height, pool_width, stride):
    return {"out": _windows(x, pool_height, pool_width, stride,
                            lambda window: ops.max(window, axis=(2, 3))[:, :, 0, 0])}


def _pool_windows(arrays, config):
    """Each window position ``(rows, cols)`` and the window (N x C x ph x pw)."""
    x, stride = arrays["x"], config["stride"]
    for i in range(_out_size(config, "H")):
        for j in range(_out_size(config, "W")):
            rows = slice(i * stride, i * stride + config["pool_height"])
            cols = slice(j * stride, j * stride + config["pool_width"])
            yield (i, j, rows, cols), x[:, :, rows, cols]


def _pool_forward(arrays, config):
    x = arrays["x"]
    out = np.empty((*x.shape[:2], _out_size(config, "H"), _out_size(config, "W")))
    for (i, j, _, _), window in _pool_windows(arrays, config):
        out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def _pool_backward(arrays, config, dout):
    dx = np.zeros_like(arrays["x"], dtype=float)
    for (i, j, rows, cols), window in _pool_windows(arrays, config):
        largest = window == window.max(axis=(2, 3), keepdims=True)
        dx[:, :, rows, cols] += largest * dout[:, :, i, j][:, :, None, None]
    return {"dx": dx}


def _pool_gap(arrays, config) -> float:
    """How close the runner-up of any window comes to its maximum."""
    gaps = [np.inf]
    for _, window in _pool_windows(arrays, config):
        flat = np.sort(window.reshape(*window.shape[:2], -1), axis=-1)
        if flat.shape[-1] > 1:
            gaps.append(float(np.min(flat[..., -1] - flat[..., -2])))
    return min(gaps)


MAX_POOL = Layer(
    "max_pool", "max pooling: the largest entry of each pool_height x pool_width window",
    operands=(_image(),),
    sizes=(Size("N", 1, 4, default=2), Size("C", 1, 3, default=2),
           Size("pool_height", 1, 3, default=2, path=True),
           Size("pool_width", 1, 3, default=2, path=True),
           Size("stride", 1, 3, default=2, counts=False, path=True),
           _spatial("H", 4, "pool_height", padded=False),
           _spatial("W", 4, "pool_width", padded=False)),
    define=_max_pool, forward=_pool_forward, backward=_pool_backward,
    kink_distance=_pool_gap,
    overwrite="right only when pooling windows do not overlap (stride >= pool size, as in "
              "cs231n's check: 2 x 2 at stride 2)",
    cs231n=Cs231n("max_pool_forward_naive", ("max_pool_backward_naive",),
                  lambda a, c: (a["x"], {"pool_height": c["pool_height"],
                                         "pool_width": c["pool_width"], "stride": c["stride"]}),
                  ("dx",),
                  also=(("max_pool_forward_fast", "max_pool_backward_fast"),
                        ("max_pool_forward_im2col", "max_pool_backward_im2col"))),
    dlfs=Dlfs("Pooling", init=lambda _a, c: (c["pool_height"], c["pool_width"], c["stride"]),
              forward=lambda a, _c: (a["x"],), returns=("dx",)))
