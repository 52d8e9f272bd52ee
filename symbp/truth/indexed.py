"""Index-form algebra over symbolic sizes: SymPy sums brought to a normal form.

An entry of a matrix whose sizes are symbols (n[k], m) is a SymPy expression
in its row and column indices, with ``Sum`` over dummies whose bounds are
those symbols.  SymPy's own ``doit`` leaves such sums as they are (a
``KroneckerDelta`` inside a sum with other limits, a factor that does not
depend on the dummy), and bound variables with different names make equal
sums look different.  :func:`normal` rewrites an expression so that

* a range guard ``Piecewise((e, 0 <= p <= n - 1), (0, True))`` is ``e``: every
  index here is in range by construction (``p`` indexes the matrix it came from);
* a sum is split over the terms of its summand (a product of sums is
  distributed first), each term's factors free of the dummy are moved out,
  a summand free of the dummy is multiplied by the range's length, and a
  ``KroneckerDelta(t, e)`` factor collapses the sum over t to t = e;
* every sum's dummy is a canonical symbol named after the sum's nesting
  height (``_k1`` for a sum with no sum inside, ``_k2`` around it, ...), so
  that equal sums are equal objects and an inner dummy never captures an
  outer one;
* ``rules`` (functions from a canonical Sum to its value, or None) rewrite the
  sums they recognise: what the sampling guarantees, such as cce targets
  summing to 1 over the units.

The work is bounded by size, never by a clock: distributing a product may
make at most ``MAX_TERMS`` terms, else :class:`TooLarge` is raised.

>>> import sympy
>>> n = sympy.Symbol("n", integer=True, positive=True)
>>> t, p = sympy.Symbol("t", integer=True), sympy.Symbol("p", integer=True)
>>> G = sympy.IndexedBase("G")
>>> normal(sympy.Sum(2 * G[t] * sympy.KroneckerDelta(t, p), (t, 0, n - 1)))
2*G[p]
>>> normal(sympy.Sum(3 * G[t], (t, 0, n - 1))) == normal(sympy.Sum(3 * G[p], (p, 0, n - 1)))
True
"""

from __future__ import annotations

from functools import cache

import sympy

MAX_TERMS = 2000


class TooLarge(Exception):
    """The expression is over the size budget of the index algebra.

    >>> t, n = sympy.Symbol("t", integer=True), sympy.Symbol("n", integer=True, positive=True)
    >>> a, b = sympy.symbols("a0:50"), sympy.symbols("b0:50")
    >>> normal(sympy.Sum(t * sympy.Add(*a) * sympy.Add(*b), (t, 0, n - 1)))
    Traceback (most recent call last):
    ...
    symbp.truth.indexed.TooLarge: more than 2000 terms
    """


@cache
def _canonical_dummy(height: int) -> sympy.Symbol:
    """The bound variable of every sum of nesting height ``height``."""
    return sympy.Symbol(f"_k{height}", integer=True)


def _height(expr) -> int:
    """How deeply sums nest in ``expr`` (0 without sums)."""
    if isinstance(expr, sympy.Sum):
        return 1 + max((_height(arg) for arg in expr.args), default=0)
    if not expr.args:
        return 0
    return max(_height(arg) for arg in expr.args)


def _index_relation(relation) -> bool:
    relations = (sympy.GreaterThan, sympy.LessThan, sympy.StrictGreaterThan,
                 sympy.StrictLessThan)
    return isinstance(relation, relations) and not relation.has(sympy.Indexed) and all(
        symbol.is_integer for symbol in relation.free_symbols)


def _is_range_guard(expr) -> bool:
    """True for ``Piecewise((e, index bounds), (0, True))``: a condition on
    integer indices and sizes only (never on a value such as z > 0)."""
    if not isinstance(expr, sympy.Piecewise) or len(expr.args) != 2:
        return False
    (_, condition), (otherwise, last) = expr.args
    if last != sympy.true or otherwise != 0:
        return False
    return all(_index_relation(r) for r in sympy.And.make_args(condition))


