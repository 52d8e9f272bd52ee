"""What the subcommands share: network options, output, colour, progress,
and files written whole or not at all."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from typing import ClassVar, Self

from symbp.errors import SymbpError, UsageError


def add_network_options(parser, layers_required: bool = False):
    """The network options of contract section 5; the names they accept and
    their defaults are read from the tables and from Network itself."""
    import dataclasses

    from symbp.network import TARGETS, Network
    from symbp.tables import ACTIVATIONS, LAYOUTS, LOSSES, REDUCTIONS
    default = {f.name: f.default for f in dataclasses.fields(Network)}

    def listed(names, field):
        return ", ".join(f"{name} (default)" if name == default[field] else name
                         for name in names)

    hidden = [name for name, activation in ACTIVATIONS.items() if not activation.output_only]
    group = parser.add_argument_group("network")
    group.add_argument("--layers", required=layers_required, metavar="N0,N1,...",
                       help="layer sizes, input first, e.g. 2,4,3,2")
    group.add_argument("--hidden", help="activation of layers 1..L-1: " + listed(hidden, "hidden"))
    group.add_argument("--output", help="activation of layer L: " + listed(ACTIVATIONS, "output"))
    group.add_argument("--loss", help="the per-sample loss: " + listed(LOSSES, "loss"))
    group.add_argument("--batch", metavar="M",
                       help=f"number of samples m (default {default['batch']})")
    group.add_argument("--reduction", help="of the per-sample losses: "
                       + listed(REDUCTIONS, "reduction"))
    group.add_argument("--layout", help="column: samples are columns; row: samples are rows; "
                       + listed(LAYOUTS, "layout"))
    group.add_argument("--no-bias", dest="no_bias", action="store_true",
                       help="a network without biases")
    group.add_argument("--targets", help="soft: any targets in the loss's domain; onehot: "
                       "each sample's target is one class; " + listed(TARGETS, "targets"))
    group.add_argument("--l2", metavar="LAMBDA",
                       help="L2 weight decay: adds (LAMBDA/2) * sum ||W[l]||^2 to the total "
                            "loss (default 0; Ng's lambda/(2m) is --l2 lambda/m)")


def network_fields(args) -> dict:
    """The network fields given on the command line (only those given)."""
    fields = {}
    if args.layers is not None:
        fields["layers"] = parse_int_list("--layers", args.layers)
    for name in ("hidden", "output", "loss", "reduction", "layout", "targets"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.batch is not None:
        fields["batch"] = parse_int("--batch", args.batch)
    if args.no_bias:
        fields["bias"] = False
    if args.l2 is not None:
        fields["l2"] = parse_number("--l2", args.l2)
    return fields


def network_from_args(args):
    """A Network from the command-line options (``--layers`` required)."""
    from symbp.network import Network
    fields = network_fields(args)
    if "layers" not in fields:
        raise UsageError("--layers is required, e.g. --layers 2,4,3,2")
    return Network(**fields)


def add_random_options(parser, random_help: str, seed_help: str):
    """``--random N [--vary-depth] [--seed S]`` of verify and grade."""
    parser.add_argument("--random", metavar="N", default="0", help=random_help)
    parser.add_argument("--vary-depth", dest="vary_depth", action="store_true",
                        help="with --random: vary the depth too")
    parser.add_argument("--seed", metavar="S", default="0", help=seed_help)


def random_options(args) -> tuple[int, int]:
    """(count of random networks, seed) from ``add_random_options``'s options."""
    count = parse_int("--random", args.random)
    seed = parse_int("--seed", args.seed)
    if count < 0:
        raise UsageError(f"--random {count} is negative; give a number of networks >= 0")
    if args.vary_depth and not count:
        raise UsageError("--vary-depth varies the random networks; give --random N too")
    return count, seed


def key_values(option: str, text: str, form: str, example: str) -> list[tuple[str, str]]:
    """``KEY=VALUE,KEY=VALUE`` as a list of (key, value) pairs; a part that is
    not ``form`` is a UsageError."""
    pairs = []
    for part in text.split(","):
        key, sep, value = (piece.strip() for piece in part.partition("="))
        if not sep or not key or not value:
            raise UsageError(f"{option} '{part.strip()}' is not {form}",
                             suggestion=f"write e.g. {option} {example}")
        pairs.append((key, value))
    return pairs


def add_layer_config_option(parser, help_text: str):
    parser.add_argument("--config", metavar="KEY=VALUE,...", help=help_text)


