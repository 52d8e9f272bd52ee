"""SymPy's derivative of a scalar graph at its point, the reference the
node-by-node backward is checked against, and how well float64 can resolve
the point at all.

For each input, SymPy differentiates the whole expression in that input, the
other inputs replaced by their values (SymPy Floats of ``PRECISION`` digits,
the exact images of the float64 values), and mpmath evaluates the derivative
at ``PRECISION`` digits (``lambdify`` with common subexpressions).  Each
choice answers a failure of the plain ``diff(...).subs(...).evalf()``:

* SymPy decides a Piecewise condition such as ``log(y**2 + 1) > 0`` from a
  2-digit evaluation (``sympy.core.relational._n2``): at ``y = 3e-8`` the
  difference rounds to 0 and relu's derivative takes the wrong branch.
  mpmath at 50 digits takes the right one.
* Exact rational powers (``0.5**(10**12)``) exhaust memory; 50-digit Floats
  do not, whatever the exponent.
* Differentiating in every input with all of them symbolic is cubic in their
  number (a product of 150 names: minutes); with the others fixed, each
  derivative is of one variable.  What remains is bounded before any of it
  is differentiated: ``MAX_WORK``.

A node on a kink (relu or abs at exactly 0 in float64) is the constant 0 in
SymPy's expression, so its derivative there is the convention's 0 (contract
section 1): at a flagged kink the convention decides, even where the exact
value of its argument is not quite 0.

Where the two results differ, :func:`ill_conditioned` looks for the node
where float64 lost the point's digits (``(x + y) - z`` at 0.1, 0.2, 0.3 is
5.6e-17, all rounding): that is said instead of a disagreement.
"""

from __future__ import annotations

import math

from symbp.errors import GraphError
from symbp.scalar.ops import OPS, number_text, sympy_module

PRECISION = 50
# SymPy's differentiation costs about (operations left) x (uses of the input)
# per input; a product of 100 functions of one input (100 x 300) takes ~5 s
MAX_WORK = 40_000
# a node whose estimated rounding error is this large a part of its value
# has lost at least 10 of float64's 16 digits
LOST = 1e-6
_EPS = 2.0 ** -52


def sympy_gradient(g) -> dict[str, float]:
    """SymPy's derivative of ``g``'s expression in every input, at the point.

    >>> from symbp.scalar.graphs import graph
    >>> sympy_gradient(graph("f = x * y + x", x=2, y=3))
    {'x': 4.0, 'y': 2.0}
    """
    sp = sympy_module()
    import mpmath
    symbols, values, built = {}, {}, {}
    for n in g.nodes:
        if n.op == "input":
            built[n.id] = symbols[n.id] = sp.Symbol(n.id, real=True)
            values[n.id] = sp.Float(n.value, PRECISION)
        elif n.op == "const":
            built[n.id] = sp.Rational(n.value)
        elif n.kink:
            built[n.id] = sp.Integer(0)      # the convention: derivative 0 at the kink
        else:
            built[n.id] = OPS[n.op].sympy(*(built[i] for i in n.inputs))
    expr = built[g.root]
    reduced = {name: expr.xreplace({symbols[other]: value for other, value in values.items()
                                    if other != name}) for name in symbols}
    _check_size(g, reduced, symbols)
    result = {}
    with mpmath.workdps(PRECISION):
        for name, symbol in symbols.items():
            derivative = sp.diff(reduced[name], symbol)
            evaluate = sp.lambdify([symbol], derivative, modules="mpmath", cse=True)
            try:
                value = evaluate(mpmath.mpf(g.node(name).value))
                if isinstance(value, mpmath.mpc):
                    value = value.real if value.imag == 0 else math.nan
                result[name] = float(value)
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                result[name] = math.nan        # not a real number at the point
    return result


