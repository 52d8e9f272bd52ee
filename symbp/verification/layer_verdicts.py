"""Verdicts on layer formulas (contract section 12): ``verify_layer(formula, sized)``.

A formula over one layer's quantities (``dx = dout * mask / p``) is checked as
a network formula is (contract section 4): numerically at a few points drawn
from seeds, against the quantities the layer's definition gives
(:mod:`symbp.layers.formula_values`: every gradient is SymEngine's derivative
of the definition); then symbolically, first for every N and D (index form
over symbolic sizes, :func:`prove_for_every_size`: its cost does not depend
on the sizes), then over the layer's own symbols (SymPy matrices, small
layers only); never by a clock.  A refuted formula gets a counterexample and
a diagnosis (:mod:`symbp.verification.layer_diagnosis`).  ``Result.general``
is the formula for every size of the layer: proved, or refuted by the
smallest configuration found (:mod:`symbp.verification.layer_general`).

>>> from symbp.layers.formulas import SizedLayer
>>> sized = SizedLayer.of("dropout", N=3, D=2, p=0.6)
>>> verify_layer("dx = dout * mask / p", sized).verdict
'proved'
>>> result = verify_layer("dx = dout * mask * p", sized)
>>> result.verdict, result.diagnosis["factor"]
('refuted', 'p^2')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.errors import SymbpError
from symbp.layers.formula_values import notation_values, point_values, unknown_quantity
from symbp.layers.formulas import SizedLayer, as_sized_layer
from symbp.notation.evaluate import ShapeMismatch, evaluate_numeric
from symbp.notation.parser import LAYER_MATRIX, parse_formula
from symbp.notation.tree import Call, Formula, Name, subtrees
from symbp.verification.general import General
from symbp.verification.layer_diagnosis import diagnose_layer
from symbp.verification.tolerance import UNDEFINED_WHY, disagreement, evaluate_bounded
from symbp.verification.verdicts import (
    DEFAULT_SEEDS,
    MAX_ENTRIES,
    MAX_WORK,
    Result,
    checked_seeds,
)

# The proof over the layer's own symbols differentiates SymPy expressions
# entry by entry: only for layers whose operands have at most this many
# entries in all (batch norm at N = 4, D = 3 has 18 and takes about 2 s).
PROOF_MAX_ENTRIES = 40


@dataclass(frozen=True)
class LayerContext:
    """What the notation's evaluators read of a layer (its quantities are
    all in the values): samples are rows, so softmax normalises each row.

    >>> from symbp.notation.parser import parse_expression
    >>> x = np.array([[0.0, 0.0], [0.0, np.log(3.0)]])
    >>> evaluate_numeric(parse_expression("softmax(x)", LAYER_MATRIX),
    ...                  LayerContext(SizedLayer.of("relu")), {("x", None): x})
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    sized: SizedLayer
    context: str = "layer"
    units_axis: int = 1
    depth: int = 0


def parse_layer_formula(formula, sized: SizedLayer) -> Formula:
    """``formula`` parsed as a layer formula, every name one of ``sized``'s
    quantities (a FormulaError or LayerError otherwise).

    >>> sized = SizedLayer.of("dropout")
    >>> parse_layer_formula("dx = dout * mask / p", sized).left
    Name(column=1, name='dx')
    >>> parse_layer_formula("dx = dout * gamma", sized)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.LayerError: gamma is not a quantity of the dropout layer; its quantities are ...
    """
    parsed = formula if isinstance(formula, Formula) else parse_formula(formula, LAYER_MATRIX)
    from symbp.layers.formula_values import available
    names = set(available(sized))
    for side in (parsed.left, parsed.right):
        for node in subtrees(side):
            if isinstance(node, Name) and node.name not in names:
                raise unknown_quantity(sized, node.name)
            if isinstance(node, Call) and node.func == "onehot" and "y" not in names:
                raise unknown_quantity(sized, "y")
    return parsed


