"""Every quantity of a layer formula, from the layer's definition: at a
point (NumPy), over the layer's symbols (SymPy matrices, for proofs at its
sizes) and over symbolic sizes (index form, for proofs for every N and D).

The quantities are the definition's operands (``x``, ``gamma``, ...), its
output ``out``, the upstream gradient ``dout``, every named quantity
(``mu``, ``var``, ``xhat``, ...), the parameters and sizes, and the gradient
of the layer's objective (``sum(dout * out)``; a loss layer's loss) with
respect to each operand and each named quantity.  Every gradient is the
derivative SymEngine or SymPy takes of the definition (:func:`~symbp.layers.formulas.build`):
of the objective with respect to an operand, or with respect to a named
quantity held (replaced by symbols of its own), evaluated where it equals
its value.  No derivative is written here.

Keys are the catalogue's names: ``x``, ``dx``, ``mu``, ``dmu``, ``eps``,
``reg``, ``N``...; :func:`notation_values` names them as formulas do.

>>> from symbp.layers.formulas import SizedLayer
>>> sized = SizedLayer.of("dropout", N=2, D=3, p=0.5)
>>> values = point_values(sized, seed=0)
>>> bool(((values["dx"] - values["dout"] * values["mask"] / 0.5) == 0).all())
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from symbp.errors import LayerError
from symbp.layers.catalogue import LAYERS
from symbp.layers.formulas import ConcreteSpace, IndexSpace, SizedLayer, build, stage_names
from symbp.layers.index_grid import COLUMN, ROW, IndexGrid
from symbp.layers.points import sample_point
from symbp.layers.symbolic import gradient
from symbp.notation.quantities import LAYER_QUANTITIES


def _differentiated(sized: SizedLayer) -> list:
    """The operands the objective is differentiated by, and their gradient keys."""
    return [op for op in LAYERS[sized.layer.base].operands if op.grad]


def _parameter_names(sized: SizedLayer) -> list[str]:
    return [p.name for part in sized.layer.parts() for p in part.parameters
            if p.follows is None]


def _arguments(sized: SizedLayer, built) -> list:
    """The symbols every compiled function takes: operands' entries, the
    parameters, the upstream gradient's entries."""
    arguments = [s for op in LAYERS[sized.layer.base].operands
                 for s in built.grids[op.name].entries]
    arguments += [built.parameters[name] for name in _parameter_names(sized)]
    return arguments + ([] if built.dout is None else built.dout.entries)


class _NumericTruth:
    """Every quantity of one shape, compiled once (SymEngine, common
    subexpressions shared): :meth:`__call__` evaluates them at a point."""

    def __init__(self, sized: SizedLayer):
        import symengine
        space = ConcreteSpace("symengine")
        built = build(sized, space)
        self.sized, self.out_shape = sized, built.out.shape
        self.stage_shapes = {name: grid.shape for name, grid in built.staged.items()}
        arguments = _arguments(sized, built)
        wrt = [s for op in _differentiated(sized) for s in built.grids[op.name].entries]
        self._main = symengine.Lambdify(
            arguments, built.out.entries + [e for g in built.staged.values() for e in g.entries]
            + gradient(symengine, built.objective, wrt), cse=True, backend="lambda")
        self._held = {}
        for name in built.staged:
            held = build(sized, space, held=name)
            symbols = held.held.entries
            self._held[name] = symengine.Lambdify(
                arguments + symbols, gradient(symengine, held.objective, symbols + wrt),
                cse=True, backend="lambda")

    def __call__(self, arrays: dict, numbers: dict, dout) -> dict:
        """Every quantity (catalogue keys), and ``held``: for each named
        quantity q, the operands' gradients with q held (the paths through q
        left out)."""
        sized = self.sized
        base = LAYERS[sized.layer.base]
        config = {**sized.catalogue(base.name), **numbers}
        arguments = [np.ravel(_as_grid(op, arrays[op.name], config)) for op in base.operands]
        arguments.append(np.array([numbers[name] for name in _parameter_names(sized)], float))
        if not base.loss:
            arguments.append(np.ravel(np.asarray(dout, dtype=float)))
        flat = np.concatenate(arguments)
        values = np.asarray(self._main(flat), dtype=float).ravel()
        found, start = {}, 0
        found["out"], start = _take(values, start, self.out_shape)
        for name, shape in self.stage_shapes.items():
            found[name], start = _take(values, start, shape)
        gradients = self._by_operand(values[start:], config)
        found.update(gradients)
        held = {}
        for name, shape in self.stage_shapes.items():
            part = np.asarray(self._held[name](np.concatenate([flat, np.ravel(found[name])])),
                              dtype=float).ravel()
            found["d" + name], rest = _take(part, 0, shape)
            held[name] = self._by_operand(part[rest:], config)
        found["held"] = held
        return found

    def _by_operand(self, flat, config) -> dict:
        found, start = {}, 0
        for op in _differentiated(self.sized):
            found[op.grad], start = _take(flat, start, tuple(op.grid(config)))
        return found


