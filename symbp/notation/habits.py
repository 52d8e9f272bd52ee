"""Habits from maths that Python would misread, each answered with the
notation's own spelling: ``^`` (Python's xor) for a transpose or a power,
caught before Python parses the text, and a prime (``sigma'(z)``, the start
of a string to Python), asked about when Python could not parse it.
"""

from __future__ import annotations

import re

from symbp.errors import FormulaError
from symbp.notation.functions import FUNCTIONS

# names a prime is written after in maths, and the function of the notation they mean
_PRIMED = {"sigma": "sigma", "f": "sigma", "g": "sigma", "act": "sigma", "h": "sigma",
           "phi": "sigma", "f_l": "sigma"}


def prime_error(text: str, lead: int) -> FormulaError | None:
    """The error for a maths prime (``sigmoid'(z)``), which Python reads as
    the start of a string: asked when Python could not parse the text;
    ``lead`` is the text's column offset in the formula.

    >>> error = prime_error("f'(z[1])", lead=0)
    >>> error.column, error.suggestion
    (2, 'write sigma_prime(...) for the derivative')
    """
    prime = re.search(r"([A-Za-z_]\w*)'", text)     # a name with a prime: f'(z)
    if prime:
        name = prime.group(1)
        primed = _PRIMED.get(name, name)
        return FormulaError(f"the prime in {name}' is not part of the notation",
                            column=lead + prime.end(),
                            suggestion=f"write {primed}_prime(...) for the derivative"
                            if f"{primed}_prime" in FUNCTIONS else
                            "a derivative is written name_prime(...), e.g. sigma_prime(z[l])")
    return None


def caret_error(text: str, lead: int, matrix: bool) -> FormulaError | None:
    """The error for ``^`` (``^T`` where a transpose is meant, in the
    ``matrix`` notation), or None when the text has none.

    >>> str(caret_error("a[l-1]^T", lead=0, matrix=True))
    "column 7: '^T' is not part of the notation; write X.T for the transpose of X, e.g. a[l-1].T."
    >>> caret_error("x**2", lead=0, matrix=False) is None
    True
    >>> caret_error("W^{(l+1)}", lead=0, matrix=True).suggestion
    'write the index in square brackets after the name: W[l+1]'

    """
    caret = re.search(r"\^", text)
    if caret is None:
        return None
    column = lead + caret.start() + 1
    if matrix and re.match(r"\s*T\b", text[caret.end():]):
        return FormulaError("'^T' is not part of the notation", column=column,
                            suggestion="write X.T for the transpose of X, e.g. a[l-1].T")
    # a layer as a superscript, as printed: W^{(l)}, a^{[l-1]}, delta^l
    layer = re.match(r"\{?\s*(?:[\[(]\s*([lL]|\d+)\s*([+-]\s*\d+)?\s*[\])]|([lL])\b)",
                     text[caret.end():])
    if matrix and layer:
        index = (layer.group(1) or layer.group(3)) + (layer.group(2) or "").replace(" ", "")
        name = re.search(r"([A-Za-z_]\w*)\s*$", text[:caret.start()])
        return FormulaError("a superscript layer index is not part of the notation",
                            column=column, suggestion=f"write the index in square brackets "
                            f"after the name: {name.group(1) if name else 'W'}[{index}]")
    return FormulaError("'^' is not part of the notation", column=column,
                        suggestion="write ** for a power, e.g. x**2")
