"""A layer's definition over symbolic sizes: grids in index form.

An :class:`IndexGrid` is a matrix whose sizes may be SymPy symbols (``N``,
``D``) and whose entries are one expression, the entry at a generic row
``ROW`` and column ``COLUMN``.  It offers the part of the
:class:`~symbp.layers.grid.Grid` API a 2-D layer definition uses (NumPy's
broadcasting, ``sum``/``mean`` along an axis with the axis kept, ``@``,
``.T``, ``map``), so that the catalogue's own definition, run on index grids,
gives each quantity of the layer for every N and D at once: ``x.mean(axis=0)``
is ``Sum(x[t, COLUMN], (t, 0, N - 1)) / N``.  Nothing is built entry by
entry; the cost depends on the definition, never on the sizes.

>>> import sympy
>>> N, D = sympy.symbols("N D", integer=True, positive=True)
>>> x = IndexGrid.of_base("x", N, D)
>>> (x - x.mean(axis=0)).body
x[_row, _col] - Sum(x[_t, _col], (_t, 0, N - 1))/N
"""

from __future__ import annotations

import sympy

from symbp.layers.grid import Arithmetic

ROW = sympy.Symbol("_row", integer=True, nonnegative=True)
COLUMN = sympy.Symbol("_col", integer=True, nonnegative=True)


def _fresh(name: str = "t"):
    return sympy.Dummy(name, integer=True)


def _broadcast(left: tuple, right: tuple) -> tuple:
    shape = []
    for a, b in zip(left, right, strict=True):
        if a != b and 1 not in (a, b):
            raise ValueError(f"shapes {left} and {right} do not broadcast")
        shape.append(b if a == 1 else a)
    return tuple(shape)


class IndexGrid(Arithmetic):
    """``rows`` x ``cols`` (SymPy sizes) with entry ``body`` at (ROW, COLUMN).

    >>> N, D = sympy.symbols("N D", integer=True, positive=True)
    >>> x = IndexGrid.of_base("x", N, D)
    >>> x.sum(axis=1).shape, x.T.entry(0, 1)
    ((N, 1), x[1, 0])
    """

    __array_priority__ = 1000  # a NumPy scalar on the left defers to IndexGrid

    def __init__(self, rows, cols, body):
        # strict: numbers and SymPy objects only; a string is refused, never parsed
        self.rows, self.cols = sympy.sympify(rows, strict=True), sympy.sympify(cols, strict=True)
        self.body = sympy.sympify(body, strict=True)

    @classmethod
    def of_base(cls, name: str, rows, cols) -> IndexGrid:
        """The entries of the IndexedBase ``name`` (a size-1 axis read at 0)."""
        base = sympy.IndexedBase(name, real=True)
        return cls(rows, cols, base[0 if rows == 1 else ROW, 0 if cols == 1 else COLUMN])

    @property
    def shape(self) -> tuple:
        return (self.rows, self.cols)

    @property
    def ndim(self) -> int:
        return 2

    def entry(self, i, j):
        """The entry at (i, j); a size-1 axis is read at 0 (broadcasting)."""
        i = sympy.S.Zero if self.rows == 1 else i
        j = sympy.S.Zero if self.cols == 1 else j
        return self.body.xreplace({ROW: i, COLUMN: j})

    def __repr__(self):
        return f"IndexGrid({self.rows}, {self.cols}, {self.body})"

    def map(self, function) -> IndexGrid:
        return IndexGrid(self.rows, self.cols, function(self.body))

    def reshape(self, *shape) -> IndexGrid:
        if tuple(sympy.sympify(s, strict=True) for s in shape) != self.shape:
            raise ValueError("an index grid keeps its shape")
        return self

    # -- element-wise ------------------------------------------------------------------

    def _combine(self, other, function, reflected: bool = False) -> IndexGrid:
        if not isinstance(other, IndexGrid):
            value = sympy.sympify(other, strict=True)
            return self.map(lambda e: function(value, e) if reflected else function(e, value))
        rows, cols = _broadcast(self.shape, other.shape)
        pair = (self.entry(ROW, COLUMN), other.entry(ROW, COLUMN))
        return IndexGrid(rows, cols, function(*(reversed(pair) if reflected else pair)))


    # -- linear algebra and reductions ------------------------------------------------

    @property
    def T(self) -> IndexGrid:
        return IndexGrid(self.cols, self.rows, self.body.xreplace({ROW: COLUMN, COLUMN: ROW}))

    def __matmul__(self, other: IndexGrid) -> IndexGrid:
        if self.cols != other.rows:
            raise ValueError(f"matrix product of {self.shape} and {other.shape}")
        t = _fresh()
        return IndexGrid(self.rows, other.cols, sympy.Sum(
            self.entry(ROW, t) * other.entry(t, COLUMN), (t, 0, self.cols - 1)))

    def sum(self, axis=None) -> IndexGrid:
        """NumPy's sum with ``keepdims=True``: the result stays 2-D."""
        axes = (0, 1) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        grid = self
        for a in axes:
            t = _fresh()
            if a == 0:
                grid = IndexGrid(1, grid.cols, sympy.Sum(grid.entry(t, COLUMN),
                                                         (t, 0, grid.rows - 1)))
            else:
                grid = IndexGrid(grid.rows, 1, sympy.Sum(grid.entry(ROW, t),
                                                         (t, 0, grid.cols - 1)))
        return grid

    def mean(self, axis=None) -> IndexGrid:
        axes = (0, 1) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        count = sympy.Mul(*(self.shape[a] for a in axes))
        return self.sum(axis).map(lambda total: total / count)

    @property
    def entries(self) -> list:
        """A 1 x 1 grid's one entry (what a loss definition's output is read as)."""
        if self.shape != (1, 1):
            raise ValueError("only a 1 x 1 index grid has its entries listed")
        return [self.entry(0, 0)]
