"""The truth of a layer: the vector-Jacobian product its definition implies.

For a configuration's shapes, the definition is built over one symbol per
entry of every input, a symbol per parameter and one per entry of the
upstream gradient ``dout``; the scalar ``sum(dout * out)`` (the output itself
for a loss) is differentiated with respect to every input symbol.  That is
the exact vector-Jacobian product for any ``dout``.

Each quantity the definition names (``ops.stage("mu", ...)``, an LSTM's
``c1``, ``h1``...) is cut: it becomes symbols of its own, so that every
expression after it is written in them.  SymEngine differentiates each piece
(a stage's value, and the output) with respect to the symbols it is written
in, and the pieces are chained numerically in reverse order (the chain rule:
the adjoint of a stage, pulled back through its value's derivatives).  No
derivative is written by hand; the pieces stay small however long the
sequence, where one expression of the whole layer would grow with every
time step.  The derivation is done once per shape (parameters such as
``eps`` stay symbols) and compiled once (SymEngine's ``Lambdify``, its
"lambda" backend: built in well under a millisecond where LLVM's takes
10-20 ms, and as fast for these small sizes), then evaluated at many points.

SymEngine builds and differentiates the expressions (about a hundred times
faster than SymPy here); ``tests/test_layers.py`` checks that SymPy's own
``diff`` of the whole definition, uncut, gives the same numbers.
:func:`quantities` gives the definition's named quantities as SymPy arrays.

>>> from symbp.layers import LAYERS
>>> layer = LAYERS["affine"]
>>> config = layer.default_config()
>>> config["d"]              # x is N x 2 x 2: its definition sees N x 4
(2, 2)
>>> truth_for(layer, config) is truth_for(layer, dict(config, d=(4,)))
True
"""

from __future__ import annotations

import numpy as np

from symbp.layers.grid import Grid, Ops
from symbp.layers.model import arguments_of


def _engine(name: str):
    # imported where used: symbp's command line starts without them
    if name == "sympy":
        import sympy
        return sympy
    import symengine
    return symengine


def build(layer, config: dict, engine_name: str = "symengine", cut: bool = False):
    """The definition over symbols: ``(grids, parameter symbols, ops, result)``.
    The definition is given every operand's grid, and the parameters and
    sizes its signature names (a convolution's ``stride`` and ``pad``).

    >>> from symbp.layers import LAYERS
    >>> grids, symbols, ops, result = build(LAYERS["affine"], {"N": 1, "d": (2,), "M": 1})
    >>> result["out"].entries
    [b_0_0 + w_0_0*x_0_0 + w_1_0*x_0_1]
    """
    engine = _engine(engine_name)
    assumptions = {"real": True} if engine_name == "sympy" else {}
    grids = {op.name: Grid.of_symbols(engine, op.name, *op.grid(config), **assumptions)
             for op in layer.operands}
    symbols = {p.name: engine.Symbol(p.name, **assumptions) for p in layer.parameters}
    ops = Ops(engine, cut=cut)
    taken = arguments_of(layer.define)
    extra = {**symbols, **{s.name: config[s.name] for s in layer.sizes}}
    result = layer.define(ops, **grids, **{k: v for k, v in extra.items() if k in taken})
    return grids, symbols, ops, result


def quantities(layer, config: dict) -> dict:
    """Every named quantity of the definition (``out`` and each staged one,
    ``mu``, ``var``, ``xhat``...) over the inputs' entries: a SymPy Matrix
    when it is 2-D, a SymPy Array otherwise.

    >>> from symbp.layers import LAYERS
    >>> named = quantities(LAYERS["batchnorm"], {"N": 2, "D": 1, "eps": 1e-5})
    >>> named["mu"]
    Matrix([[x_0_0/2 + x_1_0/2]])
    """
    import sympy
    grids, _, ops, result = build(layer, config, "sympy")
    named = {**grids, **ops.staged, **result}
    return {name: sympy.Matrix(grid.array.tolist()) if grid.ndim == 2 else
            sympy.Array(grid.array.tolist()) for name, grid in named.items()}


