"""The notation's tree evaluated two ways: numerically (NumPy, at a point) and
symbolically (SymPy, on the network's symbols).

Both walk the same tree with one method per node type (:class:`_Walker`);
they differ only in their algebra.  Values are 2-D matrices (``ndarray`` or
``sympy.Matrix``) or scalars (numbers, ``m``, ``n[k]``).  ``*``, ``/``, ``+``,
``-`` broadcast as NumPy does; an operation the shapes do not allow raises
:class:`ShapeMismatch`, which is a refutation (contract section 2), not an
error.  A quantity that does not exist on the network (an index out of range,
``b[k]`` without biases) is a :class:`~symbp.errors.FormulaError`.

>>> from symbp.network import Network
>>> from symbp.notation.parser import parse_expression
>>> net = Network(layers=[2, 3, 1], batch=2)
>>> point = net.sample(seed=0)
>>> values = {("W", 1): point["W1"], ("a", 0): point["x"], ("b", 1): point["b1"]}
>>> evaluate_numeric(parse_expression("W[1] @ a[0] + b[1]"), net, values).shape
(3, 2)
"""

from __future__ import annotations

from functools import cache

import numpy as np

from symbp.errors import FormulaError
from symbp.notation.parser import BinOp, Call, Name, Neg, Number, Quantity, Transpose
from symbp.tables import ACTIVATIONS

# the lowest index of each indexed quantity; the highest is L
LOWEST_INDEX = {"W": 1, "b": 1, "z": 1, "delta": 1, "dW": 1, "db": 1,
                "a": 0, "da": 0, "n": 0}


class ShapeMismatch(Exception):
    """An operation the operands' shapes do not allow: the claim is refuted.

    ``text`` says which operation and which shapes; ``column`` is where the
    operation is in the formula.
    """

    def __init__(self, text: str, column: int):
        super().__init__(text)
        self.text, self.column = text, column


def in_range(node: Quantity, l: int | None, depth: int) -> bool:
    """True when the indexed quantity exists on a network of this depth."""
    if node.index.base == "l" and l is None:
        return False
    k = node.index.resolve(l, depth)
    return LOWEST_INDEX[node.name] <= k <= depth


def _dims(shape) -> str:
    return f"{shape[0]} x {shape[1]}"


