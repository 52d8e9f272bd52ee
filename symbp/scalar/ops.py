"""The table of scalar operations of ``symbp graph`` (contract section 7).

Each entry carries its forward, its local derivative with respect to each
input (micrograd style), its SymPy form and its LaTeX; the graph, its SymPy
check and its LaTeX chain rule all read this one table, and
``tests/test_graph.py`` checks every local derivative against SymPy's ``diff``.
sigmoid, tanh and relu come from ``symbp.tables.ACTIVATIONS``.  Kinks
follow contract section 1: relu'(0) = 0, abs'(0) = sign(0) = 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from symbp.tables import ACTIVATIONS


def _none(*_args):
    return None


def _never(*_args):
    return False


@dataclass(frozen=True)
class Op:
    """One scalar operation.

    ``forward(*inputs)`` gives the node's value; ``local[i](*inputs, out)`` the
    local derivative d out / d input i; ``sympy(*inputs)`` and ``latex(*inputs)``
    build the node from its inputs' SymPy expressions and LaTeX;
    ``latex_local[i](*inputs)`` is the LaTeX of local derivative i.
    ``domain(*inputs)`` says why the inputs are outside the operation's domain
    (None when they are not); ``kink(*inputs)`` is true on a kink.

    >>> divide = OPS["/"]
    >>> divide.forward(3.0, 4.0), [local(3.0, 4.0, 0.75) for local in divide.local]
    (0.75, [0.25, -0.1875])
    >>> divide.domain(3.0, 0.0), divide.arity
    ('division by zero', 2)
    """

    name: str
    forward: Callable
    local: tuple
    sympy: Callable
    latex: Callable
    latex_local: tuple
    domain: Callable = _none
    kink: Callable = _never
    function: bool = False    # written as a call, name(x), rather than as an operator

    @property
    def arity(self) -> int:
        return len(self.local)


def _activation(name: str) -> dict:
    """forward, local derivative, SymPy form, LaTeX and kink of an activation of the table."""
    import numpy as np
    act = ACTIVATIONS[name]
    return {"forward": lambda a: float(act.numpy(np.array([a]))[0]),
            "local": (lambda a, _out: float(act.numpy_prime(np.array([a]))[0]),),
            "sympy": act.sympy_scalar, "latex": lambda a: rf"{act.latex}({a})",
            "kink": (lambda a: a == 0) if act.kink else _never, "function": True}


def _sign(a: float) -> float:
    return math.copysign(1.0, a) if a else 0.0          # sign(0) = 0


def _pow_domain(a, b):
    if a == 0 and b < 0:
        return f"0 to the negative power {number_text(b)} is a division by zero"
    if a < 0 and not float(b).is_integer():
        return (f"a negative number ({number_text(a)}) to the non-integer power "
                f"{number_text(b)} is not real")
    return None


def sympy_module():
    """SymPy, imported when an operation's SymPy form is first built (a graph
    that is only computed never imports it).

    >>> OPS["exp"].sympy(sympy_module().Symbol("x"))
    exp(x)
    """
    import sympy
    return sympy


OPS: dict[str, Op] = {op.name: op for op in [
    Op("+", lambda a, b: a + b,
       local=(lambda _a, _b, _out: 1.0, lambda _a, _b, _out: 1.0),
       sympy=lambda a, b: a + b, latex=lambda a, b: f"{a} + {b}",
       latex_local=(lambda _a, _b: "1", lambda _a, _b: "1")),
    Op("-", lambda a, b: a - b,
       local=(lambda _a, _b, _out: 1.0, lambda _a, _b, _out: -1.0),
       sympy=lambda a, b: a - b, latex=lambda a, b: f"{a} - {b}",
       latex_local=(lambda _a, _b: "1", lambda _a, _b: "(-1)")),
    Op("*", lambda a, b: a * b,
       local=(lambda _a, b, _out: b, lambda a, _b, _out: a),
       sympy=lambda a, b: a * b, latex=lambda a, b: rf"{a} \cdot {b}",
       latex_local=(lambda _a, b: b, lambda a, _b: a)),
    Op("/", lambda a, b: a / b,
       local=(lambda _a, b, _out: 1.0 / b, lambda a, b, _out: -a / (b * b)),
       sympy=lambda a, b: a / b, latex=lambda a, b: rf"\frac{{{a}}}{{{b}}}",
       latex_local=(lambda _a, b: rf"\frac{{1}}{{{b}}}",
                    lambda a, b: rf"\left(-\frac{{{a}}}{{{b}^{{2}}}}\right)"),
       domain=lambda _a, b: "division by zero" if b == 0 else None),
    Op("**", math.pow,
       local=(lambda a, b, _out: b * math.pow(a, b - 1), lambda a, _b, out: out * math.log(a)),
       sympy=lambda a, b: a ** b, latex=lambda a, b: f"{{{a}}}^{{{b}}}",
       latex_local=(lambda a, b: rf"{b}\,{{{a}}}^{{{b} - 1}}",
                    lambda a, b: rf"{{{a}}}^{{{b}}} \ln {a}"),
       domain=_pow_domain),
    Op("neg", lambda a: -a,
       local=(lambda _a, _out: -1.0,),
       sympy=lambda a: -a, latex=lambda a: f"-{a}",
       latex_local=(lambda _a: "(-1)",)),
    Op("exp", math.exp, function=True,
       local=(lambda _a, out: out,),
       sympy=lambda a: sympy_module().exp(a), latex=lambda a: f"e^{{{a}}}",
       latex_local=(lambda a: f"e^{{{a}}}",)),
    Op("log", math.log, function=True,
       local=(lambda a, _out: 1.0 / a,),
       sympy=lambda a: sympy_module().log(a), latex=lambda a: rf"\ln {a}",
       latex_local=(lambda a: rf"\frac{{1}}{{{a}}}",),
       domain=lambda a: None if a > 0 else f"log needs a positive number, not {number_text(a)}"),
    Op("sqrt", math.sqrt, function=True,
       local=(lambda _a, out: 0.5 / out,),
       sympy=lambda a: sympy_module().sqrt(a), latex=lambda a: rf"\sqrt{{{a}}}",
       latex_local=(lambda a: rf"\frac{{1}}{{2\sqrt{{{a}}}}}",),
       domain=lambda a: None if a >= 0 else f"sqrt needs a number >= 0, not {number_text(a)}"),
    Op("abs", abs, function=True,
       local=(lambda a, _out: _sign(a),),
       sympy=lambda a: sympy_module().Abs(a), latex=lambda a: rf"\lvert {a} \rvert",
       latex_local=(lambda a: rf"\operatorname{{sign}}({a})",),
       kink=lambda a: a == 0),
    Op("sigmoid", **_activation("sigmoid"),
       latex_local=(lambda a: rf"\sigma({a})\,(1 - \sigma({a}))",)),
    Op("tanh", **_activation("tanh"),
       latex_local=(lambda a: rf"(1 - \tanh^{{2}}({a}))",)),
    Op("relu", **_activation("relu"),
       latex_local=(lambda a: rf"\operatorname{{step}}({a})",)),
]}

# the names written as calls, name(x): the functions of scalar graph expressions
FUNCTIONS = tuple(name for name, op in OPS.items() if op.function)

KINK_RULES = {"relu": "relu'(0) = 0", "abs": "abs'(0) = sign(0) = 0"}


def number_text(value: float, digits: int = 12) -> str:
    """A value as printed: 12 significant digits (fewer on pictures), and 0
    for -0.0 (a sign that carries no meaning here).

    >>> number_text(-0.0), number_text(2 / 3), number_text(2 / 3, 6)
    ('0', '0.666666666667', '0.666667')
    """
    return f"{value + 0.0:.{digits}g}"
