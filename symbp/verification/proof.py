"""Symbolic proofs that a formula's two sides are equal on a network.

Both sides are evaluated on the SymPy matrices of the symbolic truth, where
every z[k] entry is a symbol of its own and a[k] = act(z[k]).  An entry of
LEFT - RIGHT is proved zero when, after the sampling's guarantees
(``truth.assumptions``: cce targets sum to 1), SymPy's ``cancel`` reduces it
to 0, or does so once tanh and friends are written with exp and piecewise
branches (relu, step) are folded out, every branch reducing to 0 (so the
kink conventions are part of the proof); failing that, the z[k] of the
highest layer present are replaced by their definition W[k] a[k-1] + b[k]
(a[k-1] in the z[k-1] symbols), then those of the layer below, and so on
(claims about the forward pass), ``cancel`` tried again after each layer.

Whether a proof is attempted is decided by sizes, never by a clock: each
entry may have at most ``ENTRY_BUDGET`` tree nodes (also after each layer of
definitions: written out all at once they grow with the product of the
widths), one formula at most ``TOTAL_BUDGET`` over all entries and layers,
and ``cancel`` sees only factors with at most
:data:`~symbp.verification.zero.CANCEL_ATOMS` distinct function applications.
Beyond them, or when ``cancel`` does not reach 0, the formula keeps its
numeric verdict: never a guess.  (The proof for every size,
:mod:`symbp.verification.general_proof`, is tried first and settles most
formulas whatever the sizes.)

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_formula
>>> net = Network(layers=[2, 2], output="softmax", loss="cce")
>>> prove_formula(parse_formula("delta[L] = a[L] - y"), net, [None]) is None
True
"""

from __future__ import annotations

from functools import lru_cache

import sympy

from symbp.notation.evaluate import ShapeMismatch, SymbolicEvaluator
from symbp.truth.exact import truth
from symbp.truth.general import elementwise_forms
from symbp.truth.indexed import indicator_form
from symbp.verification.zero import cancels
from symbp.verification.zero import size as _size

ENTRY_BUDGET = 4000
TOTAL_BUDGET = 80000


@lru_cache(maxsize=64)
def _symbols_of(net):
    """The truth's symbolic matrices and assumptions for ``net`` (cached), or None."""
    derivation = truth(net)
    matrices = derivation.symbolic()
    return None if matrices is None else (matrices, derivation.assumptions)


@lru_cache(maxsize=64)
def _forward_definitions(net) -> dict:
    """Each z[k] symbol mapped to W[k] a[k-1] + b[k], with a[k-1] in the
    z[k-1] symbols (one layer: substituting repeatedly goes further down),
    kinks in indicator form, and its size in tree nodes."""
    matrices, _ = _symbols_of(net)
    definitions = {}
    for k in range(1, net.depth + 1):
        below = matrices[("x", None)] if k == 1 else matrices[("a", k - 1)]
        pre = net.affine(below, matrices[("W", k)], matrices.get(("b", k)))
        z = matrices[("z", k)]
        for i in range(z.rows):
            for j in range(z.cols):
                value = indicator_form(pre[i, j])
                definitions[z[i, j]] = (value, _size(value, ENTRY_BUDGET), k)
    return definitions


def _size_after(expr, definitions, layer: int) -> int:
    """Tree nodes of ``expr`` once layer ``layer``'s definitions are
    substituted, counted without substituting (up to just past ``ENTRY_BUDGET``)."""
    count = 0
    for node in sympy.preorder_traversal(expr):
        found = definitions.get(node)
        count += found[1] if found is not None and found[2] == layer else 1
        if count > ENTRY_BUDGET:
            break
    return count


class _Budget:
    def __init__(self):
        self.spent = 0

    def allows(self, expr) -> bool:
        size = _size(expr, ENTRY_BUDGET)
        self.spent += size
        return size <= ENTRY_BUDGET and self.spent <= TOTAL_BUDGET


