"""``symbp derive``: the derivation of delta, dW, db for one network, or of
one layer's backward pass (``--layer``).

Exit 0 written; 1 an equation failed its own check (nothing written); 2
invalid input.
"""

from __future__ import annotations

from symbp.cli import common

HELP = "write the checked derivation of delta, dW, db for a network"
DESCRIPTION = ("Write the backpropagation of one network step by step (forward pass "
               "with shapes, loss derivative, output error, hidden recursion, weight "
               "and bias gradients, summary table) as LaTeX or Markdown. Every "
               "equation is checked by symbp verify on the network before anything "
               "is written. With --layer NAME (and its sizes), the backward pass of one "
               "layer step by step through its computational graph (batch norm as "
               "Kratzert's nine nodes), then its compact form, every line checked first.")


def add_arguments(p):
    """The options of ``symbp derive``: a network's or a layer's, the format, the file.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="symbp derive")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--layers", "2,3,1", "--format", "markdown", "-o", "bp.md"])
    >>> args.layers, args.format, args.output_file, args.standalone
    ('2,3,1', 'markdown', 'bp.md', False)
    """
    common.add_network_options(p)
    p.add_argument("--format", default="latex", metavar="FORMAT",
                   help="latex (default) or markdown")
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE",
                   help="write to FILE (whole or not at all) instead of stdout")
    p.add_argument("--standalone", action="store_true",
                   help="LaTeX: a complete article that compiles with pdflatex "
                        "(default: a fragment to \\input)")
    p.add_argument("--expand", action="store_true",
                   help="also the element-wise partial of every weight, gathered into "
                        "matrix form (every layer width <= 4)")
    common.add_layer_options(p, "derive the backward pass of")


def _file_given_as_output(value):
    """``--output`` names the output activation; a file name there was meant for ``-o``."""
    from symbp.errors import UsageError
    from symbp.tables import ACTIVATIONS
    if value is not None and value not in ACTIVATIONS and ("." in value or "/" in value):
        raise UsageError(f"--output {value!r} is the output activation, not a file",
                         suggestion=f"write the derivation to a file with -o {value} "
                                    f"(or --output-file {value})")


def run(args, io) -> int:
    """Write the derivation to stdout or, whole, to ``-o FILE``; 0 when written.

    >>> import pathlib, tempfile
    >>> from symbp.cli.main import main
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "add.md"
    >>> main(["derive", "--layer", "add", "--N", "1", "--D", "1", "--format", "markdown",
    ...       "-o", str(path)])
    0
    >>> path.read_text().splitlines()[0]
    '# Backpropagation through add (add node: out = x + y)'
    """
    from symbp.derivation.checked import FORMATS, derive
    from symbp.errors import UsageError
    if args.format not in FORMATS:
        raise UsageError(f"--format {args.format!r} is not a format; expected one of "
                         + ", ".join(FORMATS))
    if args.standalone and args.format != "latex":
        raise UsageError("--standalone applies to --format latex only; Markdown is "
                         "always a whole document")
    _file_given_as_output(args.output)
    layer = common.layer_from_args(args)
    if layer is not None and args.expand:
        raise UsageError("--expand writes a network's element-wise partials; a layer's "
                         "derivation is written entry by entry already")
    net = None if layer is not None else common.network_from_args(args)
    step = [None]

    def progress(done, total):
        # the bar appears once the total is known (the library reports it)
        if step[0] is None:
            step[0] = io.progress(total, "checking equations")
        step[0](done)
    if layer is not None:
        from symbp.derivation.layer_derive import derive_layer
        derivation = derive_layer(layer, format=args.format, standalone=args.standalone,
                                  progress=progress)
    else:
        derivation = derive(net, format=args.format, standalone=args.standalone,
                            expand=args.expand, progress=progress)
    if args.output_file:
        common.write_atomic(args.output_file, derivation.text)
    else:
        io.out.write(derivation.text)
    return 0
