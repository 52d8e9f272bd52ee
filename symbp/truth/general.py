"""The truth over symbolic sizes, for proofs that hold for every width and batch.

Every width n[k] and the batch m are SymPy symbols; a quantity is an entry
function of its indices (``IndexedBase`` entries, ``Sum`` over symbolic
ranges).  Each local piece is differentiated once by SymPy, as a
vector-Jacobian lemma against a generic upstream gradient G: the derivative of
the probe <G, piece(...)> (``_activation_vjp``, ``_affine_vjp``), of the
per-sample loss (``_loss_gradient``) and of the reduction
(``_reduction_weight``), read from the tables' SymPy forms.  No backprop
formula is written here; :class:`FamilyTruth` composes the lemmas by the chain
rule, layer by layer.

Entries are in *canonical* order, unit index first and sample index second,
whatever the layout (``W`` as (output unit, input unit)); the notation's
evaluator over symbolic sizes maps the layout onto them.

>>> family = Family(depth=2, hidden="sigmoid", output="sigmoid", loss="half_sse",
...                 reduction="mean", bias=True)
>>> truth = FamilyTruth(family)
>>> p, s = sympy.symbols("p s", integer=True)
>>> truth.delta(2, p, s)
(-y[p, s] + 1/(1 + exp(-z2[p, s])))*exp(-z2[p, s])/(1 + exp(-z2[p, s]))**2
>>> normal(truth.da(1, p, s))  # doctest: +NORMALIZE_WHITESPACE
Sum(exp(-z2[_k1, s])*W2[_k1, p]/(1 + exp(-z2[_k1, s]))**3, (_k1, 0, n2 - 1))
  - Sum(exp(-z2[_k1, s])*W2[_k1, p]*y[_k1, s]/(1 + exp(-z2[_k1, s]))**2, (_k1, 0, n2 - 1))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache

import sympy

from symbp.tables import ACTIVATIONS, LOSSES, REDUCTION_FORMS
from symbp.truth.indexed import indicator_form, instantiate, normal

M = sympy.Symbol("m", integer=True, positive=True)
LAMBDA = sympy.Symbol("lambda", nonnegative=True)
_N = sympy.Symbol("N", integer=True, positive=True)       # units of a piece
_N_IN = sympy.Symbol("N_in", integer=True, positive=True)  # its input units
_P = sympy.Symbol("P", integer=True, nonnegative=True)     # the entry differentiated
_Q = sympy.Symbol("Q", integer=True, nonnegative=True)
_S = sympy.Symbol("S", integer=True, nonnegative=True)
_G, _Z, _A, _Y, _W, _B, _LOSS = (sympy.IndexedBase(name, real=True) for name in
                                 ("G", "Z", "A", "Y", "W", "B", "ell"))


def size(k: int):
    """The width n[k] as a symbol.

    >>> size(2), size(2).is_positive
    (n2, True)
    """
    return sympy.Symbol(f"n{k}", integer=True, positive=True)


def _derivative(expr, variable):
    """SymPy's derivative with its sums evaluated and brought to normal form,
    kinks in indicator form."""
    return indicator_form(normal(sympy.diff(expr, variable).doit()))


def _dummy(name="i"):
    return sympy.Dummy(name, integer=True)


# -- the lemmas ----------------------------------------------------------------

def activation_entry(name: str, z, i, n, *, kinks_as_branches: bool = False):
    """Unit i's activation, ``z(k)`` being unit k's pre-activation, n units;
    kinks in indicator form unless ``kinks_as_branches`` (the table's own
    Piecewise, which SymPy differentiates by branch, the conventions included).

    >>> z = sympy.IndexedBase("z")
    >>> activation_entry("softmax", lambda k: z[k], 0, size(1))
    exp(z[0])/Sum(exp(z[_t]), (_t, 0, n1 - 1))
    """
    activation = ACTIVATIONS[name]
    if activation.elementwise:
        form = activation.sympy_scalar(z(i))
        return form if kinks_as_branches else indicator_form(form)
    if activation.indexed is None:
        return None
    units = sympy.IndexedBase("units")  # the table's index form, its units then z(k)
    return instantiate(activation.sympy_indexed(units, i, n), {}, {units: z})


@cache
def elementwise_forms(name: str):
    """``(t, act(t), act'(t))`` of an element-wise activation at a dummy t,
    kinks in indicator form (the derivative is SymPy's, of the table's form).

    >>> elementwise_forms("relu")
    (_t, _t*Heaviside(_t, 0), Heaviside(_t, 0))
    """
    t = sympy.Dummy("t", real=True)
    form = ACTIVATIONS[name].sympy_scalar(t)
    return t, indicator_form(form), indicator_form(sympy.diff(form, t))


@cache
def _activation_vjp(name: str):
    """d <G, act(Z)> / d Z[P] over N units: G's pull-back through the
    activation at unit P (softmax: its full Jacobian), or None."""
    i = _dummy()
    entry = activation_entry(name, lambda k: _Z[k], i, _N, kinks_as_branches=True)
    if entry is None:
        return None
    return _derivative(sympy.Sum(_G[i] * entry, (i, 0, _N - 1)), _Z[_P])


@cache
def _loss_gradient(name: str):
    """d loss / d A[P] of one sample's loss over N output units (the table's
    index form)."""
    return _derivative(LOSSES[name].indexed(_A, _Y, _N), _A[_P])


@cache
def _affine_vjp(wrt: str):
    """d <G, W A + B 1^T> / d (A[Q, S] | W[P, Q] | B[P]) for N x N_in weights
    and a batch of M samples: the affine map's three pull-backs."""
    i, t, u = _dummy("i"), _dummy("t"), _dummy("u")
    z = sympy.Sum(_W[i, t] * _A[t, u], (t, 0, _N_IN - 1)) + _B[i]
    probe = sympy.Sum(sympy.Sum(_G[i, u] * z, (i, 0, _N - 1)), (u, 0, M - 1))
    variable = {"a": _A[_Q, _S], "W": _W[_P, _Q], "b": _B[_P]}[wrt]
    return _derivative(probe, variable)


