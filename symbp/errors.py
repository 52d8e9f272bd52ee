"""symbp's exceptions.

Every error symbp raises on bad input is a :class:`SymbpError`.  Each carries
the exit status the command line uses for it, where the problem is
(``where``), and what to try (``suggestion``); ``str(error)`` is the one
sentence the command line prints.  Library code raises, only ``symbp.cli``
turns an error into a message and an exit status (as click does).
"""

from __future__ import annotations


class SymbpError(Exception):
    """Base of symbp's errors: bad input that symbp can describe in a sentence.

    >>> error = SymbpError("layers is empty", where="net.toml", suggestion="try [2, 3, 1]")
    >>> str(error), error.exit_code
    ('net.toml: layers is empty; try [2, 3, 1].', 2)
    """

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
        text = shorten_words(text)
        return text if text.endswith((".", "?", "!")) else text + "."


LONGEST_WORD = 300         # characters of one word of an error's sentence
LONGEST_SENTENCE = 4000    # and of the whole (the longest symbp writes: ~1,500)


def shorten_words(text: str, longest: int = LONGEST_WORD,
                  whole: int = LONGEST_SENTENCE) -> str:
    """``text`` with every word (a run without spaces) over ``longest``
    characters cut in its middle, then the whole over ``whole`` characters
    too: a value quoted from the input (a name of 10^6 characters, a number
    of 5,000 digits, a list of 10^5 names) keeps its two ends and says how
    much was left out, and the sentence stays a sentence.

    >>> shorten_words("unknown name '" + "x" * 1000 + "'", longest=20)
    "unknown name 'xxxxxxxxxxxx[... 983 characters ...]xxxxx'"
    """
    text = " ".join(_cut(word, longest) for word in text.split(" "))
    return _cut(text, whole)


def _cut(text: str, longest: int) -> str:
    if len(text) <= longest:
        return text
    head, tail = longest * 2 // 3, longest // 3
    return f"{text[:head]}[... {len(text) - head - tail:,} characters ...]{text[-tail:]}"


class NetworkError(SymbpError, ValueError):
    """A network field has a value that is not allowed.

    >>> from symbp.network import Network
    >>> Network(layers=[2, 2], batch=0)
    Traceback (most recent call last):
    ...
    symbp.errors.NetworkError: batch=0 is not a batch size; expected an integer >= 1.
    """


class PointError(SymbpError, ValueError):
    """A point (parameters, inputs, targets) has a wrong key or shape.

    >>> from symbp.network import Network
    >>> Network(layers=[2, 2]).check_point({"x": 1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.PointError: the point's keys do not fit the network (missing W1, b1, y); ...
    """


class FormulaError(SymbpError, ValueError):
    """A formula is outside the notation; ``column`` is 1-based.

    >>> from symbp.notation.parser import parse_formula
    >>> try:
    ...     parse_formula("delta[L] = a[L] - __class__")
    ... except FormulaError as error:
    ...     print(error.column, error)
    19 column 19: '__class__' is not part of the notation.
    """

    def __init__(self, message: str, *, column: int | None = None,
                 text: str | None = None, suggestion: str | None = None):
        self.column = column
        self.text = text
        where = f"column {column}" if column is not None else None
        super().__init__(message, where=where, suggestion=suggestion)


class ClaimsError(SymbpError, ValueError):
    """A claims file cannot be read or has a wrong key or value.

    >>> str(ClaimsError("claims.toml: unknown key 'formla'"))
    "claims.toml: unknown key 'formla'."
    """


class GraphError(SymbpError, ValueError):
    """A computational-graph expression or one of its values is invalid.

    >>> from symbp.scalar.graphs import graph
    >>> graph("f = x * y", x=1)
    Traceback (most recent call last):
    ...
    symbp.errors.GraphError: column 9: 'y' has no value; give one, e.g. y=1.
    """


class UnknownNameError(SymbpError, KeyError):
    """A name that is not in one of symbp's tables (``ACTIVATIONS``,
    ``LOSSES``, ``LAYERS``): a KeyError, as any dict's, whose message lists
    the names there are.

    >>> from symbp.tables import ACTIVATIONS
    >>> ACTIVATIONS["relu6"]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.UnknownNameError: 'relu6' is not an activation; expected one of identity, ...
    """

    def __str__(self):
        return str(self.args[0]) if self.args else ""   # not KeyError's repr of it


class UsageError(SymbpError):
    """A command-line option or argument is invalid (raised by ``symbp.cli``).

    >>> error = UsageError("--layers is required, e.g. --layers 2,4,3,2")
    >>> str(error), error.exit_code
    ('--layers is required, e.g. --layers 2,4,3,2.', 2)
    """


class OutputError(SymbpError):
    """Standard output cannot be written (a full disk, /dev/full, a closed stream).

    >>> str(OutputError("cannot write the output: No space left on device"))
    'cannot write the output: No space left on device.'
    """


class LayerError(SymbpError, ValueError):
    """A layer name, configuration or point is invalid (``symbp check --layer``,
    ``symbp grade-layers``).

    >>> from symbp.layers.catalogue import layer_named
    >>> try:
    ...     layer_named("afine")
    ... except LayerError as error:
    ...     print(str(error).split(";")[0])
    'afine' is not a layer of the catalogue
    """
