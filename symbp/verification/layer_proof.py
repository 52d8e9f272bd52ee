"""Symbolic proofs of layer formulas: for every size, and at the layer's own sizes.

For every size: both sides are evaluated by the notation's index-form
evaluator (:class:`~symbp.verification.index_form.IndexEvaluator`) on the
layer's quantities over symbolic sizes (:func:`symbp.layers.formula_values.index_values`:
the catalogue's definition run on index grids, differentiated by SymPy), and
LEFT - RIGHT at a generic entry is shown to be 0 by
:func:`~symbp.verification.zero.index_zero`.  What is proved holds for every
N, D (C, M) and every value of the parameters (eps, p, lambda are symbols).

At the layer's own sizes: the same on SymPy matrices of the layer's symbols,
entry by entry (:func:`~symbp.verification.zero.cancels`), for small layers.

Both are bounded by sizes, never by a clock; failing, the formula keeps its
numeric verdict.

>>> from symbp.layers.formulas import SizedLayer
>>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
>>> formula = parse_formula("dscores = (softmax(scores) - onehot(y)) / N", LAYER_MATRIX)
>>> prove_for_every_size(formula, SizedLayer.of("softmax_loss")).scope
'every N and C'
"""

from __future__ import annotations

from functools import lru_cache

from symbp.layers.formula_values import index_values, notation_values, point_values
from symbp.layers.index_grid import COLUMN as GRID_COLUMN
from symbp.layers.index_grid import ROW as GRID_ROW
from symbp.layers.index_grid import IndexGrid
from symbp.notation.evaluate import ShapeMismatch, SymbolicEvaluator
from symbp.truth.indexed import TooLarge
from symbp.verification.general_proof import GeneralProof
from symbp.verification.index_form import COLUMN, ROW, IndexEvaluator, IndexMatrix
from symbp.verification.zero import cancels, index_zero
from symbp.verification.zero import size as node_count

# tree nodes of LEFT - RIGHT at the generic entry, at most (batch norm's
# compact dx takes about 400)
INDEX_BUDGET = 6000
_SYMPY_FAILURES = (ArithmeticError, TypeError, ValueError, RecursionError, KeyError,
                   NotImplementedError, AttributeError)


def _context(sized):
    from symbp.verification.layer_verdicts import LayerContext
    return LayerContext(sized)


def scope(sized) -> str:
    """The sizes a proof for every size covers, as a phrase.

    >>> from symbp.layers.formulas import SizedLayer
    >>> scope(SizedLayer.of("batchnorm")), scope(SizedLayer.of("affine"))
    ('every N and D', 'every N, D and M')
    """
    sizes = sized.layer.sizes()
    return "every " + (" and ".join(sizes) if len(sizes) < 3 else
                       ", ".join(sizes[:-1]) + " and " + sizes[-1])


def _as_index_matrix(value):
    if isinstance(value, IndexGrid):
        return IndexMatrix(value.rows, value.cols,
                           value.body.xreplace({GRID_ROW: ROW, GRID_COLUMN: COLUMN}))
    return value


def _difference(left, right):
    """LEFT - RIGHT at the generic entry, or None when the shapes differ
    (a number stands for a matrix of the other side's shape)."""
    left_matrix, right_matrix = isinstance(left, IndexMatrix), isinstance(right, IndexMatrix)
    if left_matrix and right_matrix and left.shape != right.shape:
        return None
    pick = lambda side, matrix: side.entry(ROW, COLUMN) if matrix else side
    return pick(left, left_matrix) - pick(right, right_matrix)


def prove_for_every_size(formula, sized) -> GeneralProof:
    """A proof of ``formula`` for every size of ``sized``'s layer (and every
    value of its parameters), or the reason there is none (cached: it does
    not depend on the sizes).

    >>> from symbp.layers.formulas import SizedLayer
    >>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
    >>> prove_for_every_size(parse_formula("dx = dout", LAYER_MATRIX), SizedLayer.of("relu")).reason
    'SymPy did not reduce LEFT - RIGHT to 0 over symbolic sizes'
    """
    return _prove_for_every_size(formula, sized.layer.name)


