"""Configurations checked and points drawn for a layer.

A configuration is a plain dict of the layer's sizes and parameters
(``{"N": 3, "D": 2, "eps": 1e-5}``); a point is one array per operand and
an upstream gradient ``dout``.  Points are drawn from a seed: reals from a
standard normal, labels uniformly, a dropout mask keeping each unit with
probability ``p``, flags (a temporal loss's mask) True with probability
3/4, probabilities (nnfs's losses' predictions) as the softmax or the
sigmoid of normal draws, binary targets 0 or 1 with probability 1/2.  A
point within 1e-3 of a kink (relu at 0, an SVM margin at 0, a tie in a
pool window) is redrawn, and so is one where a gradient that is not zero
for every point of the configuration happens to be all zeros (a relu dead
on every unit): such a point would test nothing.

>>> from symbp.layers import LAYERS
>>> arrays, dout = sample_point(LAYERS["relu"], {"N": 2, "D": 3}, seed=0)
>>> arrays["x"].shape, dout.shape
((2, 3), (2, 3))
"""

from __future__ import annotations

from math import prod

import numpy as np

from symbp.errors import LayerError

KINK_MARGIN = 1e-3
ATTEMPTS = 50
MAX_SIZE = 16          # any one size
MAX_ENTRIES = 600      # every operand's entries together: the derivation is entry by entry
# A parameter (eps, reg) beyond this is no layer anyone trains, and float64
# overflows in the objective long before 1e308 (reg = 1e308 over w ** 2)
MAX_PARAMETER = 1e6


def check_config(layer, config: dict) -> dict:
    """``config`` completed (parameters that follow others) and checked: every
    size given and within its limits, no unknown key; a LayerError otherwise.

    >>> from symbp.layers import LAYERS
    >>> check_config(LAYERS["dropout"], {"N": 2, "D": 3, "p": 0.5})
    {'N': 2, 'D': 3, 'p': 0.5, 'scale': 2.0}
    >>> check_config(LAYERS["dropout"], {"N": 2, "D": 3, "p": 1.5})
    Traceback (most recent call last):
    ...
    symbp.errors.LayerError: dropout's p = 1.5 is not allowed; p is a probability in (0, 1).
    """
    known = layer.config_names() | {"seed"}
    unknown = sorted(set(config) - known)
    if unknown:
        raise LayerError(f"{layer.name} has no {', '.join(unknown)}; its configuration is "
                         f"{', '.join(sorted(known - {'seed'}))}")
    config = dict(config)
    for size in layer.sizes:
        if size.name not in config:
            raise LayerError(f"{layer.name} needs its size {size.name}")
        if size.dims and not isinstance(config[size.name], (tuple, list)):
            config[size.name] = (config[size.name],)   # d=6: one trailing dimension
        values = tuple(config[size.name]) if size.dims else (config[size.name],)
        if size.dims and not values:
            raise LayerError(f"{layer.name}'s {size.name} needs at least one size")
        for value in values:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise LayerError(f"{layer.name}'s {size.name} = {value!r} is not a size; "
                                 f"expected an integer from {size.minimum} to {MAX_SIZE}")
            if not size.minimum <= value <= MAX_SIZE:
                raise LayerError(f"{layer.name}'s {size.name} = {value} is outside "
                                 f"{size.minimum}..{MAX_SIZE}")
        if size.fits is not None and not size.fits(config[size.name], config):
            raise LayerError(f"{layer.name}'s {size.name} = {config[size.name]} does not fit "
                             f"{_sizes(layer, config, before=size.name)}: {size.rule}")
    # the parameters given are checked before those that follow them are
    # computed from them (dropout's scale = 1/p, with p = 0 or p = [2, 2])
    for p in layer.parameters:
        if p.name in config:
            config[p.name] = _parameter(layer, p.name, config[p.name])
    config = layer.complete(config)
    for p in layer.parameters:
        config[p.name] = _parameter(layer, p.name, config.get(p.name, p.default))
    entries = sum(prod(op.grid(config)) for op in layer.operands)
    if entries > MAX_ENTRIES:
        raise LayerError(f"{layer.name} with {_sizes(layer, config)} has {entries} entries; "
                         f"symbp derives layers of up to {MAX_ENTRIES} entries")
    return config


