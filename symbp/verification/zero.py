"""Showing that an expression is 0: the reductions every symbolic proof uses.

:func:`cancels` works on an expression without sums (one entry of a network's
SymPy matrices, or what is left of an index-form difference); :func:`index_zero`
on an entry in index form over symbolic sizes, whose sums it brings to a normal
form and merges range by range before the summands are cancelled.

Both are bounded by sizes, never by a clock: ``cancel`` only sees factors with
at most ``CANCEL_ATOMS`` distinct function applications and ``NODE_BUDGET``
nodes (its common denominators multiply out one binomial per atom, which is
what grows past use), a kink is split into its cases for at most
``MAX_KINK_SPLITS`` kinks, and the index algebra stops at
:data:`symbp.truth.indexed.MAX_TERMS` terms.  False means "not shown", never
"shown non-zero".

>>> import sympy
>>> z = sympy.Symbol("z", real=True)
>>> s = 1 / (1 + sympy.exp(-z))
>>> cancels(sympy.diff(s, z) - s * (1 - s))
True
"""

from __future__ import annotations

CANCEL_ATOMS = 6
NODE_BUDGET = 4000
MAX_KINK_SPLITS = 3


def size(expr, cap: int = NODE_BUDGET) -> int:
    """Tree nodes of ``expr``, counting no further than just past ``cap``.

    >>> import sympy
    >>> z = sympy.Symbol("z")
    >>> size(sympy.exp(z) + 1), size(sum(sympy.symbols("x0:100")), cap=3)
    (4, 4)
    """
    import sympy
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > cap:
            break
    return count


def cancels(expr) -> bool:
    """True when ``expr`` is shown to be 0.

    Common factors are pulled out of the sums first (``factor_terms``, no
    expansion): a product is 0 when one factor is, and the factor that
    cancels is usually small (sigma'(z) - a (1 - a) beside a long sum over
    the next layer).  Each factor, smallest first, is then put over a common
    denominator (``cancel``), as it is or with tanh and friends written with
    exp and piecewise branches (relu, step) folded out, every branch
    cancelling.

    >>> import sympy
    >>> z = sympy.Symbol("z", real=True)
    >>> relu = sympy.Piecewise((z, z > 0), (0, True))
    >>> cancels(relu - z * sympy.Heaviside(z, 0)), cancels(z - 1)
    (True, False)
    """
    import sympy
    if expr == 0:
        return True
    try:
        factored = sympy.factor_terms(expr)
    except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
        factored = expr
    if factored == 0:
        return True
    factors = [f for f in sympy.Mul.make_args(factored) if not f.is_number]
    factors.sort(key=size)
    return any(_factor_cancels(factor) for factor in factors)


def _nonzero_somewhere(expr, seed: int = 0) -> bool:
    """True when ``expr`` is seen to be non-zero at a random point, its atoms
    (entries, sums, symbols) drawn as independent numbers: then no cancelling
    can show it is 0, and the cost of trying is spared.  False proves nothing."""
    import random

    import sympy
    rng = random.Random(seed)
    outer_sums = [s for s in expr.atoms(sympy.Sum)
                  if not any(s != other and other.has(s) for other in expr.atoms(sympy.Sum))]
    values = {s: sympy.Rational(rng.randint(1, 97), 89) for s in outer_sums}
    reduced = expr.xreplace(values)
    values = {e: sympy.Rational(rng.randint(-97, 97), 89) for e in reduced.atoms(sympy.Indexed)}
    reduced = reduced.xreplace(values)
    values = {s: sympy.Integer(rng.randint(2, 9)) for s in reduced.free_symbols}
    try:
        value = sympy.N(reduced.xreplace(values), 30)
    except (ArithmeticError, TypeError, ValueError, RecursionError):
        return False
    return bool(value.is_number and value.is_finite and value.is_real is not False
                and abs(value) > 1e-12)


def _factor_cancels(factor, splits: int = 0) -> bool:
    import sympy
    if factor.is_Pow and factor.exp.is_positive:
        factor = factor.base
    if len(factor.atoms(sympy.Function)) > CANCEL_ATOMS or size(factor) > NODE_BUDGET:
        return False
    if _nonzero_somewhere(factor):
        return False
    try:
        if sympy.cancel(factor) == 0:
            return True
        rewritten = sympy.piecewise_fold(factor.rewrite(sympy.exp))
        if isinstance(rewritten, sympy.Piecewise):
            if all(sympy.cancel(branch) == 0 for branch, _ in rewritten.args):
                return True
        elif sympy.cancel(rewritten) == 0:
            return True
    except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
        return False
    return _kink_cases(factor, splits)


def _kink_cases(expr, splits: int) -> bool:
    """True when ``expr`` cancels on each side of a kink: for the first
    ``Heaviside(u, 0)`` whose u is one value (a symbol, an entry), once with
    u positive, once negative, once 0.  Kinks inside kinks need it:
    leaky_relu'(leaky_relu(z)) is leaky_relu'(z) because the activation keeps
    the sign.  At most ``MAX_KINK_SPLITS`` kinks are split (3 cases each)."""
    import sympy
    if splits >= MAX_KINK_SPLITS:
        return False
    kinks = sorted({h.args[0] for h in expr.atoms(sympy.Heaviside)
                    if h.args[0].is_Symbol or isinstance(h.args[0], sympy.Indexed)},
                   key=sympy.default_sort_key)
    if not kinks:
        return False
    value = sympy.Dummy("u", positive=True)
    return all(_factor_cancels(expr.xreplace({kinks[0]: side}), splits + 1)
               for side in (value, -value, sympy.S.Zero))


def index_zero(expr, rules: tuple = ()) -> bool:
    """True when an index-form entry is shown to be 0 for every size.

    The sums are brought to normal form (:func:`symbp.truth.indexed.normal`),
    sums over the same range are merged into one (:func:`~symbp.truth.indexed.linear_sums`),
    and what is outside every sum and each merged summand must cancel on its
    own: sufficient, since a sum of zeros is zero, whatever the range.
    Raises :class:`~symbp.truth.indexed.TooLarge` past the size budget.

    >>> import sympy
    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> t, u = sympy.symbols("t u", integer=True)
    >>> G = sympy.IndexedBase("G")
    >>> index_zero(sympy.Sum(2 * G[t], (t, 0, n - 1)) - 2 * sympy.Sum(G[u], (u, 0, n - 1)))
    True
    """
    from symbp.truth.indexed import linear_sums, normal
    expr = normal(expr, rules)
    if expr == 0:
        return True
    rest, groups = linear_sums(expr)
    if not cancels(rest):
        return False
    return all(index_zero(summand, rules) for _, summand in groups.values())
