"""Proofs for every width and batch size (contract section 9).

Both sides of a formula are evaluated in index form with every width n[k] and
the batch m as symbols (:mod:`symbp.verification.index_form`), on the truth
composed from SymPy's lemmas (:mod:`symbp.truth.general`), and their
difference at a generic entry is shown to be 0 (:func:`symbp.verification.zero.index_zero`).
The quantities are tried three ways, each a proof when it succeeds:

1. the most upstream gradient the formula names (delta[l+1] in BP2, da[L] in
   BP1) is a generic upstream gradient, a symbol of its own, and everything
   below it is composed from the lemmas: one generic layer;
2. every gradient is composed from the lemmas down to the loss (``delta[L] =
   a[L] - y`` under softmax and cce, with the targets summing to 1), unless
   both sides name the same most upstream gradient (then they differ
   whatever its value, and this way only costs);
3. as 2, with the highest z[k] the formula names replaced by W[k] a[k-1] +
   b[k] (claims about the forward pass), then every z below it down to the
   lowest weights the formula names.

A formula whose indices are all relative to l or L is then also proved at
other depths, once for every way its indices can meet the ends of the
network (the input, the output, each other); when every such proof used only
the layers the formula names, it holds for every depth too.

The work depends on the formula only, never on the sizes, and is bounded by
expression size (:data:`symbp.truth.indexed.MAX_TERMS`, the budgets of
:mod:`symbp.verification.zero`), never by a clock.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_formula
>>> formula = parse_formula("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])")
>>> prove_for_every_size(formula, Network(layers=[2, 3, 2]), [1]).scope
'all widths, batch sizes and depths'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import sympy

from symbp.notation.evaluate import ShapeMismatch, in_range
from symbp.notation.tree import Quantity, indices, subtrees
from symbp.truth.general import Family, FamilyTruth, M, size
from symbp.truth.indexed import TooLarge
from symbp.verification.index_form import (
    COLUMN,
    ROW,
    IndexMatrix,
    SymbolicNetwork,
    evaluate_index,
)
from symbp.verification.zero import index_zero
from symbp.verification.zero import size as node_count

SCOPE_SIZES = "all widths and batch sizes"
SCOPE_DEPTHS = "all widths, batch sizes and depths"
# how many other depths' configurations a formula is proved at, at most
MAX_CONFIGURATIONS = 24
# tree nodes of LEFT - RIGHT at the generic entry, at most (the textbook
# equations take 20 to 200)
PROOF_BUDGET = 2000
BACKWARD = ("da", "delta", "dW", "db")


@dataclass(frozen=True)
class GeneralProof:
    """The outcome: ``scope`` when proved, else ``reason`` (a phrase).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> formula = parse_formula("db[L] = sum(delta[L], axis=1) / m")
    >>> prove_for_every_size(formula, Network(layers=[2, 1]), [None])
    GeneralProof(proved=True, scope='all widths, batch sizes and depths', reason=None)
    """
    proved: bool
    scope: str | None = None
    reason: str | None = None


def prove_for_every_size(formula, net, layers) -> GeneralProof:
    """A proof of ``formula`` for every width and batch size of ``net``'s
    family, at every l in ``layers`` (None for a formula without l).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> formula = parse_formula("dW[L] = delta[L] @ a[L-1].T")   # no 1/m: batch 1 only
    >>> prove_for_every_size(formula, Network(layers=[2, 1]), [None]).reason
    'SymPy did not reduce LEFT - RIGHT to 0 with symbolic sizes'
    """
    family = Family.of(net)
    reason = _reason_against(formula, family, net.layout, layers, None)
    if reason is not None:
        return GeneralProof(False, reason=reason)
    if _every_depth(formula, family, net.layout):
        return GeneralProof(True, SCOPE_DEPTHS)
    return GeneralProof(True, SCOPE_SIZES)


def prove_at_its_sizes(formula, net, layers) -> GeneralProof:
    """The same proof with the network's own widths and batch (sums over
    ranges of known length): what is true at these sizes only, such as
    ``dW = delta @ a.T`` at batch 1, at a cost that does not grow with them.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> formula = parse_formula("dW[L] = delta[L] @ a[L-1].T")
    >>> prove_at_its_sizes(formula, Network(layers=[2, 1]), [None]).scope
    "this network's sizes"
    """
    sizes = (tuple(net.layers), net.batch)
    reason = _reason_against(formula, Family.of(net), net.layout, layers, sizes)
    return GeneralProof(reason is None, "this network's sizes" if reason is None else None,
                        reason)


def _reason_against(formula, family, layout, layers, sizes) -> str | None:
    """None when every l of ``layers`` is proved, else why not."""
    if not FamilyTruth(family).pieces_known():
        return "the tables give no form over symbolic sizes for this network's pieces"
    for l in layers:
        outcome = _prove_at(formula, family, layout, l, sizes)
        if not outcome.proved:
            return outcome.reason
    return None


def _quantities(node) -> list:
    return [q for q in subtrees(node) if isinstance(q, Quantity)]


def _used(formula, depth, l) -> list:
    """(name, k) of every quantity of the formula at l."""
    return _used_on(formula.left, depth, l) + _used_on(formula.right, depth, l)


def _used_on(side, depth, l) -> list:
    return [(q.name, q.index.resolve(l, depth)) for q in _quantities(side)]


def _frontier(used, depth):
    """The most upstream gradient named: da[L] first, then delta[L], da[L-1], ..."""
    def rank(key):
        name, k = key
        return 2 * (depth - k) + (0 if name == "da" else 1)
    keys = [("delta", k) if name in ("dW", "db") else (name, k)
            for name, k in used if name in BACKWARD]
    return min(keys, key=rank) if keys else None


def _targets_sum_to_one(family: Family, units):
    """What cce's sampling guarantees, as a rule on sums: sum_j y[j, s] = 1
    over the ``units`` output units (a symbol, or the network's number)."""
    if family.loss != "cce":
        return ()
    targets = FamilyTruth(family).base("y")

    def rule(total):
        (bound, low, high), = total.limits
        entry = total.function
        if (isinstance(entry, sympy.Indexed) and entry.base == targets and low == 0
                and high == units - 1 and entry.indices[0] == bound
                and bound not in entry.indices[1].free_symbols):
            return sympy.S.One
        return None
    return (rule,)


def _attempts(formula, used, family, l):
    frontier = _frontier(used, family.depth)
    if frontier is not None:
        yield FamilyTruth(family, opaque=frozenset({frontier}))
        sides = [_frontier(_used_on(side, family.depth, l), family.depth)
                 for side in (formula.left, formula.right)]
        if sides[0] == sides[1]:
            # both sides are written in the same upstream gradient, and differ
            # whatever its value: composing it down to the loss seldom helps
            # and costs the most (dW = delta @ a.T at batch 1, for every size)
            return
    yield FamilyTruth(family)
    forward = [k for name, k in used if name in ("z", "a") and k >= 1]
    weights = {k for name, k in used if name in ("W", "b")}
    if forward and weights:  # a claim about the forward pass names the weights
        # the layer the claim defines, from the one below; then every layer
        # down to the lowest weights it names (a forward pass over several layers)
        yield FamilyTruth(family, unfolded=frozenset({max(forward)}))
        lowest = min(min(forward), min(weights) - 1)
        if max(forward) - lowest > 1:
            yield FamilyTruth(family, unfolded=frozenset(range(lowest + 1, max(forward) + 1)))


@dataclass(frozen=True)
class _Outcome:
    proved: bool
    local: bool = False  # the proof used only the layers the formula names
    reason: str | None = None


_NO_PROOF = "SymPy did not reduce LEFT - RIGHT to 0 with symbolic sizes"


@lru_cache(maxsize=1024)
def _prove_at(formula, family: Family, layout: str, l, sizes=None) -> _Outcome:
    """One l's proof, with symbolic sizes, or with ``sizes`` = (widths, batch)."""
    if sizes is None:
        net = SymbolicNetwork(family, layout, tuple(size(k) for k in range(family.depth + 1)), M)
        concrete = {}
    else:
        net = SymbolicNetwork(family, layout, tuple(map(sympy.Integer, sizes[0])),
                              sympy.Integer(sizes[1]))
        concrete = {size(k): width for k, width in enumerate(net.layers)}
        concrete[M] = net.batch
    used = _used(formula, family.depth, l)
    rules = _targets_sum_to_one(family, net.layers[-1])
    over_budget = False
    for truth in _attempts(formula, used, family, l):
        try:
            left = evaluate_index(formula.left, net, l, truth)
            right = evaluate_index(formula.right, net, l, truth)
        except ShapeMismatch:
            return _Outcome(False, reason="an operation does not fit the shapes for every size")
        except NotImplementedError:
            return _Outcome(False, reason="a function has no form over symbolic sizes")
        difference = _difference(left, right)
        if difference is None:
            return _Outcome(False, reason="the two sides have different shapes for some sizes")
        difference = difference.xreplace(concrete) if concrete else difference
        try:
            if node_count(difference, PROOF_BUDGET) > PROOF_BUDGET:
                over_budget = True
            elif index_zero(difference, rules):
                return _Outcome(True, local=truth.touched <= {k for _, k in used})
        except TooLarge:
            over_budget = True
        except (ArithmeticError, TypeError, ValueError, RecursionError, NotImplementedError):
            continue  # SymPy gave up on this form: try the next one
    return _Outcome(False, reason="the expressions exceed the proof budget" if over_budget
                    else _NO_PROOF)


def _difference(left, right):
    """LEFT - RIGHT at the generic entry, or None when the shapes differ."""
    left_matrix, right_matrix = isinstance(left, IndexMatrix), isinstance(right, IndexMatrix)
    # entry() reads a size-1 axis at 0: a 3 x 1 side has no column index
    if left_matrix and right_matrix:
        if left.shape != right.shape:
            return None
        return left.entry(ROW, COLUMN) - right.entry(ROW, COLUMN)
    if left_matrix:
        return left.entry(ROW, COLUMN) - right
    if right_matrix:
        return left - right.entry(ROW, COLUMN)
    return left - right


# -- every depth -------------------------------------------------------------

def _valid_layers(formula, depth: int) -> list:
    used = _quantities(formula.left) + _quantities(formula.right)
    if not formula.uses_free_index():
        return [None] if all(in_range(q, None, depth) for q in used) else []
    return [l for l in range(1, depth + 1) if all(in_range(q, l, depth) for q in used)]


def _signature(exprs, l, depth) -> tuple:
    """Which of the formula's indices (and their neighbours), 0 and L are equal."""
    values = [e.resolve(l, depth) + step for e in exprs for step in (-1, 0, 1)] + [0, depth]
    return tuple(a == b for a, b in combinations(values, 2))


def _every_depth(formula, family: Family, layout: str) -> bool:
    """True when the formula is proved, by local proofs, at every configuration
    of its indices against the ends of networks of every depth."""
    exprs = sorted(set(indices(formula.left) + indices(formula.right)),
                   key=lambda e: (str(e.base), e.offset))
    if any(e.base is None for e in exprs):
        return False  # an absolute index (W[2]) means one depth
    offsets = [e.offset for e in exprs] or [0]
    span = max(offsets) - min(offsets)
    seen = set()
    for depth in range(1, max(offsets) - min(min(offsets), 0) + span + 6):
        for l in _valid_layers(formula, depth):
            signature = _signature(exprs, l, depth)
            if signature in seen:
                continue
            seen.add(signature)
            if len(seen) > MAX_CONFIGURATIONS:
                return False
            at = family.at_depth(depth)
            outcome = _prove_at(formula, at, layout, l)
            if not (outcome.proved and outcome.local):
                return False
    return bool(seen)
