"""A claim for every size (contract section 9): the ``general`` of a verify result.

A formula about backprop is meant for every width and batch size.  Its
``general`` is about every network that keeps the claim's depth,
activations, loss, layout, reduction and bias and varies the widths and the
batch:

* ``proved`` when :mod:`symbp.verification.general_proof` shows it with every
  n[k] and m as symbols (``scope`` says whether for every depth too);
* else ``refuted`` when one of at least ``MIN_NETWORKS`` networks of the
  family (:func:`family_networks`: m >= 2, square and non-square layers,
  width 1), or the claim's own, is a counterexample: the smallest one found,
  with its diagnosis;
* else ``holds``, with the reason no proof was found.

>>> from symbp.network import Network
>>> from symbp.verification.verdicts import verify
>>> result = verify("dW[2] = dZ[2] @ a[1].T", Network(layers=[2, 4, 1], hidden="tanh", loss="bce"))
>>> result.verdict, result.general.verdict, result.general.diagnosis["factor"]
('proved', 'refuted', 'm')
>>> result.general.warning
'holds on this network only: at m = 2 the right side is m times the truth.'
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from symbp.errors import SymbpError
from symbp.verification.decay import renamed
from symbp.verification.diagnosis import factor_diagnosis
from symbp.verification.general_proof import SCOPE_SIZES

MIN_NETWORKS = 10
DRAWN = 12          # networks drawn in all (the designed ones, then random ones)
MAX_WIDTH = 4
MAX_BATCH = 4
OWN_WIDTHS_MAX_PARAMETERS = 5000  # the claim's widths at another batch, when this small


@dataclass
class General:
    """``general`` of a result: the claim on every network of its family.

    >>> from symbp.network import Network
    >>> from symbp.verification.verdicts import verify
    >>> general = verify("db[L] = delta[L]", Network(layers=[2, 1])).general
    >>> general.verdict, general.warning  # doctest: +ELLIPSIS
    ('refuted', 'holds on this network only: at m = 2 the right side is 1 x 2 where the left side is 1 x 1 (one column per sample...')
    """
    verdict: str
    scope: str = SCOPE_SIZES
    counterexample: dict | None = None
    diagnosis: dict | None = None
    message: str | None = None
    networks_checked: int = 0
    warning: str | None = None  # the claim holds on its network, not on every one

    def to_json(self) -> dict:
        """The ``general`` object of a claim's JSON (contract section 9)."""
        return {"verdict": self.verdict, "scope": self.scope,
                "counterexample": self.counterexample, "diagnosis": self.diagnosis,
                "message": self.message}


def family_networks(net, seed: int = 0) -> list:
    """At least ``MIN_NETWORKS`` networks like ``net`` (widths 1 to 4, batch 1
    to 4), smallest first: every width 1, square layers of 2 and 3, layers of
    different widths, batches 1 to 3, then random draws from ``seed``; none
    that cannot test anything (a one-unit softmax, whose gradients are all 0).

    >>> from symbp.network import Network
    >>> family = family_networks(Network(layers=[2, 1], hidden="tanh"))
    >>> len(family), [(n.layers, n.batch) for n in family[:3]], family[0].hidden
    (12, [((1, 1), 1), ((1, 1), 2), ((1, 2), 2)], 'tanh')
    """
    depth = net.depth
    fields = net.to_dict()

    def make(layers, batch):
        try:
            candidate = type(net)(**{**fields, "layers": layers, "batch": batch})
        except SymbpError:
            return None  # not a valid network of the family (a one-unit softmax with bce)
        # a network whose every gradient is 0 (a one-unit softmax) refutes a
        # formula only trivially, and its diagnosis would mislead ("all zeros")
        return None if candidate.untestable() else candidate
    sizes = range(depth + 1)
    designed = [([1] * (depth + 1), 1), ([1] * (depth + 1), 2), ([2] * (depth + 1), 1),
                ([2] * (depth + 1), 2), ([3] * (depth + 1), 3),
                ([1 + k % 3 for k in sizes], 2), ([3 - k % 3 for k in sizes], 3),
                ([2 + k % 2 for k in sizes], 1), ([3 - 2 * (k % 2) for k in sizes], 2)]
    found = {}
    for layers, batch in designed:
        candidate = make(layers, batch)
        if candidate is not None:
            found.setdefault(candidate, None)
    rng = random.Random(seed)
    for _ in range(20 * DRAWN):
        if len(found) >= DRAWN:
            break
        candidate = make([rng.randint(1, MAX_WIDTH) for _ in sizes], rng.randint(1, MAX_BATCH))
        if candidate is not None:
            found.setdefault(candidate, None)
    return sorted(found, key=lambda n: (sum(n.layers), n.batch, n.layers))


def _size(net) -> tuple:
    return (sum(net.layers), net.batch, net.layers)


