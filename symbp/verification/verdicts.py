"""Verdicts on formulas: ``verify(formula, net) -> Result`` (contract section 4).

A formula is first checked numerically at a few sampled points (one per seed)
for every layer l it can be checked at; a difference beyond tolerance, or an
operation the shapes refuse, refutes it with a counterexample and, where one
fits, a diagnosis.  A formula that holds numerically is then tried
symbolically (:mod:`symbp.verification.proof`): ``proved`` when LEFT - RIGHT reduces to
zero on every entry and every l, under a budget counted in expression size;
otherwise the verdict stays ``holds``.

>>> from symbp.network import Network
>>> net = Network(layers=[2, 3, 2])
>>> verify("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])", net).verdict
'proved'
>>> result = verify("dW[L] = 2 * delta[L] @ a[L-1].T", net)
>>> result.verdict, result.diagnosis["factor"]
('refuted', '2')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from symbp.errors import FormulaError, SymbpError
from symbp.network import Network
from symbp.notation.evaluate import (
    ShapeMismatch,
    bias_error,
    evaluate_numeric,
    in_range,
    range_error,
)
from symbp.notation.parser import parse_formula
from symbp.notation.quantities import QUANTITIES
from symbp.notation.tree import Formula, Quantity, subtrees
from symbp.verification.diagnosis import close, diagnose
from symbp.verification.proof import prove_formula
from symbp.verification.rewrites import repair_diagnosis
from symbp.verification.values import as_matrices, numeric_quantities

DEFAULT_SEEDS = (0, 1, 2)


@dataclass
class Result:
    """The verdict on one formula over one network.

    ``layers_checked`` lists the values of the free index l that were checked
    (empty for a formula without l); ``counterexample`` and ``diagnosis``
    are set for a refuted formula; ``message`` says why a formula is an
    error, where a refutation was found, or why a formula that holds was
    not proved.
    """

    formula: str
    verdict: str
    layers_checked: list = field(default_factory=list)
    counterexample: dict | None = None
    diagnosis: dict | None = None
    message: str | None = None

    def to_json(self) -> dict:
        """The result's fields of a claim's JSON (contract section 5)."""
        return {"formula": self.formula, "verdict": self.verdict,
                "layers_checked": list(self.layers_checked),
                "counterexample": self.counterexample, "diagnosis": self.diagnosis,
                "message": self.message}


def verify(formula, net, *, seeds=DEFAULT_SEEDS, prove: bool = True) -> Result:
    """The verdict on ``formula`` (text, or a parsed Formula) over ``net``.

    ``seeds`` are the points the numeric check samples; ``prove=False`` skips
    the symbolic attempt.  Bad input (syntax, unknown names, an index out of
    range, ``b`` without biases) is the verdict ``error``, never an exception.
    """
    text = formula.text if isinstance(formula, Formula) else formula
    try:
        if isinstance(net, dict):
            net = Network(**net)
        parsed = formula if isinstance(formula, Formula) else parse_formula(formula)
        layers = layers_to_check(parsed, net)
        refutation = _numeric_check(parsed, net, layers, tuple(seeds))
        if refutation is not None:
            return refutation
        checked = [l for l in layers if l is not None]
        if prove:
            try:
                reason = prove_formula(parsed, net, layers)
            except (ArithmeticError, TypeError, ValueError, RecursionError) as failure:
                # SymPy gave up on an expression (a NaN comparison, a pole): no proof
                reason = f"SymPy could not finish the proof ({type(failure).__name__})"
            if reason is None:
                return Result(text, "proved", checked)
        else:
            reason = "the symbolic proof was not attempted"
        return Result(text, "holds", checked,
                      message=f"holds at {len(tuple(seeds))} sampled point(s); not proved: "
                              f"{reason}.")
    except SymbpError as error:
        return Result(text if isinstance(text, str) else repr(text), "error",
                      message=str(error))


# -- which l -------------------------------------------------------------------

def layers_to_check(formula: Formula, net) -> list:
    """The values of l to check ([None] for a formula without l), or a
    FormulaError when a quantity does not exist on the network."""
    used = [node for side in (formula.left, formula.right) for node in subtrees(side)
            if isinstance(node, Quantity)]
    for q in used:
        if QUANTITIES[q.name].bias and not net.bias:
            raise bias_error(q)
    L = net.depth
    if not formula.uses_free_index():
        for q in used:
            if not in_range(q, None, L):
                raise range_error(q, L)
        return [None]
    layers = [l for l in range(1, L + 1) if all(in_range(q, l, L) for q in used)]
    if not layers:
        raise FormulaError(f"no l in 1..{L} puts every index of the formula in range "
                           f"(the network has L = {L})",
                           suggestion="check the indices, or use a deeper network")
    return layers


# -- the numeric check ---------------------------------------------------------

@lru_cache(maxsize=512)
def sampled(net, seed: int):
    """The point drawn from ``seed`` and every quantity at it (cached per network)."""
    point = net.sample(seed)
    return point, numeric_quantities(net, point)


def _numeric_check(formula: Formula, net, layers, seeds) -> Result | None:
    """None when both sides agree everywhere, else the refuted Result."""
    for seed in seeds:
        point, values = sampled(net, seed)
        for l in layers:
            try:
                left = evaluate_numeric(formula.left, net, values, l)
                right = evaluate_numeric(formula.right, net, values, l)
            except ShapeMismatch as mismatch:
                return _shape_refutation(formula, net, layers, l, seed, point, values, mismatch)
            left, right = as_matrices(left, right)
            if left.shape == right.shape and close(left, right).all():
                continue
            return _refutation(formula, net, layers, l, seed, point, values, left, right)
    return None


def _counterexample(net, l, seed, point, left, right) -> dict:
    return {"l": l, "network": net.to_dict(), "seed": seed,
            "point": {key: np.asarray(value).tolist() for key, value in point.items()},
            "left": None if left is None else np.asarray(left).tolist(),
            "right": None if right is None else np.asarray(right).tolist()}


def _at(l) -> str:
    return "" if l is None else f" at l = {l}"


def _shape_refutation(formula, net, layers, l, seed, point, values, mismatch) -> Result:
    left = _try_numeric(formula.left, net, values, l)
    diagnosis = {"kind": "shape", "text": f"column {mismatch.column}: {mismatch.text}.",
                 "left": None if left is None else list(np.atleast_2d(left).shape),
                 "right": None, "column": mismatch.column}
    return Result(formula.text, "refuted", [x for x in layers if x is not None],
                  counterexample=_counterexample(net, l, seed, point, left, None),
                  diagnosis=diagnosis,
                  message=f"the right side cannot be computed{_at(l)} on this network's shapes.")


def _try_numeric(node, net, values, l):
    try:
        return evaluate_numeric(node, net, values, l)
    except ShapeMismatch:
        return None


def _refutation(formula, net, layers, l, seed, point, values, left, right) -> Result:
    diagnosis = repair_diagnosis(formula, net, values, l) or diagnose(left, right, net=net)
    if left.shape != right.shape:
        message = (f"the two sides have different shapes{_at(l)}: {list(left.shape)} and "
                   f"{list(right.shape)}.")
    else:
        with np.errstate(invalid="ignore"):
            gap = float(np.nanmax(np.abs(left - right))) if left.size else 0.0
        message = (f"the two sides differ{_at(l)} at the point of seed {seed}, by up to "
                   f"{gap:.3g}.")
    return Result(formula.text, "refuted", [x for x in layers if x is not None],
                  counterexample=_counterexample(net, l, seed, point, left, right),
                  diagnosis=diagnosis, message=message)
