"""The scalar calculus of a derivation, done by SymPy from the tables.

Each function differentiates a table entry's SymPy form and rewrites the
result in the quantities a reader knows (the activation's own value ``a``,
the pre-activation ``z``, another activation of the table, ``step``), and
checks the rewriting is an identity before returning it.  Nothing here is a
template per activation or loss: a new table entry is derived the same way.

>>> d = activation_derivative("sigmoid")
>>> str(d.form)
's*(1 - s)'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
import sympy as sp

from symbp.tables import ACTIVATIONS, LOSSES

Z = sp.Symbol("z", real=True)          # a pre-activation entry
S = sp.Symbol("s", positive=True)      # the activation's value at Z
A = sp.Symbol("a", real=True)          # an output entry a_j
Y = sp.Symbol("y", real=True)          # its target y_j
step = sp.Function("step")


@dataclass(frozen=True)
class Derivative:
    """``raw`` is SymPy's derivative in Z; ``form`` the same function
    rewritten in S (the activation's value), Z, ``step`` or an activation.

    >>> d = activation_derivative("tanh")
    >>> d.raw, d.form
    (1 - tanh(z)**2, 1 - s**2)
    """
    raw: sp.Expr
    form: sp.Expr


def _tidy(expr):
    """Factor, then write each factor with a positive constant term, or else
    a positive coefficient of its first symbol: ``s*(1 - s)``, ``2*(a - y)``."""
    expr = sp.factor(sp.cancel(expr))
    if not isinstance(expr, sp.Mul):
        return expr
    coefficient, rest = expr.as_coeff_mul()
    factors = []
    for factor in rest:
        base, power = factor.as_base_exp()
        if isinstance(base, sp.Add) and _prefers_negation(base) and power.is_integer:
            coefficient *= (-1) ** power
            factor = (-base) ** power
        factors.append(factor)
    if coefficient != 1:
        factors.insert(0, coefficient)
    # unevaluated, or SymPy distributes a number over a sum: 2*(a - y) -> 2*a - 2*y
    return sp.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0]


def _prefers_negation(add) -> bool:
    constant = add.as_coeff_Add()[0]
    if constant != 0:
        return constant < 0
    symbols = sorted(add.free_symbols, key=lambda s: s.name)
    return bool(symbols) and add.coeff(symbols[0]) < 0 if symbols else False


def _simplest(*candidates):
    return min(candidates, key=sp.count_ops)


@cache
def activation_derivative(name: str) -> Derivative:
    """d act / d z of an element-wise activation, rewritten where SymPy can
    prove an identity: a polynomial of degree <= 2 in the activation's own
    value (sigmoid, tanh), ``step`` for a two-piece Piecewise at 0 (relu,
    leaky relu), or another activation of the table (softplus).

    >>> activation_derivative("relu").form, activation_derivative("softplus").form
    (step(z), sigmoid(z))
    """
    f = ACTIVATIONS[name].sympy_scalar(Z)
    raw = sp.diff(f, Z)
    if raw.is_number:
        return Derivative(raw, raw)
    if isinstance(raw, sp.Piecewise):
        return Derivative(raw, _piecewise_as_step(raw))
    polynomial = _polynomial_in_value(f, raw)
    if polynomial is not None:
        return Derivative(raw, polynomial)
    for other, entry in ACTIVATIONS.items():
        if entry.elementwise and other != name and \
                sp.simplify(raw - entry.sympy_scalar(Z)) == 0:
            return Derivative(raw, sp.Function(other)(Z))
    return Derivative(raw, raw)


def _piecewise_as_step(piecewise):
    (above, condition), (below, _) = piecewise.args
    if condition != (Z > 0) or not (above.is_number and below.is_number):
        return piecewise
    return below + (above - below) * step(Z)


def _polynomial_in_value(f, raw):
    # fit c0 + c1 s + c2 s^2 at three points numerically, then prove it
    points = (0.0, 1.0, 2.0)
    values = [float(f.subs(Z, p)) for p in points]
    rhs = [float(raw.subs(Z, p)) for p in points]
    try:
        coefficients = np.linalg.solve([[1, v, v * v] for v in values], rhs)
    except np.linalg.LinAlgError:
        return None
    rationals = [Fraction(c).limit_denominator(12) for c in coefficients]
    if any(abs(float(r) - c) > 1e-9 for r, c in zip(rationals, coefficients, strict=True)):
        return None
    polynomial = sum(sp.Rational(r.numerator, r.denominator) * S ** i
                     for i, r in enumerate(rationals))
    if sp.simplify((raw - polynomial.subs(S, f)).rewrite(sp.exp)) != 0:
        return None
    return _simplest(_tidy(polynomial), sp.expand(polynomial))


@cache
def loss_derivative(loss: str, units: int):
    """d loss / d a_j of one sample's loss with ``units`` outputs, in A and Y
    (the j-th output and target): the loss is a sum over units, so the
    derivative by a_1 speaks for every j.

    >>> loss_derivative("cce", 2), loss_derivative("half_sse", 1)
    (-y/a, a - y)
    """
    # The loss in index form, c(n) * Sum_j term(a[j], y[j]): only the sum's
    # first term holds a_1, so it stands for the sum (SymPy differentiates
    # it, the factor c(n) kept); writing the sum out over all the units
    # would cost SymPy minutes at a thousand outputs, for the same result.
    a, y = sp.IndexedBase("a"), sp.IndexedBase("y")
    loss_form = LOSSES[loss].indexed(a, y, units)
    first = loss_form.replace(lambda e: isinstance(e, sp.Sum),
                              lambda e: e.function.subs(e.variables[0], 0))
    d = sp.diff(first.xreplace({a[0]: A, y[0]: Y}), A)
    if d.free_symbols - {A, Y}:
        raise ValueError(f"the derivative of {loss} is not element-wise")
    return _tidy(d)


def per_sample_loss(loss: str, units: int):
    """One sample's loss written out over its ``units`` outputs, with the
    symbols it uses (lists a, y).

    >>> loss, a, y = per_sample_loss("half_sse", 2)
    >>> loss
    (a1 - y1)**2/2 + (a2 - y2)**2/2
    """
    a = sp.symbols(f"a1:{units + 1}", real=True)
    y = sp.symbols(f"y1:{units + 1}", real=True)
    return LOSSES[loss].sympy(list(a), list(y)), a, y


@dataclass(frozen=True)
class OutputError:
    """delta_j of the output layer by the chain rule: ``product`` unsimplified
    (d loss/d a_j times d a_j/d z_j), ``simplified`` after SymPy, and whether
    the simplification cancelled a factor.

    >>> error = elementwise_output_error("sigmoid", "bce", 1)
    >>> error.product, error.simplified, error.cancels
    ((a*(1 - a))*((a - y)/(a*(1 - a))), a - y, True)
    """
    product: sp.Expr
    simplified: sp.Expr
    cancels: bool


def elementwise_output_error(activation: str, loss: str, units: int) -> OutputError:
    """delta_j = d loss/d a_j * act'(z_j), simplified in A, Y (and Z).

    >>> elementwise_output_error("sigmoid", "half_sse", 1).simplified
    a*(1 - a)*(a - y)
    """
    dloss = loss_derivative(loss, units)
    dact = activation_derivative(activation).form.xreplace({S: A})
    product = sp.Mul(dloss, dact, evaluate=False)
    simplified = _simplest(_tidy(dloss * dact), sp.expand(dloss * dact))

    cancels = sp.denom(sp.together(dloss)) != 1 and sp.denom(sp.together(simplified)) == 1
    return OutputError(product, simplified, bool(cancels))


@dataclass(frozen=True)
class SoftmaxPieces:
    """The softmax Jacobian on ``units`` outputs and the output error.

    ``jacobian`` entries d s_k/d z_j in the outputs s (SymPy's diff, then
    z_k = log s_k, which softmax's shift invariance allows, and sum s = 1);
    ``is_diag_minus_outer``: SymPy proved J = diag(s) - s s^T;
    ``elementwise``: delta_1 after the constraints, when it involves only
    s_1 and y_1 (cce), else None.

    >>> pieces = softmax_pieces("cce", 2, targets_sum_to_one=True)
    >>> pieces.jacobian[0, 1], pieces.is_diag_minus_outer, pieces.elementwise
    (-s1*s2, True, a - y)
    """
    s: tuple
    y: tuple
    jacobian: sp.Matrix
    is_diag_minus_outer: bool
    elementwise: sp.Expr | None


# The softmax Jacobian is simplified entry by entry: units^2 entries, minutes
# at 50 outputs.  Above this many outputs the pieces are those of this many
# (the Jacobian is shown up to 4 outputs anyway), and the output error they
# give is kept only where the loss's derivative does not depend on the count
# (cce's a - y); the derivation checks that equation on the network itself.
SOFTMAX_PIECES_UNITS = 4


@cache
def softmax_pieces(loss: str, units: int, targets_sum_to_one: bool) -> SoftmaxPieces:
    """The softmax Jacobian and output error of ``loss`` on ``units`` outputs
    (:class:`SoftmaxPieces`); ``targets_sum_to_one`` lets the last target be
    written in the others, as the last output is.  Over
    ``SOFTMAX_PIECES_UNITS`` outputs, those of that many (see there).

    >>> softmax_pieces("cce", 2, targets_sum_to_one=False).elementwise is None
    True
    >>> softmax_pieces("cce", 1000, targets_sum_to_one=True).elementwise
    a - y
    """
    if units > SOFTMAX_PIECES_UNITS:
        fewer = softmax_pieces(loss, SOFTMAX_PIECES_UNITS, targets_sum_to_one)
        same_derivative = loss_derivative(loss, units) == \
            loss_derivative(loss, SOFTMAX_PIECES_UNITS)
        return fewer if same_derivative else \
            SoftmaxPieces(fewer.s, fewer.y, fewer.jacobian, fewer.is_diag_minus_outer, None)
    z = sp.symbols(f"z1:{units + 1}", real=True)
    s = sp.symbols(f"s1:{units + 1}", positive=True)
    y = sp.symbols(f"y1:{units + 1}", real=True)
    outputs = ACTIVATIONS["softmax"].sympy(list(z))
    back = {z[k]: sp.log(s[k]) for k in range(units)}
    total = sp.Add(*s)

    def in_outputs(expr):
        # exp(log(s_k)) collapses to s_k, leaving sum(s) intact for the constraint
        return sp.factor(sp.simplify(expr.xreplace(back).subs(total, 1)))
    jacobian = sp.Matrix(units, units, lambda k, j: _tidy(in_outputs(sp.diff(outputs[k], z[j]))))
    column = sp.Matrix(s)
    proved = (jacobian - (sp.diag(*s) - column * column.T)).applyfunc(sp.simplify) \
        == sp.zeros(units, units)
    dloss = loss_derivative(loss, units)
    delta_1 = sp.Add(*[dloss.xreplace({A: s[k], Y: y[k]}) * jacobian[k, 0]
                       for k in range(units)])
    constraints = {s[-1]: 1 - sp.Add(*s[:-1])}
    if targets_sum_to_one:
        constraints[y[-1]] = 1 - sp.Add(*y[:-1])
    reduced = sp.simplify(delta_1.xreplace(constraints)) if units > 1 else None
    elementwise = reduced if reduced is not None and reduced.free_symbols and \
        reduced.free_symbols <= {s[0], y[0]} else None
    if elementwise is not None:
        elementwise = _tidy(elementwise.xreplace({s[0]: A, y[0]: Y}))
    return SoftmaxPieces(tuple(s), tuple(y), jacobian, bool(proved), elementwise)
