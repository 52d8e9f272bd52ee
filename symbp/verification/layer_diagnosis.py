"""What a refuted layer formula's right side is, next to the truth.

First the diagnoses every formula gets (:func:`~symbp.verification.diagnosis.diagnose`:
``shape``, ``transpose``, ``zeros``, ``factor``), with the factors named by
the layer: its sizes (``N``, ``1/N``, ``D``, ``C``, ``M``) and its own
(dropout's ``p``, ``1/p``, ``p^2``; the weight decay's ``lambda``).  Then,
when the left side is a gradient of the layer (``dx``, ``dw``, ...), the
chain rule taken apart at each named quantity q of the definition (the
gradient with q held: every path but the ones through q, which SymEngine
derives, :mod:`symbp.layers.formula_values`):

* ``missing_term``: the right side is the truth less the paths through q
  (batch norm's dx with the variance held: "dmean without the variance
  path"), or those paths alone;
* ``path_factor``: the paths through q are a named factor off (the weight
  decay's ``lambda/m`` where ``lambda`` is meant: the decay term is 1/N of
  what it should be).

Named quantities whose paths are the same (batch norm's sq, var, sqrtvar
and ivar lie on one chain) are named together.
"""

from __future__ import annotations

import numpy as np

from symbp.layers.catalogue import LAYERS
from symbp.notation.quantities import LAYER_QUANTITIES
from symbp.notation.tree import Name
from symbp.verification.diagnosis import LITERAL_FACTORS, close, diagnose, factor_diagnosis

_MEANINGS = {"N": " (a sum over the batch where a mean is expected, or a missing 1/N?)",
             "1/N": " (a mean over the batch where a sum is expected, or 1/N applied twice?)"}
# what the paths through a named quantity are called in a diagnosis, and
# what a factor on them likely is
_PATHS = {"penalty": "the weight-decay term"}
_PATH_MEANINGS = {("penalty", "1/N"): " (lambda/m where lambda is meant: a decay divided by "
                                      "the batch, as in Ng's course's cost?)"}


def named_factors(sized) -> list[tuple[str, float, str]]:
    """``(name, value, meaning)`` of the factors a slip in this layer is
    likely to be: the catalogue layers' own (renamed as formulas name them:
    ``reg`` is ``lambda``), then its sizes above 1 and their inverses.  The
    first name is the one a diagnosis gives when several have one value.

    >>> from symbp.layers.formulas import SizedLayer
    >>> [name for name, _, _ in named_factors(SizedLayer.of("dropout", N=3, D=1, p=0.6))]
    ['p', '1/p', 'p^2', '1/p^2', 'N', '1/N']
    """
    factors = []
    for part in sized.layer.parts():
        for name, value, meaning in part.factors(sized.catalogue(part.name)):
            for catalogue, notation in ((c, n) for n, c in sized.layer.renames):
                name = name.replace(catalogue, notation)
            factors.append((name, float(value), meaning.replace("reg", "lambda")))
    for name in sized.layer.sizes():
        value = float(sized[name])
        if value > 1:
            factors += [(name, value, _MEANINGS.get(name, "")),
                        (f"1/{name}", 1.0 / value, _MEANINGS.get(f"1/{name}", ""))]
    return factors


def diagnose_layer(formula, sized, values: dict, left, right, bound) -> dict | None:
    """The slip that turns the truth ``left`` into ``right`` (arrays at the
    point whose quantities are ``values``, catalogue keys), or None.

    >>> from symbp.layers.formula_values import point_values
    >>> from symbp.layers.formulas import SizedLayer
    >>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
    >>> sized, truth = SizedLayer.of("dropout", N=3, D=2, p=0.6), np.ones((3, 2))
    >>> formula = parse_formula("dx = dout * mask * p", LAYER_MATRIX)
    >>> diagnose_layer(formula, sized, point_values(sized, 0), truth, 0.36 * truth, None)["text"]
    'the right side is p^2 times the truth (scaled by p where 1/p is expected?).'
    """
    factors = named_factors(sized)
    found = diagnose(left, right, factors=factors, scale=bound)
    named = {name for name, _, _ in factors} | {name for name, _ in LITERAL_FACTORS}
    if found and (found["kind"] in ("shape", "transpose", "zeros") or
                  (found["kind"] == "factor" and found["factor"] in named)):
        return found
    key = _gradient_key(formula, sized)
    if key is not None and left.shape == right.shape:
        return _path_variant(values, key, left, right, factors, bound) or found
    return found


def _gradient_key(formula, sized) -> str | None:
    """The catalogue key of a left side that is one of the layer's gradients."""
    if not isinstance(formula.left, Name):
        return None
    quantity = LAYER_QUANTITIES.get(formula.left.name)
    key = sized.layer.catalogue_name(quantity.source or quantity.name) if quantity else None
    grads = {op.grad for op in LAYERS[sized.layer.base].operands if op.grad}
    return key if key in grads else None


def _groups(values: dict, key: str, truth) -> list[tuple[list, np.ndarray]]:
    """Named quantities whose held gradient ``key`` is the same, grouped, in
    order; those every path (or none) goes through are left out."""
    groups = []
    for name, held in values["held"].items():
        partial = held[key]
        through = truth - partial
        if not np.any(partial) or not np.abs(through).max() > 1e-12 * np.abs(truth).max():
            continue
        for names, seen in groups:
            if close(seen, partial).all():
                names.append(name)
                break
        else:
            groups.append(([name], partial))
    return groups


def _path_variant(values, key, truth, claimed, factors, bound) -> dict | None:
    for names, partial in _groups(values, key, truth):
        through = truth - partial
        what = _PATHS.get(names[0], f"the chain-rule path through {_listed(names)}")
        if close(partial, claimed, scale=bound).all():
            return {"kind": "missing_term", "path": names, "text": (
                f"{key} is the truth less {what} (as if {_listed(names, ', ')} "
                f"{'were' if len(names) > 1 else 'was'} constant).")}
        if close(through, claimed, scale=bound).all():
            return {"kind": "missing_term", "path": names, "text": (
                f"{key} is {what} alone: the paths that bypass {names[0]} are missing.")}
        weight = float(np.sum(through * through))
        value = float(np.sum(through * (claimed - partial))) / weight
        if not close(value * through, claimed - partial, scale=bound).all():
            continue
        known = [(name, v) for name, v, _ in factors] + list(LITERAL_FACTORS)
        found = [name for name, v in known if abs(value - v) <= 1e-6 * abs(v)]
        if found:
            diagnosis = factor_diagnosis(found, value, factors)
            meaning = _PATH_MEANINGS.get((names[0], found[0]),
                                         diagnosis["text"].split("the truth", 1)[1][:-1])
            return {**diagnosis, "kind": "path_factor", "path": names,
                    "text": f"{what} is {diagnosis['factor']} times what it should be{meaning}."}
    return None


def _listed(names: list, joint: str = " -> ") -> str:
    return joint.join(names)
