"""im2col and col2im as *Deep Learning from Scratch*'s ``common/util.py``
has them: every filter window of a batch of images as one row, and back.

Written for symbp's examples (not copied from the book).
"""

import numpy as np


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N * out_h * out_w, C * filter_h * filter_w)."""
    n, c, height, width = input_data.shape
    out_h = (height + 2 * pad - filter_h) // stride + 1
    out_w = (width + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x] = img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The inverse arrangement of im2col, adding where windows overlap."""
    n, c, height, width = input_shape
    out_h = (height + 2 * pad - filter_h) // stride + 1
    out_w = (width + 2 * pad - filter_w) // stride + 1
    col = col.reshape(n, out_h, out_w, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, height + 2 * pad + stride - 1, width + 2 * pad + stride - 1))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride] += col[:, :, y, x]
    return img[:, :, pad:height + pad, pad:width + pad]
