"""Hypothesis strategies for networks and points, for property-based tests.

In the style of ``hypothesis.extra.numpy``: small functions that accept
values or strategies for each field and compose with ``@composite``.

>>> from hypothesis import given
>>> from symbp.strategies import networks
>>> @given(networks(hidden="tanh", output="identity", loss="half_sse"))
... def test_shapes(net):
...     assert net.hidden == "tanh"

>>> from symbp.strategies import layer_configs
>>> @given(layer_configs("batchnorm", D=3))
... def test_batchnorm_configs(config):
...     assert config["D"] == 3 and config["N"] >= 2
"""

from __future__ import annotations

from hypothesis import reject
from hypothesis import strategies as st

from symbp.layers import layer_named
from symbp.network import Network
from symbp.tables import ACTIVATIONS, LAYOUTS, LOSSES, REDUCTIONS

HIDDEN = tuple(name for name, a in ACTIVATIONS.items() if not a.output_only)


def _as_strategy(value):
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


@st.composite
def networks(draw, *, depth=None, width=None, batch=None, max_depth: int = 4,
             max_width: int = 5, max_batch: int = 4, **fixed) -> Network:
    """Networks that keep the fields given in ``fixed`` (values or strategies)
    and vary the rest: depth, widths, batch, and activations, loss, layout,
    reduction and bias where not fixed.

    ``layers`` fixed keeps the whole shape; ``depth`` (a value or strategy)
    keeps only the depth and varies widths.  Loss/output pairings always
    follow the contract (bce, cce need a sigmoid or softmax output).
    """
    unknown = set(fixed) - {"layers", "hidden", "output", "loss", "batch", "reduction",
                            "layout", "bias"}
    if unknown:
        raise TypeError(f"networks() got unknown fields {sorted(unknown)}; expected "
                        "layers, hidden, output, loss, batch, reduction, layout, bias")
    if batch is not None:
        fixed.setdefault("batch", batch)
    loss = draw(_as_strategy(fixed["loss"]) if "loss" in fixed else st.sampled_from(sorted(LOSSES)))
    allowed_outputs = LOSSES[loss].outputs or tuple(ACTIVATIONS)
    output = draw(_as_strategy(fixed["output"]) if "output" in fixed
                  else st.sampled_from(allowed_outputs))
    hidden = draw(_as_strategy(fixed.get("hidden", st.sampled_from(HIDDEN))))
    if "layers" in fixed:
        layers = list(draw(_as_strategy(fixed["layers"])))
    else:
        depth = draw(_as_strategy(depth) if depth is not None
                     else st.integers(1, max_depth))
        widths = _as_strategy(width) if width is not None else st.integers(1, max_width)
        layers = [draw(widths) for _ in range(depth + 1)]
        layers[-1] = max(layers[-1], LOSSES[loss].min_units.get(output, 1))
    return Network(
        layers=layers, hidden=hidden, output=output, loss=loss,
        batch=draw(_as_strategy(fixed.get("batch", st.integers(1, max_batch)))),
        reduction=draw(_as_strategy(fixed.get("reduction", st.sampled_from(REDUCTIONS)))),
        layout=draw(_as_strategy(fixed.get("layout", st.sampled_from(LAYOUTS)))),
        bias=draw(_as_strategy(fixed.get("bias", st.booleans()))))


def points(net: Network):
    """Points for ``net``, kinks avoided: each drawn from a seed via ``net.sample``."""
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
