"""A layer formula over configurations drawn by Hypothesis (``--random N``).

The configurations keep the layer and its parameters (eps, p, lambda) and
draw its sizes from the catalogue's ranges (:func:`symbp.strategies.layer_configs`);
Hypothesis runs with symbp's own settings (:mod:`symbp.verification.search`)
and shrinks a refutation to the smallest configuration it finds.  Combined
verdict as for networks (contract section 4): refuted if any configuration
refutes (the smallest is reported), error if any errors, proved if all
prove, else holds.

>>> from symbp.layers.formulas import SizedLayer
>>> from symbp.verification.layer_verdicts import verify_layer
>>> sized = SizedLayer.of("affine", N=2, D=2, M=2)
>>> first = verify_layer("db = sum(dout, axis=0)", sized)
>>> result, count = check_layer_random("db = sum(dout, axis=0)", sized, first, count=3)
>>> result.verdict, count >= 3
('proved', True)
"""

from __future__ import annotations

from hypothesis import assume

from symbp.errors import SymbpError
from symbp.layers.catalogue import LAYERS
from symbp.layers.formulas import SizedLayer
from symbp.strategies import layer_configs
from symbp.verification.random_check import combine
from symbp.verification.search import search_refutations
from symbp.verification.verdicts import DEFAULT_SEEDS, Result


def _similar_layers(sized: SizedLayer):
    """Configurations of ``sized``'s layer with its parameters and drawn sizes."""
    base = LAYERS[sized.layer.base]
    fixed = {p.name: sized[sized.layer.notation_name(p.name)]
             for p in base.parameters if p.follows is None}

    def as_sized(config):
        sizes = {("D" if s.dims else s.name): (_product(config[s.name]) if s.dims
                                                else config[s.name]) for s in base.sizes}
        try:
            return sized.replace(**sizes)
        except SymbpError:
            return None
    return layer_configs(base, **fixed).map(as_sized)


def _product(sizes) -> int:
    total = 1
    for size in sizes:
        total *= size
    return total


def check_layer_random(formula: str, sized: SizedLayer, first: Result, *, count: int,
                       seed: int = 0, seeds=DEFAULT_SEEDS, on_config=None) -> tuple[Result, int]:
    """``first`` (the verdict on ``sized``) combined with ``count`` drawn
    configurations: the combined Result and how many were checked in all;
    ``on_config()`` is called after each drawn configuration is checked.

    >>> from symbp.verification.layer_verdicts import verify_layer
    >>> sized, formula, drawn = SizedLayer.of("relu", N=2, D=2), "dx = dout * step(x)", []
    >>> result, count = check_layer_random(formula, sized, verify_layer(formula, sized), count=2,
    ...                                    on_config=lambda: drawn.append(1))
    >>> result.verdict, count == len(drawn) + 1
    ('proved', True)
    """
    from symbp.verification.layer_verdicts import parse_layer_formula, verify_layer
    if first.verdict == "error":
        return first, 1
    parsed = parse_layer_formula(formula, sized)

    def check(drawn):
        assume(drawn is not None)
        return verify_layer(parsed, drawn, seeds=seeds, general=False)

    results, smallest = search_refutations(_similar_layers(sized), check, sized, first,
                                           count=count, seed=seed, on_checked=on_config)
    combined = combine(first, results, smallest, noun="configuration", where=str,
                       size=lambda drawn: tuple(drawn[name] for name in drawn.layer.sizes()))
    combined.general = first.general  # every size: about the claim, not these draws
    return combined, len(results)