def _indicator(condition):
    """Heaviside(x, 0) (1 where x > 0, else 0: step's convention) for a
    condition x > 0 and its relatives, or None."""
    lhs, rhs = getattr(condition, "lhs", None), getattr(condition, "rhs", None)
    if isinstance(condition, sympy.StrictGreaterThan):
        return sympy.Heaviside(lhs - rhs, 0)
    if isinstance(condition, sympy.StrictLessThan):
        return sympy.Heaviside(rhs - lhs, 0)
    if isinstance(condition, sympy.GreaterThan):
        return 1 - sympy.Heaviside(rhs - lhs, 0)
    if isinstance(condition, sympy.LessThan):
        return 1 - sympy.Heaviside(lhs - rhs, 0)
    return None


def indicator_form(expr):
    """``Piecewise((e1, x > 0), (e2, True))`` written ``e1 H(x) + e2 (1 - H(x))``
    with H = ``Heaviside(., 0)``: a kink's branches as a sum, which sums and
    cancelling treat like any other term (SymPy's Piecewise would also merge
    the conditions of nested branches, out of the sums they belong to).

    >>> z = sympy.Symbol("z", real=True)
    >>> indicator_form(sympy.Piecewise((z, z > 0), (0, True)))
    z*Heaviside(z, 0)
    """
    def convert(piecewise):
        (first, condition), (second, otherwise) = piecewise.args
        step = _indicator(condition) if otherwise == sympy.true else None
        if step is None:
            return piecewise
        return first * step + second * (1 - step)
    return expr.replace(lambda e: isinstance(e, sympy.Piecewise) and len(e.args) == 2
                        and not _is_range_guard(e), convert)


def _terms(expr) -> list:
    """The additive terms of ``expr`` with products of sums distributed (top
    level only: function arguments and powers are left as they are)."""
    if expr.is_Add:
        found = []
        for arg in expr.args:
            found += _terms(arg)
            if len(found) > MAX_TERMS:
                raise TooLarge(f"more than {MAX_TERMS} terms")
        return found
    if expr.is_Mul:
        found = [sympy.S.One]
        for factor in expr.args:
            parts = _terms(factor) if factor.is_Add else [factor]
            if len(found) * len(parts) > MAX_TERMS:
                raise TooLarge(f"more than {MAX_TERMS} terms")
            found = [f * part for f in found for part in parts]
        return found
    return [expr]


def normal(expr, rules: tuple = ()):
    """``expr`` in the normal form described in the module doc.

    >>> p, t = sympy.Symbol("p", integer=True), sympy.Symbol("t", integer=True)
    >>> n, G = sympy.Symbol("n", integer=True, positive=True), sympy.IndexedBase("G")
    >>> normal(sympy.Sum(G[p], (t, 0, n - 1))), normal(sympy.Sum(G[t], (t, 0, n - 1)))
    (n*G[p], Sum(G[_k1], (_k1, 0, n - 1)))
    """
    if not expr.args or isinstance(expr, sympy.Indexed):
        return expr
    if isinstance(expr, sympy.Sum):
        inner = normal(expr.function, rules)
        for dummy, low, high in expr.limits:  # innermost first
            inner = _sum(inner, dummy, low, high, rules)
        return inner
    args = [normal(arg, rules) for arg in expr.args]
    if not all(new is old for new, old in zip(args, expr.args, strict=True)):
        expr = expr.func(*args)
    if _is_range_guard(expr):
        return expr.args[0].expr
    return expr


def _kronecker(term, dummy):
    """``(e, term at dummy = e)`` when ``term`` is 0 unless dummy = e: it has a
    ``KroneckerDelta(dummy, e)`` factor, or one in every branch of a
    Piecewise (a relu's derivative); else None."""
    for delta in term.atoms(sympy.KroneckerDelta):
        first, second = delta.args
        other = second if first == dummy else first if second == dummy else None
        if other is None or dummy in other.free_symbols:
            continue
        if sympy.piecewise_fold(term.xreplace({delta: sympy.S.Zero})) == 0:
            return other, term.xreplace({dummy: other})
    return None


