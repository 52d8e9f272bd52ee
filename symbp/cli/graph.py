"""``symbp graph``: a scalar computational graph, forward and backward, node by node."""

from __future__ import annotations

import os

from symbp.cli import common
from symbp.errors import GraphError, UsageError

FORMATS = ("text", "json", "dot", "latex")
PICTURES = (".svg", ".png")
HELP = "a scalar computational graph, forward and backward, node by node"
DESCRIPTION = ("Build the graph of OUT = EXPR (numbers, names, + - * / **, unary -, "
               "exp log sqrt abs sigmoid tanh relu), compute it forward at the given "
               "values and backward from OUT, each node passing the upstream gradient "
               "times its own local derivative, and check every input's gradient "
               "against SymPy's derivative. Exit 0 they agree, 1 they disagree, "
               "2 invalid input.")


def add_arguments(parser):
    parser.add_argument("formula", metavar='"OUT = EXPR"',
                        help='e.g. "price = (apple*apple_num + orange*orange_num) * tax"')
    parser.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                        help="the value of every name, e.g. --at apple=100,tax=1.1 "
                             "(may be repeated)")
    parser.add_argument("--format", choices=FORMATS,
                        help="text (default): the nodes and the gradient; json; dot "
                             "(Graphviz source); latex (the chain rule written out)")
    parser.add_argument("-o", dest="out_file", metavar="FILE",
                        help="write to FILE instead of stdout; FILE.svg or FILE.png draws "
                             "the picture with Graphviz's dot")


def run(args, io) -> int:
    extension = os.path.splitext(args.out_file or "")[1].lower()
    picture = extension in PICTURES
    if picture and args.format not in (None, "dot"):
        raise UsageError(f"-o {args.out_file} draws a picture, which --format {args.format} "
                         "cannot be", suggestion="drop --format, or write to a file "
                                                 "of another extension")
    values = parse_values(args.at)
    from symbp.scalar.graphs import graph
    g = graph(args.formula, **values)
    status = 0 if g.sympy_agrees else 1
    if picture:
        from symbp.scalar.render import agreement, render
        common.write_atomic(args.out_file, render(g.to_dot(), extension[1:]))
        io.print(f"wrote {args.out_file}: {g.output} = {g.value:.12g}; {agreement(g)}")
        return status
    if args.format == "json":
        import json
        document = json.dumps(g.to_json(), indent=2)
    else:
        document = {"dot": g.to_dot, "latex": g.to_latex}.get(args.format, g.to_text)()
    document = document.rstrip("\n")
    if args.out_file:
        common.write_atomic(args.out_file, document + "\n")
        io.print(f"wrote {args.out_file}: {g.output} = {g.value:.12g}")
    else:
        io.print(_paint(document, io) if args.format in (None, "text") else document)
    if status and args.format not in (None, "text"):
        from symbp.scalar.render import agreement
        io.error(agreement(g))
    return status


def _paint(text: str, io) -> str:
    lines = text.split("\n")
    last = lines[-1]
    color = "red" if "DISAGREES" in last else "green"
    lines[-1] = io.paint(last, color)
    return "\n".join(io.paint(line, "yellow") if line.startswith("kink:") else line
                     for line in lines)


def parse_values(items: list) -> dict:
    """``--at apple=100,tax=1.1`` (repeatable) -> {"apple": 100.0, "tax": 1.1}."""
    values = {}
    # repeated --at options, and empty parts (a trailing comma), are allowed
    parts = [part for item in items for part in item.split(",") if part.strip()]
    for name, text in common.key_values("--at", ",".join(parts), "NAME=VALUE",
                                        "apple=100,tax=1.1"):
        if name in values:
            raise GraphError(f"--at gives '{name}' twice")
        try:
            values[name] = float(text)
        except ValueError:
            raise GraphError(f"the value of '{name}' is '{text}', which is not a number",
                             where="--at") from None
    return values