def _objective(layer, out: Grid, engine):
    """``sum(dout * out)`` and the ``dout`` symbols (none for a loss)."""
    if layer.loss:
        return out.entries[0], None
    dout = Grid.of_symbols(engine, "dout", *out.shape)
    terms = [d * o for d, o in zip(dout.entries, out.entries, strict=True)]
    return engine.Add(*terms), dout


def gradient(engine, total, symbols) -> list:
    """d total / d s for each symbol s, differentiating each term of the sum
    only with respect to its own symbols (the sum rule): a layer's objective
    is a sum of one term per output entry, each of a few inputs, so this
    costs the terms' sizes rather than their sizes times the symbols.  (As
    :func:`symbp.truth.codegen.sparse_jacobian` does for networks; that
    module imports SymPy, which the layers' truth does without.)

    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> gradient(sympy, 3 * (x**2 + x*y + y), [x, y])
    [6*x + 3*y, 3*x + 3]
    """
    scale, total = _scaled_sum(engine, total)
    wanted, parts = set(symbols), {}
    for term in total.args if isinstance(total, engine.Add) else (total,):
        for symbol in term.free_symbols & wanted:
            parts.setdefault(symbol, []).append(term.diff(symbol))
    return [scale * engine.Add(*parts[symbol]) if symbol in parts else 0 for symbol in symbols]


def _scaled_sum(engine, total):
    """``(c, s)`` with ``total = c * s`` for a number c: a mean is a number
    times a sum, whose terms are then differentiated one by one."""
    if isinstance(total, engine.Mul):
        sums = [a for a in total.args if isinstance(a, engine.Add)]
        numbers = [a for a in total.args if a.is_Number]
        if len(sums) == 1 and len(numbers) + 1 == len(total.args):
            return engine.Mul(*numbers), sums[0]
    return 1, total


def _compiled(engine, arguments, expressions, cse: bool = True):
    """One function of ``arguments`` returning every expression (see the
    module doc); common subexpressions are shared unless ``cse`` is False
    (a convolution's sums of products share none worth the search)."""
    return engine.Lambdify(arguments, expressions, cse=cse, backend="lambda")


def _argument_values(layer, arrays: dict, config: dict) -> np.ndarray:
    """The numbers for a derivation's arguments, in order: every operand's
    entries (labels as their one-hot arrays), then the parameters."""
    values = []
    for op in layer.operands:
        array = np.asarray(arrays[op.name], dtype=float)
        if op.kind == "labels":
            grid = op.grid(config)
            labels = np.asarray(arrays[op.name], dtype=int).reshape(grid[:-1])
            array = np.eye(grid[-1])[labels]
        values.append(array.ravel())
    values.append(np.array([float(config[p.name]) for p in layer.parameters]))
    return np.concatenate(values)


def _by_key(layer, flat, config: dict) -> dict:
    """A flat vector of every differentiated operand's entries, in order, as
    ``{gradient key: array of the operand's shape}``."""
    shapes, grads, start = layer.shapes(config), {}, 0
    for op in layer.operands:
        if op.grad:
            size = int(np.prod(shapes[op.name]))
            grads[op.grad] = np.asarray(flat[start:start + size]).reshape(shapes[op.name])
            start += size
    return grads


