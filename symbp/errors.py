"""symbp's exceptions.

Every error symbp raises on bad input is a :class:`SymbpError`.  Each carries
the exit status the command line uses for it, where the problem is
(``where``), and what to try (``suggestion``); ``str(error)`` is the one
sentence the command line prints.  Library code raises, only ``symbp.cli``
turns an error into a message and an exit status (as click does).
"""

from __future__ import annotations


class SymbpError(Exception):
    """Base of symbp's errors: bad input that symbp can describe in a sentence."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None,
                 suggestion: str | None = None):
        self.message = message
        self.where = where
        self.suggestion = suggestion
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.suggestion:
            text = f"{text.rstrip('.')}; {self.suggestion}"
        return text if text.endswith((".", "?", "!")) else text + "."


class NetworkError(SymbpError, ValueError):
    """A network field has a value that is not allowed."""


class PointError(SymbpError, ValueError):
    """A point (parameters, inputs, targets) has a wrong key or shape."""


class FormulaError(SymbpError, ValueError):
    """A formula is outside the notation; ``column`` is 1-based."""

    def __init__(self, message: str, *, column: int | None = None,
                 text: str | None = None, suggestion: str | None = None):
        self.column = column
        self.text = text
        where = f"column {column}" if column is not None else None
        super().__init__(message, where=where, suggestion=suggestion)


class ClaimsError(SymbpError, ValueError):
    """A claims file cannot be read or has a wrong key or value."""


class GraphError(SymbpError, ValueError):
    """A computational-graph expression or one of its values is invalid."""


class UsageError(SymbpError):
    """A command-line option or argument is invalid."""


class OutputError(SymbpError):
    """Standard output cannot be written (a full disk, /dev/full, a closed stream)."""


class LayerError(SymbpError, ValueError):
    """A layer name, configuration or point is invalid (``symbp check --layer``,
    ``symbp grade-layers``)."""
