"""Vector-Jacobian lemmas: each local piece differentiated once, for every size.

Every width and the batch size are SymPy symbols (``n`` units, ``n_prev``
inputs, ``m`` samples), so one derivation serves every network.  Each piece
is a forward definition taken from the tables (:mod:`symbp.tables`), and its
derivative is SymPy's ``diff`` of a *probe*: the piece's output paired with a
generic upstream gradient ``G``.  The derivative of the probe is the
vector-Jacobian product of the piece at ``G`` (every entry of its Jacobian,
not only the diagonal), which is all the chain rule needs:

* activation: ``a[p] = act(Z)[p]`` in index form (``Z``, ``G`` IndexedBase,
  ``p`` a unit); lemma ``d/dZ[p] sum_i G[i] a[i]``;
* loss: one sample's loss ``loss(A, Y)`` in index form; lemma ``d/dA[p]``;
* reduction: the total of the per-sample losses ``l[s]``; lemma ``d/dl[p]``;
* affine map, in matrix form with ``MatrixSymbol`` (the layout's own
  orientation: ``W A + b 1^T`` in column layout, ``A W + 1 b^T`` in row
  layout); lemmas ``d/dW``, ``d/dA``, ``d/db`` of ``trace(G^T Z)``.

No backprop formula is written here: the pieces are the forward
definitions, and :mod:`symbp.truth.chain` composes the lemmas by the chain
rule.  :func:`settle` only tidies SymPy's results into sums that NumPy can
evaluate (index ranges, Kronecker deltas, constant factors), each step an
identity of finite sums.  :mod:`symbp.truth.vectorise` turns a lemma into
NumPy code.  Each lemma is derived once per process (and its code once per
table entry, :mod:`symbp.truth.store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy
from sympy import Add, IndexedBase, KroneckerDelta, MatrixSymbol, OneMatrix, Piecewise, Sum, Trace
from sympy.simplify.simplify import factor_sum

from symbp.tables import ACTIVATIONS, LOSSES, REDUCTION_FORMS

n = sympy.Symbol("n", integer=True, positive=True)        # units of the layer
n_prev = sympy.Symbol("n_prev", integer=True, positive=True)  # units of the layer below
m = sympy.Symbol("m", integer=True, positive=True)        # samples in the batch
p = sympy.Symbol("p", integer=True, nonnegative=True)     # one unit (or sample), any


def _array(name):
    return IndexedBase(name, real=True)


@dataclass(frozen=True)
class IndexLemma:
    """Functions of whole arrays, each given by its value at entry ``p`` of
    the arrays' ``index`` axis, ``p`` running over ``size`` entries.

    ``functions`` maps a function name to ``(argument names, expression)``.

    >>> lemma = loss("half_sse")
    >>> lemma.size, lemma.functions["gradient"]
    (n, (('A', 'Y'), A[p] - Y[p]))
    """

    size: sympy.Symbol
    functions: dict


@dataclass(frozen=True)
class MatrixLemma:
    """Functions of matrices: ``functions`` maps a name to ``(arguments, expression)``,
    the arguments being ``MatrixSymbol``.

    >>> affine("row", bias=False).functions["vjp_A"][1]
    G*W.T
    """

    functions: dict


def _is_range_guard(piece) -> bool:
    # SymPy guards a sifted sum by "p lies in the summation range"; p is a
    # valid index by definition.  A guard made of inequalities in p, n, m
    # alone describes an interval of p, so if it holds at both ends of the
    # range it holds everywhere on it
    if not (isinstance(piece, Piecewise) and len(piece.args) == 2
            and piece.args[1].cond == sympy.true and piece.args[1].expr == 0):
        return False
    cond = piece.args[0].cond
    parts = cond.args if isinstance(cond, sympy.And) else (cond,)
    if not all(isinstance(c, (sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt)) for c in parts) \
            or cond.atoms(sympy.Indexed) or not cond.free_symbols <= {p, n, m}:
        return False
    size = n if n in cond.free_symbols else m
    return all(cond.subs(p, at) == sympy.true for at in (0, size - 1))


def _drop_range_guards(expr):
    return expr.replace(_is_range_guard, lambda piece: piece.args[0].expr)


def _sift(total):
    """sum_i delta(i, q) f(i) = f(q) when every term of the body carries the
    delta (the body is zero wherever i != q) and q lies in the range."""
    body, (i, low, high) = total.function, total.limits[0]
    for delta in body.atoms(KroneckerDelta):
        if i not in delta.free_symbols:
            continue
        (other,) = [arg for arg in delta.args if arg != i] or [i]
        # another index (p, or an enclosing sum's) over the same full range
        if other == i or not isinstance(other, sympy.Symbol) or \
                (low, high) != (0, (n if n in high.free_symbols else m) - 1):
            continue
        if sympy.piecewise_fold(body.xreplace({delta: 0})) == 0:
            return body.xreplace({delta: 1}).xreplace({i: other})
    return total


def _split(total):
    """A sum of an Add as the Add of sums, each with its constant factors outside."""
    body, limits = total.function, total.limits
    terms = body.args if isinstance(body, Add) else (body,)
    return Add(*[factor_sum(Sum(term, *limits)) for term in terms])


def settle(expr):
    """SymPy's derivative tidied into sums NumPy evaluates: ``doit``, index
    guards dropped, Kronecker deltas sifted, sums split and their constant
    factors taken out; repeated until nothing changes.

    >>> G, Z = _array("G"), _array("Z")
    >>> i = sympy.Symbol("i", integer=True)
    >>> settle(sympy.diff(Sum(G[i] * Z[i] ** 2, (i, 0, n - 1)), Z[p]))
    2*G[p]*Z[p]
    """
    for _ in range(10):
        before = expr
        expr = _drop_range_guards(expr.doit())
        expr = expr.replace(lambda e: isinstance(e, Sum), _sift)
        expr = expr.replace(lambda e: isinstance(e, Sum), _split).doit()
        if expr == before:
            return expr
    raise AssertionError(f"settle does not converge on {expr}")


@cache
def activation(name: str) -> IndexLemma:
    """``forward`` and the vector-Jacobian product ``vjp`` of an activation.

    >>> activation("tanh").functions["vjp"]
    (('Z', 'G'), (1 - tanh(Z[p])**2)*G[p])
    """
    act = ACTIVATIONS[name]
    Z, G = _array("Z"), _array("G")
    i = sympy.Dummy("i", integer=True, nonnegative=True)
    probe = Sum(G[i] * act.sympy_indexed(Z, i, n), (i, 0, n - 1))
    return IndexLemma(n, {
        "forward": (("Z",), settle(act.sympy_indexed(Z, p, n))),
        "vjp": (("Z", "G"), settle(sympy.diff(probe, Z[p]))),
    })


@cache
def loss(name: str) -> IndexLemma:
    """One sample's loss (``value``, summed over the units) and its ``gradient``.

    >>> loss("mse").functions["gradient"]
    (('A', 'Y'), (2*A[p] - 2*Y[p])/n)
    """
    A, Y = _array("A"), _array("Y")
    per_sample = LOSSES[name].indexed(A, Y, n)
    return IndexLemma(n, {
        "value": (("A", "Y"), per_sample),
        "gradient": (("A", "Y"), settle(sympy.diff(per_sample, A[p]))),
    })


@cache
def reduction(name: str) -> IndexLemma:
    """The ``total`` of the per-sample losses and ``weights``, d total / d loss[p].

    >>> reduction("mean").functions["weights"]
    (('losses',), 1/m)
    """
    losses = _array("losses")
    total = REDUCTION_FORMS[name](losses, m)
    return IndexLemma(m, {
        "total": (("losses",), total),
        "weights": (("losses",), settle(sympy.diff(total, losses[p]))),
    })


@cache
def affine(layout: str, bias: bool) -> MatrixLemma:
    """The affine map of a layer in the layout's orientation and its three
    vector-Jacobian products, for every n_prev, n and m.

    >>> lemma = affine("column", True).functions
    >>> lemma["vjp_W"][1], lemma["vjp_A"][1], lemma["vjp_b"][1]
    (G*A.T, W.T*G, G*1)
    """
    column = layout == "column"
    W = MatrixSymbol("W", *((n, n_prev) if column else (n_prev, n)))
    A = MatrixSymbol("A", *((n_prev, m) if column else (m, n_prev)))
    G = MatrixSymbol("G", *((n, m) if column else (m, n)))
    b = MatrixSymbol("b", *((n, 1) if column else (1, n)))
    Z = W * A if column else A * W
    if bias:
        Z = Z + (b * OneMatrix(1, m) if column else OneMatrix(m, 1) * b)
    probe = Trace(G.T * Z)
    functions = {
        "forward": ((W, A, b) if bias else (W, A), Z),
        "vjp_W": ((G, A), probe.diff(W)),
        "vjp_A": ((W, G), probe.diff(A)),
    }
    if bias:
        functions["vjp_b"] = ((G,), probe.diff(b))
    return MatrixLemma(functions)


# every lemma by the kind of piece; the parameters name the table entry
LEMMAS = {"activation": activation, "loss": loss, "reduction": reduction, "affine": affine}