def _entry_is_zero(expr, assumptions, net, budget: _Budget) -> bool | None:
    """True when proved zero, False when not, None when over the budget."""
    if assumptions:
        expr = expr.xreplace(assumptions)
    # kinks as Heaviside terms: SymPy folds nested Piecewise conditions on
    # every substitution, which is what made deep relu networks run for minutes
    expr = indicator_form(expr)
    if expr == 0:
        return True
    if not budget.allows(expr):
        return None
    return _reduces_to_zero(expr, net, bool(assumptions) and _assumptions_key(assumptions))


def _assumptions_key(assumptions: dict) -> tuple:
    return tuple(sorted(assumptions.items(), key=str))


@lru_cache(maxsize=8192)
def _reduces_to_zero(expr, net, assumptions) -> bool | None:
    # cached by expression: claims that share a network share their entries;
    # the result depends on the expression and its size only, never on the cache
    if cancels(expr):
        return True
    definitions = _forward_definitions(net)
    for _ in range(net.depth):  # the highest layer's z first, one layer at a time
        layers = [definitions[s][2] for s in expr.free_symbols if s in definitions]
        if not layers:
            return False
        layer = max(layers)
        if _size_after(expr, definitions, layer) > ENTRY_BUDGET:
            return None
        expanded = expr.xreplace({symbol: value for symbol, (value, _, k) in definitions.items()
                                  if k == layer})
        if assumptions and expanded != expr:
            expanded = expanded.xreplace(dict(assumptions))
        if expanded == expr:
            return False
        if expanded == 0:  # a claim about the forward pass, equal term by term
            return True
        if cancels(expanded):
            return True
        expr = expanded
    return False


def _differences(left, right) -> list:
    left_matrix = isinstance(left, sympy.MatrixBase)
    right_matrix = isinstance(right, sympy.MatrixBase)
    if left_matrix and right_matrix:
        if left.shape != right.shape:
            return None
        return list(left - right)
    if left_matrix:
        return [e - right for e in left]
    if right_matrix:
        return [left - e for e in right]
    return [left - right]


class _KinksAsTerms(SymbolicEvaluator):
    """The notation's SymPy evaluator with kinks (relu, leaky_relu, step) in
    indicator form: nested Piecewise would be folded by SymPy on every
    construction, which is what made relu(relu(...)) run for minutes."""

    def activate(self, activation, value, prime):
        if not activation.elementwise:
            return super().activate(activation, value, prime)
        t, form, derivative = elementwise_forms(activation.name)
        chosen = derivative if prime else form
        if self.is_scalar(value):
            return chosen.xreplace({t: value})
        return value.applyfunc(lambda e: chosen.xreplace({t: e}))

    def function(self, entry, value):
        if entry.name != "step":
            return super().function(entry, value)
        return value.applyfunc(_step) if not self.is_scalar(value) else _step(value)


def _step(e):
    """step(e): 1 where e > 0, else 0 (step(0) = 0, Heaviside's H(0) = 0)."""
    return sympy.Heaviside(e, 0)


def prove_formula(formula, net, layers) -> str | None:
    """None when LEFT - RIGHT is proved zero on every entry for every l in
    ``layers``; otherwise the reason, as a phrase.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> net = Network(layers=[2, 1], output="identity")
    >>> prove_formula(parse_formula("delta[L] = 2 * (a[L] - y)"), net, [None])
    'SymPy did not reduce LEFT - RIGHT to 0'
    """
    found = _symbols_of(net)
    if found is None:
        return "the network is too large for a symbolic proof"
    matrices, assumptions = found
    budget = _Budget()
    for l in layers:
        try:
            left = _KinksAsTerms(net, matrices, l).walk(formula.left)
            right = _KinksAsTerms(net, matrices, l).walk(formula.right)
        except ShapeMismatch:
            return "the symbolic sides have different shapes"
        differences = _differences(left, right)
        if differences is None:
            return "the symbolic sides have different shapes"
        for difference in differences:
            zero = _entry_is_zero(difference, assumptions, net, budget)
            if zero is None:
                return (f"the expressions exceed the proof budget ({ENTRY_BUDGET} nodes an "
                        f"entry, {TOTAL_BUDGET} a formula)")
            if not zero:
                return "SymPy did not reduce LEFT - RIGHT to 0"
    return None
