"""The outputs of a scalar graph: a text table, Graphviz DOT, the chain rule
in LaTeX, and pictures drawn by Graphviz's ``dot`` program.

Each takes a :class:`symbp.scalar.graphs.Graph` and returns a string (or the
picture's bytes); none prints.  Values are written to 12 significant digits.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

from symbp.errors import SymbpError
from symbp.scalar.ops import KINK_RULES, OPS, number_text

MAX_PATHS = 8           # beyond this many paths, LaTeX sums over an input's uses
DOT_TIMEOUT = 60        # seconds
PICTURE_DIGITS = 6      # significant digits on a picture's labels (text has 12)
# a graph more operations deep than this is drawn top to bottom: left to
# right, a logistic regression's loss (11 deep) was 6444 x 329 pixels
LEFT_TO_RIGHT_DEPTH = 4


# -- text ------------------------------------------------------------------------

def to_text(g) -> str:
    """The nodes in topological order, then the gradient of the output.

    >>> from symbp.scalar.graphs import graph
    >>> print(*to_text(graph("f = x * y + x", x=2, y=3)).splitlines()[-4:], sep="\\n")
    gradient of f (backward, node by node):
      d f / d x = 4
      d f / d y = 2
    SymPy's derivative agrees for every input.
    """
    rows = [("node", "op", "inputs", "value", "grad", "expression")]
    rows += [(n.id, n.op, ", ".join(n.inputs), number_text(n.value),
              "-" if n.grad is None else number_text(n.grad),
              n.expr if n.op not in ("input", "const") else "") for n in g.nodes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [g.text.strip()]
    if g.values:
        lines.append("at " + ", ".join(f"{k} = {number_text(v)}" for k, v in g.values.items()))
    lines.append("")
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
              + "  " + row[-1]
              for row in rows]
    lines = [line.rstrip() for line in lines]
    lines += ["", f"{g.output} = {number_text(g.value)}"]
    if g.grad:
        lines.append(f"gradient of {g.output} (backward, node by node):")
        width = max(len(name) for name in g.grad)
        lines += [f"  d {g.output} / d {name.ljust(width)} = {number_text(value)}"
                  for name, value in g.grad.items()]
    lines += [_kink_note(g, n) for n in g.kinks]
    lines.append(agreement(g))
    return "\n".join(lines)


def _kink_note(g, node) -> str:
    arg = g.node(node.inputs[0])
    return (f"kink: node {node.id} = {node.expr} sits on a kink ({arg.expr} = 0); "
            f"{KINK_RULES[node.op]} by convention (contract section 1).")


def agreement(g) -> str:
    """Whether SymPy's derivative agrees with the backward, in one sentence.

    >>> from symbp.scalar.graphs import graph
    >>> agreement(graph("f = x * y", x=2, y=3)), agreement(graph("f = 2 * 3"))
    ("SymPy's derivative agrees for every input.", 'no inputs: nothing to differentiate.')
    """
    if not g.grad:
        return "no inputs: nothing to differentiate."
    if g.sympy_agrees:
        return "SymPy's derivative agrees for every input."
    if g.ill_conditioned:
        return g.ill_conditioned[0].upper() + g.ill_conditioned[1:]
    return "SymPy's derivative DISAGREES: " + "; ".join(
        f"d {g.output} / d {name}: backward {number_text(ours)}, SymPy {number_text(theirs)}"
        for name, ours, theirs in g.disagreements) + "."


# -- Graphviz ----------------------------------------------------------------------

def to_dot(g) -> str:
    """Graphviz source, micrograd style: a record per node (value, gradient)
    and an ellipse per operation.

    >>> from symbp.scalar.graphs import graph
    >>> print(*to_dot(graph("f = x * y", x=2, y=3)).splitlines()[4:6], sep="\\n")
      "x" [label="{ x | value 2 | grad 3 }"];
      "y" [label="{ y | value 3 | grad 2 }"];
    """
    rankdir = "LR" if _depth(g) <= LEFT_TO_RIGHT_DEPTH else "TB"
    lines = ["digraph symbp {", f"  rankdir={rankdir};",
             f'  label="{_dot_string(g.text.strip())}"; labelloc=t; fontname="Helvetica";',
             '  node [shape=record, fontname="Helvetica"];']
    for n in g.nodes:
        grad = "constant" if n.grad is None else f"grad {number_text(n.grad, PICTURE_DIGITS)}"
        short = n.op not in ("input", "const") and n.id != g.root and len(n.expr) <= 24
        title = f"{n.id} = {n.expr}" if short else n.id
        fields = [title, f"value {number_text(n.value, PICTURE_DIGITS)}", grad]
        style = []
        if n.kink:
            fields.append(f"kink: {KINK_RULES[n.op]}")
            style.append('style=filled, fillcolor="#ffd27f"')
        elif n.op == "const":
            style.append('style=filled, fillcolor="#eeeeee"')
        if n.id == g.root:
            style.append("penwidth=2")
        label = "{ " + " | ".join(_record_field(f) for f in fields) + " }"
        attributes = "".join(", " + s for s in style)
        lines.append(f'  "{_dot_string(n.id)}" [label="{label}"{attributes}];')
        if n.op not in ("input", "const"):
            op_id = _dot_string("op " + n.id)
            lines.append(f'  "{op_id}" [label="{_dot_string(n.op)}", shape=ellipse];')
            lines.append(f'  "{op_id}" -> "{_dot_string(n.id)}";')
            lines += [f'  "{_dot_string(i)}" -> "{op_id}";' for i in n.inputs]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _depth(g) -> int:
    """The most operations on a path from an input to the output."""
    depth = {}
    for n in g.nodes:
        depth[n.id] = 0 if n.op in ("input", "const") else \
            1 + max(depth[i] for i in n.inputs)
    return depth[g.root]


def _dot_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _record_field(text: str) -> str:
    for char in "\\{}|<>\"":
        text = text.replace(char, "\\" + char)
    return text


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is on the PATH (pictures need it).

    >>> from unittest import mock
    >>> with mock.patch("shutil.which", return_value=None):
    ...     dot_available()
    False
    """
    return shutil.which("dot") is not None


