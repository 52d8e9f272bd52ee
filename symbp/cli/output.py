"""What symbp prints: stdout/stderr with colour only on a terminal,
control characters from user input escaped, a progress line, and one
sentence when the output itself cannot be written."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from typing import ClassVar

from symbp.errors import OutputError

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