def _parameter(layer, name: str, value) -> float:
    """A parameter's value as a float, or a LayerError: a real number, finite,
    >= 0, and for dropout's keep probability ``p`` in (0, 1)."""
    real = isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))
    if not real or not np.isfinite(value) or not 0 <= value <= MAX_PARAMETER or \
            (name == "p" and not 0 < value < 1):
        shown = value if real else repr(value)
        raise LayerError(f"{layer.name}'s {name} = {shown} is not allowed"
                         + ("; p is a probability in (0, 1)" if name == "p" else
                            f"; it is a number from 0 to {MAX_PARAMETER:g}"))
    return float(value)


def _sizes(layer, config, before: str | None = None) -> str:
    names = [s.name for s in layer.sizes]
    sizes = layer.sizes[:names.index(before)] if before else layer.sizes
    return ", ".join(f"{s.name} = " + ("x".join(map(str, config[s.name])) if s.dims
                                         else str(config[s.name])) for s in sizes)


def _draw_arrays(layer, config: dict, rng) -> dict:
    """One array per operand, drawn as the module doc says (kinks not avoided)."""
    arrays = {}
    for op in layer.operands:
        shape = tuple(op.shape(config))
        if op.kind == "labels":
            arrays[op.name] = rng.integers(0, op.grid(config)[-1], size=shape)
        elif op.kind == "flags":
            flags = rng.random(shape) < 0.75
            flags.flat[rng.integers(flags.size)] = True    # at least one counts
            arrays[op.name] = flags
        elif op.kind == "mask":
            mask = (rng.random(shape) < config["p"]).astype(float)
            mask.flat[rng.integers(mask.size)] = 1.0   # at least one unit kept
            arrays[op.name] = mask
        elif op.kind == "binary":
            arrays[op.name] = (rng.random(shape) < 0.5).astype(float)
        elif op.kind == "probs":
            exps = np.exp(rng.normal(size=shape))
            arrays[op.name] = exps / exps.sum(axis=-1, keepdims=True)
        elif op.kind == "unit":
            arrays[op.name] = 1.0 / (1.0 + np.exp(-rng.normal(size=shape)))
        else:
            arrays[op.name] = rng.normal(size=shape)
    return arrays


def sample_point(layer, config: dict, seed: int = 0):
    """``(arrays, dout)`` for ``config`` from ``seed``, redrawn away from kinks
    and from points where a gradient is all zeros by accident (module doc);
    ``dout`` is 1.0 for a loss.

    >>> from symbp.layers import LAYERS
    >>> arrays, dout = sample_point(LAYERS["relu"], {"N": 3, "D": 4}, seed=5)
    >>> bool(np.abs(arrays["x"]).min() >= KINK_MARGIN)   # no x near relu's kink
    True
    >>> sample_point(LAYERS["svm_loss"], {"N": 2, "C": 3})[1]
    1.0
    """
    from symbp.layers.symbolic import truth_for
    rng = np.random.default_rng(seed)
    always_zero = layer.vacuous(config)
    undefined = 0
    for _ in range(ATTEMPTS):
        arrays = _draw_arrays(layer, config, rng)
        if layer.kink_distance(arrays, config) < KINK_MARGIN:
            continue
        with np.errstate(all="ignore"):
            out = layer.forward(arrays, config)
            dout = 1.0 if layer.loss else rng.normal(size=np.shape(out))
            _, grads = truth_for(layer, config)(arrays, config, dout)
        if not np.all(np.isfinite(out)) or \
                not all(np.all(np.isfinite(grad)) for grad in grads.values()):
            undefined += 1     # eps = 0 over a variance of 0: 0 / 0
            continue
        if all(grads[key].any() or key in always_zero for key in grads):
            return arrays, dout
    if undefined == ATTEMPTS:
        raise LayerError(f"{layer.name} with {_sizes(layer, config)} and "
                         f"{_numbers(layer, config)} is undefined (NaN or infinite) at every "
                         "point drawn: a division by zero, such as eps = 0 over a variance "
                         "of 0, or a number too large for float64?")
    raise LayerError(f"no point of {layer.name} with {_sizes(layer, config)} away from its "
                     f"kinks and with every gradient not all zeros in {ATTEMPTS} draws "
                     f"from seed {seed}")


def _numbers(layer, config) -> str:
    return ", ".join(f"{p.name} = {config[p.name]:g}" for p in layer.parameters
                     if p.name in config) or "its parameters"
