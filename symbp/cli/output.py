"""What symbp prints: stdout/stderr with colour only on a terminal,
control characters from user input escaped, a progress line, and one
sentence when the output itself cannot be written."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from typing import ClassVar, Self

from symbp.errors import OutputError, shorten_words


def printable(text: str) -> str:
    r"""Text from the user (names, formulas, file names, keys, messages, what
    their code printed) with every character that is not printable escaped
    as Python writes it, so that it cannot move the cursor, recolour or
    rewrite the terminal's lines (ESC, \r, the bidirectional overrides).

    >>> printable("ok\x1b[2J\r\u202e")
    'ok\\x1b[2J\\r\\u202e'
    """
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def escape_controls(text: str, keep=None) -> str:
    r""":func:`printable` line by line: ``text`` may span lines.  ``keep`` is
    a compiled pattern (one group) of sequences left as they are.

    >>> escape_controls("BP1\x1b[2K\rBP2 holds\nnext line")
    'BP1\\x1b[2K\\rBP2 holds\nnext line'
    """
    if keep is None:
        return "\n".join(printable(line) for line in text.split("\n"))
    pieces = keep.split(text)
    return "".join(piece if index % 2 else escape_controls(piece)
                   for index, piece in enumerate(pieces))


class Output:
    r"""stdout/stderr with colour only on a terminal (and never with NO_COLOR),
    and a progress line on a terminal only.  Everything printed has its
    control characters escaped (:func:`escape_controls`), except the colours
    ``paint`` adds; a stream that cannot be written (a full disk, /dev/full)
    is an :class:`OutputError`.

    >>> import io
    >>> out = io.StringIO()
    >>> shown = Output(out, io.StringIO())      # not a terminal: no colour
    >>> shown.print(shown.paint("ok", "green") + " \x1b[2J")
    >>> out.getvalue()
    'ok \\x1b[2J\n'
    """

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
            print(escape_controls(shorten_words(sentence.replace("\n", " "))), file=self.err)

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
        if isinstance(error, BrokenPipeError):
            raise BrokenPipeError from None   # the reader went away: main stops quietly
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None

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


def _json_default(value):
    import numpy as np
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
