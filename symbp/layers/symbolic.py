"""The truth of a layer: the vector-Jacobian product its definition implies.

For a configuration's shapes, the definition is built over one symbol per
entry of every input, a symbol per parameter and one per entry of the
upstream gradient ``dout``; the scalar ``sum(dout * out)`` (the output itself
for a loss) is differentiated with respect to every input symbol.  That is
the exact vector-Jacobian product for any ``dout``: the derivation is done
once per shape and turned into one compiled function (SymEngine's
``Lambdify`` with common subexpressions, its "lambda" backend: built in well
under a millisecond where LLVM's takes 10-20 ms, and as fast for these small
sizes), then evaluated at many points.

SymEngine builds and differentiates the expressions (about a hundred times
faster than SymPy here; both give the same derivatives, which
``tests/test_layers.py`` checks); :func:`quantities` gives the same
definition's named quantities as SymPy matrices.

>>> from symbp.layers import LAYERS
>>> layer = LAYERS["affine"]
>>> config = layer.default_config()
>>> truth = truth_for(layer, config)
>>> truth is truth_for(layer, dict(config, d=(config["d"][0],)))
True
"""

from __future__ import annotations

import inspect

import numpy as np

from symbp.layers.grid import Grid, Ops


def _engine(name: str):
    # imported where used: symbp's command line starts without them
    if name == "sympy":
        import sympy
        return sympy
    import symengine
    return symengine


def build(layer, config: dict, engine_name: str = "symengine", held: str | None = None):
    """The definition over symbols: ``(grids, parameter symbols, ops, result)``."""
    engine = _engine(engine_name)
    assumptions = {"real": True} if engine_name == "sympy" else {}
    grids = {op.name: Grid.of_symbols(engine, op.name, *op.grid(config), **assumptions)
             for op in layer.operands}
    symbols = {p.name: engine.Symbol(p.name, **assumptions) for p in layer.parameters}
    ops = Ops(engine, held=held)
    # a parameter that only sets another (dropout's p sets its scale) is not in the definition
    taken = inspect.signature(layer.define).parameters
    result = layer.define(ops, **grids, **{k: v for k, v in symbols.items() if k in taken})
    return grids, symbols, ops, result


def quantities(layer, config: dict) -> dict:
    """Every named quantity of the definition (``out`` and each staged one,
    ``mu``, ``var``, ``xhat``...) as a SymPy Matrix over the inputs' entries.

    >>> from symbp.layers import LAYERS
    >>> named = quantities(LAYERS["batchnorm"], {"N": 2, "D": 1, "eps": 1e-5})
    >>> named["mu"]
    Matrix([[x_0_0/2 + x_1_0/2]])
    """
    import sympy
    grids, _, ops, result = build(layer, config, "sympy")
    named = {**grids, **ops.staged, **result}
    return {name: sympy.Matrix(grid.rows) for name, grid in named.items()}


def _objective(layer, out: Grid, engine):
    """``sum(dout * out)`` and the ``dout`` symbols (none for a loss)."""
    if layer.loss:
        return out[0, 0], None
    dout = Grid.of_symbols(engine, "dout", *out.shape)
    terms = [d * o for d, o in zip(dout.entries, out.entries, strict=True)]
    return engine.Add(*terms), dout


def gradient(engine, total, symbols) -> list:
    """d total / d s for each symbol s, differentiating each term of the sum
    only with respect to its own symbols (the sum rule): a layer's objective
    is a sum of one term per output entry, each of a few inputs, so this
    costs the terms' sizes rather than their sizes times the symbols.  (As
    :func:`symbp.truth.codegen.sparse_jacobian` does for networks; that
    module imports SymPy, which the layers' truth does without.)"""
    wanted, parts = set(symbols), {}
    for term in total.args if isinstance(total, engine.Add) else (total,):
        for symbol in term.free_symbols & wanted:
            parts.setdefault(symbol, []).append(term.diff(symbol))
    return [engine.Add(*parts[symbol]) if symbol in parts else 0 for symbol in symbols]


def _compiled(engine, arguments, expressions):
    """One function of ``arguments`` returning every expression (see the module doc)."""
    return engine.Lambdify(arguments, expressions, cse=True, backend="lambda")


def argument_values(layer, arrays: dict, config: dict, dout=None) -> list:
    """The numbers for a derivation's arguments, in order: every operand's
    entries (labels as their one-hot matrix), the parameters, ``dout``."""
    values = []
    for op in layer.operands:
        array = np.asarray(arrays[op.name], dtype=float)
        if op.kind == "labels":
            rows, classes = op.grid(config)
            array = np.eye(classes)[np.asarray(arrays[op.name], dtype=int).reshape(rows)]
        values.append(array.ravel())
    values.append(np.array([float(config[p.name]) for p in layer.parameters]))
    if dout is not None and not layer.loss:
        values.append(np.asarray(dout, dtype=float).ravel())
    return list(np.concatenate(values))