def layer_config(text) -> dict:
    """``--config N=4,D=3,eps=1e-3,d=2x3`` as a dict: integers, floats, and
    ``AxB`` for a tuple of sizes (affine's trailing dimensions ``d``)."""
    config = {}
    for key, value in key_values("--config", text, "KEY=VALUE", "N=4,D=3,eps=1e-3") \
            if text else ():
        try:
            if "x" in value:
                config[key] = tuple(int(part) for part in value.split("x"))
            else:
                config[key] = int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            raise UsageError(f"--config {key}={value}: {value!r} is not a number "
                             "(or sizes such as 2x3)") from None
    return config


def parse_int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an integer") from None


def parse_number(option: str, text: str) -> float:
    """A finite decimal number (``1e-3``, ``0.5``, or a fraction such as ``0.7/4``).

    >>> parse_number("--l2", "0.7/4")
    0.175
    """
    try:
        numerator, _, denominator = text.partition("/")
        value = float(numerator) / (float(denominator) if denominator else 1.0)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"{option} {text!r} is not a number, e.g. {option} 0.01") from None
    if not math.isfinite(value):
        raise UsageError(f"{option} {text!r} is not a finite number")
    return value


def parse_int_list(option: str, text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a comma-separated list of integers, "
                         "e.g. 2,4,3,2") from None


def write_atomic(path: str, data: str | bytes):
    """Write a file whole or not at all: a temporary file beside it, then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".symbp-", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); give it the usual umask-based mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary) if os.path.exists(temporary) else None
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


class Output:
    """stdout/stderr with colour only on a terminal (and never with NO_COLOR),
    and a progress line on a terminal only."""

    CODES: ClassVar[dict] = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}

    def __init__(self, out=None, err=None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = self._is_terminal(self.out) and "NO_COLOR" not in os.environ

    @staticmethod
    def _is_terminal(stream) -> bool:
        return bool(getattr(stream, "isatty", None) and stream.isatty())

    def paint(self, text: str, color: str) -> str:
        return f"\033[{self.CODES[color]}m{text}\033[0m" if self.color else text

    def print(self, text: str = ""):
        print(text, file=self.out)

    def json(self, document):
        print(json.dumps(document, indent=2, default=_json_default), file=self.out)

    def error(self, sentence: str):
        print(sentence.replace("\n", " "), file=self.err)

    def progress(self, total: int, label: str = "") -> Progress:
        """A :class:`Progress`: call it with the count done; a bar on a terminal
        (stderr), nothing when stderr is piped."""
        return Progress(self.err, total, label,
                        enabled=self._is_terminal(self.err) and total > 1)


class Progress:
    """A progress bar drawn by rich on ``stream``, callable as ``step(done)``.

    rich (a dependency) rather than a bar of our own: it redraws in place,
    shows the elapsed and remaining time, and cleans up the line.  It is
    imported only when a bar is shown, so piped runs never pay for it.
    The bar ends when ``done`` reaches ``total`` or the ``with`` block ends.

    >>> import io
    >>> with Progress(io.StringIO(), 3, "grade", enabled=False) as step:
    ...     step(1)
    """

    def __init__(self, stream, total: int, label: str = "", enabled: bool = True):
        self.stream, self.total, self.label, self.enabled = stream, total, label, enabled
        self._bar = self._task = None

    def __call__(self, done: int):
        if not self.enabled:
            return
        if self._bar is None:
            from rich import progress
            from rich.console import Console
            self._bar = progress.Progress(
                progress.TextColumn(self.label), progress.BarColumn(),
                progress.MofNCompleteColumn(), progress.TimeElapsedColumn(),
                progress.TimeRemainingColumn(),
                console=Console(file=self.stream), auto_refresh=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        self._bar.update(self._task, completed=done, refresh=True)
        if done >= self.total:
            self.close()

    def close(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self.enabled = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info):
        self.close()


def printable(text: str) -> str:
    r"""Text from the user's code with control characters escaped, so that it
    cannot move the cursor or rewrite the terminal's lines.

    >>> printable("ok\x1b[2J")
    'ok\\x1b[2J'
    """
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def _json_default(value):
    import numpy as np
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


__all__ = [
    "Output",
    "Progress",
    "SymbpError",
    "add_layer_config_option",
    "add_network_options",
    "add_random_options",
    "key_values",
    "layer_config",
    "network_fields",
    "network_from_args",
    "parse_int",
    "parse_int_list",
    "parse_number",
    "printable",
    "random_options",
    "write_atomic",
]