def verify_layer(formula, sized, *, seeds=DEFAULT_SEEDS, prove: bool = True,
                 general: bool = True) -> Result:
    """The verdict on ``formula`` (text or a parsed Formula) over ``sized``
    (a :class:`~symbp.layers.formulas.SizedLayer`, or a ``[layer]`` dict).

    ``prove=False`` skips every symbolic attempt; ``general=False`` leaves
    ``Result.general`` None.  Bad input is the verdict ``error``, never an
    exception.

    >>> result = verify_layer("dx = dout * step(x)", SizedLayer.of("relu"))
    >>> result.verdict, result.general.scope
    ('proved', 'every N and D')
    >>> verify_layer("dx = dout * (x > 0)", SizedLayer.of("relu")).verdict
    'error'
    """
    text = formula.text if isinstance(formula, Formula) else formula
    try:
        sized = as_sized_layer(sized)
        parsed = parse_layer_formula(formula, sized)
        limit = _over_limit(parsed, sized)
    except SymbpError as error:
        text = text if isinstance(text, str) else repr(text)
        return Result(text, "error", message=str(error),
                      general=General("error", message=str(error)) if general else None)
    seeds = checked_seeds(seeds)
    if limit is not None:
        return _too_large(parsed, sized, limit, prove, general)
    with np.errstate(all="ignore"):
        result = _numeric_check(parsed, sized, seeds)
        proof = None
        if result is None:
            result, proof = _proved_or_holds(parsed, sized, seeds, prove)
    if general:
        from symbp.verification.layer_general import layer_general
        result.general = layer_general(parsed, sized, result, proof, seeds)
    return result


def _too_large(parsed, sized, limit: str, prove: bool, general: bool) -> Result:
    """A formula too large to evaluate: proved for every size (whose cost does
    not depend on the sizes), or an error with the limit."""
    from symbp.verification.layer_proof import prove_for_every_size
    proof = prove_for_every_size(parsed, sized) if prove else None
    if proof is not None and proof.proved:
        return Result(parsed.text, "proved", message=f"proved for every size; {limit}",
                      general=General("proved", scope=proof.scope) if general else None)
    return Result(parsed.text, "error", message=limit,
                  general=General("error", message=limit) if general else None)


def _over_limit(parsed, sized) -> str | None:
    """Why the formula is too large to evaluate (its shapes, before anything is computed)."""
    from symbp.verification.layer_proof import cost
    return cost(parsed, sized).refusal(MAX_ENTRIES, MAX_WORK, at=f" on {sized}")


def _proved_or_holds(parsed, sized, seeds, prove):
    from symbp.verification.layer_proof import prove_at_its_sizes, prove_for_every_size
    if not prove:
        return Result(parsed.text, "holds", message=f"holds at {len(seeds)} sampled point(s); "
                      "not proved: the symbolic proof was not attempted."), None
    proof = prove_for_every_size(parsed, sized)
    if proof.proved:
        return Result(parsed.text, "proved"), proof
    reason = prove_at_its_sizes(parsed, sized, PROOF_MAX_ENTRIES)
    if reason is None:
        return Result(parsed.text, "proved"), proof
    return Result(parsed.text, "holds", message=f"holds at {len(seeds)} sampled point(s); "
                  f"not proved: {reason}."), proof


def _sampled_values(sized: SizedLayer, seed: int) -> dict:
    """The notation's values at the point of ``seed`` (cached with the point)."""
    return notation_values(sized, point_values(sized, seed))


def _numeric_check(parsed: Formula, sized: SizedLayer, seeds) -> Result | None:
    """None when both sides agree at every point, else the refuted (or
    error) Result."""
    context = LayerContext(sized)
    for seed in seeds:
        values = _sampled_values(sized, seed)
        try:
            left = evaluate_bounded(parsed.left, context, values)
            right = evaluate_bounded(parsed.right, context, values)
        except ShapeMismatch as mismatch:
            return _shape_refutation(parsed, sized, seed, values, mismatch)
        found = disagreement(left, right)
        if found is None:
            continue
        labels = _labels_for_onehot(parsed, sized, seed, values, left)
        outcome, bound, left, right = found
        if outcome == "left undefined":
            return Result(parsed.text, "error", message=(
                f"the left side is undefined at the point of seed {seed} {UNDEFINED_WHY}"))
        return _refutation(parsed, sized, seed, left, right, bound,
                           undefined=outcome == "right undefined", diagnosis=labels)