def _check_size(g, reduced: dict, symbols: dict):
    work = {name: _size_and_uses(expr, symbols[name]) for name, expr in reduced.items()}
    total = sum(operations * uses for operations, uses in work.values())
    if total > MAX_WORK:
        name, (operations, uses) = max(work.items(), key=lambda item: item[1][0] * item[1][1])
        raise GraphError(
            f"SymPy's check of {g.output} would differentiate too much: "
            f"{operations} operations holding {uses} use(s) of {name}, and {total:,} "
            f"operations times uses in all (at most {MAX_WORK:,}, so that the check "
            "ends within seconds)", suggestion="check smaller parts of the expression "
                                               "as graphs of their own")


def _size_and_uses(expr, symbol) -> tuple[int, int]:
    """(distinct sub-expressions, occurrences of ``symbol`` counted along
    every path), without walking a shared sub-expression twice."""
    uses: dict = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in uses:
            continue
        if ready or not node.args:
            uses[node] = 1 if node == symbol else sum(uses[a] for a in node.args)
        else:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in uses)
    return len(uses), uses[expr]


def _rounding_errors(g) -> dict[str, float]:
    """An estimate of each node's absolute rounding error in float64: inputs
    are exact, a constant is rounded once, an operation passes on its inputs'
    errors through its local derivatives and adds one rounding of its own."""
    errors = {}
    for n in g.nodes:
        if n.op == "input":
            errors[n.id] = 0.0
            continue
        own = _EPS * abs(n.value)
        if n.op == "const":
            errors[n.id] = own / 2
            continue
        passed = 0.0
        for position, child in enumerate(n.inputs):
            if errors[child]:
                try:
                    local = abs(g.local_derivative(n, position))
                except GraphError:
                    local = math.inf
                passed += local * errors[child]
        errors[n.id] = passed + own
    return errors


def ill_conditioned(g):
    """The node where float64 loses the point's digits, or None.

    The node whose estimated relative error grows most over its inputs',
    when that error reaches ``LOST``: ``(node, relative error)``.

    >>> from symbp.scalar.graphs import graph
    >>> node, relative = ill_conditioned(graph("f = (x + y) - z", x=0.1, y=0.2, z=0.3))
    >>> node.expr, relative > LOST
    ('x + y - z', True)
    >>> ill_conditioned(graph("f = (x + y) - z", x=0.1, y=0.2, z=0.5)) is None
    True
    """
    errors = _rounding_errors(g)

    def relative(node_id):
        value = abs(g.node(node_id).value)
        error = errors[node_id]
        return error / value if value else (math.inf if error else 0.0)

    worst, growth = None, 1.0
    for n in g.nodes:
        if n.op in ("input", "const") or relative(n.id) < LOST:
            continue
        before = max([_EPS] + [relative(i) for i in n.inputs])
        ratio = relative(n.id) / before
        if ratio > growth:
            worst, growth = n, ratio
    return None if worst is None else (worst, relative(worst.id))


def ill_conditioned_text(g, node, relative: float) -> str:
    """One sentence: where the digits were lost, and what to do.

    >>> import textwrap
    >>> from symbp.scalar.graphs import graph
    >>> g = graph("f = (x + y) - z", x=0.1, y=0.2, z=0.3)
    >>> print(textwrap.fill(ill_conditioned_text(g, *ill_conditioned(g)), 76))
    the point is ill-conditioned: node f = x + y - z (column 5) is
    5.55111512313e-17 from x + y = 0.3, z = 0.3, keeping none of float64's 16
    digits (cancellation), so the two results cannot be compared there; try
    another point.
    """
    digits = "none" if not math.isfinite(relative) or relative >= 1 else \
        f"{max(0, round(-math.log10(relative)))}"
    inputs = ", ".join(f"{g.node(i).expr} = {number_text(g.node(i).value)}"
                       for i in node.inputs)
    return (f"the point is ill-conditioned: {node.describe()} is "
            f"{number_text(node.value)} from {inputs}, keeping {digits} of float64's 16 "
            "digits (cancellation), so the two results cannot be compared there; "
            "try another point.")
