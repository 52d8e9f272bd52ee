"""Entry point: ``symbp`` (console script) and ``python -m symbp``.

``main(argv)`` returns the exit status; it is the one place where a
:class:`~symbp.errors.SymbpError` becomes a sentence on stderr and exit 2
(or the error's own ``exit_code``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from symbp.cli.output import Output
from symbp.errors import SymbpError

SUBCOMMANDS = ("check", "verify", "derive", "grade", "grade-layers", "graph")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message):
        from symbp.errors import UsageError
        raise UsageError(f"{self.prog}: {message}", suggestion=f"see '{self.prog} --help'")


def _build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s own options are built (the others are
    listed by their one-line HELP), since building network options reads the
    tables, which imports NumPy: ``symbp --help`` stays fast."""
    from symbp import __version__
    parser = _Parser(prog="symbp", description=(
        "Symbolic backpropagation checker: SymPy's derivative of the network is the "
        "truth; formulas, hand-written backprops and derivations are checked against it."))
    parser.add_argument("--version", action="version", version=f"symbp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    for name in SUBCOMMANDS:
        module_name = f"symbp.cli.{name.replace('-', '_')}"   # grade-layers: grade_layers.py
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name != module_name:
                raise
            continue  # a subcommand not built yet
        if name == command:
            parser_of_command = subparsers.add_parser(name, help=module.HELP,
                                                      description=module.DESCRIPTION)
            module.add_arguments(parser_of_command)
            parser_of_command.set_defaults(run=module.run)
        else:
            subparsers.add_parser(name, help=module.HELP)
    return parser


def _command(argv) -> str | None:
    # the top-level options (--help, --version) take no values, so the first
    # word that is not an option names the subcommand
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv=None, stdout=None, stderr=None) -> int:
    r"""Run the command line; return the exit status (never raises SymbpError).

    >>> main(["graph", "y = x * x", "--at", "x=3"])  # doctest: +ELLIPSIS
    y = x * x
    ...
      d y / d x = 6
    SymPy's derivative agrees for every input.
    0
    >>> import io
    >>> err = io.StringIO()
    >>> main(["check", "--layers", "2,x"], stderr=err), err.getvalue()
    (2, "--layers '2,x' is not a comma-separated list of integers, e.g. 2,4,3,2.\n")
    """
    io = Output(stdout or sys.stdout, stderr or sys.stderr)
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        parser = _build_parser(_command(argv))
        with contextlib.redirect_stdout(io.out):   # --help and --version print to our stdout
            args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help(io.out)
            return 2
        status = args.run(args, io)
        io.flush()
        return status
    except SymbpError as error:
        io.error(str(error))
        return error.exit_code
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except BrokenPipeError:
        # the reader went away (symbp ... | head): stop quietly, as cat does
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (open until the process exits)
        return 141
    except KeyboardInterrupt:
        io.error("interrupted.")
        return 130


def console_main():
    r"""The console script: ``main`` in a supervised child, so that Ctrl-C
    always ends the run within a second (:mod:`symbp.cli.supervisor`).

    It exits, so it is shown in a process of its own:

    >>> import subprocess, sys
    >>> done = subprocess.run([sys.executable, "-c", "import symbp.cli.main as m; m.console_main()",
    ...                        "frobnicate"], capture_output=True, text=True)
    >>> done.returncode, done.stdout, done.stderr  # doctest: +ELLIPSIS
    (2, '', "symbp: argument COMMAND: invalid choice: 'frobnicate' (choose from 'check', ...\n")
    """
    # symbp's matrices are small: OpenBLAS's threads cost more than they give,
    # and on a busy machine they spin (a 512 x 256 by 256 x 8 product took
    # 25 ms with 2 threads, 0.7 ms with 1, on a loaded 2-core machine).  Set
    # before NumPy loads; a user's own setting wins.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from symbp.cli.supervisor import run_supervised
    sys.exit(run_supervised(main))
