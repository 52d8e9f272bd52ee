r"""Printers: notation trees and SymPy expressions as LaTeX and as notation,
and derivation documents as LaTeX or Markdown.

In the style of SymPy's printers: one class per output format, one method
per node type (``_print_<Class>``), a thin public wrapper.

>>> from symbp.notation.parser import parse_expression
>>> print(latex_notation(parse_expression("(W[l+1].T @ delta[l+1]) * sigma_prime(z[l])")))
\left({W^{[l+1]}}^{\top} \delta^{[l+1]}\right) \odot \sigma'(z^{[l]})

Everything printed for Markdown sticks to commands KaTeX and MathJax both
know (no ``\bm``, no packages beyond amsmath and amssymb).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from symbp.notation.parser import BinOp, Call, Name, Neg, Number, Quantity, Transpose
from symbp.tables import ACTIVATIONS

QUANTITY_LATEX = {
    "W": "W^{{[{k}]}}", "b": "b^{{[{k}]}}", "z": "z^{{[{k}]}}", "a": "a^{{[{k}]}}",
    "delta": r"\delta^{{[{k}]}}",
    "da": r"\frac{{\partial \ell}}{{\partial a^{{[{k}]}}}}",
    "dW": r"\frac{{\partial \mathcal{{L}}}}{{\partial W^{{[{k}]}}}}",
    "db": r"\frac{{\partial \mathcal{{L}}}}{{\partial b^{{[{k}]}}}}",
    "n": "n_{{{k}}}",
}
FUNCTION_LATEX = {"sigma": r"\sigma", "step": r"\operatorname{step}", "log": r"\log",
                  "exp": r"\exp", "sign": r"\operatorname{sign}", "sum": r"\operatorname{sum}",
                  "mean": r"\operatorname{mean}"}
# binding strength: a child binding more loosely than its parent gets brackets
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "@": 2, "/": 2, "neg": 3, "**": 4}


def activation_latex(name: str) -> str:
    """The LaTeX name of an activation of the table (sigmoid is sigma)."""
    return ACTIVATIONS[name].latex


class NotationLatexPrinter:
    """A notation tree (``symbp.notation.parser``) as LaTeX.

    ``@`` is juxtaposition, ``*`` the Hadamard product ``\\odot``, ``/``
    element-wise division as a fraction, ``**`` the Hadamard power.  With a
    ``layout``, ``sum``/``mean`` along an axis say whether they run over the
    samples or over the units.
    """

    def __init__(self, layout: str | None = None):
        self.layout = layout

    def doprint(self, node) -> str:
        return getattr(self, "_print_" + type(node).__name__)(node)

    def _precedence(self, node) -> int:
        if isinstance(node, BinOp):
            return _PRECEDENCE[node.op]
        if isinstance(node, Neg):
            return _PRECEDENCE["neg"]
        if isinstance(node, Number) and node.value.denominator != 1:
            return _PRECEDENCE["/"]
        return 5

    def _wrap(self, node, parent: int, strict: bool = False) -> str:
        text = self.doprint(node)
        own = self._precedence(node)
        if own < parent or (strict and own == parent):
            return rf"\left({text}\right)"
        return text

    @staticmethod
    def _mixes(parent, child) -> bool:
        # a matrix product inside a Hadamard product (or the reverse) keeps its
        # brackets: both bind equally in the notation but read alike in LaTeX
        return (isinstance(child, BinOp) and {parent.op, child.op} == {"*", "@"}
                and not _is_constant(child.left))

    def _print_Number(self, node: Number) -> str:
        value = node.value
        if value.denominator == 1:
            return str(value.numerator)
        if value.denominator in (10, 100, 1000):
            return str(float(value))
        sign = "-" if value < 0 else ""
        return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"

    def _print_Name(self, node: Name) -> str:
        return node.name

    def _print_Quantity(self, node: Quantity) -> str:
        return QUANTITY_LATEX[node.name].format(k=node.index)

    def _print_Neg(self, node: Neg) -> str:
        return "-" + self._wrap(node.operand, _PRECEDENCE["neg"], strict=True)

    def _print_Transpose(self, node: Transpose) -> str:
        inner = node.operand
        if isinstance(inner, (Quantity, Name)):
            return f"{{{self.doprint(inner)}}}^{{\\top}}"
        return rf"\left({self.doprint(inner)}\right)^{{\top}}"

    def _print_BinOp(self, node: BinOp) -> str:
        own = _PRECEDENCE[node.op]
        if node.op == "/":
            return rf"\frac{{{self.doprint(node.left)}}}{{{self.doprint(node.right)}}}"
        if node.op == "**":
            base = self._wrap(node.left, 5)
            # braces: the base may carry its own superscript, a^{[l]}
            return f"{{{base}}}^{{\\circ {self.doprint(node.right)}}}"
        left = self._wrap(node.left, own, strict=self._mixes(node, node.left))
        right = self._wrap(node.right, own, strict=node.op in "-@*")
        if node.op == "@" or (node.op == "*" and _is_constant(node.left)):
            return f"{left} {right}"
        symbol = {"+": "+", "-": "-", "*": r"\odot"}[node.op]
        return f"{left} {symbol} {right}"

    def _print_Call(self, node: Call) -> str:
        func, args = node.func, [self.doprint(arg) for arg in node.args]
        if func == "outer":
            return rf"{args[0]} \left({args[1]}\right)^{{\top}}"
        if func == "ones":
            return rf"\mathbf{{1}}_{{{args[0]} \times {args[1]}}}"
        if func == "eye":
            return rf"I_{{{args[0]}}}"
        if func == "abs":
            return rf"\left\lvert {args[0]} \right\rvert"
        if func == "sqrt":
            return rf"\sqrt{{{args[0]}}}"
        prime = func.endswith("_prime")
        base = func[:-6] if prime else func
        name = FUNCTION_LATEX.get(base) or activation_latex(base)
        if node.axis is not None:
            name += f"_{{{self._axis_label(node.axis)}}}"
        mark = "'" if prime else ""
        if isinstance(node.args[0], (Quantity, Name)):
            return f"{name}{mark}({args[0]})"
        return rf"{name}{mark}\left({args[0]}\right)"


    def _axis_label(self, axis: int) -> str:
        if self.layout is None:
            return rf"\mathrm{{axis}}\,{axis}"
        units_axis = 0 if self.layout == "column" else 1
        return r"\text{units}" if axis == units_axis else r"\text{samples}"


def _is_constant(node) -> bool:
    return isinstance(node, Number) or (isinstance(node, Name) and node.name == "m") or (
        isinstance(node, BinOp) and node.op == "/" and _is_constant(node.left)
        and _is_constant(node.right))


def latex_notation(node, layout: str | None = None) -> str:
    """LaTeX of a notation tree (or of a parsed formula's two sides)."""
    from symbp.notation.parser import Formula
    printer = NotationLatexPrinter(layout)
    if isinstance(node, Formula):
        return f"{printer.doprint(node.left)} = {printer.doprint(node.right)}"
    return printer.doprint(node)


def fraction_text(value: Fraction) -> str:
    """A fraction as the notation writes it: ``3``, ``1/3``."""
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"


# -- SymPy expressions --------------------------------------------------------

@cache
def _sympy_printers():
    # the classes subclass SymPy's printers, imported only when first needed
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.str import StrPrinter

    class NotationPrinter(StrPrinter):
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

    class SymbpLatexPrinter(LatexPrinter):
        """sympy.latex with the table's names for activation functions and
        ``step``."""

        def _print_Function(self, expr, exp=None):
            name = expr.func.__name__
            if name in ACTIVATIONS or name in FUNCTION_LATEX:
                inner = ", ".join(self._print(a) for a in expr.args)
                head = FUNCTION_LATEX.get(name) or activation_latex(name)
                text = rf"{head}\left({inner}\right)"
                return f"{text}^{{{exp}}}" if exp else text
            return super()._print_Function(expr, exp)

    return NotationPrinter, SymbpLatexPrinter


def sympy_notation(expr, names: dict) -> str:
    """A SymPy expression in symbp notation, symbols renamed by ``names``."""
    return _sympy_printers()[0](names).doprint(expr)


def sympy_latex(expr, names: dict | None = None) -> str:
    """A SymPy expression as LaTeX, symbols renamed by ``names`` (symbol -> LaTeX)."""
    printer = _sympy_printers()[1]({"symbol_names": names or {}, "mul_symbol": None})
    return printer.doprint(expr)


# -- documents ----------------------------------------------------------------

@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Text:
    """Prose; maths inside ``$...$``."""
    text: str


@dataclass(frozen=True)
class Display:
    """Display maths, one or more lines (aligned at ``&`` when several)."""
    lines: tuple


@dataclass(frozen=True)
class Table:
    headers: tuple
    rows: tuple
    columns: tuple   # LaTeX column specs, one per header


class LatexDocumentPrinter:
    """Derivation blocks as LaTeX: a fragment, or a whole ``article``."""

    PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{bm}
\setlength{\textwidth}{16cm}
\setlength{\oddsidemargin}{0cm}
\setlength{\textheight}{23cm}
\setlength{\topmargin}{-1.5cm}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\allowdisplaybreaks
"""

    def document(self, blocks, title: str, standalone: bool) -> str:
        body = "\n".join(self.doprint(block) for block in blocks)
        if not standalone:
            return f"% {title}\n{body}\n"
        return (f"{self.PREAMBLE}\\title{{{_latex_text(title)}}}\n\\date{{}}\n"
                f"\\begin{{document}}\n\\maketitle\n{body}\n\\end{{document}}\n")

    def doprint(self, block) -> str:
        return getattr(self, "_print_" + type(block).__name__)(block)

    def _print_Heading(self, block) -> str:
        command = {1: "section", 2: "subsection"}.get(block.level, "subsubsection")
        return f"\\{command}*{{{_latex_text(block.text)}}}\n"

    def _print_Text(self, block) -> str:
        return _latex_text(block.text) + "\n"

    def _print_Display(self, block) -> str:
        lines = block.lines
        if len(lines) == 1:
            return f"\\[\n{lines[0]}\n\\]\n"
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"

    def _print_Table(self, block) -> str:
        spec = "".join(block.columns)
        head = " & ".join(rf"\textbf{{{_latex_text(h)}}}" for h in block.headers)
        rows = [" & ".join(_latex_text(cell) for cell in row) + r" \\" for row in block.rows]
        return ("\\begin{center}\n\\renewcommand{\\arraystretch}{1.6}\n"
                f"\\begin{{tabular}}{{{spec}}}\n\\hline\n{head} \\\\\n\\hline\n"
                + "\n".join(rows) + "\n\\hline\n\\end{tabular}\n\\end{center}\n")


class MarkdownDocumentPrinter:
    """Derivation blocks as Markdown with ``$$ ... $$`` display maths."""

    def document(self, blocks, title: str, standalone: bool) -> str:  # noqa: ARG002
        # Markdown is always a whole document: standalone is the LaTeX printer's choice
        return f"# {title}\n\n" + "\n".join(self.doprint(block) for block in blocks)

    def doprint(self, block) -> str:
        return getattr(self, "_print_" + type(block).__name__)(block)

    def _print_Heading(self, block) -> str:
        return "#" * (block.level + 1) + " " + block.text + "\n"

    def _print_Text(self, block) -> str:
        return block.text + "\n"

    def _print_Display(self, block) -> str:
        if len(block.lines) == 1:
            return f"$$\n{block.lines[0]}\n$$\n"
        return "$$\n\\begin{aligned}\n" + " \\\\\n".join(block.lines) + \
            "\n\\end{aligned}\n$$\n"

    def _print_Table(self, block) -> str:
        lines = ["| " + " | ".join(block.headers) + " |",
                 "|" + "|".join("---" for _ in block.headers) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", r"\vert ") for cell in row) + " |"
                  for row in block.rows]
        return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"}


def _latex_text(text: str) -> str:
    """Prose for LaTeX: special characters escaped outside ``$...$``."""
    parts = text.split("$")
    for i in range(0, len(parts), 2):   # even parts are outside maths
        parts[i] = "".join(_LATEX_SPECIAL.get(c, c) for c in parts[i])
    return "$".join(parts)


DOCUMENT_PRINTERS = {"latex": LatexDocumentPrinter, "markdown": MarkdownDocumentPrinter}
