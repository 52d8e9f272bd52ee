r"""Derivation documents as LaTeX or Markdown: the blocks a draft is made of
(headings, prose, display maths, tables) and one printer per format, one
method per block (a :class:`~symbp.notation.tree.Walker`, as SymPy's
printers have one method per node).

>>> print(MarkdownDocumentPrinter().document([Heading("Loss"), Display((r"\ell = 1",))],
...                                          "Title", standalone=False))
# Title
<BLANKLINE>
## Loss
<BLANKLINE>
$$
\ell = 1
$$
<BLANKLINE>

Everything printed for Markdown sticks to commands KaTeX and MathJax both
know (no ``\bm``, no packages beyond amsmath and amssymb).
"""

from __future__ import annotations

from dataclasses import dataclass

from symbp.notation.tree import Walker


@dataclass(frozen=True)
class Heading:
    """A section's title; ``level`` 1 is a section, 2 a subsection.

    >>> print(MarkdownDocumentPrinter().walk(Heading("Output error", 2)))
    ### Output error
    <BLANKLINE>
    """
    text: str
    level: int = 1


@dataclass(frozen=True)
class Text:
    r"""Prose; maths inside ``$...$``.

    >>> print(LatexDocumentPrinter().walk(Text("the error $e_1$ & its size")))
    the error $e_1$ \& its size
    <BLANKLINE>
    """
    text: str


@dataclass(frozen=True)
class Display:
    r"""Display maths, one or more lines (aligned at ``&`` when several).

    >>> print(LatexDocumentPrinter().walk(Display(("a = b",))))
    \[
    a = b
    \]
    <BLANKLINE>
    """
    lines: tuple


@dataclass(frozen=True)
class Table:
    """A table: one header, one LaTeX column spec and one cell of each row per column.

    >>> print(MarkdownDocumentPrinter().walk(Table(("quantity", "shape"), (("W", "2 x 3"),),
    ...                                            ("l", "c"))))
    | quantity | shape |
    |---|---|
    | W | 2 x 3 |
    <BLANKLINE>
    """
    headers: tuple
    rows: tuple
    columns: tuple   # LaTeX column specs, one per header


class LatexDocumentPrinter(Walker):
    r"""Derivation blocks as LaTeX: a fragment, or a whole ``article``.

    >>> print(LatexDocumentPrinter().document([Heading("Loss")], "Title", standalone=False))
    % Title
    \section*{Loss}
    <BLANKLINE>
    <BLANKLINE>
    """

    prefix = "_print_"

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
        body = "\n".join(self.walk(block) for block in blocks)
        if not standalone:
            return f"% {title}\n{body}\n"
        return (f"{self.PREAMBLE}\\title{{{_latex_text(title)}}}\n\\date{{}}\n"
                f"\\begin{{document}}\n\\maketitle\n{body}\n\\end{{document}}\n")

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


class MarkdownDocumentPrinter(Walker):
    r"""Derivation blocks as Markdown with ``$$ ... $$`` display maths.

    >>> MarkdownDocumentPrinter().document([Text("Each line is checked.")], "Title", False)
    '# Title\n\nEach line is checked.\n'
    """

    prefix = "_print_"

    def document(self, blocks, title: str, standalone: bool) -> str:  # noqa: ARG002
        # Markdown is always a whole document: standalone is the LaTeX printer's choice
        return f"# {title}\n\n" + "\n".join(self.walk(block) for block in blocks)

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


# OT1 (LaTeX's default encoding) has no < > | in its text fonts: they would print as
# inverted punctuation and a dash
_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}",
                  "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
                  "|": r"\textbar{}"}


def _latex_text(text: str) -> str:
    """Prose for LaTeX: special characters escaped outside ``$...$``."""
    parts = text.split("$")
    for i in range(0, len(parts), 2):   # even parts are outside maths
        parts[i] = "".join(_LATEX_SPECIAL.get(c, c) for c in parts[i])
    return "$".join(parts)


DOCUMENT_PRINTERS = {"latex": LatexDocumentPrinter, "markdown": MarkdownDocumentPrinter}
