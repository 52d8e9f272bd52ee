"""Diagnoses that rewrite a refuted formula in one place and check it again.

Each rewrite undoes a classic slip: a derivative evaluated at a[k] where
z[k] was meant (``prime_at_a``), at the layer next door (``prime_layer``),
a relu mask ``step(z[k])`` taken from the layer next door (``mask_layer``),
sigma of an expression meant as another layer's activation
(``sigma_activation``), a sum over the wrong axis (``axis_slip``), a missing
or extra transpose on a weight matrix or any other quantity
(``transpose_slip``: ``a[l-1]`` where ``a[l-1].T`` was meant hides from the
shapes when the batch equals the width), a neighbouring quantity
(``quantity_slip``: z[k] for a[k], as in ``1 - z**2`` for tanh', a[l] for
a[l-1], dW[k] for W[k], da for delta, in one place or wherever it occurs),
a matrix product for an element-wise one or the reverse (``operator_slip``),
another activation's derivative written out (``derivative_slip``: sigmoid's
``a * (1 - a)`` on a tanh layer), the activation's derivative missing from
a delta (``missing_factor``), and a
factor or a term too many (``extra_factor``: sigma'(z[L]) kept where the
cross-entropy cancels it; ``extra_term``: a decay on the bias).  Rewrites are
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

from dataclasses import dataclass

from symbp.errors import SymbpError
from symbp.notation.evaluate import ShapeMismatch, in_range
from symbp.notation.text import notation_text
from symbp.notation.tree import (
    BinOp,
    Call,
    Formula,
    Index,
    Name,
    Neg,
    Quantity,
    Transpose,
    children,
    constant_value,
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
    for call in _masks(formula.right):
        # step is relu's derivative: on another activation's layer its own is meant
        k = call.args[0].index.resolve(l, net.depth) if in_range(call.args[0], l, net.depth) \
            else None
        if k is not None and k >= 1 and net.activation(k).name != "relu":
            own = Call(f"{net.activation(k).name}_prime", call.args, column=call.column)
            yield ("mask_activation", call, own, f"step({_name(call.args[0])})",
                   f"{own.func}({_name(call.args[0])})")
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
    for call in subtrees(formula.right):
        if isinstance(call, Call) and call.axis is not None:
            flipped = Call(call.func, call.args, 1 - call.axis, column=call.column)
            yield ("axis_slip", call, flipped, f"{call.func}(..., axis={call.axis})",
                   f"{call.func}(..., axis={1 - call.axis})")
    for node in _transposable(formula.right):
        if isinstance(node, Transpose):
            yield ("transpose_slip", node, node.operand, f"{_name(node.operand)}.T",
                   _name(node.operand))
        else:
            yield ("transpose_slip", node, Transpose(node, column=node.column),
                   _name(node), f"{_name(node)}.T")
    yield from _quantity_rewrites(formula.right, net, l)
    yield from _derivative_rewrites(formula.right, net, l)
    yield from _operator_rewrites(formula.right)
    yield from _factor_rewrites(formula)


# a quantity written for its neighbour: the activation for the pre-activation
# (1 - z**2 for tanh'), a gradient for its parameter, da for delta
_NEIGHBOURS = {"z": "a", "a": "z", "dW": "W", "db": "b", "delta": "da", "da": "delta"}


def _quantity_rewrites(right, net, l):
    """Each indexed quantity replaced by a neighbour (:data:`_NEIGHBOURS`) or
    the same quantity one layer up or down: in one place, then wherever the
    same quantity occurs (``z[l] * (1 - z[l])``)."""
    occurrences = {}
    for node in subtrees(right):
        if isinstance(node, Quantity) and node.name != "n":
            occurrences.setdefault((node.name, node.index), []).append(node)
    for (name, index), nodes in occurrences.items():
        options = [Quantity(_NEIGHBOURS[name], index)] if name in _NEIGHBOURS else []
        options += [Quantity(name, Index(index.base, index.offset + step)) for step in (-1, 1)]
        for option in options:
            if not in_range(option, l, net.depth):
                continue
            for group in [[node] for node in nodes] + ([nodes] if len(nodes) > 1 else []):
                yield ("quantity_slip", group, option, _name(nodes[0]), _name(option))


def _derivative_rewrites(right, net, l):
    """A part of the right side made only of one layer's a[k] or z[k] and
    numbers (``a[l] * (1 - a[l])``, sigmoid's derivative, on a tanh layer)
    where that layer's derivative is meant; the largest such parts first."""
    for node in subtrees(right):
        if isinstance(node, Quantity) or (isinstance(node, Call) and
                                          node.func.endswith("_prime")):
            continue
        layer = _one_layer(node, l, net.depth)
        if layer is None:
            continue
        index, k = layer
        meant = Call(f"{net.activation(k).name}_prime", (Quantity("z", index),))
        yield ("derivative_slip", node, meant, notation_text(node), notation_text(meant))
    # a * (1 - a) inside a longer product: (W.T @ delta) * a[l] * (1 - a[l])
    for node in subtrees(right):
        factors = _factors(node)
        layers = [_one_layer(factor, l, net.depth) for factor in factors]
        ks = {layer[1] for layer in layers if layer is not None}
        if len(factors) < 3 or len(ks) != 1 or None not in layers:
            continue
        index, k = next(layer for layer in layers if layer is not None)
        meant = Call(f"{net.activation(k).name}_prime", (Quantity("z", index),))
        rest = [factor for factor, layer in zip(factors, layers, strict=True) if layer is None]
        product = rest[0]
        for factor in rest[1:] + [meant]:
            product = BinOp("*", product, factor)
        written = [factor for factor, layer in zip(factors, layers, strict=True) if layer]
        found = written[0]
        for factor in written[1:]:
            found = BinOp("*", found, factor)
        yield ("derivative_slip", _Part(node, written[0].column), product,
               notation_text(found), notation_text(meant))


@dataclass(frozen=True)
class _Part:
    """A rewrite of ``node`` whose slip starts at ``column`` inside it (a
    part of a longer product)."""
    node: object
    column: int


def _factors(node) -> list:
    """The factors of a chain of element-wise products, in order."""
    if isinstance(node, BinOp) and node.op == "*":
        return _factors(node.left) + _factors(node.right)
    return [node]


def _one_layer(node, l, depth):
    """(index, k) when every quantity of ``node`` is a[k] or z[k] of one
    layer k >= 1, there is one, and nothing else but numbers; else None."""
    found = set()
    for sub in subtrees(node):
        if isinstance(sub, Quantity):
            if sub.name not in ("a", "z") or not in_range(sub, l, depth):
                return None
            found.add((sub.index, sub.index.resolve(l, depth)))
        elif isinstance(sub, Name):
            return None
    if len({k for _, k in found}) != 1:
        return None
    index, k = min(found, key=str)
    return (index, k) if k >= 1 else None


def _operator_rewrites(right):
    """A matrix product meant element-wise, or the reverse."""
    swaps = {"@": ("*", "the matrix product (@)", "an element-wise one (*)"),
             "*": ("@", "the element-wise product (*)", "a matrix product (@)")}
    for node in subtrees(right):
        if isinstance(node, BinOp) and node.op in swaps:
            op, found, expected = swaps[node.op]
            yield ("operator_slip", node, BinOp(op, node.left, node.right, column=node.column),
                   found, expected)


def _same_shapes(product: BinOp, net, values, l) -> bool:
    """Whether an element-wise product's operands have one shape (or one is a number)."""
    shapes = [evaluate_bounded(side, net, values, l).shape for side in (product.left,
                                                                       product.right)]
    # a 1 x 1 matrix is not a number: at width 1, W * delta is no repair of W @ delta
    return product.op != "*" or shapes[0] == shapes[1] or () in shapes


def _factor_rewrites(formula):
    """The activation's derivative missing from a delta, then a factor or a
    term of the right side too many (one that is not a constant: a constant
    factor is the ``factor`` diagnosis's)."""
    left = formula.left
    if isinstance(left, Quantity) and left.name == "delta":
        derivative = Call("sigma_prime", (Quantity("z", left.index),))
        yield ("missing_factor", formula.right, BinOp("*", formula.right, derivative),
               notation_text(derivative), None)
    for node in subtrees(formula.right):
        if not isinstance(node, BinOp) or node.op not in ("*", "+", "-"):
            continue
        kind = "extra_factor" if node.op == "*" else "extra_term"
        kept = [(node.right, node.left), (node.left, node.right)]
        for dropped, rest in kept:
            if constant_value(dropped) is not None or not _has_quantity(dropped):
                continue
            if node.op == "-" and dropped is node.left:
                rest = Neg(rest, column=rest.column)
            yield (kind, node, rest, notation_text(dropped), None)


def _has_quantity(node) -> bool:
    return any(isinstance(sub, Quantity) or (isinstance(sub, Name) and sub.name in ("x", "y"))
               for sub in subtrees(node))


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
        right = formula.right
        for target in node if isinstance(node, list) else [node]:
            right = replaced(right, getattr(target, "node", target), replacement)
        if cost(Formula(formula.left, right, formula.text), net, l).refusal():
            continue    # a transpose that broadcasts a column against a row: n x n
        try:
            repaired = evaluate_bounded(right, net, values, l)
            if kind == "operator_slip" and not _same_shapes(replacement, net, values, l):
                continue  # '*' that only broadcasts into an outer product is no repair
        except (ShapeMismatch, SymbpError):
            continue
        if compare(left, repaired) == "agree":
            return _diagnosis(kind, node, found, expected)
    return None


def _diagnosis(kind, node, found, expected) -> dict:
    nodes = node if isinstance(node, list) else [node]
    columns = [target.column for target in nodes]
    where = (f"column {columns[0]}" if len(columns) == 1 else
             "columns " + ", ".join(map(str, columns)))
    diagnosis = {"kind": kind, "found": found, "expected": expected, "column": columns[0]}
    if kind == "missing_factor":
        text = (f"the right side lacks the activation's derivative: with * {found} the "
                "formula holds.")
    elif kind in ("extra_factor", "extra_term"):
        what = "factor" if kind == "extra_factor" else "term"
        text = f"the right side has the {what} {found} ({where}); without it the formula holds."
    elif kind == "derivative_slip":
        text = (f"the right side has {found} ({where}) where the layer's derivative is meant: "
                f"with {expected} the formula holds.")
    elif kind == "mask_activation":
        activation = expected.split("_prime(")[0]
        text = (f"the right side has {found} ({where}), relu's derivative, on a {activation} "
                f"layer; with {expected} the formula holds.")
    elif kind == "operator_slip":
        text = (f"{found} starting at {where} is meant as {expected}: with it the formula "
                "holds.")
    else:
        there = " there" if len(columns) > 1 else ""
        text = f"the right side has {found} ({where}); with {expected}{there} the formula holds."
    if len(columns) > 1:
        diagnosis["columns"] = columns
    return {**diagnosis, "text": text}