def render(source: str, fmt: str) -> bytes:
    """DOT source drawn by Graphviz's ``dot`` as ``fmt`` ("svg", "png"); an
    error that says what to install when ``dot`` is missing.

    >>> from unittest import mock
    >>> with mock.patch("shutil.which", return_value=None):
    ...     render("digraph { x }", "svg")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: Graphviz's 'dot' program is not installed, ...; install the Debian package graphviz ...
    """
    program = shutil.which("dot")
    if program is None:
        raise SymbpError("Graphviz's 'dot' program is not installed, so no picture can be "
                         "drawn", suggestion="install the Debian package graphviz "
                         "(apt-get install graphviz), or write the Graphviz source instead")
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=DOT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SymbpError(f"Graphviz's 'dot' could not draw the graph ({error})") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise SymbpError(f"Graphviz's 'dot' failed ({reason[0] if reason else done.returncode})")
    return done.stdout


# -- LaTeX -------------------------------------------------------------------------

def to_latex(g) -> str:
    """The nodes' definitions, then the chain rule written out for every input:
    partial derivatives along every path, their local formulas, their values.

    >>> from symbp.scalar.graphs import graph
    >>> print(to_latex(graph("f = x * y", x=2, y=3)).splitlines()[4])
    \\frac{\\partial f}{\\partial x} &= y = 3 \\\\
    """
    lines = [f"% symbp graph: {g.text.strip()}"]
    if g.values:
        lines.append("% at " + ", ".join(f"{k} = {number_text(v)}" for k, v in g.values.items()))
    lines.append(r"\begin{align*}")
    body = [_definition(g, n) for n in g.nodes if n.op not in ("input", "const")]
    body += [_chain(g, name) for name in g.grad]
    lines.append(" \\\\\n".join(body))
    lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


def _symbol(g, node_id: str) -> str:
    node = g.node(node_id)
    if node.op == "const":
        return _number(node.value)
    if node.id.startswith("#"):
        return f"v_{{{node.id[1:]}}}"
    return _name(node.id)


def _name(name: str) -> str:
    r"""A name in LaTeX that pdflatex compiles: Greek letters as \alpha,
    accented Latin letters with LaTeX's accents, anything else as its code
    point; a name longer than one letter in \mathit.

    >>> _name("x"), _name("α"), _name("x_1"), _name("año"), _name("中")
    ('x', '\\alpha', '\\mathit{x\\_1}', '\\mathit{a\\text{\\~{n}}o}', '\\text{[U+4E2D]}')
    """
    parts = [_latex_char(char) for char in name]
    text = "".join(parts)
    if len(name) == 1:
        return text
    return rf"\mathit{{{text}}}"


