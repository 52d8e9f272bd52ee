"""Slips of layers whose outputs share inputs: windows that overlap, words
that repeat, filters that slide.

* ``overwrite``: a gradient where contributions that must add up (``+=``)
  were assigned (``=``), so that each entry keeps one of them, the one of
  the last output written.  The variant is built from the definition's
  sparse Jacobian (each output entry's derivative with respect to each input
  entry it is written in, :class:`symbp.layers.symbolic.Contributions`):
  for every input entry, the contribution ``dout[k] * d out[k] / d input``
  of the last output k that reaches it, outputs taken in row-major order
  (the loops of cs231n's naive code: ``for i ... for j``) or with the last
  two axes swapped (``for j ... for i``); or of the last output whose
  contribution is not zero (``dx[window][argmax] = dout``, ``dW[x] += dout``).
  Such a gradient is right exactly when no two outputs reach the same entry
  (pooling windows that do not overlap): where cs231n's checks look.
* ``flip``: a filter's gradient flipped along its spatial axes (rotated 180
  degrees): a true convolution where the layer is a cross-correlation.

>>> import numpy as np
>>> from symbp.layers import LAYERS
>>> layer = LAYERS["max_pool"]
>>> config = layer.default_config({"stride": 1, "H": 3, "W": 3, "N": 1, "C": 1})
>>> from symbp.layers.points import sample_point
>>> arrays, dout = sample_point(layer, config, seed=1)
>>> variants = _overwritten(layer, config, arrays, dout, "dx")
>>> len(variants), variants[0][0].shape
(4, (1, 1, 3, 3))
"""

from __future__ import annotations

import numpy as np

from symbp.layers.symbolic import contributions_for, truth_for
from symbp.verification.diagnosis import close


def _span(layer, config: dict, key: str) -> tuple[int, tuple]:
    """Where gradient ``key``'s entries start among every differentiated
    operand's, and its shape."""
    shapes, start = layer.shapes(config), 0
    for op in layer.operands:
        if op.grad == key:
            return start, shapes[op.name]
        if op.grad:
            start += int(np.prod(shapes[op.name]))
    raise KeyError(key)


def _orders(shape: tuple) -> list[tuple[np.ndarray, str]]:
    """Each output's rank in the orders outputs are written in: row-major,
    and with the last two axes swapped."""
    orders = [(np.arange(int(np.prod(shape))), "")]
    if len(shape) >= 2 and shape[-1] > 1 and shape[-2] > 1:
        swapped = np.arange(int(np.prod(shape))).reshape(*shape[:-2], shape[-1], shape[-2])
        orders.append((swapped.swapaxes(-1, -2).ravel(), " (columns outer, rows inner)"))
    return orders


def _overwritten(layer, config: dict, arrays: dict, dout, key: str) -> list:
    """``(variant, words)`` for each way of keeping one contribution per
    entry (module doc); empty when no two outputs reach an entry of ``key``."""
    outputs, inputs, values = contributions_for(layer, config)(arrays, config)
    start, shape = _span(layer, config, key)
    size = int(np.prod(shape))
    mine = (inputs >= start) & (inputs < start + size)
    outputs, inputs, values = outputs[mine], inputs[mine] - start, values[mine]
    if np.bincount(inputs, minlength=size).max(initial=0) < 2:
        return []
    upstream = np.ones(outputs.max(initial=0) + 1) if layer.loss else np.ravel(dout)
    contribution = values * upstream[outputs]
    variants = []
    for rank, order_words in _orders(truth_for(layer, config).out_shape):
        for nonzero in (False, True):
            kept = values != 0 if nonzero else np.ones(len(values), dtype=bool)
            entry, ranked, part = inputs[kept], rank[outputs[kept]], contribution[kept]
            order = np.lexsort((ranked, entry))
            last = np.r_[entry[order][1:] != entry[order][:-1], True]
            variant = np.zeros(size)
            variant[entry[order][last]] = part[order][last]
            what = "the last non-zero contribution" if nonzero else "the last contribution"
            variants.append((variant.reshape(shape), what + order_words))
    return variants


def overwrite(layer, config, arrays, dout, key: str, truth, claimed) -> dict | None:
    """The ``overwrite`` diagnosis of ``claimed``, or None (module doc).

    cs231n's naive max-pool backward with ``=`` where ``+=`` is needed, on
    2 x 2 windows at stride 1 (they overlap):

    >>> from symbp.layers import LAYERS
    >>> from symbp.layers.points import sample_point
    >>> layer = LAYERS["max_pool"]
    >>> config = layer.default_config({"stride": 1, "H": 3, "W": 3, "N": 1, "C": 1})
    >>> arrays, dout = sample_point(layer, config, seed=1)
    >>> x, dx = arrays["x"][0, 0], np.zeros((3, 3))
    >>> for i, j in np.ndindex(2, 2):
    ...     a, b = np.unravel_index(x[i:i + 2, j:j + 2].argmax(), (2, 2))
    ...     dx[i + a, j + b] = dout[0, 0, i, j]
    >>> truth = truth_for(layer, config)(arrays, config, dout)[1]["dx"]
    >>> overwrite(layer, config, arrays, dout, "dx", truth, dx.reshape(1, 1, 3, 3))["text"]
    "dx keeps, at each entry, only the last contribution of the outputs that reach it, where they add up (= where += is needed): right only when pooling windows do not overlap (stride >= pool size, as in cs231n's check: 2 x 2 at stride 2)."
    """
    if not layer.overwrite:
        return None
    for variant, what in _overwritten(layer, config, arrays, dout, key):
        if not close(variant, truth).all() and close(variant, claimed).all():
            return {"kind": "overwrite", "text": (
                f"{key} keeps, at each entry, only {what} of the outputs that reach it, where "
                f"they add up (= where += is needed): {layer.overwrite}.")}
    return None


_FLIPS = (((-2, -1), "rotated 180 degrees (flipped along both spatial axes)"),
          ((-2,), "flipped along its height axis"), ((-1,), "flipped along its width axis"))


def flipped(key: str, truth, claimed) -> dict | None:
    """The ``flip`` diagnosis: ``claimed`` is ``truth`` reversed along its
    last two (spatial) axes or one of them.

    >>> truth = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> flipped("dw", truth, truth[..., ::-1, ::-1])["text"]
    "dw is the truth rotated 180 degrees (flipped along both spatial axes): a true convolution's filter gradient, where the forward (a cross-correlation) does not flip the filter?"
    >>> flipped("dw", truth, truth) is None
    True
    """
    if truth.ndim < 3:
        return None
    for axes, words in _FLIPS:
        variant = np.flip(truth, axis=axes)
        if not close(variant, truth).all() and close(variant, claimed).all():
            why = ": a true convolution's filter gradient, where the forward (a " \
                  "cross-correlation) does not flip the filter?" if key.startswith("dw") else ""
            return {"kind": "flip", "axes": list(axes), "text": f"{key} is the truth {words}{why}"}
    return None
