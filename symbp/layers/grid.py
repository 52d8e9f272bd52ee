"""Small 2-D arrays of symbolic expressions, for writing a layer's forward.

A layer's definition is its forward written once over a :class:`Grid` per
input (one symbol per entry), with NumPy's broadcasting and reductions
(``x - x.mean(axis=0)``), so that it reads like the NumPy it defines:

>>> import sympy
>>> x = Grid.of_symbols(sympy, "x", 2, 2)
>>> (x - x.mean(axis=0)).entries[0]
x_0_0/2 - x_1_0/2

The entries are SymPy or SymEngine expressions (whichever ``engine`` the
grids were made with: the same definition serves both).  Every quantity a
definition names (``ops.stage("mu", ...)``) can be held constant by a
:class:`Ops` so that the chain-rule path through it can be taken apart.
"""

from __future__ import annotations


def _broadcast(left: tuple, right: tuple) -> tuple:
    shape = []
    for a, b in zip(left, right, strict=True):
        if a != b and 1 not in (a, b):
            raise ValueError(f"shapes {left} and {right} do not broadcast")
        shape.append(max(a, b))
    return tuple(shape)


class Grid:
    """A rows x cols array of expressions (row-major ``rows``)."""

    __array_priority__ = 1000  # so that a NumPy scalar on the left defers to Grid

    def __init__(self, rows):
        self.rows = [list(row) for row in rows]
        if not self.rows or any(len(row) != len(self.rows[0]) for row in self.rows):
            raise ValueError("a Grid needs equally long, non-empty rows")

    @classmethod
    def of_symbols(cls, engine, name: str, n_rows: int, n_cols: int, **assumptions) -> Grid:
        """A grid of fresh symbols ``name_i_j``."""
        return cls([[engine.Symbol(f"{name}_{i}_{j}", **assumptions) for j in range(n_cols)]
                    for i in range(n_rows)])

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    @property
    def entries(self) -> list:
        """Every entry, row by row."""
        return [value for row in self.rows for value in row]

    def __getitem__(self, index):
        i, j = index
        return self.rows[i][j]

    def __repr__(self):
        return f"Grid({self.rows!r})"

    # -- element-wise ------------------------------------------------------------------

    def map(self, function) -> Grid:
        return Grid([[function(value) for value in row] for row in self.rows])

    def _combine(self, other, function) -> Grid:
        other = other if isinstance(other, Grid) else Grid([[other]])
        shape = _broadcast(self.shape, other.shape)
        (r1, c1), (r2, c2) = self.shape, other.shape
        return Grid([[function(self.rows[i if r1 > 1 else 0][j if c1 > 1 else 0],
                               other.rows[i if r2 > 1 else 0][j if c2 > 1 else 0])
                      for j in range(shape[1])] for i in range(shape[0])])

    def __add__(self, other):
        return self._combine(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._combine(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._combine(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._combine(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._combine(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._combine(other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._combine(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._combine(other, lambda a, b: b / a)

    def __pow__(self, power):
        return self.map(lambda a: a ** power)

    def __neg__(self):
        return self.map(lambda a: -a)

    # -- linear algebra and reductions ------------------------------------------------

    @property
    def T(self) -> Grid:
        return Grid([list(column) for column in zip(*self.rows, strict=True)])

    def __matmul__(self, other: Grid) -> Grid:
        (n, k), (k2, m) = self.shape, other.shape
        if k != k2:
            raise ValueError(f"matrix product of {self.shape} and {other.shape}")
        return Grid([[_total(self.rows[i][t] * other.rows[t][j] for t in range(k))
                      for j in range(m)] for i in range(n)])

    def sum(self, axis: int | None = None) -> Grid:
        """NumPy's sum with ``keepdims=True``: the result stays 2-D."""
        n, m = self.shape
        if axis is None:
            return Grid([[_total(self.entries)]])
        if axis == 0:
            return Grid([[_total(self.rows[i][j] for i in range(n)) for j in range(m)]])
        return Grid([[_total(row)] for row in self.rows])

    def mean(self, axis: int | None = None) -> Grid:
        n, m = self.shape
        count = n * m if axis is None else (n if axis == 0 else m)
        return self.sum(axis).map(lambda total: total / count)



def _total(values):
    values = list(values)
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


class Ops:
    """What a definition uses besides arithmetic: the engine's functions, and
    ``stage(name, grid)`` to name an intermediate quantity.

    ``held`` names one quantity to hold constant: its stage returns fresh
    symbols ``name_i_j`` instead of its value, so that a derivative taken
    afterwards leaves out the chain-rule path through it.  ``staged`` keeps
    every named quantity's value (as computed, in terms of the inputs).
    """

    def __init__(self, engine, held: str | None = None):
        self.engine = engine
        self.held = held
        self.staged: dict[str, Grid] = {}
        self.held_symbols: Grid | None = None

    def stage(self, name: str, value: Grid) -> Grid:
        self.staged[name] = value
        if name != self.held:
            return value
        self.held_symbols = Grid.of_symbols(self.engine, f"held_{name}", *value.shape)
        return self.held_symbols

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
