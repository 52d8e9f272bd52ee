"""The notation's tree evaluated two ways: numerically (NumPy, at a point) and
symbolically (SymPy, on the network's symbols).

Both walk the same tree with one method per node type (:class:`Evaluator`,
a :class:`~symbp.notation.tree.Walker`); they differ only in their algebra,
and functions are applied by kind as the table
:data:`~symbp.notation.functions.FUNCTIONS` says.  Values are 2-D matrices (``ndarray`` or
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

from fractions import Fraction
from functools import cache

import numpy as np

from symbp.errors import FormulaError
from symbp.notation.functions import FUNCTIONS
from symbp.notation.quantities import QUANTITIES
from symbp.notation.tree import BinOp, Call, Name, Neg, Number, Quantity, Transpose, Walker
from symbp.tables import ACTIVATIONS


class ShapeMismatch(Exception):
    """An operation the operands' shapes do not allow: the claim is refuted.

    ``text`` says which operation and which shapes; ``column`` is where the
    operation is in the formula.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> try:
    ...     evaluate_numeric(parse_expression("W[1] @ W[1]"), Network(layers=[2, 3, 1]),
    ...                      {("W", 1): np.ones((3, 2))})
    ... except ShapeMismatch as refutation:
    ...     print(refutation)
    '@' of a 3 x 2 and a 3 x 2 matrix: the inner sizes 2 and 3 differ
    """

    def __init__(self, text: str, column: int):
        super().__init__(text)
        self.text, self.column = text, column


def in_range(node: Quantity, l: int | None, depth: int) -> bool:
    """True when the indexed quantity exists on a network of this depth.

    >>> from symbp.notation.parser import parse_expression
    >>> delta = parse_expression("delta[l+1]")
    >>> in_range(delta, 1, depth=2), in_range(delta, 2, depth=2)
    (True, False)
    """
    if node.index.base == "l" and l is None:
        return False
    k = node.index.resolve(l, depth)
    return QUANTITIES[node.name].lowest <= k <= depth


def range_error(node: Quantity, depth: int) -> FormulaError:
    """The error for a quantity whose index is outside the network.

    >>> from symbp.notation.parser import parse_expression
    >>> str(range_error(parse_expression("z[3]"), depth=2))
    'column 1: z[3] is out of range: the index must be from 1 to L = 2.'
    """
    return FormulaError(f"{node.name}[{node.index}] is out of range: the index must be from "
                        f"{QUANTITIES[node.name].lowest} to L = {depth}", column=node.column)


def bias_error(node: Quantity) -> FormulaError:
    """The error for b[k] or db[k] on a network without biases.

    >>> from symbp.notation.parser import parse_expression
    >>> str(bias_error(parse_expression("db[1]")))
    'column 1: db[1] does not exist: the network has no biases (bias = false).'
    """
    return FormulaError(f"{node.name}[{node.index}] does not exist: the network has no biases "
                        "(bias = false)", column=node.column)


def _dims(shape) -> str:
    return f"{shape[0]} x {shape[1]}"


class Evaluator(Walker):
    """The tree walk every evaluator shares; subclasses give the algebra
    (``is_scalar``, ``number``, ``product``, ``elementwise``, ``power``,
    ``reduce``, ``sized``, ``activate``, ``function``).  The walk itself
    reads sizes (``m``, ``n[k]``) from the network and quantities from ``values``.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> net = Network(layers=[2, 3, 1], batch=4)
    >>> float(NumericEvaluator(net, {}, l=None).walk(parse_expression("n[1] * m")))
    12.0
    """

    def __init__(self, net, values: dict, l: int | None):
        self.net, self.values, self.l = net, values, l

    # -- leaves --------------------------------------------------------------

    def _walk_Number(self, node: Number):
        return self.number(node.value)

    def _walk_Name(self, node: Name):
        # a layer's quantities (``net.context == "layer"``) are all in ``values``
        if getattr(self.net, "context", "network") == "network":
            if node.name == "m":
                return self.number(self.net.batch)
            if node.name == "lambda":   # the exact fraction of the decimal given, 0.1 = 1/10
                return self.number(Fraction(str(self.net.l2)))
        return self.values[(node.name, None)]

    def _walk_Quantity(self, node: Quantity):
        depth = self.net.depth
        if not in_range(node, self.l, depth):
            raise range_error(node, depth)
        if QUANTITIES[node.name].bias and not self.net.bias:
            raise bias_error(node)
        k = node.index.resolve(self.l, depth)
        if node.name == "n":
            return self.number(self.net.layers[k])
        if node.name == "a" and k == 0 and ("a", 0) not in self.values:
            return self.values[("x", None)]
        return self.values[(node.name, k)]

    # -- operators -----------------------------------------------------------

    def _walk_Neg(self, node: Neg):
        return -self.walk(node.operand)

    def _walk_Transpose(self, node: Transpose):
        value = self.walk(node.operand)
        return value if self.is_scalar(value) else value.T

    def _walk_BinOp(self, node: BinOp):
        left, right = self.walk(node.left), self.walk(node.right)
        if node.op == "@":
            return self.matmul(left, right, node.column)
        if node.op == "**":
            return self.power(left, right)
        return self.elementwise(node.op, left, right, node.column)

    def _walk_Call(self, node: Call):
        # functions are applied by their kind in the table: one method per kind
        entry = FUNCTIONS[node.func]
        return getattr(self, "_call_" + entry.kind)(entry, node)

    def _call_sizes(self, entry, node: Call):
        return self.sized(entry, [self.size(arg) for arg in node.args])

    def _call_outer(self, _entry, node: Call):
        u, v = (self.walk(arg) for arg in node.args)
        return self.matmul(u, v if self.is_scalar(v) else v.T, node.column)

    def _call_reduce(self, entry, node: Call):
        return self.reduce(entry, self.walk(node.args[0]), node.axis)

    def _call_activation(self, entry, node: Call):
        activation = ACTIVATIONS[entry.activation] if entry.activation else \
            self.activation_of(node.args[0])
        return self.activate(activation, self.walk(node.args[0]), prime=entry.prime)

    def _call_elementwise(self, entry, node: Call):
        return self.function(entry, self.walk(node.args[0]))

    def _call_labels(self, entry, node: Call):
        # onehot(y): the layer's own one-hot matrix of its labels, from the values
        return self.values[(entry.name, node.args[0].name)]

    def size(self, node) -> int:
        value = self.walk(node)
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


class NumericEvaluator(Evaluator):
    """NumPy on the network's quantities at one point.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> evaluator = NumericEvaluator(Network(layers=[1, 1]), {("z", 1): np.zeros((1, 1))}, None)
    >>> evaluator.walk(parse_expression("sigma_prime(z[1])"))
    array([[0.25]])
    """

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

    def reduce(self, entry, value, axis):
        value = np.atleast_2d(value)
        if axis is None:
            return entry.numpy(value).reshape(1, 1)
        return entry.numpy(value, axis=axis, keepdims=True)

    def sized(self, entry, sizes):
        return entry.numpy(*sizes)

    def activate(self, activation, value, prime):
        scalar = self.is_scalar(value)
        array = np.atleast_2d(np.asarray(value, dtype=float))
        with np.errstate(all="ignore"):
            f = activation.numpy_prime if prime else activation.numpy
            result = f(array, self.net.units_axis)
        return float(result[0, 0]) if scalar else result

    def function(self, entry, value):
        with np.errstate(all="ignore"):
            return entry.numpy(value)


class SymbolicEvaluator(Evaluator):
    """SymPy on the matrices of the symbolic truth (``truth(net).symbolic()``).

    >>> import sympy
    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> z = sympy.Symbol("z")
    >>> evaluator = SymbolicEvaluator(Network(layers=[1, 1]), {("z", 1): sympy.Matrix([[z]])}, None)
    >>> evaluator.walk(parse_expression("sigma_prime(z[1])"))
    Matrix([[exp(-z)/(1 + exp(-z))**2]])
    """

    def __init__(self, net, values, l):
        super().__init__(net, values, l)
        import sympy
        self.sp = sympy

    def is_scalar(self, value) -> bool:
        return not isinstance(value, self.sp.MatrixBase)

    def number(self, value):
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

    def reduce(self, entry, value, axis):
        sp = self.sp
        matrix = sp.Matrix([[value]]) if self.is_scalar(value) else value
        rows, cols = matrix.shape
        if axis is None:
            return sp.Matrix([[entry.sympy(list(matrix))]])
        if axis == 0:
            return sp.Matrix(1, cols, lambda _i, j: entry.sympy(list(matrix[:, j])))
        return sp.Matrix(rows, 1, lambda i, _j: entry.sympy(list(matrix[i, :])))

    def sized(self, entry, sizes):
        return entry.sympy(*sizes)

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

    def function(self, entry, value):
        return entry.sympy(value) if self.is_scalar(value) else value.applyfunc(entry.sympy)


@cache
def _derivative(name: str):
    """``(t, d act(t) / d t)`` of an element-wise activation, by SymPy's diff."""
    import sympy
    t = sympy.Dummy("t", real=True)
    return t, sympy.diff(ACTIVATIONS[name].sympy_scalar(t), t)


def evaluate_numeric(node, net, values: dict, l: int | None = None):
    """A tree's NumPy value; ``values`` maps ``("W", k)``, ``("x", None)``, ...
    to arrays (:func:`symbp.verification.values.numeric_quantities`); ``l``
    is the value of the free index.

    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> float(evaluate_numeric(parse_expression("n[l] + 1"), Network(layers=[2, 3, 1]), {}, l=1))
    4.0
    """
    return NumericEvaluator(net, values, l).walk(node)


def evaluate_symbolic(node, net, symbols: dict, l: int | None = None):
    """A tree's SymPy value; ``symbols`` from ``truth(net).symbolic()``.

    >>> import sympy
    >>> from symbp.network import Network
    >>> from symbp.notation.parser import parse_expression
    >>> w, x = sympy.symbols("w x")
    >>> symbols = {("W", 1): sympy.Matrix([[w]]), ("a", 0): sympy.Matrix([[x]])}
    >>> evaluate_symbolic(parse_expression("sigma(W[1] @ a[0])"), Network(layers=[1, 1]), symbols)
    Matrix([[1/(1 + exp(-w*x))]])
    """
    return SymbolicEvaluator(net, symbols, l).walk(node)
