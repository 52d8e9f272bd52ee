"""Verdicts on formulas: ``verify(formula, net) -> Result`` (contract section 4).

A formula is first checked numerically at a few sampled points (one per seed)
for every layer l it can be checked at; a difference beyond tolerance
(:mod:`symbp.verification.tolerance`), or an operation the shapes refuse,
refutes it with a counterexample and, where one fits, a diagnosis.  A formula
that holds numerically is then tried symbolically: first for every width and
batch size (:mod:`symbp.verification.general_proof`, whose cost does not
depend on the sizes: a proof for every size is a proof on this network too),
then the same way with this network's own sizes (what only they make true,
such as ``dW[l] = delta[l] @ a[l-1].T`` at batch 1), then entry by entry on
the network's own symbols (:mod:`symbp.verification.proof`); each bounded by
expression size, never by a clock.  Without a proof the verdict
stays ``holds``.  ``Result.general`` is the claim on every network of its
family (:mod:`symbp.verification.general`).

Before anything is evaluated, the formula's shapes on the network are worked
out (:func:`symbp.verification.cost.cost`): a formula that would build
a matrix over ``MAX_ENTRIES`` entries or do over ``MAX_WORK`` operations is
not evaluated (an ``error`` with the limit, unless proved for every size).

>>> from symbp.network import Network
>>> net = Network(layers=[2, 3, 2])
>>> verify("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])", net).verdict
'proved'
>>> result = verify("dW[L] = 2 * delta[L] @ a[L-1].T", net)
>>> result.verdict, result.diagnosis["factor"]
('refuted', '2')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from symbp.errors import FormulaError, SymbpError
from symbp.network import Network, as_network
from symbp.notation.evaluate import (
    ShapeMismatch,
    bias_error,
    evaluate_numeric,
    in_range,
    range_error,
)
from symbp.notation.parser import parse_formula
from symbp.notation.quantities import QUANTITIES
from symbp.notation.tree import Formula, Quantity, Transpose, subtrees
from symbp.verification.conventions import (
    layout_diagnosis,
    per_sample_hint,
    per_sample_wording,
    softmax_jacobian,
)
from symbp.verification.cost import MAX_ENTRIES, MAX_WORK, cost
from symbp.verification.decay import decay_diagnosis
from symbp.verification.diagnosis import diagnose
from symbp.verification.general import General, search
from symbp.verification.general_proof import GeneralProof, prove_at_its_sizes, prove_for_every_size
from symbp.verification.proof import prove_formula
from symbp.verification.rewrites import repair_diagnosis
from symbp.verification.tolerance import UNDEFINED_WHY, disagreement, evaluate_bounded
from symbp.verification.values import numeric_quantities

DEFAULT_SEEDS = (0, 1, 2)
# MAX_ENTRIES and MAX_WORK (module cost) bound what a formula may evaluate.
# The proof on the network's own symbols builds SymPy matrices entry by entry:
# only for formulas whose operations make at most this many entries.
PROOF_MAX_WORK = 20_000


@dataclass
class Result:
    """The verdict on one formula over one network.

    ``layers_checked`` lists the values of the free index l that were checked
    (empty for a formula without l); ``counterexample`` and ``diagnosis``
    are set for a refuted formula; ``message`` says why a formula is an
    error, where a refutation was found, or why a formula that holds was
    not proved.  ``general`` is the same claim on every network of its
    family, every width and batch size (:class:`~symbp.verification.general.General`,
    contract section 9), None when not asked for.

    >>> result = verify("delta[L] = a[L] - y", Network(layers=[2, 1], output="identity"))
    >>> result.verdict, result.layers_checked, result.general.scope
    ('proved', [], 'all widths, batch sizes and depths')
    """

    formula: str
    verdict: str
    layers_checked: list = field(default_factory=list)
    counterexample: dict | None = None
    diagnosis: dict | None = None
    message: str | None = None
    general: object = None

    def to_json(self) -> dict:
        """The result's fields of a claim's JSON (contract sections 5 and 9);
        a NaN or an infinity in an array is null (JSON has neither)."""
        document = {"formula": self.formula, "verdict": self.verdict,
                    "layers_checked": list(self.layers_checked),
                    "counterexample": self.counterexample, "diagnosis": self.diagnosis,
                    "message": self.message,
                    "general": None if self.general is None else self.general.to_json()}
        return _finite(document)


def _finite(document):
    """A JSON-ready copy with every NaN and infinity replaced by None."""
    if isinstance(document, dict):
        return {key: _finite(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [_finite(value) for value in document]
    if isinstance(document, float) and not math.isfinite(document):
        return None
    return document


def verify(formula, net: Network | dict, *, seeds=DEFAULT_SEEDS, prove: bool = True,
           network_proof: bool = True, general: bool = True) -> Result:
    """The verdict on ``formula`` (text, or a parsed Formula) over ``net``.

    ``seeds`` are the points the numeric check samples; ``prove=False`` skips
    every symbolic attempt, ``network_proof=False`` the proof on the
    network's own symbols (the proof for every size is still tried first:
    its cost does not depend on the sizes); ``general=False`` leaves
    ``Result.general`` None.  Bad input (syntax, unknown names, an index out
    of range, ``b`` without biases) is the verdict ``error``, never an exception.

    >>> net = Network(layers=[2, 3, 2])
    >>> result = verify("dW[l] = delta[l] @ a[l-1].T", net, prove=False)
    >>> result.verdict, result.layers_checked
    ('holds', [1, 2])
    >>> verify("dW[3] = delta[3]", net).message
    'column 1: dW[3] is out of range: the index must be from 1 to L = 2.'
    """
    text = formula.text if isinstance(formula, Formula) else formula
    try:
        net = as_network(net)
        parsed = formula if isinstance(formula, Formula) else parse_formula(formula)
        layers = layers_to_check(parsed, net)
    except SymbpError as error:
        text = text if isinstance(text, str) else repr(text)
        return Result(text, "error", message=str(error),
                      general=_general_error(str(error)) if general else None)
    seeds = checked_seeds(seeds)
    with np.errstate(all="ignore"):
        result, proof, too_large = _verdict(parsed, net, layers, seeds, prove, network_proof)
    if general:
        result.general = _general(parsed, net, result, proof, seeds, too_large)
    return result


def checked_seeds(seeds) -> tuple:
    """``seeds`` as a tuple of at least one seed (each is checked when its
    point is drawn); a SymbpError otherwise.

    >>> checked_seeds([0, 1])
    (0, 1)
    """
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise SymbpError(f"seeds={seeds!r} is not a list of seeds; expected integers >= 0, "
                         "e.g. seeds=(0, 1, 2)") from None
    if not seeds:
        raise SymbpError("seeds is empty; give at least one, e.g. seeds=(0,)")
    return seeds


def _general_error(message):
    return General("error", message=message)


def _general(parsed, net, result, proof, seeds, too_large):
    if proof is not None and proof.proved:
        return General("proved", scope=proof.scope)
    if result.verdict == "error" and not too_large:
        return General("error", message=result.message)

    def check(formula, candidate):
        with np.errstate(all="ignore"):
            return _verdict(formula, candidate, layers_to_check(formula, candidate),
                            seeds[:2], False, False)[0]
    return search(parsed, net, result, seeds=seeds, check=check,
                  reason=None if proof is None else proof.reason)


def _verdict(parsed, net, layers, seeds, prove, network_proof):
    """(Result, the proof for every size or None, whether the network was too
    large to evaluate the formula on)."""
    text, checked = parsed.text, [l for l in layers if l is not None]
    limit = _over_limit(parsed, net, layers)
    if limit is None:
        refutation = _numeric_check(parsed, net, layers, seeds)
        if refutation is not None:
            return refutation, None, False
    if not prove:
        if limit is not None:
            return Result(text, "error", checked, message=limit), None, True
        return Result(text, "holds", checked, message="holds at "
                      f"{len(seeds)} sampled point(s); not proved: the symbolic proof was "
                      "not attempted."), None, False
    proof = _prove_for_every_size(parsed, net, layers)
    if proof.proved:
        message = None if limit is None else f"proved for every size; {limit}"
        return Result(text, "proved", checked, message=message), proof, False
    if limit is not None:
        return Result(text, "error", checked, message=limit), proof, True
    if _prove_at_its_sizes(parsed, net, layers):
        return Result(text, "proved", checked), proof, False
    reason = _network_proof(parsed, net, layers) if network_proof else \
        "the proof on this network's own symbols was not attempted at its size"
    if reason is None:
        return Result(text, "proved", checked), proof, False
    return Result(text, "holds", checked,
                  message=f"holds at {len(seeds)} sampled point(s); not proved: {reason}."), \
        proof, False


def _prove_for_every_size(parsed, net, layers):
    try:
        return prove_for_every_size(parsed, net, layers)
    except (ArithmeticError, TypeError, ValueError, RecursionError) as failure:
        return GeneralProof(False, reason=f"SymPy could not finish ({type(failure).__name__})")


def _prove_at_its_sizes(parsed, net, layers) -> bool:
    try:
        return prove_at_its_sizes(parsed, net, layers).proved
    except (ArithmeticError, TypeError, ValueError, RecursionError):
        return False


def _network_proof(parsed, net, layers) -> str | None:
    """None when proved on the network's own symbols, else why not."""
    if any(cost(parsed, net, l).work > PROOF_MAX_WORK for l in layers):
        return (f"its matrices are too large for a proof entry by entry (at most "
                f"{PROOF_MAX_WORK:,} entries)")
    try:
        return prove_formula(parsed, net, layers)
    except (ArithmeticError, TypeError, ValueError, RecursionError) as failure:
        # SymPy gave up on an expression (a NaN comparison, a pole): no proof
        return f"SymPy could not finish the proof ({type(failure).__name__})"


