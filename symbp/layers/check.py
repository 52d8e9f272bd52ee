"""Three sources of a layer's gradients, compared: ``symbp check --layer``.

The truth (the vector-Jacobian product SymPy/SymEngine derive from the
layer's definition), symbp's own hand-coded NumPy backward, and central
finite differences of symbp's NumPy forward must agree on every gradient,
as for networks (:mod:`symbp.sources.check`): the backward within 1e-9 and
finite differences within 1e-5 of each gradient's largest entry, or within
rounding of the objective's size where a gradient vanishes.  The
NumPy forward is compared with the definition's output too.

>>> from symbp.layers import LAYERS
>>> compare_layer(LAYERS["batchnorm"], {"N": 3, "D": 2}).agree
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.layers.points import check_config, sample_point
from symbp.layers.symbolic import truth_for
from symbp.sources.check import (
    BACKPROP_TOLERANCE,
    FINITE_TOLERANCE,
    ParameterCheck,
    finite_floor,
    rounding_floor,
    scaled_difference,
)
from symbp.sources.finite import central_differences


def _finite_gradients(layer, arrays: dict, config: dict, dout, on_entry=None) -> dict:
    """Every gradient by central differences of ``sum(dout * forward)`` (the
    loss itself for a loss layer), symbp's NumPy forward."""
    values = {name: np.array(array, copy=True) for name, array in arrays.items()}

    def objective() -> float:
        out = layer.forward(values, config)
        return float(out) if layer.loss else float(np.sum(dout * out))

    return {op.grad: central_differences(objective, values[op.name], on_entry=on_entry)
            for op in layer.operands if op.grad}


@dataclass(frozen=True)
class LayerCheck:
    """The three sources of one layer at one point: ``keys`` holds one
    :class:`~symbp.sources.check.ParameterCheck` per gradient.

    >>> from symbp.layers import LAYERS
    >>> report = compare_layer(LAYERS["relu"], {"N": 2, "D": 3})
    >>> [k.key for k in report.keys], report.to_json()["tolerances"]
    (['dx'], {'backprop': 1e-09, 'finite': 1e-05})
    """

    layer: object
    config: dict
    seed: int
    forward_abs: float
    forward_rel: float
    keys: list

    @property
    def agree(self) -> bool:
        return self.forward_rel <= BACKPROP_TOLERANCE and all(k.agree for k in self.keys)

    def to_json(self) -> dict:
        return {"layer": self.layer.name, "config": self.config, "seed": self.seed,
                "agree": self.agree,
                "tolerances": {"backprop": BACKPROP_TOLERANCE, "finite": FINITE_TOLERANCE},
                "forward": {"abs": self.forward_abs, "rel": self.forward_rel},
                "gradients": [{"key": k.key, "agree": k.agree,
                               "backward": {"abs": k.backprop_abs, "rel": k.backprop_rel},
                               "finite_differences": {"abs": k.finite_abs, "rel": k.finite_rel}}
                              for k in self.keys]}


def entry_count(layer, config: dict) -> int:
    """How many entries finite differences perturb (for a progress bar).

    >>> from symbp.layers import LAYERS
    >>> entry_count(LAYERS["affine"], {"N": 2, "d": (2, 2), "M": 3})  # x 2x2x2, w 4x3, b 3
    23
    """
    shapes = layer.shapes(layer.complete(config))
    return sum(int(np.prod(shapes[op.name])) for op in layer.operands if op.grad)


def compare_layer(layer, config: dict | None = None, *, seed: int = 0,
                  progress=None) -> LayerCheck:
    """Truth vs symbp's backward vs finite differences for ``layer`` at the
    point of ``seed`` (``config`` default: ``layer.default_config()``);
    ``progress(done)`` follows the finite differences entry by entry.

    >>> from symbp.layers import LAYERS
    >>> report = compare_layer(LAYERS["affine"], {"N": 2, "d": (3,), "M": 2}, seed=1)
    >>> report.agree, [k.key for k in report.keys]
    (True, ['dx', 'dw', 'db'])
    >>> max(k.finite_rel for k in report.keys) < 1e-5
    True
    """
    config = check_config(layer, layer.default_config() if config is None else config)
    arrays, dout = sample_point(layer, config, seed)
    out, truth = truth_for(layer, config)(arrays, config, dout)
    own = layer.backward(arrays, config, dout)
    done = [0]

    def on_entry():
        done[0] += 1
        progress(done[0])

    finite = _finite_gradients(layer, arrays, config, dout, progress and on_entry)
    forward = scaled_difference(np.atleast_1d(out), np.atleast_1d(layer.forward(arrays, config)))
    # where a gradient (nearly) vanishes (batch norm's dx at N = 2) relative
    # differences measure rounding: as for networks, absolute floors from the
    # size of the objective's terms, sum |dout * out| (the loss for a loss)
    size = float(np.sum(np.abs(np.asarray(dout) * np.asarray(out))))
    keys = [ParameterCheck(key, *scaled_difference(truth[key], np.asarray(own[key])),
                           *scaled_difference(truth[key], finite[key]),
                           backprop_floor=rounding_floor(size), finite_floor=finite_floor(size))
            for key in truth]
    return LayerCheck(layer, config, seed, *forward, keys)
