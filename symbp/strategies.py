"""Hypothesis strategies for networks and points, for property-based tests.

In the style of ``hypothesis.extra.numpy``: every field accepts a value or a
strategy.  ``networks()`` varies the shape only (depth, widths, batch); the
other fields take the Network defaults unless given, so a test varies only
what the code under test handles (contract section 6).

>>> from hypothesis import given, strategies as st
>>> from symbp.strategies import networks
>>> @given(networks(hidden=st.sampled_from(["tanh", "relu"]), depth=2, max_width=8))
... def test_shapes(net):
...     assert net.depth == 2 and net.reduction == "mean" and net.bias

>>> from symbp.strategies import layer_configs
>>> @given(layer_configs("batchnorm", D=3))
... def test_batchnorm_configs(config):
...     assert config["D"] == 3 and config["N"] >= 2
"""

from __future__ import annotations

import dataclasses

from hypothesis import reject
from hypothesis import strategies as st

from symbp.errors import NetworkError
from symbp.layers import layer_named
from symbp.network import Network
from symbp.tables import ACTIVATIONS, LAYOUTS, LOSSES, REDUCTIONS

HIDDEN = tuple(name for name, a in ACTIVATIONS.items() if not a.output_only)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Network) if f.name != "layers"}


def _as_strategy(value):
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def least_output_units(output: str, loss: str) -> int:
    """The fewest output units with which a network can test anything: the
    loss's own least (bce after softmax: 2), and 2 for any normalising output
    (a one-unit softmax is 1 whatever its input; every gradient is 0).

    >>> least_output_units("softmax", "cce"), least_output_units("sigmoid", "cce")
    (2, 1)
    """
    least = LOSSES[loss].min_units.get(output, 1)
    return max(least, 1 if ACTIVATIONS[output].elementwise else 2)


@st.composite
def networks(draw, *, depth=None, width=None, batch=None, max_depth: int = 4,
             max_width: int = 5, max_batch: int = 4, **fields) -> Network:
    """Networks whose shape varies: depth 1 to ``max_depth``, each width 1
    to ``max_width``, batch 1 to ``max_batch``; ``depth``, ``width`` (every
    layer's) and ``batch`` fix or draw them instead, ``layers`` fixes the
    whole shape.  Every other field (``hidden``, ``output``, ``loss``,
    ``reduction``, ``layout``, ``bias``, ``targets``, ``l2``) is the Network
    default unless given, as a value or a strategy.  A network that cannot
    test anything (a one-unit softmax) is never drawn: the output layer gets
    the units its output and loss need.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(networks(depth=2, hidden="relu", output="softmax", loss="cce"))
    ... def test_drawn(net):
    ...     assert len(net.layers) == 3 and net.layers[-1] >= 2
    >>> test_drawn()
    """
    unknown = set(fields) - set(_DEFAULTS) - {"layers"}
    if unknown:
        raise TypeError(f"networks() got unknown fields {sorted(unknown)}; expected "
                        "layers, " + ", ".join(_DEFAULTS) + ", depth, width, batch, "
                        "max_depth, max_width, max_batch")
    values = {name: draw(_as_strategy(value)) for name, value in fields.items()
              if name != "layers"}
    if batch is not None:
        values["batch"] = draw(_as_strategy(batch))
    values.setdefault("batch", draw(st.integers(1, max_batch)))
    output = values.get("output", _DEFAULTS["output"])
    loss = str(values.get("loss", _DEFAULTS["loss"]))
    if "layers" in fields:
        layers = list(draw(_as_strategy(fields["layers"])))
    else:
        depth = draw(_as_strategy(depth) if depth is not None else st.integers(1, max_depth))
        widths = _as_strategy(width) if width is not None else st.integers(1, max_width)
        layers = [draw(widths) for _ in range(depth + 1)]
        if output in ACTIVATIONS and loss in LOSSES:
            layers[-1] = max(layers[-1], least_output_units(output, loss))
    try:
        net = Network(layers=layers, **values)
    except NetworkError:
        reject()   # a pairing the contract refuses (bce after identity, say)
    if net.untestable() is not None:
        reject()
    return net


def all_networks(**fields):
    """Networks whose configuration varies too: every hidden activation,
    every loss with an output activation it allows, both reductions and
    layouts, with and without biases (targets soft, no weight decay); any
    field given (a value or a strategy) is passed on to :func:`networks`.

    >>> from hypothesis import given
    >>> @given(all_networks(max_depth=2))
    ... def test_any(net):
    ...     assert net.depth <= 2
    """
    def with_loss(loss):
        drawn = {"hidden": st.sampled_from(HIDDEN), "reduction": st.sampled_from(REDUCTIONS),
                 "layout": st.sampled_from(LAYOUTS), "bias": st.booleans(),
                 "output": st.sampled_from(LOSSES[loss].outputs or tuple(ACTIVATIONS))}
        return networks(**{**drawn, "loss": loss, **fields})
    return _as_strategy(fields.pop("loss", st.sampled_from(sorted(LOSSES)))).flatmap(with_loss)


def points(net: Network):
    """Points for ``net``, kinks avoided: each drawn from a seed via ``net.sample``.

    >>> from hypothesis import given, settings
    >>> net = Network(layers=[2, 2])
    >>> @settings(max_examples=5)
    ... @given(points(net))
    ... def test_keys(point):
    ...     assert sorted(point) == ["W1", "b1", "x", "y"]
    >>> test_keys()
    """
    return st.integers(0, 2**32 - 1).map(net.sample)


MAX_DIMS = 2   # affine's x: N x d1 (x d2)


def layer_configs(layer, **fixed):
    """Configurations of a catalogue layer (``"batchnorm"`` or its entry):
    every size and parameter the layer has, drawn from its ranges and choices
    (sizes where a gradient is identically zero, such as batch norm's N = 1,
    are left out), except those given in ``fixed`` (values or strategies).
    Only valid configurations are drawn: a size that must fit the ones
    before it (a convolution's H: a whole number of output rows) is drawn
    among the values that do; one given in ``fixed`` that does not is rejected.

    >>> from hypothesis import given
    >>> @given(layer_configs("conv", stride=2))
    ... def test_conv_configs(config):
    ...     assert (config["H"] + 2 * config["pad"] - config["HH"]) % 2 == 0
    """
    layer = layer_named(layer) if isinstance(layer, str) else layer
    drawn = layer.config_names()
    unknown = set(fixed) - drawn - {"seed"}
    if unknown:
        raise TypeError(f"layer_configs({layer.name!r}) got unknown fields {sorted(unknown)}; "
                        f"expected among {sorted(drawn)}")

    @st.composite
    def configs(draw) -> dict:
        config = {name: draw(_as_strategy(value)) for name, value in fixed.items()}
        for size in layer.sizes:
            if size.name in config:
                if size.fits is not None and not size.fits(config[size.name], config):
                    reject()
                continue
            values = None if size.fits is None else size.fitting(config)
            if values == []:
                reject()
            one = st.integers(size.low, size.high) if values is None else st.sampled_from(values)
            config[size.name] = tuple(draw(st.lists(one, min_size=1, max_size=MAX_DIMS))) \
                if size.dims else draw(one)
        for p in layer.parameters:
            if p.name not in config and p.follows is None:
                config[p.name] = draw(st.sampled_from(p.choices))
        return layer.complete(config)

    return configs()
