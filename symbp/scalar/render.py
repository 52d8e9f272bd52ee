"""The outputs of a scalar graph: a text table, Graphviz DOT, the chain rule
in LaTeX, and pictures drawn by Graphviz's ``dot`` program.

Each takes a :class:`symbp.scalar.graphs.Graph` and returns a string (or the
picture's bytes); none prints.  Values are written to 12 significant digits.
"""

from __future__ import annotations

import shutil
import subprocess

from symbp.errors import SymbpError
from symbp.scalar.ops import KINK_RULES, OPS, number_text

MAX_PATHS = 8           # beyond this many paths, LaTeX sums over an input's uses
DOT_TIMEOUT = 60        # seconds


# -- text ------------------------------------------------------------------------

def to_text(g) -> str:
    """The nodes in topological order, then the gradient of the output."""
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
    lines += [kink_note(g, n) for n in g.kinks]
    lines.append(agreement(g))
    return "\n".join(lines)


def kink_note(g, node) -> str:
    arg = g.node(node.inputs[0])
    return (f"kink: node {node.id} = {node.expr} sits on a kink ({arg.expr} = 0); "
            f"{KINK_RULES[node.op]} by convention (contract section 1).")


def agreement(g) -> str:
    if not g.grad:
        return "no inputs: nothing to differentiate."
    if g.sympy_agrees:
        return "SymPy's derivative agrees for every input."
    return "SymPy's derivative DISAGREES: " + "; ".join(
        f"d {g.output} / d {name}: backward {number_text(ours)}, SymPy {number_text(theirs)}"
        for name, ours, theirs in g.disagreements) + "."


# -- Graphviz ----------------------------------------------------------------------

def to_dot(g) -> str:
    """Graphviz source, micrograd style: a record per node (value, gradient)
    and an ellipse per operation."""
    lines = ["digraph symbp {", "  rankdir=LR;",
             f'  label="{_dot_string(g.text.strip())}"; labelloc=t; fontname="Helvetica";',
             '  node [shape=record, fontname="Helvetica"];']
    for n in g.nodes:
        grad = "constant" if n.grad is None else f"grad {number_text(n.grad)}"
        short = n.op not in ("input", "const") and n.id != g.root and len(n.expr) <= 24
        title = f"{n.id} = {n.expr}" if short else n.id
        fields = [title, f"value {number_text(n.value)}", grad]
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


def _dot_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _record_field(text: str) -> str:
    for char in "\\{}|<>\"":
        text = text.replace(char, "\\" + char)
    return text


def dot_available() -> bool:
    return shutil.which("dot") is not None


def render(source: str, fmt: str) -> bytes:
    """DOT source drawn by Graphviz's ``dot`` as ``fmt`` ("svg", "png")."""
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
    partial derivatives along every path, their local formulas, their values."""
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
    escaped = name.replace("_", r"\_")
    return escaped if len(name) == 1 else rf"\mathit{{{escaped}}}"


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
