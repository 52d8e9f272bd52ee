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

from hypothesis import assume, given

from symbp.errors import SymbpError
from symbp.layers.catalogue import LAYERS
from symbp.layers.formulas import SizedLayer
from symbp.strategies import layer_configs
from symbp.verification.search import isolated, scratch_storage
from symbp.verification.verdicts import DEFAULT_SEEDS, Result


class _Refuted(Exception):
    def __init__(self, sized, result):
        super().__init__(result.message)
        self.sized, self.result = sized, result


def _size(sized) -> tuple:
    return tuple(sized[name] for name in sized.layer.sizes())


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
    results = {sized: first}

    @isolated(count, seed)
    @given(_similar_layers(sized))
    def run(drawn):
        assume(drawn is not None)
        result = results.get(drawn)
        if result is None:
            result = results[drawn] = verify_layer(parsed, drawn, seeds=seeds, general=False)
            if on_config is not None:
                on_config()
        if result.verdict == "refuted":
            raise _Refuted(drawn, result)

    smallest = None
    try:
        with scratch_storage():
            run()
    except _Refuted as refuted:
        smallest = refuted
    combined = _combined(first, results, smallest)
    combined.general = first.general  # every size: about the claim, not these draws
    return combined, len(results)


def _combined(first: Result, results: dict, smallest) -> Result:
    verdicts = [result.verdict for result in results.values()]
    if "refuted" in verdicts:
        refuted = min(((s, r) for s, r in results.items() if r.verdict == "refuted"),
                      key=lambda item: _size(item[0]))
        if smallest is not None and _size(smallest.sized) < _size(refuted[0]):
            refuted = (smallest.sized, smallest.result)
        where, result = refuted
        message = (f"{result.message[:-1]} on {where} (the smallest refuting configuration "
                   f"of {len(results)} checked).")
        return Result(first.formula, "refuted", [], result.counterexample, result.diagnosis,
                      message)
    if "error" in verdicts:
        errored = next(r for r in results.values() if r.verdict == "error")
        return Result(first.formula, "error", message=errored.message)
    if all(v == "proved" for v in verdicts):
        return Result(first.formula, "proved")
    unproved = next(r for r in results.values() if r.verdict == "holds")
    return Result(first.formula, "holds",
                  message=f"holds on all {len(results)} configurations; {unproved.message}")