class _Walker:
    """The tree walk both evaluators share; subclasses give the algebra."""

    def __init__(self, net, values: dict, l: int | None):
        self.net, self.values, self.l = net, values, l

    def run(self, node):
        return getattr(self, "_" + type(node).__name__)(node)

    # -- leaves --------------------------------------------------------------

    def _Number(self, node: Number):
        return self.number(node.value)

    def _Name(self, node: Name):
        if node.name == "m":
            return self.number(self.net.batch)
        return self.values[(node.name, None)]

    def _Quantity(self, node: Quantity):
        depth = self.net.depth
        if not in_range(node, self.l, depth):
            low = LOWEST_INDEX[node.name]
            raise FormulaError(f"{node.name}[{node.index}] is out of range: the index must be "
                               f"from {low} to L = {depth}", column=node.column)
        if node.name in ("b", "db") and not self.net.bias:
            raise FormulaError(f"{node.name}[{node.index}] does not exist: the network has "
                               "no biases (bias = false)", column=node.column)
        k = node.index.resolve(self.l, depth)
        if node.name == "n":
            return self.number(self.net.layers[k])
        if node.name == "a" and k == 0 and ("a", 0) not in self.values:
            return self.values[("x", None)]
        return self.values[(node.name, k)]

    # -- operators -----------------------------------------------------------

    def _Neg(self, node: Neg):
        return -self.run(node.operand)

    def _Transpose(self, node: Transpose):
        value = self.run(node.operand)
        return value if self.is_scalar(value) else value.T

    def _BinOp(self, node: BinOp):
        left, right = self.run(node.left), self.run(node.right)
        if node.op == "@":
            return self.matmul(left, right, node.column)
        if node.op == "**":
            return self.power(left, right)
        return self.elementwise(node.op, left, right, node.column)

    def _Call(self, node: Call):
        func = node.func
        if func in ("ones", "eye"):
            sizes = [self.size(arg) for arg in node.args]
            return self.ones(*sizes) if func == "ones" else self.eye(sizes[0])
        args = [self.run(arg) for arg in node.args]
        if func == "outer":
            u, v = args
            return self.matmul(u, v if self.is_scalar(v) else v.T, node.column)
        if func in ("sum", "mean"):
            return self.reduce(func, args[0], node.axis)
        if func in ("sigma", "sigma_prime"):
            activation = self.activation_of(node.args[0])
            return self.activate(activation, args[0], prime=func == "sigma_prime")
        if func.endswith("_prime") and func[:-6] in ACTIVATIONS:
            return self.activate(ACTIVATIONS[func[:-6]], args[0], prime=True)
        if func in ACTIVATIONS:
            return self.activate(ACTIVATIONS[func], args[0], prime=False)
        return self.function(func, args[0])

    def size(self, node) -> int:
        value = self.run(node)
        return int(value)

    def activation_of(self, node):
        """sigma's activation for an argument (contract section 2): layer k's
        for z[k] or a[k], else the hidden one (the output one when L = 1)."""
        net = self.net
        if isinstance(node, Quantity) and node.name in ("z", "a") and in_range(
                node, self.l, net.depth):
            k = node.index.resolve(self.l, net.depth)
            if k >= 1:
                return net.activation(k)
        return net.activation(net.depth) if net.depth == 1 else ACTIVATIONS[net.hidden]

    def matmul(self, left, right, column):
        if self.is_scalar(left) or self.is_scalar(right):
            raise ShapeMismatch("'@' needs two matrices, not a number", column)
        if left.shape[1] != right.shape[0]:
            raise ShapeMismatch(f"'@' of a {_dims(left.shape)} and a {_dims(right.shape)} "
                                f"matrix: the inner sizes {left.shape[1]} and "
                                f"{right.shape[0]} differ", column)
        return self.product(left, right)

    def broadcast_shape(self, op, left, right, column):
        shapes = [tuple(v.shape) for v in (left, right) if not self.is_scalar(v)]
        if len(shapes) < 2:
            return shapes[0] if shapes else None
        (r1, c1), (r2, c2) = shapes
        rows = r1 if r2 in (1, r1) else (r2 if r1 == 1 else None)
        cols = c1 if c2 in (1, c1) else (c2 if c1 == 1 else None)
        if rows is None or cols is None:
            raise ShapeMismatch(f"'{op}' of a {_dims(shapes[0])} and a {_dims(shapes[1])} "
                                "matrix: the shapes do not broadcast", column)
        return rows, cols


class NumericEvaluator(_Walker):
    """NumPy on the network's quantities at one point."""

    @staticmethod
    def is_scalar(value) -> bool:
        return np.ndim(value) == 0

    @staticmethod
    def number(value):
        return float(value)

    def product(self, left, right):
        return left @ right

    def elementwise(self, op, left, right, column):
        self.broadcast_shape(op, left, right, column)
        with np.errstate(all="ignore"):
            return {"+": np.add, "-": np.subtract, "*": np.multiply,
                    "/": np.divide}[op](left, right)

    def power(self, base, exponent):
        value = float(exponent)
        exponent = int(value) if value.is_integer() else value
        with np.errstate(all="ignore"):
            return np.power(base, exponent)

    def reduce(self, func, value, axis):
        value = np.atleast_2d(value)
        reducer = np.sum if func == "sum" else np.mean
        if axis is None:
            return reducer(value).reshape(1, 1)
        return reducer(value, axis=axis, keepdims=True)

    def ones(self, rows, cols):
        return np.ones((rows, cols))

    def eye(self, size):
        return np.eye(size)

    def activate(self, activation, value, prime):
        scalar = self.is_scalar(value)
        array = np.atleast_2d(np.asarray(value, dtype=float))
        with np.errstate(all="ignore"):
            f = activation.numpy_prime if prime else activation.numpy
            result = f(array, self.net.units_axis)
        return float(result[0, 0]) if scalar else result

    def function(self, func, value):
        with np.errstate(all="ignore"):
            if func == "step":
                return np.where(np.asarray(value) > 0, 1.0, 0.0) * 1.0
            return {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
                    "sign": np.sign}[func](value)


