"""The truth of L2 weight decay (contract section 10): SymPy differentiates
the penalty from its definition.

The network field ``l2`` (lambda) adds ``(lambda / 2) * sum_l ||W[l]||_F^2``
to the total loss, biases excluded.  The squared Frobenius norm is the sum of
the squared entries, so the penalty is a sum of one term per weight,
``(lambda / 2) * w**2``: SymPy builds that term, differentiates it by its own
weight (every other term of the sum is constant in it), and both are
lambdified once for whole arrays.  Nothing here writes ``lambda * W`` by
hand; the tests compare it with finite differences of the total loss.

Self-contained on purpose (it needs no other piece of the truth), so that
whichever truth runs calls :func:`decay_gradient` and :func:`decay_value`;
SymPy is imported only when a network has ``l2 > 0``.

>>> import numpy as np
>>> decay_gradient(np.array([[1.0, -2.0]]), 0.5).tolist()
[[0.5, -1.0]]
>>> decay_value([np.array([[1.0, -2.0]]), np.array([[2.0]])], 0.5)
2.25
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _definition():
    """The penalty's term of one weight, and its derivative by that weight (SymPy)."""
    import sympy  # here, not at the top: networks without l2 never need it
    weight = sympy.Symbol("w", real=True)
    strength = sympy.Symbol("lambda", nonnegative=True)
    term = strength / 2 * weight ** 2
    return weight, strength, term, term.diff(weight)


@lru_cache(maxsize=1)
def _compiled():
    import sympy
    weight, strength, term, derivative = _definition()
    return (sympy.lambdify((weight, strength), term, modules="numpy"),
            sympy.lambdify((weight, strength), derivative, modules="numpy"))


def decay_value(weights, l2: float) -> float:
    """``(l2 / 2) * sum ||W||_F^2`` over the weight matrices ``weights``.

    >>> decay_value([np.array([[1.0, -2.0]])], 0.5), decay_value([np.ones((2, 2))], 0.0)
    (1.25, 0.0)
    """
    if not l2:
        return 0.0
    term, _ = _compiled()
    return float(sum(np.sum(term(np.asarray(W, float), l2)) for W in weights))


def decay_gradient(W, l2: float) -> np.ndarray:
    """d penalty / d W for one weight matrix (zeros without ``l2``).

    >>> decay_gradient(np.array([[1.0, -2.0]]), 0.5), decay_gradient(np.array([[1.0]]), 0.0)
    (array([[ 0.5, -1. ]]), array([[0.]]))
    """
    W = np.asarray(W, float)
    if not l2:
        return np.zeros_like(W)
    _, derivative = _compiled()
    return np.broadcast_to(np.asarray(derivative(W, l2), float), W.shape).copy()


def decay_symbolic(W, l2: float):
    """d penalty / d W as a SymPy matrix of the weight symbols ``W`` (for proofs);
    ``l2`` enters as the exact fraction of its decimal.

    >>> import sympy
    >>> decay_symbolic(sympy.Matrix([[sympy.Symbol("a")]]), 0.1)
    Matrix([[a/10]])
    """
    import sympy
    weight, strength, _, derivative = _definition()
    exact = Fraction(str(l2))
    value = sympy.Rational(exact.numerator, exact.denominator)
    return W.applyfunc(lambda entry: derivative.xreplace({weight: entry, strength: value}))
