"""Symbolic proofs that a formula's two sides are equal on a network.

Both sides are evaluated on the SymPy matrices of the symbolic truth, where
every z[k] entry is a symbol of its own and a[k] = act(z[k]).  An entry of
LEFT - RIGHT is proved zero when, after the sampling's guarantees
(``truth.assumptions``: cce targets sum to 1), SymPy's ``cancel`` reduces it
to 0, or does so once tanh and friends are written with exp and piecewise
branches (relu, step) are folded out, every branch reducing to 0 (so the
kink conventions are part of the proof); failing that, z[k] is replaced by its definition W[k] a[k-1] + b[k]
(for claims about the forward pass) and ``cancel`` tried again.

Whether a proof is attempted is decided by sizes, never by a clock: each
entry may have at most ``ENTRY_BUDGET`` tree nodes, one formula at most
``TOTAL_BUDGET`` over all entries and layers, and ``cancel`` sees only
factors with at most ``CANCEL_ATOMS`` distinct function applications.  Beyond them, or when ``cancel``
does not reach 0, the formula keeps its numeric verdict: never a guess.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_formula
>>> net = Network(layers=[2, 2], output="softmax", loss="cce")
>>> prove_formula(parse_formula("delta[L] = a[L] - y"), net, [None]) is None
True
"""

from __future__ import annotations

from functools import lru_cache

import sympy

from symbp.notation.evaluate import ShapeMismatch, evaluate_symbolic
from symbp.truth.exact import truth

ENTRY_BUDGET = 4000
TOTAL_BUDGET = 80000
CANCEL_ATOMS = 6


def _size(expr, cap: int) -> int:
    """Tree nodes of ``expr``, counting no further than just past ``cap``."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > cap:
            break
    return count


@lru_cache(maxsize=64)
def symbols_of(net):
    """The truth's symbolic matrices and assumptions for ``net`` (cached), or None."""
    derivation = truth(net)
    matrices = derivation.symbolic()
    return None if matrices is None else (matrices, derivation.assumptions)


@lru_cache(maxsize=64)
def forward_definitions(net) -> dict:
    """Each z[k] symbol mapped to W[k] a[k-1] + b[k] in x, W and b only."""
    matrices, _ = symbols_of(net)
    definitions = {}
    below = matrices[("x", None)]
    for k in range(1, net.depth + 1):
        pre = net.affine(below, matrices[("W", k)], matrices.get(("b", k)))
        z = matrices[("z", k)]
        definitions.update({z[i, j]: pre[i, j] for i in range(z.rows) for j in range(z.cols)})
        below = matrices[("a", k)].xreplace(definitions)
    return definitions


class _Budget:
    def __init__(self):
        self.spent = 0

    def allows(self, expr) -> bool:
        size = _size(expr, ENTRY_BUDGET)
        self.spent += size
        return size <= ENTRY_BUDGET and self.spent <= TOTAL_BUDGET


def _cancels(expr) -> bool:
    """True when ``expr`` is shown to be 0.

    Common factors are pulled out of the sums first (``factor_terms``, no
    expansion): a product is 0 when one factor is, and the factor that
    cancels is usually small (sigma'(z) - a (1 - a) beside a long sum over
    the next layer).  Each factor, smallest first, is then put over a common
    denominator (``cancel``), as it is or with tanh and friends written with
    exp and piecewise branches (relu, step) folded out, every branch
    cancelling.  ``cancel`` is tried only on a factor with at most
    ``CANCEL_ATOMS`` distinct function applications: its common denominators
    multiply out one binomial per atom, which is what grows past use.
    """
    try:
        factored = sympy.factor_terms(expr)
    except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
        factored = expr
    if factored == 0:
        return True
    factors = [f for f in sympy.Mul.make_args(factored) if not f.is_number]
    factors.sort(key=lambda f: _size(f, ENTRY_BUDGET))
    return any(_factor_cancels(factor) for factor in factors)


def _factor_cancels(factor) -> bool:
    if factor.is_Pow and factor.exp.is_positive:
        factor = factor.base
    if len(factor.atoms(sympy.Function)) > CANCEL_ATOMS:
        return False
    try:
        if sympy.cancel(factor) == 0:
            return True
        rewritten = sympy.piecewise_fold(factor.rewrite(sympy.exp))
        if isinstance(rewritten, sympy.Piecewise):
            return all(sympy.cancel(branch) == 0 for branch, _ in rewritten.args)
        return sympy.cancel(rewritten) == 0
    except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
        return False


def _entry_is_zero(expr, assumptions, net, budget: _Budget) -> bool | None:
    """True when proved zero, False when not, None when over the budget."""
    if assumptions:
        expr = expr.xreplace(assumptions)
    if expr == 0:
        return True
    if not budget.allows(expr):
        return None
    return _reduces_to_zero(expr, net, bool(assumptions) and assumptions_key(assumptions))


def assumptions_key(assumptions: dict) -> tuple:
    return tuple(sorted(assumptions.items(), key=str))


@lru_cache(maxsize=8192)
def _reduces_to_zero(expr, net, assumptions) -> bool | None:
    # cached by expression: claims that share a network share their entries;
    # the result depends on the expression and its size only, never on the cache
    expanded = expr.xreplace(forward_definitions(net))
    if assumptions and expanded != expr:
        expanded = expanded.xreplace(dict(assumptions))
    if expanded == 0:  # a claim about the forward pass, equal term by term
        return True
    if _cancels(expr):
        return True
    if expanded == expr:
        return False
    if _size(expanded, ENTRY_BUDGET) > ENTRY_BUDGET:
        return None
    return _cancels(expanded)


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


def prove_formula(formula, net, layers) -> str | None:
    """None when LEFT - RIGHT is proved zero on every entry for every l in
    ``layers``; otherwise the reason, as a phrase."""
    found = symbols_of(net)
    if found is None:
        return "the network is too large for a symbolic proof"
    matrices, assumptions = found
    budget = _Budget()
    for l in layers:
        try:
            left = evaluate_symbolic(formula.left, net, matrices, l)
            right = evaluate_symbolic(formula.right, net, matrices, l)
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
