"""``symbp graph``: a scalar computational graph, forward and backward, node by node."""

from __future__ import annotations

import os

from symbp.cli import common
from symbp.errors import GraphError, UsageError

FORMATS = ("text", "json", "dot", "latex")
# -o FILE: the extension chooses what is written (Graphviz draws the pictures)
PICTURES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}
DOCUMENTS = {".txt": "text", ".json": "json", ".dot": "dot", ".gv": "dot", ".tex": "latex"}
HELP = "a scalar computational graph, forward and backward, node by node"
DESCRIPTION = ("Build the graph of OUT = EXPR (numbers, names, + - * / **, unary -, "
               "exp log sqrt abs sigmoid tanh relu), compute it forward at the given "
               "values and backward from OUT, each node passing the upstream gradient "
               "times its own local derivative, and check every input's gradient "
               "against SymPy's derivative. Exit 0 they agree, 1 they disagree, "
               "2 invalid input.")


def add_arguments(parser):
    """The options of ``symbp graph``: the formula, ``--at`` values, format and file.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="symbp graph")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["price = apple * tax", "--at", "apple=100", "--at", "tax=1.1"])
    >>> args.formula, args.at, args.format
    ('price = apple * tax', ['apple=100', 'tax=1.1'], None)
    """
    parser.add_argument("formula", metavar='"OUT = EXPR"',
                        help='e.g. "price = (apple*apple_num + orange*orange_num) * tax"')
    parser.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                        help="the value of every name, e.g. --at apple=100,tax=1.1 "
                             "(may be repeated)")
    parser.add_argument("--format", choices=FORMATS,
                        help="text (default): the nodes and the gradient; json; dot "
                             "(Graphviz source); latex (the chain rule written out)")
    parser.add_argument("-o", dest="out_file", metavar="FILE",
                        help="write to FILE instead of stdout, in the format its extension "
                             "names: .txt, .json, .dot, .tex, or a picture drawn by "
                             "Graphviz's dot: .svg, .png, .pdf, .jpg")


def run(args, io) -> int:
    """Build the graph, print or write it; 0 when SymPy agrees with the backward.

    >>> from symbp.cli.main import main
    >>> main(["graph", "price = apple * n * tax", "--at", "apple=100,n=2,tax=1.1"])
    ... # doctest: +ELLIPSIS
    price = apple * n * tax
    at apple = 100, n = 2, tax = 1.1
    ...
    price = 220
    gradient of price (backward, node by node):
      d price / d apple = 2.2
      d price / d n     = 110
      d price / d tax   = 200
    SymPy's derivative agrees for every input.
    0
    """
    extension = os.path.splitext(args.out_file or "")[1].lower()
    picture = PICTURES.get(extension)
    if picture and args.format not in (None, "dot"):
        raise UsageError(f"-o {args.out_file} draws a picture, which --format {args.format} "
                         "cannot be", suggestion="drop --format, or write to a file "
                                                 "of another extension")
    if args.out_file and not picture:
        args.format = _document_format(args.out_file, extension, args.format)
    values = _parse_values(args.at)
    from symbp.scalar.graphs import graph
    g = graph(args.formula, **values)
    # 2: an ill-conditioned point is no verdict on the backward (the report
    # still shows the graph; stderr says which node lost the digits)
    status = 0 if g.sympy_agrees else 2 if g.ill_conditioned else 1
    if picture:
        from symbp.scalar.render import agreement, render
        common.write_atomic(args.out_file, render(g.to_dot(), picture))
        io.print(f"wrote {args.out_file}: {g.output} = {g.value:.12g}; {agreement(g)}")
        if status == 2:
            io.error(g.ill_conditioned)
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
    if status == 2:
        io.error(g.ill_conditioned)
    elif status and args.format not in (None, "text"):
        from symbp.scalar.render import agreement
        io.error(agreement(g))
    return status


def _paint(text: str, io) -> str:
    lines = text.split("\n")
    last = lines[-1]
    color = "red" if "DISAGREES" in last else "yellow" if "ill-conditioned" in last \
        else "green"
    lines[-1] = io.paint(last, color)
    return "\n".join(io.paint(line, "yellow") if line.startswith("kink:") else line
                     for line in lines)


def _document_format(path: str, extension: str, given: str | None) -> str:
    """The format ``-o FILE`` is written in: the extension's, or ``--format``'s
    where the extension names none (no extension, .txt, or one of --format)."""
    named = DOCUMENTS.get(extension)
    if named and given and given != named:
        raise UsageError(f"-o {path} names the {named} format, but --format is {given}",
                         suggestion="give one of them, or make them agree")
    if named or given:
        return named or given
    if extension:
        known = ", ".join([*DOCUMENTS, *PICTURES])
        raise UsageError(f"-o {path}: symbp does not know which format {extension} files "
                         f"hold; expected one of {known}",
                         suggestion="or say it with --format")
    return "text"


def _parse_values(items: list) -> dict:
    """``--at apple=100,tax=1.1`` (repeatable) -> {"apple": 100.0, "tax": 1.1}."""
    values = {}
    # repeated --at options, and empty parts (a trailing comma), are allowed
    parts = [part for item in items for part in item.split(",") if part.strip()]
    if not parts:
        return values       # a graph of constants needs no values
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