def _sum(summand, dummy, low, high, rules):
    """The normal form of ``Sum(summand, (dummy, low, high))``, summand normal."""
    length = high - low + 1
    if length.is_Integer and length <= 1:  # a batch of one, a single unit
        for rule in rules:  # before the sum is gone: sum_j y[j] = 1 is y[0] = 1 here
            value = rule(sympy.Sum(summand, (dummy, low, high)))
            if value is not None:
                return value
        return normal(summand.xreplace({dummy: low}), rules) if length == 1 else sympy.S.Zero
    total = []
    for term in _terms(summand):
        factors = sympy.Mul.make_args(term)
        outside = [f for f in factors if dummy not in f.free_symbols]
        inside = [f for f in factors if dummy in f.free_symbols]
        if not inside:
            total.append(sympy.Mul(*outside) * (high - low + 1))
            continue
        found = _kronecker(sympy.Mul(*inside), dummy)
        if found is not None:
            total.append(sympy.Mul(*outside) * normal(found[1], rules))
            continue
        total.append(sympy.Mul(*outside) * _canonical(sympy.Mul(*inside), dummy, low, high,
                                                      rules))
    return sympy.Add(*total)


def _canonical(summand, dummy, low, high, rules):
    bound = _canonical_dummy(_height(summand) + 1)
    result = sympy.Sum(summand.xreplace({dummy: bound}), (bound, low, high))
    for rule in rules:
        value = rule(result)
        if value is not None:
            return value
    return result


def linear_sums(expr) -> tuple:
    """``expr`` (normal) as ``rest + sum over ranges``: a dict from each range
    ``(low, high)`` to the summand that sums over it, in a fresh dummy, and the
    terms with no sum as a factor.

    Sums over the same range are merged into one (factors outside a sum do
    not depend on its dummy, so they move inside), which is how two sides
    written with differently grouped sums are compared.

    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> G, Z, t = sympy.IndexedBase("G"), sympy.IndexedBase("Z"), sympy.Symbol("t", integer=True)
    >>> expr = normal(sympy.Sum(G[t], (t, 0, n - 1)) + 2 * sympy.Sum(Z[t], (t, 0, n - 1)) + 1)
    >>> rest, sums = linear_sums(expr)
    >>> (dummy, summand), = sums.values()
    >>> rest, list(sums), summand.xreplace({dummy: t})
    (1, [(0, n - 1)], G[t] + 2*Z[t])
    """
    groups, rest = {}, []
    for term in _terms(expr):
        factors = sympy.Mul.make_args(term)
        sums = sorted((f for f in factors if isinstance(f, sympy.Sum)
                       and len(f.limits) == 1), key=sympy.default_sort_key)
        if not sums:
            rest.append(term)
            continue
        chosen = sums[0]
        others = list(factors)
        others.remove(chosen)
        (bound, low, high), = chosen.limits
        key = (low, high)
        if key not in groups:
            groups[key] = (sympy.Dummy("t", integer=True), [])
        fresh, parts = groups[key]
        parts.append(sympy.Mul(*others) * chosen.function.xreplace({bound: fresh}))
    merged = {key: (fresh, sympy.Add(*parts)) for key, (fresh, parts) in groups.items()}
    return sympy.Add(*rest), merged


def _renamed(expr):
    """``expr`` with every sum's bound variable a fresh dummy: a canonical
    ``_k1`` put where an expression with sums of its own is substituted
    could otherwise capture theirs."""
    def fresh(total):
        (bound, low, high), = total.limits
        dummy = sympy.Dummy("t", integer=True)
        return sympy.Sum(total.function.xreplace({bound: dummy}), (dummy, low, high))
    return expr.replace(lambda e: isinstance(e, sympy.Sum) and len(e.limits) == 1, fresh)


def instantiate(template, symbols: dict, bases: dict):
    """``template`` with symbols replaced (``symbols``) and every entry
    ``B[i, ...]`` of an IndexedBase in ``bases`` replaced by ``bases[B](i, ...)``;
    the template's sums get fresh bound variables first (``_renamed``).

    >>> G, Z, k = sympy.IndexedBase("G"), sympy.IndexedBase("Z"), sympy.Symbol("k", integer=True)
    >>> instantiate(2 * G[k], {k: 3}, {G: lambda i: Z[i] ** 2})
    2*Z[3]**2
    """
    template = _renamed(template)
    expr = template.xreplace(symbols) if symbols else template
    if not bases:
        return expr
    return expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in bases,
                        lambda e: bases[e.base](*e.indices))