# LaTeX's text accents for the combining marks of decomposed Latin letters
_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"',
            "\u0304": "=", "\u0306": "u", "\u0307": ".", "\u030a": "r", "\u030b": "H",
            "\u030c": "v", "\u0327": "c", "\u0328": "k"}
_GREEK_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                   "Psi", "Omega"}


def _latex_char(char: str) -> str:
    if char.isascii():
        return r"\_" if char == "_" else char
    described = unicodedata.name(char, "")
    if described.startswith("GREEK ") and " LETTER " in described:
        letter = described.split(" LETTER ")[1].split()[0].capitalize()
        if described.startswith("GREEK SMALL"):
            return "o" if letter == "Omicron" else "\\" + letter.lower()
        return "\\" + letter if letter in _GREEK_CAPITALS else _GREEK_ROMAN.get(letter, letter)
    base, *marks = unicodedata.normalize("NFD", char)
    if base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks):
        text = base
        for mark in marks:
            text = f"\\{_ACCENTS[mark]}{{{text}}}"
        return rf"\text{{{text}}}"
    return rf"\text{{[U+{ord(char):04X}]}}"


# Greek capitals that look like Latin ones have no command of their own
_GREEK_ROMAN = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
                "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T",
                "Chi": "X"}


def _definition(g, node) -> str:
    args = [_symbol(g, i) for i in node.inputs]
    line = f"{_symbol(g, node.id)} &= {OPS[node.op].latex(*args)} = {_number(node.value)}"
    if node.kink:
        line += rf" && \text{{kink: {KINK_RULES[node.op]} by convention}}"
    return line


def _number(value: float) -> str:
    text = number_text(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _factor(value: float) -> str:
    return f"({_number(value)})" if value < 0 else _number(value)


def _paths(g, node_id: str, target: str, limit: int):
    """Every path from node_id down to target, as lists of (node, input position)."""
    if node_id == target:
        return [[]]
    node = g.node(node_id)
    found = []
    for position, child in enumerate(node.inputs):
        if g.node(child).requires_grad:
            found += [[(node, position)] + rest for rest in _paths(g, child, target, limit)]
        if len(found) > limit:
            return found
    return found


def _partial(g, top: str, bottom: str) -> str:
    return rf"\frac{{\partial {_symbol(g, top)}}}{{\partial {_symbol(g, bottom)}}}"


def _chain(g, name: str) -> str:
    head = rf"\frac{{\partial {_name(g.output)}}}{{\partial {_name(name)}}}"
    paths = _paths(g, g.root, name, MAX_PATHS)
    if len(paths) > MAX_PATHS:
        return _chain_by_uses(g, name, head)

    def sums(factor, join=r" \cdot "):
        return " + ".join(join.join(factor(node, pos) for node, pos in path) or "1"
                          for path in paths)
    parts = [head, sums(lambda n, pos: _partial(g, n.id, n.inputs[pos]), join=" "),
             sums(lambda n, pos: _local_latex(g, n, pos)),
             sums(lambda n, pos: _factor(g.local_derivative(n, pos)))]
    value = _number(g.grad[name])
    unique = [p for i, p in enumerate(parts) if p not in parts[:i] and p != value]
    return unique[0] + " &= " + " = ".join(unique[1:] + [value])


def _chain_by_uses(g, name: str, head: str) -> str:
    """Too many paths: d out / d name = sum over the uses p of d out / d p * d p / d name."""
    uses = [(n, pos) for n in g.nodes for pos, i in enumerate(n.inputs) if i == name]
    partials = " + ".join(_partial(g, g.root, n.id) + _partial(g, n.id, name) for n, _ in uses)
    numbers = " + ".join(rf"{_factor(n.grad)} \cdot {_factor(g.local_derivative(n, pos))}"
                         for n, pos in uses)
    return f"{head} &= {partials} = {numbers} = {_number(g.grad[name])}"


def _local_latex(g, node, position) -> str:
    args = [_symbol(g, i) for i in node.inputs]
    return OPS[node.op].latex_local[position](*args)
