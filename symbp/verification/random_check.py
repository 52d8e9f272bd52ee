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

from hypothesis import assume

from symbp.errors import SymbpError
from symbp.notation.parser import parse_formula
from symbp.verification.search import search_refutations, similar_networks
from symbp.verification.verdicts import DEFAULT_SEEDS, Result, layers_to_check, verify


def check_random(formula: str, net, first: Result, *, count: int, vary_depth: bool = False,
                 seed: int = 0, seeds=DEFAULT_SEEDS, on_network=None) -> tuple[Result, int]:
    """``first`` (the verdict on ``net``) combined with ``count`` drawn networks:
    the combined Result and how many networks were checked in all;
    ``on_network()`` is called after each drawn network is checked.

    >>> from symbp.network import Network
    >>> net, formula = Network(layers=[2, 2]), "db[L] = delta[L]"   # batch 1 only
    >>> result, count = check_random(formula, net, verify(formula, net), count=3)
    >>> result.verdict, result.counterexample["network"]["batch"]
    ('refuted', 2)
    """
    if first.verdict == "error":
        return first, 1
    parsed = parse_formula(formula)

    def check(drawn):
        if vary_depth:
            try:
                layers_to_check(parsed, drawn)
            except SymbpError:
                assume(False)  # too shallow for this formula's indices
        return verify(parsed, drawn, seeds=seeds, general=False)

    results, smallest = search_refutations(similar_networks(net, vary_depth=vary_depth), check,
                                           net, first, count=count, seed=seed,
                                           on_checked=on_network)
    combined = combine(first, results, smallest, size=lambda n: (sum(n.layers), n.depth, n.batch),
                       where=lambda n: f"the network {n}", noun="network")
    combined.general = first.general  # every size: about the claim, not these draws
    return combined, len(results)


def combine(first: Result, results: dict, smallest: tuple | None, *, size, where,
            noun: str) -> Result:
    """One verdict for a claim checked on several draws (``results``, by
    what was drawn): refuted on the smallest refuting draw (by ``size``;
    ``smallest`` is Hypothesis's shrunk one, or None), else an error, else
    proved only if every draw was, else holds.  ``where(drawn)`` names a
    draw in the message; ``noun`` counts them.

    >>> proved, refuted = Result("f", "proved"), Result("f", "refuted", message="no.")
    >>> combine(proved, {1: proved, 5: refuted, 3: refuted}, None, size=lambda n: n,
    ...         where=lambda n: f"size {n}", noun="size").message
    'no on size 3 (the smallest refuting size of 3 checked).'
    """
    verdicts = [result.verdict for result in results.values()]
    layers = sorted({l for result in results.values() for l in result.layers_checked})
    if "refuted" in verdicts:
        drawn, result = min(((d, r) for d, r in results.items() if r.verdict == "refuted"),
                            key=lambda item: size(item[0]))
        if smallest is not None and size(smallest[0]) <= size(drawn):
            drawn, result = smallest
        message = (f"{result.message[:-1]} on {where(drawn)} (the smallest refuting {noun} "
                   f"of {len(results)} checked).")
        return Result(first.formula, "refuted", layers, result.counterexample,
                      result.diagnosis, message)
    if "error" in verdicts:
        errored = next(r for r in results.values() if r.verdict == "error")
        return Result(first.formula, "error", layers, message=errored.message)
    if all(v == "proved" for v in verdicts):
        return Result(first.formula, "proved", layers)
    unproved = next(r for r in results.values() if r.verdict == "holds")
    return Result(first.formula, "holds", layers,
                  message=f"holds on all {len(results)} {noun}s; {unproved.message}")