def _take(flat, start: int, shape) -> tuple:
    size = int(np.prod(shape))
    return np.asarray(flat[start:start + size]).reshape(shape), start + size


def _as_grid(op, array, config) -> np.ndarray:
    """An operand's array as its definition sees it: 2-D, labels one-hot."""
    rows, cols = op.grid(config)
    if op.kind == "labels":
        return np.eye(cols)[np.asarray(array, dtype=int).reshape(rows)]
    return np.asarray(array, dtype=float).reshape(rows, cols)


_TRUTHS: dict = {}
CACHE_SIZE = 256


def _numeric_truth(sized: SizedLayer) -> _NumericTruth:
    """The compiled truth of ``sized``'s shapes (cached: one derivation per shape)."""
    key = sized.shape_key()
    if key not in _TRUTHS:
        if len(_TRUTHS) >= CACHE_SIZE:
            _TRUTHS.pop(next(iter(_TRUTHS)))
        _TRUTHS[key] = _NumericTruth(sized)
    return _TRUTHS[key]


@lru_cache(maxsize=512)
def point_values(sized: SizedLayer, seed: int = 0) -> dict:
    """Every quantity at the point drawn from ``seed`` (the catalogue's
    sampling: kinks avoided, labels uniform, dropout's mask with keep
    probability p), 2-D arrays keyed by the catalogue's names; sizes and
    parameters as floats; ``("onehot", "y")`` for a loss layer's labels.

    >>> values = point_values(SizedLayer.of("batchnorm", N=3, D=2), seed=0)
    >>> values["N"], values["mu"].shape
    (3.0, (1, 2))
    >>> bool(np.allclose(values["mu"], values["x"].mean(axis=0)))
    True
    """
    base = LAYERS[sized.layer.base]
    config = sized.catalogue(base.name)
    arrays, dout = sample_point(base, config, seed)
    numbers = {name: float(sized[sized.layer.notation_name(name)])
               for name in _parameter_names(sized)}
    found = _numeric_truth(sized)(arrays, numbers, dout)
    for op in base.operands:
        grid = _as_grid(op, arrays[op.name], config)
        if op.kind == "labels":
            found[("onehot", op.name)] = grid
            found[op.name] = np.asarray(arrays[op.name], dtype=float).reshape(-1, 1)
        else:
            found[op.name] = grid
    if not base.loss:
        found["dout"] = np.asarray(dout, dtype=float).reshape(found["out"].shape)
    found.update(numbers)
    found.update({name: float(sized[name]) for name in sized.layer.sizes()})
    found["arrays"] = {**arrays, **({} if base.loss else {"dout": dout})}
    return found


# -- over the layer's symbols (SymPy) ------------------------------------------------------

@lru_cache(maxsize=32)
def symbolic_values(sized: SizedLayer) -> dict:
    """Every quantity as a SymPy Matrix over the layer's symbols (parameters
    and sizes as symbols and integers), keyed as :func:`point_values`; a
    named quantity's gradient is evaluated where the held symbols equal it.

    >>> symbolic_values(SizedLayer.of("affine", N=1, D=2, M=1))["dw"]
    Matrix([
    [dout_0_0*x_0_0],
    [dout_0_0*x_0_1]])
    """
    import sympy
    space = ConcreteSpace("sympy")
    built = build(sized, space)
    base = LAYERS[sized.layer.base]

    def matrix(grid):
        return sympy.Matrix(*grid.shape, list(grid.entries))
    found = {op.name: matrix(built.grids[op.name]) for op in base.operands}
    for op in base.operands:
        if op.kind == "labels":
            found[("onehot", op.name)] = found.pop(op.name)
    found["out"] = matrix(built.out)
    if built.dout is not None:
        found["dout"] = matrix(built.dout)
    wrt = {op.grad: built.grids[op.name] for op in _differentiated(sized)}
    for key, grid in wrt.items():
        parts = gradient(sympy, built.objective, grid.entries)
        found[key] = sympy.Matrix(*grid.shape, parts)
    for name, grid in built.staged.items():
        found[name] = matrix(grid)
        held = build(sized, space, held=name)
        at_value = dict(zip(held.held.entries, grid.entries, strict=True))
        parts = gradient(sympy, held.objective, held.held.entries)
        found["d" + name] = sympy.Matrix(*grid.shape, [p.xreplace(at_value) for p in parts])
    found.update({name: space.parameter(name) for name in _parameter_names(sized)})
    found.update({name: sympy.Integer(sized[name]) for name in sized.layer.sizes()})
    return found


# -- over symbolic sizes (index form) ---------------------------------------------------------

def _entry_symbols():
    import sympy
    return (sympy.Symbol("_P", integer=True, nonnegative=True),
            sympy.Symbol("_Q", integer=True, nonnegative=True))


