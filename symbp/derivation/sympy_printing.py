"""SymPy expressions printed for derivations: as symbp notation (so that
SymPy's derivative can be checked by verify) and as LaTeX with the tables'
names for the activations and ``step``.

>>> import sympy
>>> s = sympy.Symbol("s")
>>> sympy_notation(s * (1 - s), {s: "a[1]"})
'a[1]*(1 - a[1])'
"""

from __future__ import annotations

from fractions import Fraction

from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from symbp.notation.functions import FUNCTIONS
from symbp.notation.latex import fraction_text


class _NotationPrinter(StrPrinter):
    """A SymPy expression as symbp notation: symbols become quantities
    (``names`` maps each symbol to its notation) and every product is
    element-wise, so the result parses with ``symbp.notation.parser``."""

    def __init__(self, names):
        super().__init__({"order": "none"})
        self.names = names

    def _print_Symbol(self, expr):
        return self.names.get(expr, expr.name)

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Function(self, expr):
        return f"{expr.func.__name__}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Float(self, expr):
        return fraction_text(Fraction(str(expr)))

    def _print_Piecewise(self, expr):  # noqa: ARG002  (SymPy's printer signature)
        raise ValueError("a Piecewise has no notation; rewrite it with step first")

class _SymbpLatexPrinter(LatexPrinter):
    """sympy.latex with the table's names for activation functions and
    ``step``."""

    def _print_Function(self, expr, exp=None):
        name = expr.func.__name__
        if name in FUNCTIONS:
            inner = ", ".join(self._print(a) for a in expr.args)
            head = FUNCTIONS[name].latex
            text = rf"{head}\left({inner}\right)"
            return f"{text}^{{{exp}}}" if exp else text
        return super()._print_Function(expr, exp)


def sympy_notation(expr, names: dict) -> str:
    """A SymPy expression in symbp notation, symbols renamed by ``names``.

    >>> import sympy
    >>> a, y = sympy.symbols("a y")
    >>> sympy_notation((a - y) / (a * (1 - a)), {a: "a[L]", y: "y"})
    '(a[L] - y)/(a[L]*(1 - a[L]))'
    """
    return _NotationPrinter(names).doprint(expr)


def sympy_latex(expr, names: dict | None = None) -> str:
    r"""A SymPy expression as LaTeX, symbols renamed by ``names`` (symbol -> LaTeX).

    >>> import sympy
    >>> z = sympy.Symbol("z")
    >>> print(sympy_latex(sympy.Function("step")(z), {z: "z_j"}))
    \operatorname{step}\left(z_j\right)
    """
    printer = _SymbpLatexPrinter({"symbol_names": names or {}, "mul_symbol": None})
    return printer.doprint(expr)
