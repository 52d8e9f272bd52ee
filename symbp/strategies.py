"""Hypothesis strategies for networks and points, for property-based tests.

In the style of ``hypothesis.extra.numpy``: small functions that accept
values or strategies for each field and compose with ``@composite``.

>>> from hypothesis import given
>>> from symbp.strategies import networks
>>> @given(networks(hidden="tanh", output="identity", loss="half_sse"))
... def test_shapes(net):
...     assert net.hidden == "tanh"
"""

from __future__ import annotations

from hypothesis import strategies as st

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
