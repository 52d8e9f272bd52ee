r"""Notation trees as LaTeX, in the style of SymPy's printers: one method per
node type (``_print_<Class>``), a thin public wrapper.

>>> from symbp.notation.parser import parse_expression
>>> print(latex_notation(parse_expression("(W[l+1].T @ delta[l+1]) * sigma_prime(z[l])")))
\left({W^{[l+1]}}^{\top} \delta^{[l+1]}\right) \odot \sigma'(z^{[l]})

Quantities and functions print as their tables say
(:data:`~symbp.notation.quantities.QUANTITIES`,
:data:`~symbp.notation.functions.FUNCTIONS`); brackets follow
:data:`~symbp.notation.tree.PRECEDENCE`.  Only commands KaTeX and MathJax
both know are used (amsmath and amssymb at most).
"""

from __future__ import annotations

from fractions import Fraction

from symbp.notation.functions import FUNCTIONS
from symbp.notation.quantities import NETWORK, quantities_in
from symbp.notation.tree import (
    PRECEDENCE,
    BinOp,
    Call,
    Formula,
    Name,
    Neg,
    Number,
    Quantity,
    Transpose,
    Walker,
    precedence,
)


class _NotationLatexPrinter(Walker):
    """A notation tree (``symbp.notation.parser``) as LaTeX.

    ``@`` is juxtaposition, ``*`` the Hadamard product ``\\odot``, ``/``
    element-wise division as a fraction, ``**`` the Hadamard power.  With a
    ``layout``, ``sum``/``mean`` along an axis say whether they run over the
    samples or over the units.  ``context`` (``network`` or ``layer``) says
    whose quantities the names are.
    """

    prefix = "_print_"

    def __init__(self, layout: str | None = None, context: str = NETWORK):
        self.layout = layout
        self.quantities = quantities_in(context)

    def _wrap(self, node, parent: int, strict: bool = False) -> str:
        text = self.walk(node)
        own = precedence(node)
        if own < parent or (strict and own == parent):
            return rf"\left({text}\right)"
        return text

    def _mixes(self, parent, child) -> bool:
        # a matrix product inside a Hadamard product (or the reverse) keeps its
        # brackets: both bind equally in the notation but read alike in LaTeX
        return (isinstance(child, BinOp) and {parent.op, child.op} == {"*", "@"}
                and not self._is_constant(child.left))

    def _print_Number(self, node: Number) -> str:
        value = node.value
        if value.denominator == 1:
            return str(value.numerator)
        if value.denominator in (10, 100, 1000):
            return str(float(value))
        sign = "-" if value < 0 else ""
        return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"

    def _print_Name(self, node: Name) -> str:
        quantity = self.quantities.get(node.name)
        return quantity.latex if quantity is not None else node.name

    def _print_Quantity(self, node: Quantity) -> str:
        return self.quantities[node.name].latex.format(k=node.index)

    def _print_Neg(self, node: Neg) -> str:
        return "-" + self._wrap(node.operand, PRECEDENCE["neg"], strict=True)

    def _print_Transpose(self, node: Transpose) -> str:
        inner = node.operand
        if isinstance(inner, (Quantity, Name)):
            return f"{{{self.walk(inner)}}}^{{\\top}}"
        return rf"\left({self.walk(inner)}\right)^{{\top}}"

    def _print_BinOp(self, node: BinOp) -> str:
        own = PRECEDENCE[node.op]
        if node.op == "/":
            return rf"\frac{{{self.walk(node.left)}}}{{{self.walk(node.right)}}}"
        if node.op == "**":
            base = self._wrap(node.left, PRECEDENCE["atom"])
            # braces: the base may carry its own superscript, a^{[l]}
            return f"{{{base}}}^{{\\circ {self.walk(node.right)}}}"
        left = self._wrap(node.left, own, strict=self._mixes(node, node.left))
        right = self._wrap(node.right, own, strict=node.op in "-@*")
        if node.op == "@" or (node.op == "*" and self._is_constant(node.left)):
            return f"{left} {right}"
        symbol = {"+": "+", "-": "-", "*": r"\odot"}[node.op]
        return f"{left} {symbol} {right}"

    def _print_Call(self, node: Call) -> str:
        entry, args = FUNCTIONS[node.func], [self.walk(arg) for arg in node.args]
        if entry.template is not None:
            return entry.template.format(*args)
        name = entry.latex
        if node.axis is not None:
            name += f"_{{{self._axis_label(node.axis)}}}"
        mark = "'" if entry.prime else ""
        if isinstance(node.args[0], (Quantity, Name)):
            return f"{name}{mark}({args[0]})"
        return rf"{name}{mark}\left({args[0]}\right)"

    def _axis_label(self, axis: int) -> str:
        if self.layout is None:
            return rf"\mathrm{{axis}}\,{axis}"
        units_axis = 0 if self.layout == "column" else 1
        return r"\text{units}" if axis == units_axis else r"\text{samples}"

    def _is_constant(self, node) -> bool:
        """A number, a size or a configuration's number (written before a
        matrix without a product sign), or a fraction of them."""
        if isinstance(node, Number):
            return True
        if isinstance(node, Name):
            quantity = self.quantities.get(node.name)
            return quantity is not None and quantity.scalar
        return isinstance(node, BinOp) and node.op == "/" and self._is_constant(node.left) \
            and self._is_constant(node.right)


def latex_notation(node, layout: str | None = None, context: str = NETWORK) -> str:
    r"""LaTeX of a notation tree (or of a parsed formula's two sides).

    >>> from symbp.notation.parser import LAYER_MATRIX, parse_formula
    >>> print(latex_notation(parse_formula("dx = dout * mask / p", LAYER_MATRIX), context="layer"))
    \mathrm{d}x = \frac{\mathrm{d}{\mathit{out}} \odot \mathit{mask}}{p}
    """
    printer = _NotationLatexPrinter(layout, context)
    if isinstance(node, Formula):
        return f"{printer.walk(node.left)} = {printer.walk(node.right)}"
    return printer.walk(node)


def fraction_text(value: Fraction) -> str:
    """A fraction as the notation writes it.

    >>> fraction_text(Fraction(3)), fraction_text(Fraction(-1, 3))
    ('3', '-1/3')
    """
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"