def _derivative(expr, grid: IndexGrid):
    """d expr / d (grid's entry at a generic position), as an IndexGrid:
    SymPy's derivative with its sums in normal form, kinks in indicator form."""
    import sympy

    from symbp.truth.indexed import indicator_form, normal
    p, q = _entry_symbols()
    variable = grid.entry(p, q)
    derivative = indicator_form(normal(sympy.diff(expr, variable)))
    return IndexGrid(grid.rows, grid.cols, derivative.xreplace({p: ROW, q: COLUMN}))


def index_values(sized: SizedLayer) -> dict:
    """Every quantity as an :class:`~symbp.layers.index_grid.IndexGrid` over
    symbolic sizes (``N``, ``D``, ... are positive integer symbols; the
    parameters positive symbols), keyed as :func:`point_values`: the same
    for every size and parameter of the layer (cached per layer).  Raises
    :class:`~symbp.truth.indexed.TooLarge` past the index algebra's budget.

    Relu's ``dx`` for every N and D (``Heaviside(x, 0)``: 0 at the kink):

    >>> index_values(SizedLayer.of("relu"))["dx"]
    IndexGrid(N, D, Heaviside(x[_row, _col], 0)*dout[_row, _col])
    """
    return _index_values(sized.layer)


@lru_cache(maxsize=32)
def _index_values(layer) -> dict:
    import sympy

    from symbp.truth.indexed import indicator_form, instantiate
    sized = SizedLayer.of(layer.name)
    space = IndexSpace()
    built = build(sized, space)
    base = LAYERS[sized.layer.base]
    # kinks (relu, the SVM's margins) in indicator form, as the notation's are
    built.out = built.out.map(indicator_form)
    built.staged = {name: grid.map(indicator_form) for name, grid in built.staged.items()}
    found = dict(built.grids)
    for op in base.operands:
        if op.kind == "labels":
            found[("onehot", op.name)] = found.pop(op.name)
    found["out"] = built.out
    if built.dout is not None:
        found["dout"] = built.dout
    for op in _differentiated(sized):
        found[op.grad] = _derivative(built.objective, built.grids[op.name])
    for name, grid in built.staged.items():
        found[name] = grid
        held = build(sized, space, held=name)
        adjoint = _derivative(held.objective, held.held)
        base_symbol = sympy.IndexedBase(f"held_{name}", real=True)
        found["d" + name] = adjoint.map(lambda e, g=grid, b=base_symbol: instantiate(
            e, {}, {b: lambda i, j, g=g: g.entry(i, j)}))
    found.update({name: space.parameter(name) for name in _parameter_names(sized)})
    found.update({name: sympy.Symbol(name, integer=True, positive=True)
                  for name in sized.layer.sizes()})
    return found


# -- the notation's names --------------------------------------------------------------------

def available(sized: SizedLayer) -> list[str]:
    """The notation's names of every quantity of ``sized`` a formula may use.

    >>> available(SizedLayer.of("l2"))      # the notation's lambda is the catalogue's reg
    ['out', 'w', 'dw', 'lambda', 'D', 'M']
    """
    keys = _catalogue_keys(sized)
    return [name for name, q in LAYER_QUANTITIES.items()
            if (not q.layers or sized.layer.name in q.layers)
            and _catalogue_key(sized, q) in keys]


def _catalogue_key(sized: SizedLayer, quantity) -> str:
    return sized.layer.catalogue_name(quantity.source or quantity.name)


@lru_cache(maxsize=256)
def _catalogue_keys(sized: SizedLayer) -> frozenset:
    base = LAYERS[sized.layer.base]
    keys = {op.name for op in base.operands} | {"out"} | set(sized.layer.sizes())
    keys |= {op.grad for op in base.operands if op.grad} | set(_parameter_names(sized))
    stages = stage_names(sized)
    keys |= set(stages) | {"d" + name for name in stages}
    if not base.loss:
        keys.add("dout")
    return frozenset(keys)


def notation_values(sized: SizedLayer, values: dict) -> dict:
    """``values`` (catalogue keys) keyed as the notation's evaluators read
    them: ``(name, None)`` for every quantity :func:`available` names.

    >>> sized = SizedLayer.of("l2", D=1, M=2, **{"lambda": 0.5})
    >>> values = notation_values(sized, point_values(sized))
    >>> values[("lambda", None)], bool(np.allclose(values[("dw", None)], 0.5 * values[("w", None)]))
    (0.5, True)
    """
    found = {}
    for name in available(sized):
        key = _catalogue_key(sized, LAYER_QUANTITIES[name])
        if key in values:
            found[(name, None)] = values[key]
    for key, value in values.items():
        if isinstance(key, tuple):
            found[key] = value
    return found


def unknown_quantity(sized: SizedLayer, name: str) -> LayerError:
    """The error for a quantity the layer does not have.

    >>> str(unknown_quantity(SizedLayer.of("relu"), "mu"))
    'mu is not a quantity of the relu layer; its quantities are x, dx, out, dout, N, D.'
    """
    return LayerError(f"{name} is not a quantity of the {sized.layer.name} layer; its "
                      f"quantities are {', '.join(available(sized))}")