class Truth:
    """The compiled truth of one shape: ``truth(arrays, config, dout)`` gives
    ``(out, {gradient key: array})`` in the operands' own shapes.

    ``stage_names`` are the definition's named quantities, in order;
    ``stage_shapes`` their shapes.  ``adjust`` (see :meth:`__call__`) changes
    a stage's adjoint before it is pulled back: zero holds the stage
    constant (every chain-rule path but the ones through it), which is how
    diagnoses take the chain rule apart.

    Seed 001's multiply node: ``dx = dout * y`` and ``dy = dout * x``.

    >>> from symbp.layers import LAYERS
    >>> config = {"N": 1, "D": 2}
    >>> x, y, dout = np.array([[1., 2.]]), np.array([[3., 4.]]), np.array([[1., -1.]])
    >>> truth_for(LAYERS["multiply"], config)({"x": x, "y": y}, config, dout)
    (array([[3., 8.]]), {'dx': array([[ 3., -4.]]), 'dy': array([[ 1., -2.]])})
    """

    def __init__(self, layer, config: dict):
        engine = _engine("symengine")
        self.layer = layer
        grids, symbols, ops, result = build(layer, config, cut=True)
        out = result["out"]
        self.out_shape = out.shape
        objective, dout = _objective(layer, out, engine)
        base = [s for op in layer.operands for s in grids[op.name].entries]
        base += [symbols[p.name] for p in layer.parameters]
        wrt = [s for op in layer.operands if op.grad for s in grids[op.name].entries]
        self.n_wrt = len(wrt)
        self.stage_names = list(ops.cuts)
        self.stage_shapes = {name: ops.cuts[name].shape for name in self.stage_names}
        self._stages, self._pullbacks, before = [], [], []
        for name in self.stage_names:
            value = ops.staged[name].entries
            adjoint = [engine.Symbol(f"adjoint_{name}_{i}") for i in range(len(value))]
            pulled = engine.Add(*[a * v for a, v in zip(adjoint, value, strict=True)])
            self._stages.append(_compiled(engine, base + before, value, layer.cse))
            self._pullbacks.append(_compiled(engine, base + before + adjoint,
                                             gradient(engine, pulled, wrt + before), layer.cse))
            before = before + ops.cuts[name].entries
        extra = [] if dout is None else dout.entries
        self._out = _compiled(engine, base + before, out.entries, layer.cse)
        self._direct = _compiled(engine, base + before + extra,
                                 gradient(engine, objective, wrt + before), layer.cse)

    def stages(self, arrays: dict, config: dict) -> tuple[np.ndarray, list]:
        """The arguments' numbers, and each stage's values (flat), in order."""
        base, values = _argument_values(self.layer, arrays, config), []
        for stage in self._stages:
            values.append(np.ravel(stage(np.concatenate([base, *values]))))
        return base, values

    def __call__(self, arrays: dict, config: dict, dout=None, adjust: dict | None = None):
        """``(out, {gradient key: array})`` at ``arrays`` for upstream gradient
        ``dout`` (ignored for a loss; zeros when None: the output alone);
        ``adjust`` maps a stage's name to a function of its adjoint (an array
        of the stage's shape) that returns the adjoint to pull back."""
        if dout is None and not self.layer.loss:
            dout = np.zeros(self.out_shape)
        base, values = self.stages(arrays, config)
        everything = np.concatenate([base, *values])
        out = np.ravel(self._out(everything))
        extra = [] if self.layer.loss else [np.ravel(np.asarray(dout, dtype=float))]
        adjoint = np.array(np.ravel(self._direct(np.concatenate([everything, *extra]))))
        starts = np.cumsum([self.n_wrt] + [len(v) for v in values])
        for k in reversed(range(len(values))):
            name, start = self.stage_names[k], starts[k]
            pulled = adjoint[start:start + len(values[k])]
            if adjust and name in adjust:
                pulled = np.ravel(adjust[name](pulled.reshape(self.stage_shapes[name])))
            arguments = np.concatenate([base, *values[:k], pulled])
            adjoint[:start] += np.ravel(self._pullbacks[k](arguments))
        grads = _by_key(self.layer, adjoint[:self.n_wrt], config)
        if self.layer.loss:
            return float(out[0]), grads
        return out.reshape(self.out_shape), grads