def by_key(layer, flat, config: dict) -> dict:
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
    ``(out, {gradient key: array})`` in the operands' own shapes."""

    def __init__(self, layer, config: dict):
        engine = _engine("symengine")
        self.layer = layer
        grids, symbols, _, result = build(layer, config)
        out = result["out"]
        self.out_shape = out.shape
        total, dout = _objective(layer, out, engine)
        grads = gradient(engine, total, [s for op in layer.operands if op.grad
                                         for s in grids[op.name].entries])
        arguments = [s for op in layer.operands for s in grids[op.name].entries]
        arguments += [symbols[p.name] for p in layer.parameters]
        arguments += [] if dout is None else dout.entries
        self._function = _compiled(engine, arguments, out.entries + grads)

    def __call__(self, arrays: dict, config: dict, dout=None):
        """``(out, {gradient key: array})`` at ``arrays`` for upstream gradient
        ``dout`` (ignored for a loss; zeros when None: the output alone)."""
        if dout is None and not self.layer.loss:
            dout = np.zeros(self.out_shape)
        values = np.asarray(self._function(argument_values(self.layer, arrays, config, dout)),
                            dtype=float).ravel()
        size = self.out_shape[0] * self.out_shape[1]
        out, grads = values[:size], by_key(self.layer, values[size:], config)
        if self.layer.loss:
            return float(out[0]), grads
        return out.reshape(self.out_shape), grads


_CACHE: dict = {}
CACHE_SIZE = 1024   # compiled derivations kept; small shapes take ~100 KB each


def _cached(key: tuple, make):
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))   # the oldest
        _CACHE[key] = make()
    return _CACHE[key]


def truth_for(layer, config: dict) -> Truth:
    """The compiled truth of ``config``'s shapes (cached: one derivation per shape)."""
    return _cached(("truth", layer.name, layer.shape_key(config)),
                   lambda: Truth(layer, config))


def clear_cache() -> None:
    """Forget every compiled derivation (benchmarks time cold ones with it)."""
    _CACHE.clear()


# -- the chain rule taken apart (for diagnoses) ---------------------------------------

class HeldPath:
    """The truth split at one named quantity q of the definition: the
    gradient with q held constant (every chain-rule path but the ones
    through q), the adjoint d objective / d q, and q's Jacobian with respect
    to the inputs; so that ``partial + adjoint @ jacobian`` is the truth.

    Only built when a user's gradient is wrong (to name the slip)."""

    def __init__(self, layer, config: dict, held: str):
        engine = _engine("symengine")
        self.layer = layer
        grids, symbols, ops, result = build(layer, config, held=held)
        total, dout = _objective(layer, result["out"], engine)
        self.shape = ops.held_symbols.shape
        inputs = [s for op in layer.operands if op.grad for s in grids[op.name].entries]
        held_symbols = ops.held_symbols.entries
        value = ops.staged[held].entries
        arguments = [s for op in layer.operands for s in grids[op.name].entries]
        arguments += [symbols[p.name] for p in layer.parameters]
        self._value = _compiled(engine, arguments,
                                value + [v.diff(s) for v in value for s in inputs])
        arguments += ([] if dout is None else dout.entries) + held_symbols
        self._split = _compiled(engine, arguments, gradient(engine, total, inputs + held_symbols))
        self.n_inputs, self.n_held = len(inputs), len(held_symbols)

    def __call__(self, arrays: dict, config: dict, dout=None):
        """``(partial gradients, adjoint (q's grid shape), jacobian)``."""
        base = argument_values(self.layer, arrays, config)
        values = np.asarray(self._value(base), dtype=float).ravel()
        held, jacobian = values[:self.n_held], values[self.n_held:]
        extra = [] if dout is None or self.layer.loss else list(np.ravel(dout))
        split = np.asarray(self._split(base + extra + list(held)), dtype=float).ravel()
        partial, adjoint = split[:self.n_inputs], split[self.n_inputs:]
        return (by_key(self.layer, partial, config), adjoint.reshape(self.shape),
                jacobian.reshape(self.n_held, self.n_inputs))


def held_path(layer, config: dict, held: str) -> HeldPath:
    """:class:`HeldPath` of ``config``'s shapes at quantity ``held`` (cached)."""
    return _cached(("held", layer.name, layer.shape_key(config), held),
                   lambda: HeldPath(layer, config, held))


def staged_names(layer, config: dict) -> list[str]:
    """The names the definition gives its intermediate quantities, in order."""
    _, _, ops, _ = build(layer, config)
    return list(ops.staged)
