"""Small arrays of symbolic expressions, for writing a layer's forward.

A layer's definition is its forward written once over a :class:`Grid` per
input (one symbol per entry), with NumPy's broadcasting, slicing and
reductions (``x - x.mean(axis=0)``), so that it reads like the NumPy it
defines:

>>> import sympy
>>> x = Grid.of_symbols(sympy, "x", 2, 2)
>>> (x - x.mean(axis=0)).entries[0]
x_0_0/2 - x_1_0/2
>>> Grid.of_symbols(sympy, "x", 2, 3, 4)[:, 1:, ::2].shape
(2, 2, 2)

A grid has any number of dimensions (a convolution's ``x`` is N x C x H x
W); it holds its entries in a NumPy array of objects, which are SymPy or
SymEngine expressions (whichever ``engine`` the grids were made with: the
same definition serves both).  Reductions keep their dimensions
(``keepdims=True``), so that a batch-norm ``mu`` is 1 x D and broadcasts back.
Every quantity a definition names (``ops.stage("mu", ...)``) can be cut
into symbols of its own by :class:`Ops`, so that the truth is the chain rule
over named quantities (:mod:`symbp.layers.symbolic`).
"""

from __future__ import annotations

import operator

import numpy as np


def _objects(shape) -> np.ndarray:
    return np.empty(shape, dtype=object)


def _scalar(value) -> np.ndarray:
    """``value`` as a 0-d array of objects (NumPy would otherwise try to
    read an expression as an array)."""
    array = _objects(())
    array[()] = value
    return array


def _total(values):
    """The sum of ``values``, pairwise (a long sum of SymEngine terms built one
    term at a time costs the square of its length)."""
    values = list(values)
    while len(values) > 1:
        paired = [values[i] + values[i + 1] for i in range(0, len(values) - 1, 2)]
        values = paired + values[len(values) - len(values) % 2:]
    return values[0]


class Arithmetic:
    """The element-wise operators of an array of expressions, written once
    for :class:`Grid` and :class:`~symbp.layers.index_grid.IndexGrid` from
    their ``_combine(other, function, reflected)`` and ``map(function)``.

    >>> class Pair(Arithmetic):
    ...     def __init__(self, a, b): self.entries = (a, b)
    ...     def map(self, f): return Pair(*map(f, self.entries))
    ...     def _combine(self, other, f, reflected=False):
    ...         return self.map(lambda e: f(other, e) if reflected else f(e, other))
    >>> (10 - Pair(1, 2) ** 2).entries
    (9, 6)
    """

    def __add__(self, other):
        return self._combine(other, operator.add)

    def __radd__(self, other):
        return self._combine(other, operator.add, reflected=True)

    def __sub__(self, other):
        return self._combine(other, operator.sub)

    def __rsub__(self, other):
        return self._combine(other, operator.sub, reflected=True)

    def __mul__(self, other):
        return self._combine(other, operator.mul)

    def __rmul__(self, other):
        return self._combine(other, operator.mul, reflected=True)

    def __truediv__(self, other):
        return self._combine(other, operator.truediv)

    def __rtruediv__(self, other):
        return self._combine(other, operator.truediv, reflected=True)

    def __pow__(self, power):
        return self.map(lambda a: a ** power)

    def __neg__(self):
        return self.map(lambda a: -a)


