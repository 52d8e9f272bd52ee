"""A layer formula for every size (contract sections 9 and 12): its ``general``.

A layer formula is meant for every batch size N and feature size D (C, M).
Its ``general`` is

* ``proved`` when :func:`~symbp.verification.layer_proof.prove_for_every_size`
  shows it with the sizes as symbols (``scope``: "every N and D");
* else ``refuted`` when one of at least ``MIN_CONFIGS`` configurations of
  the layer (``_family``: every size 1, square and non-square, N >= 2,
  the parameters kept), or the formula's own, is a counterexample: the
  smallest one found, with its diagnosis;
* else ``holds``, with the reason no proof was found.

>>> from symbp.layers.formulas import SizedLayer
>>> from symbp.verification.layer_verdicts import verify_layer
>>> result = verify_layer("db = dout", SizedLayer.of("affine", N=1, D=2, M=3))
>>> result.verdict, result.general.verdict
('proved', 'refuted')
>>> result.general.warning
'holds at these sizes only: at N = 2 the right side is 2 x 3 where the left side is 1 x 3.'
"""

from __future__ import annotations

import random

from symbp.errors import SymbpError
from symbp.verification.diagnosis import factor_diagnosis
from symbp.verification.general import General
from symbp.verification.layer_diagnosis import named_factors

MIN_CONFIGS = 10
DRAWN = 12
MAX_SIZE = 4


def _family(sized, seed: int = 0) -> list:
    """At least ``MIN_CONFIGS`` configurations like ``sized`` (its parameters,
    sizes 1 to 4), smallest first: every size 1, 2 and 3, sizes that differ
    (N > D and N < D), then random draws from ``seed``."""
    names = sized.layer.sizes()
    count = len(names)
    designed = [[1] * count, [2] * count, [3] * count,
                [1 + k % 3 for k in range(count)], [3 - k % 3 for k in range(count)],
                [2 + k % 2 for k in range(count)], [3 - k % 2 for k in range(count)],
                [2] + [1] * (count - 1), [1] + [2] * (count - 1), [4] + [2] * (count - 1)]
    rng = random.Random(seed)
    designed += [[rng.randint(1, MAX_SIZE) for _ in names] for _ in range(20 * DRAWN)]
    found = {}
    for sizes in designed:
        if len(found) >= DRAWN:
            break
        try:
            candidate = sized.replace(**dict(zip(names, sizes, strict=True)))
        except SymbpError:
            continue  # below a size's minimum for this layer
        found.setdefault(candidate, None)
    return sorted(found, key=lambda s: _size(s))


def _size(sized) -> tuple:
    sizes = [sized[name] for name in sized.layer.sizes()]
    return (sum(sizes), sizes)


def layer_general(formula, sized, own, proof, seeds) -> General:
    """``general`` of a layer formula whose verdict on ``sized`` is ``own``
    (``proof``: the proof for every size tried, or None).

    >>> from symbp.layers.formulas import SizedLayer
    >>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
    >>> from symbp.verification.layer_verdicts import verify_layer
    >>> sized = SizedLayer.of("affine", N=1, D=2, M=3)
    >>> own = verify_layer("db = dout", sized, general=False)
    >>> general = layer_general(parse_formula("db = dout", LAYER_MATRIX), sized, own, None, (0, 1))
    >>> own.verdict, general.verdict, general.counterexample["layer"]["N"]
    ('proved', 'refuted', 2)
    """
    if proof is not None and proof.proved:
        return General("proved", scope=proof.scope)
    if own.verdict == "error":
        return General("error", message=own.message)
    from symbp.verification.layer_verdicts import verify_layer
    refutations, checked = [], 1
    if own.verdict == "refuted":
        refutations.append((sized, own))
    for candidate in _family(sized, seeds[0]):
        if candidate == sized:
            continue
        result = verify_layer(formula, candidate, seeds=seeds[:2], prove=False, general=False)
        checked += 1
        if result.verdict == "refuted":
            refutations.append((candidate, result))
            if _settled([r.diagnosis for _, r in refutations]):
                break
    scope = f"{', '.join(sized.layer.sizes())} from 1 to {MAX_SIZE}"
    if not refutations:
        why = f"not proved for every size: {proof.reason}; " if proof and proof.reason else ""
        return General("holds", scope=_scope(sized),
                       message=f"{why}no counterexample on {checked} configurations ({scope})",
                       networks_checked=checked)
    smallest, result = min(refutations, key=lambda item: _size(item[0]))
    diagnosis = _consistent_factor(result.diagnosis, [r.diagnosis for _, r in refutations],
                                  named_factors(sized))
    general = General("refuted", scope=_scope(sized), counterexample={
        "layer": smallest.to_dict(), "l": None,
        "seed": (result.counterexample or {}).get("seed")},
        diagnosis=diagnosis, message=result.message, networks_checked=checked)
    if own.verdict in ("proved", "holds"):
        other, found = _nearby(formula, sized, smallest, result, seeds)
        if found.diagnosis and found.diagnosis.get("kind") == "factor":
            found.diagnosis = _consistent_factor(found.diagnosis, [diagnosis],
                                                named_factors(sized))
        general.warning = _warning(sized, other, found.diagnosis, found.message)
    return general


def _nearby(formula, sized, smallest, result, seeds):
    """A refuting configuration that differs from ``sized`` in one size (to
    word the warning about the formula's own sizes), else the smallest."""
    from symbp.verification.layer_verdicts import verify_layer
    for name in sized.layer.sizes():
        if smallest[name] == sized[name]:
            continue
        try:
            candidate = sized.replace(**{name: smallest[name]})
        except SymbpError:
            continue
        found = verify_layer(formula, candidate, seeds=seeds[:2], prove=False, general=False)
        if found.verdict == "refuted":
            return candidate, found
    return smallest, result


def _scope(sized) -> str:
    from symbp.verification.layer_proof import scope
    return scope(sized)


def _settled(diagnoses) -> bool:
    """True once the first refutation's factor (if any) has one name left."""
    first = diagnoses[0]
    if not first or first.get("kind") != "factor":
        return True
    return len(_consistent_factor(first, diagnoses)["names"]) == 1


def _consistent_factor(diagnosis, others, factors=None) -> dict | None:
    """A factor's names that hold at every refuting configuration: at N = 2
    the factor 2 is also N; at N = 3 only N is.  ``factors`` give the
    layer's names their meanings (:func:`~symbp.verification.layer_diagnosis.named_factors`)."""
    if not diagnosis or diagnosis.get("kind") != "factor" or not diagnosis.get("names"):
        return diagnosis
    names = list(diagnosis["names"])
    for other in others:
        if other and other.get("kind") == "factor" and other.get("names"):
            names = [name for name in names if name in other["names"]] or names
    return factor_diagnosis(names, diagnosis["value"], factors)


def _warning(sized, other, diagnosis, message) -> str:
    """'holds at these sizes only: at N = 2 the right side is N times the truth.'"""
    changed = [f"{name} = {other[name]}" for name in sized.layer.sizes()
               if other[name] != sized[name]]
    where = "at " + " and ".join(changed) if changed else "at another point"
    if diagnosis and diagnosis.get("kind") == "factor":
        what = f"the right side is {diagnosis['factor']} times the truth."
    else:
        what = diagnosis["text"] if diagnosis else message
    return f"holds at these sizes only: {where} {what}"