@lru_cache(maxsize=256)
def _prove_for_every_size(formula, name: str) -> GeneralProof:
    from symbp.layers.formulas import SizedLayer
    sized = SizedLayer.of(name)
    try:
        values = {key: _as_index_matrix(value) for key, value in
                  notation_values(sized, index_values(sized)).items()}
        evaluator = IndexEvaluator(_context(sized), values, None)
        left, right = evaluator.walk(formula.left), evaluator.walk(formula.right)
    except ShapeMismatch:
        return GeneralProof(False, reason="an operation does not fit the shapes for every size")
    except TooLarge:
        return GeneralProof(False, reason="the layer's expressions exceed the index algebra's "
                                          "budget")
    except _SYMPY_FAILURES as failure:
        return GeneralProof(False, reason=_gave_up(failure))
    gap = _difference(left, right)
    if gap is None:
        return GeneralProof(False, reason="the two sides have different shapes for some sizes")
    try:
        if node_count(gap, INDEX_BUDGET) > INDEX_BUDGET:
            return GeneralProof(False, reason=f"LEFT - RIGHT exceeds the proof budget "
                                              f"({INDEX_BUDGET} nodes)")
        if index_zero(gap):
            return GeneralProof(True, scope=scope(sized))
    except TooLarge:
        return GeneralProof(False, reason="the index algebra's budget was exceeded")
    except _SYMPY_FAILURES as failure:
        return GeneralProof(False, reason=_gave_up(failure))
    return GeneralProof(False, reason="SymPy did not reduce LEFT - RIGHT to 0 over symbolic "
                                      "sizes")


def _gave_up(failure) -> str:
    if isinstance(failure, KeyError):
        return "the labels y have no symbolic form (only onehot(y) has)"
    return f"SymPy could not finish ({type(failure).__name__})"


def prove_at_its_sizes(formula, sized, max_entries: int) -> str | None:
    """None when LEFT - RIGHT is proved 0 entry by entry on the layer's own
    symbols, else why not (a phrase).

    >>> from symbp.layers.formulas import SizedLayer
    >>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
    >>> formula = parse_formula("dx = dout * mask / p", LAYER_MATRIX)
    >>> prove_at_its_sizes(formula, SizedLayer.of("dropout", N=2, D=2), max_entries=40) is None
    True
    """
    from symbp.layers.formula_values import symbolic_values
    arrays = point_values(sized, 0)["arrays"]
    entries = sum(getattr(value, "size", 1) for value in arrays.values())
    if entries > max_entries:
        return (f"the proof for every size did not succeed, and the layer has {entries} "
                f"entries: too many for a proof entry by entry (at most {max_entries})")
    try:
        values = notation_values(sized, symbolic_values(sized))
        evaluator = SymbolicEvaluator(_context(sized), values, None)
        left, right = evaluator.walk(formula.left), evaluator.walk(formula.right)
        gaps = _entry_differences(evaluator, left, right)
        if gaps is None:
            return "the symbolic sides have different shapes"
        if all(cancels(gap) for gap in gaps):
            return None
    except ShapeMismatch:
        return "the symbolic sides have different shapes"
    except _SYMPY_FAILURES as failure:
        return _gave_up(failure)
    return "SymPy did not reduce LEFT - RIGHT to 0"


def _entry_differences(evaluator, left, right):
    left_scalar, right_scalar = evaluator.is_scalar(left), evaluator.is_scalar(right)
    if not left_scalar and not right_scalar:
        return None if left.shape != right.shape else list(left - right)
    if left_scalar and right_scalar:
        return [left - right]
    return [left - e for e in right] if left_scalar else [e - right for e in left]


def cost(formula, sized):
    """The :class:`~symbp.verification.cost.Cost` of evaluating ``formula`` on
    ``sized``, from the shapes alone (:mod:`symbp.verification.cost`).

    >>> from symbp.layers.formulas import SizedLayer
    >>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
    >>> cost(parse_formula("dw = x.T @ dout", LAYER_MATRIX), SizedLayer.of("affine", N=4, D=3, M=2))
    Cost(work=24, largest=(3, 2))
    """
    from symbp.verification.cost import Shaped
    from symbp.verification.cost import cost as shape_cost
    values = {}
    for key, value in notation_values(sized, point_values(sized, 0)).items():
        shape = getattr(value, "shape", ())
        values[key] = Shaped(*shape) if len(shape) == 2 else value
    return shape_cost(formula, _context(sized), None, values)
