"""The element-wise route's code: from one network's local derivatives,
entry by entry, to vectorised NumPy code (:mod:`symbp.truth.program`).

The element-wise route (:mod:`symbp.truth.pieces`) differentiates each
local piece of one sample (affine map, activation, loss) symbolically, one
symbol per weight; the truth of ``Network.gradient`` is derived once for
every size instead (:mod:`symbp.truth.lemmas`).  A piece's derivative is a
sparse matrix of expressions, one per (output, input) pair.  Lambdifying
every entry is what makes naive symbolic gradients slow (issue 9: tens of
seconds at width 64), so before any code is emitted the derived entries are
checked, one by one, against a template that NumPy evaluates in one call:

* :func:`elementwise_template`: entry i is ``f(s_i1, s_i2, ...)`` for a single
  expression ``f`` of the i-th symbols only (sigmoid, the loss term
  ``(a_j - y_j)**2 / 2``, ...): ``f`` is differentiated once
  (:func:`template_jacobian`) and lambdified once for whole arrays;
* :func:`normalised_template`: entry i is ``f(z_i, S)`` with one symmetric sum
  ``S = sum_k g(z_k)`` (softmax): f and g are differentiated once and the
  chain rule through S gives the full Jacobian's product with a vector;
* :func:`affine_template`: d z_i / d a_j is the weight symbol at (i, j) or
  (j, i), d z_i / d W is the matching input symbol, d z_i / d b_i is 1, and
  ``z`` is exactly that linear form: matrix products.

An entry family that fits no template is differentiated and evaluated entry
by entry (:func:`sparse_jacobian`, :class:`EntryCode`), so an activation or
loss of any form stays exact, only slower.

Expressions may come from SymPy or SymEngine (:func:`engine`): both give the
same derivatives of the affine map, SymEngine about 80x faster (1.5 us against
125 us per entry), which is what keeps wide networks within seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import reduce
from operator import add

import numpy as np
import sympy


def engine():
    """The symbolic engine for the big, simple affine pieces.

    SymEngine when it is installed (and ``SYMBP_ENGINE`` is not ``sympy``),
    else SymPy.  Activations and losses are always differentiated by SymPy,
    whose Piecewise/Abs forms carry the kink conventions.

    >>> engine().__name__ in ("symengine", "sympy")
    True
    """
    if os.environ.get("SYMBP_ENGINE", "").lower() != "sympy":
        try:
            import symengine
            return symengine
        except ImportError:  # optional speed-up; SymPy gives the same entries
            pass
    return sympy


def sparse_jacobian(exprs, wrt) -> dict[tuple[int, int], object]:
    """The nonzero entries ``{(i, k): d exprs[i] / d wrt[k]}``, by the engine's ``diff``.

    A sum is differentiated term by term (the sum rule), each term only
    with respect to its own free symbols, so a row costs its length rather
    than its length times the number of symbols.

    >>> x, y = sympy.symbols("x y")
    >>> sparse_jacobian([x * y + 3, x], [x, y])
    {(0, 0): y, (0, 1): x, (1, 0): 1}
    """
    index = {s: k for k, s in enumerate(wrt)}
    entries = {}
    for i, expr in enumerate(exprs):
        terms = expr.args if type(expr).__name__ == "Add" else (expr,)
        parts: dict[int, list] = {}
        for term in terms:
            for s in term.free_symbols:
                k = index.get(s)
                if k is not None:
                    parts.setdefault(k, []).append(term.diff(s))
        for k in sorted(parts):
            d = parts[k][0] if len(parts[k]) == 1 else reduce(add, parts[k])
            if d != 0:
                entries[(i, k)] = d
    return entries


def _lambdify(args, expr, cse=False):
    return sympy.lambdify(args, expr, modules="numpy", cse=cse)


@dataclass
class ElementwiseCode:
    """One scalar expression ``template`` of ``holes``, applied to whole arrays.

    >>> u = sympy.Symbol("u")
    >>> ElementwiseCode((u,), u**2)(np.array([1.0, 3.0])), ElementwiseCode((u,), 1)(np.zeros(2))
    (array([1., 9.]), array([1., 1.]))
    """

    holes: tuple
    template: object

    def __post_init__(self):
        self._fn = _lambdify(self.holes, self.template)

    def __call__(self, *arrays):
        value = self._fn(*arrays)
        # a constant template (identity' = 1) comes back as a Python number
        return np.broadcast_to(np.asarray(value, dtype=float), np.shape(arrays[0])).copy()


def _as_sympy(expr):
    """A SymPy object from one of SymPy's, SymEngine's, or a Python number
    (never from text: entries are built by symbp, not parsed)."""
    if isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, (int, float)):
        return sympy.Integer(expr) if isinstance(expr, int) else sympy.Float(expr)
    return expr._sympy_()  # SymEngine's own conversion


def elementwise_template(exprs, symbol_rows):
    """``(holes, f)`` if every ``exprs[i]`` is ``f`` at ``symbol_rows[i]``, else None.

    ``symbol_rows[i]`` is a tuple of symbols (``(z_i,)``, ``(a_i, y_i)``).
    The template is read off entry 0 and checked against every entry, so
    a family that depends on another index's symbols (softmax) is refused.

    >>> z = sympy.symbols("z0:3", real=True)
    >>> holes, f = elementwise_template([sympy.tanh(s) for s in z], [(s,) for s in z])
    >>> f == sympy.tanh(holes[0])
    True
    >>> elementwise_template([z[0] + z[1], z[1]], [(z[0],), (z[1],)]) is None
    True
    """
    width = len(symbol_rows[0])
    holes = tuple(sympy.Dummy(f"u{k}", real=True) for k in range(width))
    template = _as_sympy(exprs[0]).xreplace(dict(zip(symbol_rows[0], holes, strict=True)))
    if not template.free_symbols <= set(holes):
        return None
    for expr, row in zip(exprs[1:], symbol_rows[1:], strict=True):
        if _as_sympy(expr) != template.xreplace(dict(zip(holes, row, strict=True))):
            return None
    return holes, template


def elementwise(exprs, symbol_rows) -> ElementwiseCode | None:
    """:func:`elementwise_template` as code, or None.

    >>> z = sympy.symbols("z0:3", real=True)
    >>> elementwise([sympy.tanh(s) for s in z], [(s,) for s in z])(np.zeros((3, 2))).shape
    (3, 2)
    """
    found = elementwise_template(exprs, symbol_rows)
    return ElementwiseCode(*found) if found else None


def template_jacobian(holes, template, symbol_rows, position=0):
    """The Jacobian of an element-wise family ``exprs[i] = f(symbol_rows[i])``
    with respect to ``symbol_rows[i][position]``: diagonal, and ``f`` is
    differentiated once instead of once per entry (exact: entry i depends on
    row i's symbols only, through the same f).

    Returns ``(derivative template, {(i, i): entry})`` without zero entries.

    >>> z = sympy.symbols("z0:2", real=True)
    >>> holes, f = elementwise_template([s**3 for s in z], [(s,) for s in z])
    >>> template_jacobian(holes, f, [(s,) for s in z])[1]
    {(0, 0): 3*z0**2, (1, 1): 3*z1**2}
    """
    derivative = template.diff(holes[position])
    entries = {}
    if derivative != 0:
        for i, row in enumerate(symbol_rows):
            entries[(i, i)] = derivative.xreplace(dict(zip(holes, row, strict=True)))
    return derivative, entries


def separable_terms(expr, symbol_rows):
    """``expr`` as a sum of one group of terms per row, each group using only
    its row's symbols (a loss summed over output units), or None.

    >>> a, y = sympy.symbols("a0:2", real=True), sympy.symbols("y0:2", real=True)
    >>> separable_terms((a[0] - y[0])**2 + (a[1] - y[1])**2, list(zip(a, y)))
    [(a0 - y0)**2, (a1 - y1)**2]
    """
    owner = {s: i for i, row in enumerate(symbol_rows) for s in row}
    groups: list[list] = [[] for _ in symbol_rows]
    for term in (expr.args if expr.is_Add else (expr,)):
        rows = {owner.get(s, -1) for s in term.free_symbols}
        if len(rows) != 1 or -1 in rows:
            return None
        groups[rows.pop()].append(term)
    if not all(groups):
        return None
    return [sympy.Add(*group) for group in groups]


def _symmetric(expr, symbols) -> bool:
    # a swap and a cycle generate every permutation of the symbols
    swap = {symbols[0]: symbols[1], symbols[1]: symbols[0]}
    cycle = dict(zip(symbols, symbols[1:] + symbols[:1], strict=True))
    return expr.xreplace(swap) == expr and expr.xreplace(cycle) == expr


@dataclass
class NormalisedTemplate:
    """``exprs[i] = f(z_i, S)`` with ``S = sum_k g(z_k)`` (softmax: f = exp(u)/s,
    g = exp), each checked per entry; f and g are differentiated once.

    >>> z = sympy.symbols("z0:2", real=True)
    >>> total = sympy.exp(z[0]) + sympy.exp(z[1])
    >>> normalised_template([sympy.exp(s) / total for s in z], z).jacobian(z)[(0, 1)]
    -exp(z0)*exp(z1)/(exp(z0) + exp(z1))**2
    """

    u: object
    s: object
    f: object
    g: object
    f_u: object = None
    f_s: object = None
    g_u: object = None

    def __post_init__(self):
        self.f_u, self.f_s, self.g_u = self.f.diff(self.u), self.f.diff(self.s), self.g.diff(self.u)

    def jacobian(self, zs):
        """Every entry d exprs[i] / d z_k = [i = k] f_u + f_s g'(z_k) (the chain rule), at S."""
        total = sympy.Add(*[self.g.xreplace({self.u: z}) for z in zs])
        entries = {}
        for i, zi in enumerate(zs):
            at = {self.u: zi, self.s: total}
            for k, zk in enumerate(zs):
                d = self.f_s.xreplace(at) * self.g_u.xreplace({self.u: zk})
                d = d + self.f_u.xreplace(at) if i == k else d
                if d != 0:
                    entries[(i, k)] = d
        return entries


def normalised_template(exprs, zs) -> NormalisedTemplate | None:
    """A :class:`NormalisedTemplate` for a family that mixes every unit through
    one symmetric sum (softmax), or None.

    >>> z = sympy.symbols("z0:3", real=True)
    >>> total = sum(sympy.exp(s) for s in z)
    >>> t = normalised_template([sympy.exp(s) / total for s in z], z)
    >>> t.f, t.g
    (exp(_u)/_s, exp(_u))
    """
    zs = list(zs)
    if len(zs) < 2:
        return None
    u, s = sympy.Dummy("u", real=True), sympy.Dummy("s", real=True)
    for total in sympy.preorder_traversal(exprs[0]):
        if not (total.is_Add and set(zs) <= total.free_symbols and _symmetric(total, zs)):
            continue
        units = separable_terms(total, [(z,) for z in zs])
        g = units and elementwise_template(units, [(z,) for z in zs])
        f = elementwise_template([e.xreplace({total: s}) for e in exprs], [(z, s) for z in zs])
        if g and f:
            return NormalisedTemplate(u, s, f[1].xreplace({f[0][0]: u, f[0][1]: s}),
                                      g[1].xreplace({g[0][0]: u}))
    return None


class NormalisedCode:
    """:class:`NormalisedTemplate` as NumPy on units-first arrays (units x samples).

    >>> z = sympy.symbols("z0:2", real=True)
    >>> softmax = NormalisedCode(normalised_template([sympy.exp(s) / sum(map(sympy.exp, z))
    ...                                              for s in z], z))
    >>> softmax(np.zeros((2, 1))).ravel(), softmax.vjp(np.zeros((2, 1)), np.eye(2)[:, :1]).ravel()
    (array([0.5, 0.5]), array([ 0.25, -0.25]))
    """

    def __init__(self, t: NormalisedTemplate):
        pair = (t.u, t.s)
        self.f, self.f_u, self.f_s = (ElementwiseCode(pair, e) for e in (t.f, t.f_u, t.f_s))
        self.g, self.g_u = ElementwiseCode((t.u,), t.g), ElementwiseCode((t.u,), t.g_u)

    def _total(self, z):
        return np.broadcast_to(self.g(z).sum(axis=0), z.shape)

    def __call__(self, z):
        return self.f(z, self._total(z))

    def vjp(self, z, upstream):
        """delta_k = upstream_k f_u(z_k, S) + g'(z_k) sum_i upstream_i f_s(z_i, S)."""
        total = self._total(z)
        mixed = (upstream * self.f_s(z, total)).sum(axis=0)
        return upstream * self.f_u(z, total) + self.g_u(z) * mixed


class EntryCode:
    """The per-entry fallback: every expression lambdified (with common
    subexpressions shared), evaluated on arrays that broadcast over the batch.

    >>> z = sympy.symbols("z0:2", real=True)
    >>> EntryCode(z, [z[0] * z[1], z[0]])(np.array([2.0]), np.array([3.0]))
    [array([6.]), array([2.])]
    """

    def __init__(self, args, exprs):
        self.count = len(exprs)
        self._fn = _lambdify(list(args), list(exprs), cse=True) if exprs else None

    def __call__(self, *arrays):
        if self._fn is None:
            return []
        shape = np.broadcast(*arrays).shape if arrays else ()
        return [np.broadcast_to(np.asarray(v, dtype=float), shape)
                for v in self._fn(*arrays)]


@dataclass(frozen=True)
class AffineCode:
    """``z = W_eff @ a + b`` as NumPy; ``transposed`` when ``W_eff`` is ``W.T``.

    >>> AffineCode(transposed=False, bias=True).forward(np.eye(2), np.ones(2), np.ones((2, 1)))
    array([[2.],
           [2.]])
    """

    transposed: bool
    bias: bool

    def weights(self, W):
        return W.T if self.transposed else W

    def forward(self, W, b, a):
        z = self.weights(W) @ a
        return z + b.reshape(-1, 1) if self.bias else z

    def input_vjp(self, W, delta):
        return self.weights(W).T @ delta

    def param_vjp(self, delta, a, weights, W_shape, b_shape):
        """dW (in W's own shape) and db of the weighted sum over samples."""
        scaled = delta * weights
        dW = scaled @ a.T
        dW = dW.T if self.transposed else dW
        db = scaled.sum(axis=1).reshape(b_shape) if self.bias else None
        return dW.reshape(W_shape), db


def affine_template(z, a, W, b, J_a, J_W, J_b) -> AffineCode | None:
    """An :class:`AffineCode` if the derived entries are those of a matrix product.

    ``z`` is the list of one sample's pre-activations, ``a`` its input
    symbols, ``W`` the weight symbols as a list of rows, ``b`` the flat
    list of bias symbols (empty without bias); ``J_a``, ``J_W``, ``J_b`` are
    :func:`sparse_jacobian` results (``W`` flattened row by row).  Checked
    per entry: d z_i/d a_j = W[i][j] (or W[j][i]), d z_i/d W[r][c] = a_c at
    r = i (or a_r at c = i) and nothing else, d z_i/d b_k = [i = k], and
    z_i - sum_j (d z_i/d a_j) a_j - sum_k (d z_i/d b_k) b_k = 0.

    >>> from symbp.network import Network
    >>> from symbp.truth.pieces import derive
    >>> p = derive(Network(layers=[2, 1], layout="row")).affine[1]   # z = a W + b
    >>> affine_template(p.z, p.a, p.W, p.b, p.J_a, p.J_W, p.J_b)
    AffineCode(transposed=True, bias=True)
    """
    n_out, n_in = len(z), len(a)
    for transposed in (False, True):
        if _affine_fits(z, a, W, b, J_a, J_W, J_b, transposed, n_out, n_in):
            return AffineCode(transposed=transposed, bias=bool(b))
    return None


def _affine_fits(z, a, W, b, J_a, J_W, J_b, transposed, n_out, n_in) -> bool:
    rows, cols = len(W), len(W[0])
    if (rows, cols) != ((n_in, n_out) if transposed else (n_out, n_in)):
        return False
    if len(J_a) != n_out * n_in or len(J_W) != rows * cols or len(J_b) != len(b):
        return False
    for (i, j), d in J_a.items():
        if d != (W[j][i] if transposed else W[i][j]):
            return False
    for (i, k), d in J_W.items():
        r, c = divmod(k, cols)
        unit, source = (c, r) if transposed else (r, c)
        if unit != i or d != a[source]:
            return False
    for (i, k), d in J_b.items():
        if i != k or d != 1:
            return False
    for i, zi in enumerate(z):
        linear = [-J_a[(i, j)] * a[j] for j in range(n_in)]
        if b:
            linear.append(-b[i])
        if reduce(add, linear, zi) != 0:
            return False
    return True