def _over_limit(parsed, net, layers) -> str | None:
    """Why the formula is too large to evaluate on this network, or None."""
    for l in layers:
        found = cost(parsed, net, l)
        if found.entries > MAX_ENTRIES or found.work > MAX_WORK:
            rows, cols = found.largest
            return (f"on this network the formula makes a {rows} x {cols} matrix and "
                    f"{found.work:,} operations{_at(l)}; symbp evaluates at most "
                    f"{MAX_ENTRIES:,} entries and {MAX_WORK:,} operations (memory and time)")
    return None


# -- which l -------------------------------------------------------------------

def layers_to_check(formula: Formula, net) -> list:
    """The values of l to check ([None] for a formula without l), or a
    FormulaError when a quantity does not exist on the network.

    >>> formula = parse_formula("delta[l] = W[l+1].T @ delta[l+1]")
    >>> layers_to_check(formula, Network(layers=[2, 3, 3, 1]))
    [1, 2]
    """
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
def _sampled(net, seed: int):
    """The point drawn from ``seed`` and every quantity at it (cached per network)."""
    point = net.sample(seed)
    return point, numeric_quantities(net, point)


def _numeric_check(formula: Formula, net, layers, seeds) -> Result | None:
    """None when both sides agree everywhere (within the running bounds of
    :mod:`symbp.verification.tolerance`), else the refuted Result, or the
    error of a left side that is undefined at a sampled point."""
    for seed in seeds:
        point, values = _sampled(net, seed)
        for l in layers:
            try:
                left = evaluate_bounded(formula.left, net, values, l)
                right = evaluate_bounded(formula.right, net, values, l)
            except ShapeMismatch as mismatch:
                return _shape_refutation(formula, net, layers, l, seed, point, values, mismatch)
            found = disagreement(left, right)
            if found is None:
                continue
            outcome, bound, left, right = found
            if outcome == "left undefined":
                return Result(formula.text, "error", [x for x in layers if x is not None],
                              message=f"the left side is undefined{_at(l)} at the point of "
                                      f"seed {seed} {UNDEFINED_WHY}")
            return _refutation(formula, net, layers, l, seed, point, values, left, right,
                               bound, undefined=outcome == "right undefined")
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
    shape = f"column {mismatch.column}: {mismatch.text}."
    # a one-place edit that makes the shapes fit and the formula hold says
    # more than the shapes ('a[l-1]' for 'a[l-1].T')
    diagnosis = repair_diagnosis(formula, net, values, l) or \
        layout_diagnosis(formula, net, layers, seed) or \
        {"kind": "shape", "text": shape, "right": None, "column": mismatch.column,
         "left": None if left is None else list(np.atleast_2d(left).shape)}
    where = "" if diagnosis["kind"] == "shape" else f": {shape}"
    return Result(formula.text, "refuted", [x for x in layers if x is not None],
                  counterexample=_counterexample(net, l, seed, point, left, None),
                  diagnosis=diagnosis,
                  message=f"the right side cannot be computed{_at(l)} on this network's "
                          f"shapes{where}")