class Grid(Arithmetic):
    """An array of expressions, of any shape (see the module doc).

    >>> import sympy
    >>> x = Grid.of_symbols(sympy, "x", 2, 3)
    >>> x.sum(axis=1).shape, (x @ Grid.of_symbols(sympy, "w", 3, 1)).entries[0]
    ((2, 1), w_0_0*x_0_0 + w_1_0*x_0_1 + w_2_0*x_0_2)
    """

    __array_ufunc__ = None   # a NumPy scalar or array on the left defers to Grid

    def __init__(self, values):
        if isinstance(values, np.ndarray) and values.dtype == object:
            array = values
        else:
            shape = np.shape(np.asarray(values, dtype=object))
            array = _objects(shape)
            array[...] = np.asarray(values, dtype=object)
        if array.ndim == 0 or array.size == 0:
            raise ValueError("a Grid needs at least one dimension and one entry")
        self.array = array

    @classmethod
    def of_symbols(cls, engine, name: str, *shape: int, **assumptions) -> Grid:
        """A grid of fresh symbols ``name_i_j...``."""
        array = _objects(shape)
        for index in np.ndindex(*shape):
            array[index] = engine.Symbol("_".join([name, *map(str, index)]), **assumptions)
        return cls(array)

    @classmethod
    def stack(cls, grids, axis: int = 0) -> Grid:
        return cls(np.stack([g.array for g in grids], axis=axis))

    @classmethod
    def concatenate(cls, grids, axis: int = 0) -> Grid:
        return cls(np.concatenate([g.array for g in grids], axis=axis))

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def entries(self) -> list:
        """Every entry, in row-major order."""
        return list(self.array.flat)

    def __getitem__(self, index):
        value = self.array[index]
        return Grid(value) if isinstance(value, np.ndarray) else value

    def __repr__(self):
        return f"Grid({self.array.tolist()!r})"

    # -- element-wise ------------------------------------------------------------------

    def map(self, function) -> Grid:
        return Grid(np.frompyfunc(function, 1, 1)(self.array).astype(object))

    @staticmethod
    def _operand(other) -> np.ndarray:
        return other.array if isinstance(other, Grid) else _scalar(other)

    def _combine(self, other, function, reflected: bool = False) -> Grid:
        left, right = self.array, self._operand(other)
        if reflected:
            left, right = right, left
        result = np.frompyfunc(function, 2, 1)(left, right)
        return Grid(np.asarray(result, dtype=object))


    # -- shapes ------------------------------------------------------------------------

    @property
    def T(self) -> Grid:
        return Grid(self.array.T)

    def transpose(self, *axes) -> Grid:
        return Grid(self.array.transpose(*axes))

    def reshape(self, *shape) -> Grid:
        return Grid(self.array.reshape(*shape))

    def pad(self, widths) -> Grid:
        """Zeros around the entries, ``widths`` as for ``np.pad``."""
        padded = np.pad(self.array, widths, constant_values=0)
        return Grid(np.asarray(padded, dtype=object))

    # -- linear algebra and reductions -------------------------------------------------

    def __matmul__(self, other: Grid) -> Grid:
        """The matrix product over the last axis of ``self`` and the first of
        a 2-D ``other`` (``x`` N x T x D times ``w`` D x M is N x T x M)."""
        (k, m), left = other.shape, self.array.reshape(-1, self.shape[-1])
        if self.shape[-1] != k or other.ndim != 2:
            raise ValueError(f"matrix product of {self.shape} and {other.shape}")
        product = _objects((left.shape[0], m))
        for i in range(left.shape[0]):
            for j in range(m):
                product[i, j] = _total(left[i, t] * other.array[t, j] for t in range(k))
        return Grid(product.reshape(*self.shape[:-1], m))

    def sum(self, axis=None) -> Grid:
        """NumPy's sum with ``keepdims=True``: the result keeps every dimension."""
        axes = tuple(range(self.ndim)) if axis is None else \
            tuple(a % self.ndim for a in ((axis,) if isinstance(axis, int) else axis))
        kept = [a for a in range(self.ndim) if a not in axes]
        moved = self.array.transpose(*kept, *axes)
        rows = moved.reshape(-1, int(np.prod([self.shape[a] for a in axes])))
        sums = _objects(len(rows))
        for i, row in enumerate(rows):
            sums[i] = _total(row)
        shape = [1 if a in axes else size for a, size in enumerate(self.shape)]
        return Grid(sums.reshape(shape))

    def mean(self, axis=None) -> Grid:
        summed = self.sum(axis)
        return summed / (self.array.size // summed.array.size)


class Ops:
    """What a definition uses besides arithmetic: the engine's functions, and
    ``stage(name, grid)`` to name an intermediate quantity.

    With ``cut``, a stage returns fresh symbols (``stage<k>_<name>_i_j...``)
    in place of its value, so that every expression after it is written in
    those symbols: the truth then differentiates each stage on its own and
    chains the pieces (:class:`symbp.layers.symbolic.Truth`).  ``staged``
    keeps every named quantity's value, in order; ``cuts`` the symbols that
    stand for them.

    >>> import sympy
    >>> ops = Ops(sympy, cut=True)
    >>> mu = ops.stage("mu", Grid.of_symbols(sympy, "x", 1, 2).mean(axis=1))
    >>> mu.entries, ops.staged["mu"].entries
    ([stage0_mu_0_0], [x_0_0/2 + x_0_1/2])
    """

    def __init__(self, engine, cut: bool = False):
        self.engine = engine
        self.cut = cut
        self.staged: dict[str, Grid] = {}
        self.cuts: dict[str, Grid] = {}

    def stage(self, name: str, value: Grid) -> Grid:
        if name in self.staged:
            raise ValueError(f"the definition names {name!r} twice")
        self.staged[name] = value
        if not self.cut:
            return value
        symbols = Grid.of_symbols(self.engine, f"stage{len(self.cuts)}_{name}", *value.shape)
        self.cuts[name] = symbols
        return symbols

    def sqrt(self, grid: Grid) -> Grid:
        return grid.map(self.engine.sqrt)

    def exp(self, grid: Grid) -> Grid:
        return grid.map(self.engine.exp)

    def log(self, grid: Grid) -> Grid:
        return grid.map(self.engine.log)

    def tanh(self, grid: Grid) -> Grid:
        return grid.map(self.engine.tanh)

    def sigmoid(self, grid: Grid) -> Grid:
        return grid.map(lambda a: 1 / (1 + self.engine.exp(-a)))

    def positive_part(self, grid: Grid) -> Grid:
        """max(0, a) as a Piecewise with a strict ``a > 0``: its derivative at
        0 is 0 (the convention of contract section 1)."""
        piecewise = self.engine.Piecewise
        return grid.map(lambda a: piecewise((a, a > 0), (0, True)))

    def max(self, grid: Grid, axis) -> Grid:
        """The largest entry over ``axis`` (kept, as for ``sum``), as nested
        Piecewise comparisons ``m = e if e > m else m``: away from ties its
        derivative is 1 at the largest entry and 0 elsewhere (points within
        reach of a tie are redrawn)."""
        piecewise = self.engine.Piecewise

        def largest(values):
            best = values[0]
            for value in values[1:]:
                best = piecewise((value, value > best), (best, True))
            return best

        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        kept = [a for a in range(grid.ndim) if a not in axes]
        rows = grid.array.transpose(*kept, *axes).reshape(
            -1, int(np.prod([grid.shape[a] for a in axes])))
        found = _objects(len(rows))
        for i, row in enumerate(rows):
            found[i] = largest(list(row))
        return Grid(found.reshape([1 if a in axes else s for a, s in enumerate(grid.shape)]))