def _labels_for_onehot(parsed: Formula, sized: SizedLayer, seed: int, values: dict,
                       left) -> dict | None:
    """The diagnosis of a loss layer's labels ``y`` (one class index per
    sample) used where textbooks' ``y``, the one-hot matrix, is meant
    (``dx = (softmax(x) - y) / N``): the right side with ``onehot(y)`` in
    their place is the truth, or a named factor of it (``softmax(x) - y``
    is N times).  None otherwise."""
    if any(isinstance(node, Call) and node.func == "onehot" for node in subtrees(parsed.right)):
        return None
    named = {node.name for node in subtrees(parsed.right) if isinstance(node, Name)}
    for key, matrix in values.items():
        name = key[1] if key[0] == "onehot" else None
        if name not in named:
            continue
        try:
            swapped = evaluate_bounded(parsed.right, LayerContext(sized),
                                       {**values, (name, None): matrix})
        except (ShapeMismatch, SymbpError):
            continue
        found = disagreement(left, swapped)
        then = "is the truth."
        if found is not None:
            outcome, bound, truth, right = found
            factor = diagnose_layer(parsed, sized, point_values(sized, seed), truth, right,
                                    bound) if outcome == "differ" else None
            if not factor or factor["kind"] != "factor":
                continue
            then = factor["text"][len("the right side "):]
        return {"kind": "labels_onehot", "text": (
            f"{name} is the class labels here, one index per sample; with onehot({name}), "
            f"their one-hot matrix (the {name} of textbooks), in its place the right side "
            + then)}
    return None
    return None


def _counterexample(sized: SizedLayer, seed: int, left, right) -> dict:
    """A layer counterexample (contract section 12): the layer, the point, both sides."""
    arrays = point_values(sized, seed)["arrays"]
    return {"l": None, "layer": sized.to_dict(), "seed": seed,
            "point": {key: np.asarray(value).tolist() for key, value in arrays.items()},
            "left": None if left is None else np.asarray(left).tolist(),
            "right": None if right is None else np.asarray(right).tolist()}


def _shape_refutation(parsed, sized, seed, values, mismatch) -> Result:
    try:
        left = evaluate_numeric(parsed.left, LayerContext(sized), values)
    except ShapeMismatch:
        left = None
    diagnosis = {"kind": "shape", "text": f"column {mismatch.column}: {mismatch.text}.",
                 "left": None if left is None else list(np.atleast_2d(left).shape),
                 "right": None, "column": mismatch.column}
    return Result(parsed.text, "refuted", counterexample=_counterexample(sized, seed, left, None),
                  diagnosis=diagnosis,
                  message=f"the right side cannot be computed on {sized}'s shapes.")


def _refutation(parsed, sized, seed, left, right, bound, undefined=False,
                diagnosis=None) -> Result:
    example = _counterexample(sized, seed, left, right)
    if undefined:
        return Result(parsed.text, "refuted", counterexample=example, diagnosis={
            "kind": "undefined", "text": "the right side is undefined (NaN or infinity) where "
            "the left side is a number."}, message=(
            f"the right side is undefined at the point of seed {seed}: a log or square root "
            "of a negative number, or a division by zero?"))
    diagnosis = diagnosis or diagnose_layer(parsed, sized, point_values(sized, seed), left,
                                            right, bound)
    if left.shape != right.shape:
        message = f"the two sides have different shapes: {list(left.shape)} and " \
                  f"{list(right.shape)}."
    else:
        gap = float(np.nanmax(np.abs(left - right))) if left.size else 0.0
        message = f"the two sides differ at the point of seed {seed}, by up to {gap:.3g}."
    return Result(parsed.text, "refuted", counterexample=example, diagnosis=diagnosis,
                  message=message)