def _convention(formula, net, layers, l, seed, values, left, right, bound) -> dict | None:
    """A diagnosis by convention (:mod:`symbp.verification.conventions`) or
    of the weight decay's term alone (:mod:`symbp.verification.decay`)."""
    target = formula.left
    if isinstance(target, Quantity) and target.name == "dW" and net.l2:
        decay = net.l2 * values[("W", target.index.resolve(l, net.depth))]
        found = decay_diagnosis(left - decay, decay, right, net=net, scale=bound)
        if found is not None:
            return found
    found = softmax_jacobian(formula, net, l)
    if found is None and any(isinstance(node, Transpose) or getattr(node, "op", "") == "@"
                             for node in subtrees(formula.right)):
        found = layout_diagnosis(formula, net, layers, seed)   # a layout shows in @ and .T
    return found


def _try_numeric(node, net, values, l):
    try:
        return evaluate_numeric(node, net, values, l)
    except ShapeMismatch:
        return None


def _refutation(formula, net, layers, l, seed, point, values, left, right, bound,
                undefined=False) -> Result:
    if undefined:
        diagnosis = {"kind": "undefined", "text": "the right side is undefined (NaN or "
                     "infinity) where the left side is a number."}
        message = (f"the right side is undefined{_at(l)} at the point of seed {seed}: a log "
                   "or square root of a negative number, or a division by zero?")
        return Result(formula.text, "refuted", [x for x in layers if x is not None],
                      counterexample=_counterexample(net, l, seed, point, left, right),
                      diagnosis=diagnosis, message=message)
    diagnosis = repair_diagnosis(formula, net, values, l) or \
        _convention(formula, net, layers, l, seed, values, left, right, bound) or \
        per_sample_wording(formula, diagnose(left, right, net=net, scale=bound))
    hint = diagnosis and diagnosis["kind"] == "shape" and \
        per_sample_hint(net, left.shape, right.shape)
    if hint:
        diagnosis = {**diagnosis, "text": f"{diagnosis['text'][:-1]} ({hint})."}
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
