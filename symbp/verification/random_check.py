"""A formula over several networks drawn by Hypothesis (``--random N``).

The networks keep the given network's activations, loss, layout, reduction
and bias, and its depth unless ``vary_depth``; widths (square layers among
them) and the batch vary.  Hypothesis runs with its own settings: no example
database, derandomized from ``seed``, quiet, whatever profile is loaded; a
refutation is shrunk to the smallest network Hypothesis can find.

Combined verdict (contract section 4): refuted if any network refutes (the
smallest such network is reported), error if any errors, proved if all
prove, else holds.

>>> from symbp.network import Network
>>> from symbp.verification.verdicts import verify
>>> net = Network(layers=[2, 3, 2], reduction="sum")
>>> formula = "dW[l] = delta[l] @ a[l-1].T"
>>> result, count = check_random(formula, net, verify(formula, net), count=2)
>>> result.verdict, count >= 2
('proved', True)
"""

from __future__ import annotations

from hypothesis import assume, given

from symbp.errors import SymbpError
from symbp.network import Network
from symbp.notation.parser import parse_formula
from symbp.verification.search import isolated, scratch_storage, similar_networks
from symbp.verification.verdicts import DEFAULT_SEEDS, Result, layers_to_check, verify


class _Refuted(Exception):
    def __init__(self, net, result):
        super().__init__(result.message)
        self.net, self.result = net, result


def _size(net) -> tuple:
    return (sum(net.layers), net.depth, net.batch)


def check_random(formula: str, net, first: Result, *, count: int, vary_depth: bool = False,
                 seed: int = 0, seeds=DEFAULT_SEEDS, on_network=None) -> tuple[Result, int]:
    """``first`` (the verdict on ``net``) combined with ``count`` drawn networks:
    the combined Result and how many networks were checked in all;
    ``on_network()`` is called after each drawn network is checked.

    >>> net, formula = Network(layers=[2, 2]), "db[L] = delta[L]"   # batch 1 only
    >>> result, count = check_random(formula, net, verify(formula, net), count=3)
    >>> result.verdict, result.counterexample["network"]["batch"]
    ('refuted', 2)
    """
    if first.verdict == "error":
        return first, 1
    parsed = parse_formula(formula)
    results = {net: first}

    @isolated(count, seed)
    @given(similar_networks(net, vary_depth=vary_depth))
    def run(drawn):
        if vary_depth:
            try:
                layers_to_check(parsed, drawn)
            except SymbpError:
                assume(False)  # too shallow for this formula's indices
        result = results.get(drawn)
        if result is None:
            result = results[drawn] = verify(parsed, drawn, seeds=seeds, general=False)
            if on_network is not None:
                on_network()
        if result.verdict == "refuted":
            raise _Refuted(drawn, result)

    smallest = None
    try:
        with scratch_storage():
            run()
    except _Refuted as refuted:
        smallest = refuted.result
    combined = _combined(first, results, smallest)
    combined.general = first.general  # every size: about the claim, not these draws
    return combined, len(results)


def _combined(first: Result, results: dict, smallest: Result | None) -> Result:
    verdicts = [result.verdict for result in results.values()]
    layers = sorted({l for result in results.values() for l in result.layers_checked})
    if "refuted" in verdicts:
        refuted = [(n, r) for n, r in results.items() if r.verdict == "refuted"]
        net, result = min(refuted, key=lambda item: _size(item[0]))
        if smallest is not None and _size(net) >= _size(_network_of(smallest)):
            result = smallest
        message = (f"{result.message[:-1]} on the network {_network_text(result)} "
                   f"(the smallest refuting network of {len(results)} checked).")
        return Result(first.formula, "refuted", layers, result.counterexample,
                      result.diagnosis, message)
    if "error" in verdicts:
        errored = next(r for r in results.values() if r.verdict == "error")
        return Result(first.formula, "error", layers, message=errored.message)
    if all(v == "proved" for v in verdicts):
        return Result(first.formula, "proved", layers)
    unproved = next(r for r in results.values() if r.verdict == "holds")
    return Result(first.formula, "holds", layers,
                  message=f"holds on all {len(results)} networks; {unproved.message}")


def _network_of(result: Result):
    return Network(**result.counterexample["network"])


def _network_text(result: Result) -> str:
    return str(_network_of(result))