class Contributions:
    """Each output entry's derivative with respect to each input entry it is
    written in (the sparse Jacobian of the whole definition, uncut), for the
    ``overwrite`` diagnosis: ``contributions(arrays, config)`` gives
    ``(output index, input index, value)`` arrays over every pair, inputs
    numbered as the differentiated operands' entries in order.

    >>> from symbp.layers import LAYERS
    >>> config = {"N": 1, "D": 2}
    >>> pairs = contributions_for(LAYERS["multiply"], config)   # out = x * y
    >>> pairs({"x": np.array([[1., 2.]]), "y": np.array([[3., 4.]])}, config)
    (array([0, 0, 1, 1]), array([0, 2, 1, 3]), array([3., 1., 4., 2.]))
    """

    def __init__(self, layer, config: dict):
        engine = _engine("symengine")
        self.layer = layer
        grids, symbols, _, result = build(layer, config)
        base = [s for op in layer.operands for s in grids[op.name].entries]
        base += [symbols[p.name] for p in layer.parameters]
        wrt = [s for op in layer.operands if op.grad for s in grids[op.name].entries]
        position = {symbol: i for i, symbol in enumerate(wrt)}
        pairs, derivatives = [], []
        for k, entry in enumerate(result["out"].entries):
            for symbol in sorted(entry.free_symbols & position.keys(), key=position.get):
                pairs.append((k, position[symbol]))
                derivatives.append(entry.diff(symbol))
        self.outputs, self.inputs = (np.array(column, dtype=int) for column in
                                     (zip(*pairs, strict=True) if pairs else ([], [])))
        self._function = _compiled(engine, base, derivatives or [0], layer.cse)

    def __call__(self, arrays: dict, config: dict):
        values = np.ravel(self._function(_argument_values(self.layer, arrays, config)))
        return self.outputs, self.inputs, values[:len(self.outputs)]


_CACHE: dict = {}
CACHE_SIZE = 1024   # compiled derivations kept; small shapes take ~100 KB each


def _cached(key: tuple, make):
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))   # the oldest
        _CACHE[key] = make()
    return _CACHE[key]


def truth_for(layer, config: dict) -> Truth:
    """The compiled truth of ``config``'s shapes (cached: one derivation per shape).

    Batch norm with a batch of one: the output is beta and dx is zero.

    >>> from symbp.layers import LAYERS
    >>> config = {"N": 1, "D": 2, "eps": 1e-5}
    >>> arrays = {"x": np.array([[0.3, -1.2]]), "gamma": np.ones(2), "beta": np.array([.5, 2.])}
    >>> out, grads = truth_for(LAYERS["batchnorm"], config)(arrays, config, np.ones((1, 2)))
    >>> out, grads["dx"]
    (array([[0.5, 2. ]]), array([[0., 0.]]))
    """
    return _cached(("truth", layer.name, layer.shape_key(config)),
                   lambda: Truth(layer, config))


def contributions_for(layer, config: dict) -> Contributions:
    """:class:`Contributions` of ``config``'s shapes (cached; only built when
    a gradient is wrong, to name the slip).

    Pooling 2 x 2 windows at stride 1 over a 3 x 3 image: the centre entry
    (input 4) is in all four windows, so a backward must add, not assign.

    >>> from symbp.layers import LAYERS
    >>> config = {"N": 1, "C": 1, "pool_height": 2, "pool_width": 2, "stride": 1, "H": 3, "W": 3}
    >>> int((contributions_for(LAYERS["max_pool"], config).inputs == 4).sum())
    4
    """
    return _cached(("contributions", layer.name, layer.shape_key(config)),
                   lambda: Contributions(layer, config))


def clear_cache() -> None:
    """Forget every compiled derivation (benchmarks time cold ones with it).

    >>> from symbp.layers import LAYERS
    >>> config = {"N": 1, "D": 1}
    >>> before = truth_for(LAYERS["tanh"], config)
    >>> clear_cache()
    >>> truth_for(LAYERS["tanh"], config) is before
    False
    """
    _CACHE.clear()
