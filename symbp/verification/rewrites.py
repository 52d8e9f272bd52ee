"""Diagnoses that rewrite a refuted formula in one place and check it again.

Each rewrite undoes a classic slip: a derivative evaluated at a[k] where
z[k] was meant (``prime_at_a``), at the layer next door (``prime_layer``),
a relu mask ``step(z[k])`` taken from the layer next door (``mask_layer``),
sigma of an expression meant as another layer's activation
(``sigma_activation``), a missing or extra transpose on a weight matrix or
any other quantity (``transpose_slip``: ``a[l-1]`` where ``a[l-1].T`` was
meant hides from the shapes when the batch equals the width).  Rewrites are
tried at the counterexample only (a handful of numeric evaluations); the
first under which the formula holds names the slip.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_formula
>>> from symbp.verification.values import numeric_quantities
>>> net = Network(layers=[2, 3, 2])
>>> formula = parse_formula("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(a[l])")
>>> values = numeric_quantities(net, net.sample(seed=0))
>>> repair_diagnosis(formula, net, values, 1)["kind"]
'prime_at_a'
"""

from __future__ import annotations

from symbp.errors import SymbpError
from symbp.notation.evaluate import ShapeMismatch, in_range
from symbp.notation.tree import (
    Call,
    Formula,
    Index,
    Name,
    Quantity,
    Transpose,
    children,
    replaced,
    subtrees,
)
from symbp.verification.cost import cost
from symbp.verification.tolerance import compare, evaluate_bounded


def _prime_calls(node) -> list:
    """Derivative calls (``*_prime``) of z[k] or a[k]."""
    return [call for call in subtrees(node)
            if isinstance(call, Call) and call.func.endswith("_prime")
            and _of_z_or_a(call.args[0])]


def _of_z_or_a(node) -> bool:
    return isinstance(node, Quantity) and node.name in ("z", "a")


def _masks(node) -> list:
    """step(z[k]) and step(a[k]) calls: a relu's mask."""
    return [call for call in subtrees(node)
            if isinstance(call, Call) and call.func == "step" and _of_z_or_a(call.args[0])]


def _rewrites(formula: Formula, net, l):
    """Small edits of the right side that undo a classic slip:
    (kind, node, replacement, what was found, what is expected)."""
    for call in _masks(formula.right):
        argument, index = call.args[0], call.args[0].index
        for step in (-1, 1):
            fixed = Quantity(argument.name, Index(index.base, index.offset + step),
                             column=argument.column)
            if in_range(fixed, l, net.depth) and fixed.index.resolve(l, net.depth) >= 1:
                yield ("mask_layer", argument, fixed, f"step({_name(argument)})",
                       f"step({_name(fixed)})")
    for call in _prime_calls(formula.right):
        argument, index = call.args[0], call.args[0].index
        candidates = [] if argument.name == "z" else [("prime_at_a", index)]
        candidates += [("prime_layer", Index(index.base, index.offset + step))
                       for step in (-1, 1)]
        for kind, new_index in candidates:
            fixed = Quantity("z", new_index, column=argument.column)
            if in_range(fixed, l, net.depth):
                yield (kind, argument, fixed, f"{call.func}({argument.name}[{index}])",
                       f"{call.func}(z[{new_index}])")
    for call in _sigma_of_expressions(formula.right):
        names = {net.activation(k).name for k in range(1, net.depth + 1)}
        suffix = call.func[len("sigma"):]  # "" or "_prime"
        # layer 1's activation is the hidden one (the output one when L = 1)
        for name in sorted(names - {net.activation(1).name}):
            renamed = Call(name + suffix, call.args, call.axis, column=call.column)
            yield ("sigma_activation", call, renamed,
                   (f"{call.func}(...), which on an expression other than z[k] or a[k] is the "
                   "hidden activation's"), f"{name}{suffix}(...)")
    for node in _transposable(formula.right):
        if isinstance(node, Transpose):
            yield ("transpose_slip", node, node.operand, f"{_name(node.operand)}.T",
                   _name(node.operand))
        else:
            yield ("transpose_slip", node, Transpose(node, column=node.column),
                   _name(node), f"{_name(node)}.T")


def _sigma_of_expressions(node) -> list:
    """sigma(X) and sigma_prime(X) calls whose X is not z[k] or a[k]."""
    return [call for call in subtrees(node)
            if isinstance(call, Call) and call.func in ("sigma", "sigma_prime")
            and not _of_z_or_a(call.args[0])]


def _name(node) -> str:
    return node.name if isinstance(node, Name) else f"{node.name}[{node.index}]"


def _matrix(node) -> bool:
    """A quantity that is a matrix: W[k], a[k], delta[k], ..., x, y (not n[k] or m)."""
    return (isinstance(node, Quantity) and node.name != "n") or (
        isinstance(node, Name) and node.name in ("x", "y"))


def _transposable(node) -> list:
    """Matrix quantities, and transposed ones as their Transpose node; weight
    matrices first (the classic slip), then the others."""
    found = _quantities_or_transposes(node)
    return sorted(found, key=lambda q: _name(q.operand if isinstance(q, Transpose) else q)[0]
                  != "W")


def _quantities_or_transposes(node) -> list:
    if isinstance(node, Transpose) and _matrix(node.operand):
        return [node]
    if _matrix(node):
        return [node]
    return [found for child in children(node) for found in _quantities_or_transposes(child)]


def repair_diagnosis(formula: Formula, net, values, l) -> dict | None:
    """The slip a one-place edit undoes: a derivative evaluated at a[k] or at
    the wrong layer, a relu mask from the wrong layer, a missing or extra
    transpose.  Tried at the counterexample only (a handful of numeric
    evaluations).

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_formula
    >>> from symbp.verification.values import numeric_quantities
    >>> net = Network(layers=[2, 3, 2])
    >>> values = numeric_quantities(net, net.sample(seed=0))
    >>> formula = parse_formula("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(a[l])")
    >>> print(repair_diagnosis(formula, net, values, 1)["text"])
    the right side has sigma_prime(a[l]) (column 50); with sigma_prime(z[l]) the formula holds.
    """
    left = evaluate_bounded(formula.left, net, values, l)
    for kind, node, replacement, found, expected in _rewrites(formula, net, l):
        right = replaced(formula.right, node, replacement)
        if cost(Formula(formula.left, right, formula.text), net, l).refusal():
            continue    # a transpose that broadcasts a column against a row: n x n
        try:
            repaired = evaluate_bounded(right, net, values, l)
        except (ShapeMismatch, SymbpError):
            continue
        if compare(left, repaired) == "agree":
            return {"kind": kind, "found": found, "expected": expected,
                    "column": node.column,
                    "text": f"the right side has {found} (column {node.column}); "
                            f"with {expected} the formula holds."}
    return None
