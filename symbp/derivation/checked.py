"""Derivations: the backpropagation of one network written out step by step,
as LaTeX or Markdown, every equation checked before it is written.

The document follows the seed articles: the forward pass with shapes, the
loss and its derivative, the output error (with the cancellation where it
happens), the hidden recursion layer by layer, the weight and bias gradients
with the batch reduction, and a summary table.  The scalar calculus comes
from SymPy (``symbp.derivation.calculus``); each matrix equation is written
in symbp's notation and checked by ``symbp.verify`` on this very network, and
its LaTeX is printed from the same parsed formula.  An equation that verify
refutes stops the derivation with :class:`DerivationError`.

>>> from symbp.network import Network
>>> d = derive(Network(layers=[2, 2, 1]), format="markdown")
>>> d.equations[0].formula
'z[1] = W[1] @ x + b[1]'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symbp.derivation.draft import Equation, build_document, summary_table
from symbp.derivation.printers import DOCUMENT_PRINTERS, Display, Heading, Table, Text
from symbp.errors import SymbpError, UsageError
from symbp.network import as_network
from symbp.verification.verdicts import verify

FORMATS = tuple(DOCUMENT_PRINTERS)
EXPAND_MAX_WIDTH = 4
# Every equation is first proved for every width and batch size (index form
# over symbolic sizes: the cost does not depend on the network's sizes).  An
# equation only this network's sizes make true (2*(a - y) for mse over one
# output unit) falls back on a proof entry by entry, whose cost grows with
# the parameters and the batch (measured before the proofs for every size,
# batch 4: [6,10,6] 3.4 s, [8,16,8] 6.4 s); it is tried only while
# parameters x batch is at most this, else the equation holds numerically.
# A size, never a clock: the same network gets the same verdicts everywhere.
PROOF_MAX_PARAMETERS = 300


class DerivationError(SymbpError):
    """An equation the derivation would write failed its own check (a bug in
    symbp, never in the user's input: exit status 1).

    >>> error = DerivationError("the output error equation is refuted",
    ...                         suggestion="nothing was written")
    >>> str(error), error.exit_code
    ('the output error equation is refuted; nothing was written.', 1)
    """

    exit_code = 1


@dataclass
class Derivation:
    """A derivation document; ``text`` is the whole document.

    Shows itself in Jupyter whatever its format: ``_repr_markdown_`` is the
    whole document as Markdown with ``$$`` maths (which notebooks render
    with MathJax), ``_repr_latex_`` the checked equations alone in one
    ``aligned`` block (MathJax renders no ``\\section`` or ``tabular``).

    >>> from symbp.network import Network
    >>> d = derive(Network(layers=[1, 1]), standalone=True)
    >>> d._repr_markdown_().startswith("# Backpropagation"), d._repr_latex_().startswith("$$")
    (True, True)
    """
    text: str
    format: str
    equations: list = field(default_factory=list)
    network: object = None
    blocks: list = field(default_factory=list, repr=False)
    title: str = ""

    def __str__(self):
        return self.text

    def _repr_markdown_(self):
        if self.format == "markdown" or not self.blocks:
            return self.text if self.format == "markdown" else None
        return DOCUMENT_PRINTERS["markdown"]().document(self.blocks, self.title, False)

    def _repr_latex_(self):
        if not self.equations:
            return None
        lines = [rf"\text{{{eq.name}}} &\quad {eq.latex}" for eq in self.equations]
        return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


def derive(net, format: str = "latex", standalone: bool = False, expand: bool = False,
           progress=None) -> Derivation:
    """The derivation of delta, dW and db for ``net``, every equation checked.

    ``format`` is ``"latex"`` (a fragment to ``\\input``, or a whole article
    with ``standalone=True``) or ``"markdown"`` (``$$`` blocks).  ``expand``
    adds the element-wise partials of every weight (every width <= 4).
    ``progress(done, total)`` is called as equations are checked.

    >>> from symbp.network import Network
    >>> text = derive(Network(layers=[1, 1], loss="bce")).text
    >>> "a^{[1]} - y" in text
    True
    """
    net = as_network(net)
    if not isinstance(format, str) or format not in FORMATS:
        raise UsageError(f"format={format!r} is not a derivation format; expected one of "
                         + ", ".join(FORMATS))
    if expand and max(net.layers) > EXPAND_MAX_WIDTH:
        raise UsageError(f"the element-wise expansion writes one line per weight and needs "
                         f"every width <= {EXPAND_MAX_WIDTH}, but layers is {list(net.layers)}",
                         suggestion="derive without the expansion, or use a smaller network")
    draft = build_document(net, expand=expand)
    total = len(draft.equations) + len(draft.expanded)
    _check_equations(net, draft.equations, total, progress)
    _check_expanded(net, draft.expanded, len(draft.equations), total, progress)
    blocks = [_display(item) if isinstance(item, Equation) else item
              for item in draft.blocks] + summary_table(net, draft.equations)
    text = DOCUMENT_PRINTERS[format]().document(blocks, draft.title, standalone)
    return Derivation(text=text, format=format, equations=draft.equations, network=net,
                      blocks=blocks, title=draft.title)


def _display(equation: Equation) -> Display:
    shape = equation.shape
    where = rf" \in \mathbb{{R}}^{{{shape[0]} \times {shape[1]}}}" if shape else ""
    return Display((equation.latex + where,))


def _check_equations(net, equations, total, progress):
    """Verify each equation on ``net`` and keep its verdict; the first that
    is neither proved nor holds stops the derivation."""
    network_proof = net.parameter_count * net.batch <= PROOF_MAX_PARAMETERS
    for done, equation in enumerate(equations, 1):
        result = verify(equation.formula, net, network_proof=network_proof, general=False)
        equation.verdict = result.verdict
        if progress is not None:
            progress(done, total)
        if result.verdict not in ("proved", "holds"):
            reason = getattr(result, "message", None) or _diagnosis_text(result)
            raise DerivationError(
                f"the {equation.name} equation '{equation.formula}' is "
                f"{result.verdict} on the network {net}" + (f" ({reason})" if reason else ""),
                suggestion="nothing was written; please report this as a bug in symbp")


def _check_expanded(net, lines, start, total, progress):
    """Check each element-wise line against the symbolic truth's entry."""
    for done, line in enumerate(lines, start + 1):
        if not line.check():
            raise DerivationError(
                f"the element-wise line for {line.name} does not match the symbolic "
                f"truth on the network {net}",
                suggestion="nothing was written; please report this as a bug in symbp")
        if progress is not None:
            progress(done, total)


def _diagnosis_text(result) -> str | None:
    diagnosis = getattr(result, "diagnosis", None)
    if isinstance(diagnosis, dict):
        return diagnosis.get("text")
    return getattr(diagnosis, "text", None)


__all__ = [
    "FORMATS",
    "Derivation",
    "DerivationError",
    "Display",
    "Equation",
    "Heading",
    "Table",
    "Text",
    "derive",
]
