"""A lemma (:mod:`symbp.truth.lemmas`) as the source of vectorised NumPy functions.

An index-form expression gives one entry ``p`` of a result; its code computes
every entry at once.  An entry ``X[p]`` of an argument is the whole array
``X``; a sum over the units (or samples) ``sum_i body(i)`` whose body uses
no other index becomes ``numpy.sum(body(X), axis=axis, keepdims=True)``,
broadcast back over the entries (inner sums first).  Common subexpressions
are computed once (SymPy's ``cse``).  A matrix-form expression is printed by
SymPy's NumPy printer as matrix products (a product with a matrix of ones as
the broadcast or the sum it is).  The code works for any sizes: a size
symbol (``n``, ``m``) is read off an argument's shape.

An expression outside these forms (a sum that mixes two indices, an
argument read at a shifted index) is refused with :class:`NotVectorisable`:
a table entry of such a form needs a new rule here, never a slower truth.
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.numpy import NumPyPrinter

from symbp.truth.lemmas import IndexLemma, MatrixLemma, p


class NotVectorisable(ValueError):
    """An index-form expression that this module cannot emit as NumPy.

    >>> from symbp.truth.lemmas import n
    >>> Z = sympy.IndexedBase("Z")
    >>> source(IndexLemma(n, {"f": (("Z",), Z[p + 1])}))
    Traceback (most recent call last):
    ...
    symbp.truth.vectorise.NotVectorisable: Z[p + 1] is not an entry of an argument at the index
    """


class _Printer(NumPyPrinter):
    """SymPy's NumPy printer with two cheaper spellings of the same values."""

    def _print_Piecewise(self, expr):
        # numpy.where, innermost last: SymPy's numpy.select builds lists of
        # whole arrays and costs several times more on small ones
        *pieces, (last, otherwise) = expr.args
        if otherwise != sympy.true:
            return super()._print_Piecewise(expr)
        text = self._print(last)
        for value, condition in reversed(pieces):
            text = f"numpy.where({self._print(condition)}, {self._print(value)}, {text})"
        return text

    def _print_MatMul(self, expr):
        # a product with a matrix of ones is a broadcast (X 1^T, 1 x^T) or a
        # sum (X 1, 1^T X): no ones matrix and no product are made
        if len(expr.args) == 2 and any(isinstance(a, sympy.OneMatrix) for a in expr.args):
            left, right = expr.args
            ones_right = isinstance(right, sympy.OneMatrix)
            other, ones = (left, right) if ones_right else (right, left)
            inner = other.shape[1] if ones_right else other.shape[0]
            if inner == 1:
                shape = ", ".join(map(self._print, expr.shape))
                return f"numpy.broadcast_to({self._print(other)}, ({shape}))"
            if (ones.shape[1] if ones_right else ones.shape[0]) == 1:
                return f"{self._print(other)}.sum(axis={1 if ones_right else 0}, keepdims=True)"
        return super()._print_MatMul(expr)


_PRINTER = _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})


def _print(expr) -> str:
    return _PRINTER.doprint(expr)


def _lift_sums(expr, size, totals: dict):
    """Each sum over the ``size`` entries replaced by a symbol ``total<k>``;
    ``totals`` maps each body (at index ``p``) to its symbol, inner sums first."""
    def lift(total):
        body, limits = total.function, total.limits
        if len(limits) != 1 or tuple(limits[0][1:]) != (0, size - 1):
            raise NotVectorisable(f"{total} is not a sum over all {size} entries")
        index = limits[0][0]
        if p in body.free_symbols:
            raise NotVectorisable(f"the body of {total} mixes two indices")
        at_p = body.xreplace({index: p})
        if at_p not in totals:
            totals[at_p] = sympy.Symbol(f"total{len(totals)}")
        return totals[at_p]
    return expr.replace(lambda e: isinstance(e, sympy.Sum), lift)


def _entries_as_arrays(expr, args):
    """``X[p]`` as the array ``X``; any other use of an argument is refused."""
    arrays = {}
    for entry in expr.atoms(sympy.Indexed):
        name = str(entry.base)
        if name not in args or entry.indices != (p,):
            raise NotVectorisable(f"{entry} is not an entry of an argument at the index")
        arrays[entry] = sympy.Symbol(name)
    return expr.xreplace(arrays)


def _index_function(name, args, expr, size) -> list[str]:
    totals: dict = {}
    result = _entries_as_arrays(_lift_sums(expr, size, totals), args)
    bodies = {symbol: _entries_as_arrays(body, args) for body, symbol in totals.items()}
    if p in result.free_symbols or any(p in b.free_symbols for b in bodies.values()):
        raise NotVectorisable(f"{expr} uses the index outside an argument's entry")
    order = list(bodies)
    shared, reduced = sympy.cse([bodies[t] for t in order] + [result],
                                symbols=sympy.numbered_symbols("x"))
    reduced_bodies = dict(zip(order, reduced[:-1], strict=True))
    statements, done = [], set(map(sympy.Symbol, args))
    if size in result.free_symbols.union(*(b.free_symbols for b in bodies.values())):
        statements.append(f"{size} = {args[0]}.shape[axis]")
        done.add(size)
    definitions = {**dict(shared), **reduced_bodies}

    def emit(symbol):
        if symbol in done:
            return
        for needed in sorted(definitions[symbol].free_symbols - done, key=str):
            emit(needed)
        value = _print(definitions[symbol])
        statements.append(f"{symbol} = numpy.sum({value}, axis=axis, keepdims=True)"
                          if symbol in reduced_bodies else f"{symbol} = {value}")
        done.add(symbol)

    final = reduced[-1]
    for symbol in sorted(final.free_symbols - done, key=str):
        emit(symbol)
    arrays = {sympy.Symbol(a) for a in args}
    if final in arrays:  # never hand back an argument itself: callers may keep both
        statements.append(f"return numpy.array({final}, dtype=float)")
    elif final.free_symbols & (arrays | set(reduced_bodies) | {s for s, _ in shared}):
        statements.append(f"return {_print(final)}")
    else:  # a constant (a weight 1/m, a derivative 1): one per entry
        statements.append(f"return numpy.full({args[0]}.shape, {_print(final)}, dtype=float)")
    return [f"def {name}({', '.join(args)}, axis):"] + [f"    {s}" for s in statements]


def _matrix_function(name, args, expr) -> list[str]:
    statements, text = [], _print(expr)
    sizes = {d for a in args for d in a.shape if isinstance(d, sympy.Symbol)}
    for size in sorted(sizes, key=str):
        if re.search(rf"\b{size}\b", text):  # a size the printed code reads
            holder, axis = next((a, axis) for a in args for axis, d in enumerate(a.shape)
                                if d == size)
            statements.append(f"{size} = {holder}.shape[{axis}]")
    statements.append(f"return {text}")
    return [f"def {name}({', '.join(map(str, args))}):"] + [f"    {s}" for s in statements]


def source(lemma: IndexLemma | MatrixLemma) -> str:
    """The Python source of one NumPy function per function of the lemma.

    >>> from symbp.truth.lemmas import activation
    >>> print(source(activation("tanh")))
    def forward(Z, axis):
        return numpy.tanh(Z)
    <BLANKLINE>
    def vjp(Z, G, axis):
        return G*(1 - numpy.tanh(Z)**2)
    """
    blocks = []
    for name, (args, expr) in lemma.functions.items():
        lines = (_index_function(name, args, expr, lemma.size) if isinstance(lemma, IndexLemma)
                 else _matrix_function(name, args, expr))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
