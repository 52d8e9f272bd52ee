"""What the subcommands share: network options, output, colour, progress,
and files written whole or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import tempfile
import time
from typing import ClassVar

from symbp.errors import OutputError, SymbpError, UsageError


def add_network_options(parser, layers_required: bool = False):
    """The network options of contract section 5; the names they accept and
    their defaults are read from the tables and from Network itself."""
    import dataclasses

    from symbp.network import Network
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


def network_fields(args) -> dict:
    """The network fields given on the command line (only those given)."""
    fields = {}
    if args.layers is not None:
        fields["layers"] = parse_int_list("--layers", args.layers)
    for name in ("hidden", "output", "loss", "reduction", "layout"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.batch is not None:
        fields["batch"] = parse_int("--batch", args.batch)
    if args.no_bias:
        fields["bias"] = False
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
    seed = parse_seed(args.seed)
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


def parse_seed(text: str) -> int:
    """``--seed S``: an integer >= 0 (NumPy's and Hypothesis's seeds are).

    >>> parse_seed("7")
    7
    """
    seed = parse_int("--seed", text)
    if seed < 0:
        raise UsageError(f"--seed {seed} is negative; give an integer >= 0")
    return seed


def parse_int_list(option: str, text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a comma-separated list of integers, "
                         "e.g. 2,4,3,2") from None


# character devices symbp writes to as they are (never replaced): the null
# device and terminals (its own, and /dev/tty); any other device is refused
_USUAL_DEVICES = (os.devnull, "/dev/tty")


def write_atomic(path: str, data: str | bytes):
    """Write ``data`` to ``path`` whole or not at all, respecting what is there.

    A new or regular file is written to a temporary file beside it, then
    renamed over it (keeping the old file's permissions): a kill, a full disk
    or Ctrl-C leaves either the old file or the whole new one, never a part,
    and no temporary file behind (Ctrl-C included; only kill -9 can leave
    one).  A symlink is followed: its target is replaced and the link kept.
    A pipe, the null device or a terminal (``-o /dev/stdout``, ``-o
    /dev/null``) is written to as it is, never replaced.  A directory, another
    device or a read-only file is refused with a UsageError.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(str(path), "whole")
    >>> path.read_text()
    'whole'
    >>> write_atomic(os.devnull, "nothing happens to /dev/null")
    """
    shown = escape_controls(str(path))
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None
    if status is None or stat.S_ISREG(status.st_mode):
        if status is not None and _is_stream(path):
            # /dev/stdout, /dev/fd/1 when they are a file: the shell holds it
            # open; replacing it would lose what is written
            _write_through(path, shown, data)
            return
        _replace(path, shown, data, status)
        return
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"cannot write {shown}: it is a directory",
                         suggestion="give a file name, e.g. " + os.path.join(shown, "out.txt"))
    if stat.S_ISFIFO(status.st_mode) or _usual_device(status):
        _write_through(path, shown, data)
        return
    raise UsageError(f"cannot write {shown}: it is a device, which symbp does not write to "
                     "(only files, pipes, terminals and /dev/null)")


def _is_stream(path) -> bool:
    # names of the process's own open files: written through, never replaced
    absolute = os.path.abspath(path)
    return absolute.startswith(("/dev/", "/proc/"))


def _usual_device(status) -> bool:
    if not stat.S_ISCHR(status.st_mode):
        return False
    usual = set()
    for name in _USUAL_DEVICES:
        with contextlib.suppress(OSError):
            usual.add(os.stat(name).st_rdev)
    for fd in (0, 1, 2):          # the terminal symbp itself runs on
        with contextlib.suppress(OSError):
            if os.isatty(fd):
                usual.add(os.fstat(fd).st_rdev)
    return status.st_rdev in usual


def _write_through(path, shown: str, data: str | bytes):
    try:
        with open(path, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None


def _replace(path, shown: str, data: str | bytes, status):
    target = os.path.realpath(path)       # a symlink's target is replaced, the link kept
    if status is not None and (not status.st_mode & 0o222 or not os.access(target, os.W_OK)):
        raise UsageError(f"{shown} is read-only; symbp does not overwrite it",
                         suggestion="make it writable, or write to another file")
    directory = os.path.dirname(target)
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".symbp-", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600): give it the replaced file's
        # permissions, or the usual umask-based ones for a new file
        if status is not None:
            os.chmod(temporary, stat.S_IMODE(status.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None
    except BaseException:
        _remove(temporary)       # Ctrl-C: nothing written, nothing left behind
        raise


def _remove(path: str):
    with contextlib.suppress(OSError):
        os.unlink(path)


# C0 and C1 control characters (newline and tab kept), and the bidirectional
# overrides that reorder text on screen: none reaches the terminal raw
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                       "\u202a-\u202e\u2066-\u2069]")
_READABLE = {"\r": "\\r", "\x1b": "\\x1b"}


def escape_controls(text: str, keep=None) -> str:
    r"""``text`` with every control character written as an escape (``\x1b``,
    ``\r``, ``\u202e``), so that names, formulas and file names from user
    input cannot move the cursor, recolour or overwrite what symbp prints.
    ``keep`` is a compiled pattern of sequences left as they are.

    >>> escape_controls("BP1\x1b[2K\rBP2 holds")
    'BP1\\x1b[2K\\rBP2 holds'
    """
    def escape(match):
        char = match.group()
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    if keep is None:
        return _CONTROLS.sub(lambda m: _READABLE.get(m.group()) or escape(m), text)
    pieces = keep.split(text)
    return "".join(piece if index % 2 else escape_controls(piece)
                   for index, piece in enumerate(pieces))


class Output:
    """stdout/stderr with colour only on a terminal (and never with NO_COLOR),
    and a progress line on a terminal only.  Everything printed has its
    control characters escaped (:func:`escape_controls`), except the colours
    ``paint`` adds; a stream that cannot be written (a full disk, /dev/full)
    is an :class:`OutputError`."""

    CODES: ClassVar[dict] = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}
    _PAINT = re.compile("(\x1b\\[(?:" + "|".join(["0", *CODES.values()]) + ")m)")

    def __init__(self, out=None, err=None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = self._is_terminal(self.out) and "NO_COLOR" not in os.environ

    @staticmethod
    def _is_terminal(stream) -> bool:
        return bool(getattr(stream, "isatty", None) and stream.isatty())

    def paint(self, text: str, color: str) -> str:
        text = escape_controls(text)
        return f"\033[{self.CODES[color]}m{text}\033[0m" if self.color else text

    def print(self, text: str = ""):
        self._write(self.out, escape_controls(text, keep=self._PAINT if self.color else None))

    def json(self, document):
        # json.dumps escapes every control character itself
        self._write(self.out, json.dumps(document, indent=2, default=_json_default))

    def error(self, sentence: str):
        with contextlib.suppress(OSError):   # nowhere left to say anything
            print(escape_controls(sentence.replace("\n", " ")), file=self.err)

    def flush(self):
        """Flush stdout; an :class:`OutputError` when what was printed cannot be written."""
        try:
            self.out.flush()
        except OSError as error:
            self._give_up(error)

    def _write(self, stream, text: str):
        try:
            print(text, file=stream)
        except OSError as error:
            self._give_up(error)

    def _give_up(self, error: OSError):
        # what is still buffered would fail again when Python exits: send it
        # to the null device so that the one sentence is all the user sees
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.out.fileno())
            os.close(null)
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None

    def progress(self, total: int, label: str = ""):
        """A callable ``step(done)`` that redraws a progress line on a terminal
        (stderr), and does nothing when stderr is piped."""
        if not self._is_terminal(self.err) or total <= 1:
            return lambda _done: None
        start = time.monotonic()

        def step(done: int):
            width = 30
            filled = int(width * done / total)
            elapsed = time.monotonic() - start
            end = "\n" if done >= total else ""
            self.err.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] "
                           f"{done}/{total} {elapsed:.1f}s{end}")
            self.err.flush()
        return step


def _json_default(value):
    import numpy as np
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


__all__ = [
    "Output",
    "SymbpError",
    "add_layer_config_option",
    "add_network_options",
    "add_random_options",
    "escape_controls",
    "key_values",
    "layer_config",
    "network_fields",
    "network_from_args",
    "parse_int",
    "parse_int_list",
    "parse_seed",
    "random_options",
    "write_atomic",
]