class SymbolicEvaluator(_Walker):
    """SymPy on the matrices of the symbolic truth (``truth(net).symbolic()``)."""

    def __init__(self, net, values, l):
        super().__init__(net, values, l)
        import sympy
        self.sp = sympy

    def is_scalar(self, value) -> bool:
        return not isinstance(value, self.sp.MatrixBase)

    def number(self, value):
        from fractions import Fraction
        value = Fraction(value)
        return self.sp.Rational(value.numerator, value.denominator)

    def product(self, left, right):
        return left * right

    def elementwise(self, op, left, right, column):
        shape = self.broadcast_shape(op, left, right, column)
        apply = {"+": lambda p, q: p + q, "-": lambda p, q: p - q,
                 "*": lambda p, q: p * q, "/": lambda p, q: p / q}[op]
        if shape is None:
            return apply(left, right)

        def entry(value, i, j):
            if self.is_scalar(value):
                return value
            rows, cols = value.shape
            return value[i if rows > 1 else 0, j if cols > 1 else 0]
        return self.sp.Matrix(*shape, lambda i, j: apply(entry(left, i, j), entry(right, i, j)))

    def power(self, base, exponent):
        if self.is_scalar(base):
            return base ** exponent
        return base.applyfunc(lambda e: e ** exponent)

    def reduce(self, func, value, axis):
        sp = self.sp
        matrix = sp.Matrix([[value]]) if self.is_scalar(value) else value
        rows, cols = matrix.shape
        if axis is None:
            total, count = sp.Add(*matrix), rows * cols
            result = sp.Matrix([[total]])
        elif axis == 0:
            result = sp.Matrix(1, cols, lambda _i, j: sp.Add(*matrix[:, j]))
            count = rows
        else:
            result = sp.Matrix(rows, 1, lambda i, _j: sp.Add(*matrix[i, :]))
            count = cols
        return result / count if func == "mean" else result

    def ones(self, rows, cols):
        return self.sp.ones(rows, cols)

    def eye(self, size):
        return self.sp.eye(size)

    def activate(self, activation, value, prime):
        sp = self.sp
        if self.is_scalar(value):
            return self.activate(activation, sp.Matrix([[value]]), prime)[0, 0]
        if activation.elementwise:
            if prime:
                t, derivative = _derivative(activation.name)
                return value.applyfunc(lambda e: derivative.xreplace({t: e}))
            return value.applyfunc(activation.sympy_scalar)
        # softmax normalises each sample: along the units axis
        by_sample = value if self.net.units_axis == 0 else value.T
        columns = []
        for j in range(by_sample.shape[1]):
            s = activation.sympy(list(by_sample[:, j]))
            columns.append([e * (1 - e) for e in s] if prime else s)
        result = sp.Matrix(columns).T
        return result if self.net.units_axis == 0 else result.T

    def function(self, func, value):
        sp = self.sp
        scalar = {"log": sp.log, "exp": sp.exp, "sqrt": sp.sqrt, "abs": sp.Abs,
                  "sign": sp.sign,
                  "step": lambda e: sp.Piecewise((1, e > 0), (0, True))}[func]
        return scalar(value) if self.is_scalar(value) else value.applyfunc(scalar)


@cache
def _derivative(name: str):
    """``(t, d act(t) / d t)`` of an element-wise activation, by SymPy's diff."""
    import sympy
    t = sympy.Dummy("t", real=True)
    return t, sympy.diff(ACTIVATIONS[name].sympy_scalar(t), t)


def evaluate_numeric(node, net, values: dict, l: int | None = None):
    """A tree's NumPy value; ``values`` from :func:`numeric_quantities`."""
    return NumericEvaluator(net, values, l).run(node)


def evaluate_symbolic(node, net, symbols: dict, l: int | None = None):
    """A tree's SymPy value; ``symbols`` from ``truth(net).symbolic()``."""
    return SymbolicEvaluator(net, symbols, l).run(node)