@cache
def _reduction_weight(reduction: str):
    """d L / d loss_s: the weight of one sample's loss in the total (1 or 1/m),
    from the table's form of the reduction."""
    return _derivative(REDUCTION_FORMS[reduction](_LOSS, M), _LOSS[_S])


@cache
def _decay_gradient():
    """d penalty / d W[P, Q] of the weight decay (lambda / 2) * sum ||W||_F^2
    of an N x N_in weight matrix (contract section 10), with LAMBDA for lambda."""
    p, q = _dummy("p"), _dummy("q")
    penalty = LAMBDA / 2 * sympy.Sum(sympy.Sum(_W[p, q] ** 2, (q, 0, _N_IN - 1)),
                                     (p, 0, _N - 1))
    return _derivative(penalty, _W[_P, _Q])


# -- the composition -------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """What a network keeps when its widths and batch vary (contract section 9).

    >>> from symbp.network import Network
    >>> family = Family.of(Network(layers=[2, 3, 1], hidden="relu"))
    >>> family.depth, family.activation(1), family.at_depth(3).activation(2)
    (2, 'relu', 'relu')
    """
    depth: int
    hidden: str
    output: str
    loss: str
    reduction: str
    bias: bool
    l2: float = 0.0

    @classmethod
    def of(cls, net, depth: int | None = None) -> Family:
        return cls(net.depth if depth is None else depth, net.hidden, net.output,
                   str(net.loss), net.reduction, net.bias, getattr(net, "l2", 0.0))

    def at_depth(self, depth: int) -> Family:
        """The same family with another depth."""
        return dataclasses.replace(self, depth=depth)

    @property
    def decay(self):
        """lambda as an exact number (the decimal given: 0.1 is 1/10)."""
        return sympy.Rational(str(self.l2))

    def activation(self, k: int) -> str:
        return self.output if k == self.depth else self.hidden


BACKWARD = ("da", "delta")


@dataclass(frozen=True)
class FamilyTruth:
    """Every quantity of a :class:`Family`, entry by entry, with symbolic sizes.

    ``opaque`` names backward quantities ``(name, k)`` (da, delta, dW, db) left
    as symbols of their own (a generic upstream gradient: what is proved then
    holds whatever its value); every other one is composed from the lemmas,
    down to the loss.
    ``unfolded`` names the layers whose z[k] is replaced by its definition
    W[k] a[k-1] + b[k]; any other z[k] is a symbol, a[k] = act(z[k]).
    Methods return None where the tables give no form over symbolic sizes.

    >>> from symbp.network import Network
    >>> p, s = sympy.symbols("p s", integer=True)
    >>> FamilyTruth(Family.of(Network(layers=[2, 1], output="identity"))).db(1, p)
    Sum((-y[p, _t] + z1[p, _t])/m, (_t, 0, m - 1))
    """
    family: Family
    opaque: frozenset = frozenset()
    unfolded: frozenset = frozenset()
    touched: set = field(default_factory=set, compare=False, hash=False)

    def base(self, name: str, k=None):
        return sympy.IndexedBase(name if k is None else f"{name}{k}")

    def x(self, p, s):
        return self.base("x")[p, s]

    def y(self, p, s):
        return self.base("y")[p, s]

    def W(self, k, p, q):
        self.touched.add(k)
        return self.base("W", k)[p, q]

    def b(self, k, p):
        self.touched.add(k)
        return self.base("b", k)[p] if self.family.bias else sympy.S.Zero

    def z(self, k, p, s):
        self.touched.add(k)
        if k not in self.unfolded:
            return self.base("z", k)[p, s]
        t = _dummy("t")
        return sympy.Sum(self.W(k, p, t) * self.a(k - 1, t, s), (t, 0, size(k - 1) - 1)) \
            + self.b(k, p)

    def a(self, k, p, s):
        if k == 0:
            return self.x(p, s)
        return activation_entry(self.family.activation(k), lambda i: self.z(k, i, s), p,
                                size(k))

    def da(self, k, p, s):
        self.touched.add(k)
        if ("da", k) in self.opaque:
            return self.base("da", k)[p, s]
        if k == self.family.depth:
            template = _loss_gradient(self.family.loss)
            return instantiate(template, {_P: p, _N: size(k)},
                               {_A: lambda j: self.a(k, j, s), _Y: lambda j: self.y(j, s)})
        template = _affine_vjp("a")
        return instantiate(template, {_Q: p, _S: s, _N: size(k + 1), _N_IN: size(k)},
                           {_G: lambda i, u: self.delta(k + 1, i, u),
                            _W: lambda i, j: self.W(k + 1, i, j)})

    def delta(self, k, p, s):
        self.touched.add(k)
        if ("delta", k) in self.opaque:
            return self.base("delta", k)[p, s]
        template = _activation_vjp(self.family.activation(k))
        return instantiate(template, {_P: p, _N: size(k)},
                           {_G: lambda i: self.da(k, i, s), _Z: lambda i: self.z(k, i, s)})

    def _weighted_delta(self, k, p, u):
        return _reduction_weight(self.family.reduction) * self.delta(k, p, u)

    def dW(self, k, p, q):
        if ("dW", k) in self.opaque:
            return self.base("dW", k)[p, q]
        sizes = {_P: p, _Q: q, _N: size(k), _N_IN: size(k - 1)}
        gradient = instantiate(_affine_vjp("W"), sizes,
                               {_G: lambda i, u: self._weighted_delta(k, i, u),
                                _A: lambda j, u: self.a(k - 1, j, u)})
        if not self.family.l2:
            return gradient
        decay = instantiate(_decay_gradient(), {**sizes, LAMBDA: self.family.decay},
                            {_W: lambda i, j: self.W(k, i, j)})
        return gradient + decay

    def db(self, k, p):
        if ("db", k) in self.opaque:
            return self.base("db", k)[p]
        template = _affine_vjp("b")
        return instantiate(template, {_P: p, _N: size(k)},
                           {_G: lambda i, u: self._weighted_delta(k, i, u)})

    def pieces_known(self) -> bool:
        """True when every piece of the family has a form over symbolic sizes."""
        names = {self.family.hidden, self.family.output}
        return _loss_gradient(self.family.loss) is not None and all(
            _activation_vjp(name) is not None for name in names)
