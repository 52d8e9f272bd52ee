"""From symbolically derived local derivatives to vectorised NumPy code.

The truth differentiates each local piece of one sample (affine map,
activation, loss) symbolically.  A piece's derivative is a sparse matrix of
expressions, one per (output, input) pair.  Lambdifying every entry is what
makes naive symbolic gradients slow (issue 9: tens of seconds at width 64), so
before any code is emitted the derived entries are checked, one by one,
against a template that NumPy evaluates in one call:

* :func:`elementwise`: entry i is ``f(s_i1, s_i2, ...)`` for a single
  expression ``f`` of the i-th symbols only (sigmoid', the loss gradient
  ``a_j - y_j``, ...): ``f`` is lambdified once and applied to whole arrays;
* :func:`affine_template`: d z_i / d a_j is the weight symbol at (i, j) or
  (j, i), d z_i / d W is the matching input symbol, d z_i / d b_i is 1, and
  ``z`` is exactly that linear form: matrix products.

An entry family that fits no template is evaluated entry by entry
(:class:`EntryCode`), so any activation or loss of any form stays exact, only
slower (softmax's full Jacobian goes this way).

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
            d = reduce(add, parts[k])
            if d != 0:
                entries[(i, k)] = d
    return entries


def _lambdify(args, expr, cse=False):
    return sympy.lambdify(args, expr, modules="numpy", cse=cse)


@dataclass
class ElementwiseCode:
    """One scalar expression ``template`` of ``holes``, applied to whole arrays."""

    holes: tuple
    template: object

    def __post_init__(self):
        self._fn = _lambdify(self.holes, self.template)

    def __call__(self, *arrays):
        value = self._fn(*arrays)
        # a constant template (identity' = 1) comes back as a Python number
        return np.broadcast_to(np.asarray(value, dtype=float), np.shape(arrays[0])).copy()


def elementwise(exprs, symbol_rows) -> ElementwiseCode | None:
    """An :class:`ElementwiseCode` if every ``exprs[i]`` is one template at ``symbol_rows[i]``.

    ``symbol_rows[i]`` is a tuple of symbols (``(z_i,)``, ``(a_i, y_i)``).
    The template is read off entry 0 and checked against every entry; None
    when an entry differs or depends on another index's symbols.

    >>> z = sympy.symbols("z0:3", real=True)
    >>> code = elementwise([sympy.tanh(s) for s in z], [(s,) for s in z])
    >>> code(np.zeros((3, 2))).shape
    (3, 2)
    >>> elementwise([z[0] + z[1], z[1]], [(z[0],), (z[1],)]) is None
    True
    """
    width = len(symbol_rows[0])
    holes = tuple(sympy.Dummy(f"u{k}", real=True) for k in range(width))
    template = sympy.sympify(exprs[0]).xreplace(dict(zip(symbol_rows[0], holes)))
    if not template.free_symbols <= set(holes):
        return None
    for expr, row in zip(exprs[1:], symbol_rows[1:]):
        if sympy.sympify(expr) != template.xreplace(dict(zip(holes, row))):
            return None
    return ElementwiseCode(holes, template)


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
    """``z = W_eff @ a + b`` as NumPy; ``transposed`` when ``W_eff`` is ``W.T``."""

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