def search(formula, net, own, *, seeds, reason: str | None, check) -> General:
    """The family's verdict from numeric checks (``check(formula, network)``
    returns a Result): refuted by the smallest counterexample found, else holds.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> from symbp.verification.verdicts import verify
    >>> net, formula = Network(layers=[2, 1]), parse_formula("db[L] = delta[L]")
    >>> def check(formula, candidate):
    ...     return verify(formula, candidate, prove=False, general=False)
    >>> general = search(formula, net, check(formula, net), seeds=(0,), reason=None, check=check)
    >>> general.verdict, general.counterexample["network"]["batch"]
    ('refuted', 2)
    """
    networks = family_networks(net, seeds[0])
    refutations, checked = [], 0
    for candidate in networks:
        if candidate == net:
            continue
        result = check(formula, candidate)
        checked += 1
        if result.verdict == "refuted":
            refutations.append((candidate, result))
            break
    checked += 1  # the claim's own network
    if own.verdict == "refuted":
        refutations.append((net, own))
    checked += _settle_factor(formula, refutations, check)
    if not refutations:
        why = f"not proved for every size: {reason}; " if reason else ""
        return General("holds", message=f"{why}no counterexample on {checked} networks of the "
                                        "family (m >= 2, square and non-square layers, width 1)",
                       networks_checked=checked)
    smallest, result = min(refutations, key=lambda item: _size(item[0]))
    diagnosis = _consistent_factor(result.diagnosis, [r.diagnosis for _, r in refutations])
    example = result.counterexample or {}
    general = General("refuted", counterexample={"network": smallest.to_dict(),
                                                 "l": example.get("l"),
                                                 "seed": example.get("seed")},
                      diagnosis=diagnosis, message=result.message, networks_checked=checked)
    if own.verdict in ("proved", "holds"):
        general.warning = _warning(net, general, _nearby(formula, net, smallest, result, check))
    return general


def _settle_factor(formula, refutations, check) -> int:
    """At m = 2 a factor 2 may also be m (and n[L]): the same network at the
    next batch size, then with one more output unit, tells which name holds
    (a network of the same widths costs no new derivation).  Adds what it
    finds to ``refutations``; returns how many networks it checked."""
    first = min(refutations, key=lambda item: _size(item[0])) if refutations else None
    diagnosis = first[1].diagnosis if first else None
    if not diagnosis or len(diagnosis.get("names") or ()) < 2:
        return 0
    net, checked = first[0], 0
    layers = list(net.layers)
    for fields in ({"batch": net.batch + 1}, {"layers": layers[:-1] + [layers[-1] + 1]}):
        try:
            variant = net.replace(**fields)
        except SymbpError:
            continue
        result = check(formula, variant)
        checked += 1
        if result.verdict == "refuted":
            refutations.append((variant, result))
        names = _consistent_factor(diagnosis, [r.diagnosis for _, r in refutations])["names"]
        if len(names) == 1:
            break
    return checked


def _consistent_factor(diagnosis, others) -> dict | None:
    """A factor's name that holds on every refuting network: at m = 2 the
    factor 2 is also m; at m = 3 only m is (the whole right side's factor,
    or one of the weight decay's parts)."""
    if not diagnosis or not diagnosis.get("names"):
        return diagnosis
    names = list(diagnosis["names"])
    for other in others:
        if other and other.get("kind") == diagnosis["kind"] and other.get("names") and \
                other.get("term") == diagnosis.get("term"):
            common = [name for name in names if name in other["names"]]
            names = common or names
    if diagnosis["kind"] == "decay":
        return renamed(diagnosis, names)
    return factor_diagnosis(names, diagnosis["value"])


def _nearby(formula, net, smallest, result, check) -> dict | None:
    """A refutation on the claim's own widths (at the counterexample's batch),
    to word the warning about the claim's network; else the smallest one."""
    candidates = []
    if smallest.layers != net.layers and smallest.batch != net.batch \
            and net.parameter_count <= OWN_WIDTHS_MAX_PARAMETERS:
        try:
            candidates.append(net.replace(batch=smallest.batch))
        except SymbpError:
            pass
    for candidate in candidates:
        nearby = check(formula, candidate)
        if nearby.verdict == "refuted":
            return {"network": candidate, "diagnosis": nearby.diagnosis,
                    "message": nearby.message}
    return {"network": smallest, "diagnosis": result.diagnosis, "message": result.message}


def _where(net, other) -> str:
    """How ``other`` differs from ``net``: 'at m = 2', 'at layers = [1, 2]', ..."""
    parts = []
    if list(other.layers) != list(net.layers):
        parts.append(f"layers = {list(other.layers)}")
    if other.batch != net.batch:
        parts.append(f"m = {other.batch}")
    return "at " + " and ".join(parts) if parts else "on another point"


def _warning(net, general: General, nearby: dict) -> str:
    """"holds on this network only: at m = 2 the right side is m times the truth."""
    diagnosis = nearby["diagnosis"]
    if diagnosis and diagnosis.get("kind") == "decay" and general.diagnosis and \
            general.diagnosis.get("term") == diagnosis["term"]:
        what = general.diagnosis["text"]  # the name that holds at every size
    elif diagnosis and diagnosis.get("kind") == "factor":
        if general.diagnosis and general.diagnosis.get("kind") == "factor":
            diagnosis = general.diagnosis  # the name that holds at every size
        what = f"the right side is {diagnosis['factor']} times the truth."
    else:
        what = diagnosis["text"] if diagnosis else nearby["message"]
    return f"holds on this network only: {_where(net, nearby['network'])} {what}"
