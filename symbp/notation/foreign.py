"""Other notations a formula is pasted from, each answered with symbp's own
spelling: the typography of textbooks (``⊙``, ``Σ``, ``W^{(l)}``,
``delta_j``, a product written by juxtaposition), NumPy code (``np.dot``,
``X.dot(Y)``, ``+=``, masks ``dZ[Z <= 0] = 0``) and MATLAB (``.*``).

None of these is part of the notation (contract section 2): each is one
plain sentence that says what is not supported, where, and how to write it,
never a guess at what was meant.  The parser asks here before Python reads
the text (characters and tokens Python would misread or reject) and when a
node is outside its whitelist.

>>> str(text_error("delta[l] = da[l] ⊙ sigma_prime(z[l])", lead=0))
"column 18: '⊙' is not part of the notation; write * for the element-wise (Hadamard) product."
>>> str(juxtaposition_error("dZ[l] a[l-1].T", lead=8))
'column 15: two operands side by side; write @ for a matrix product or * for an element-wise one, e.g. (1/m) * dZ[l] @ a[l-1].T.'
"""

from __future__ import annotations

import io
import itertools
import keyword
import re
import tokenize

from symbp.errors import FormulaError

_HADAMARD = "write * for the element-wise (Hadamard) product"
_PRODUCT = "write @ for a matrix product or * for an element-wise one"
_SUM = ("write sum(X, axis=0|1) for a sum over the units or the samples, or a matrix "
        "product for a sum over an index (sum_k w_kj delta_k is W[l+1].T @ delta[l+1])")
_TRANSPOSE = "write X.T for the transpose of X"
_GRADIENT = ("write the gradient by its name: dW[l], db[l], delta[l] (d loss / d z[l]) "
             "or da[l] (d loss / d a[l])")
_ASSIGN = "a formula is LEFT = RIGHT: write = where the text assigns"

# characters of printed maths, one spelling each (checked before Python reads the text)
_CHARACTERS = {
    "⊙": _HADAMARD, "∘": _HADAMARD, "∗": _HADAMARD, "⊗": _PRODUCT,
    "·": _PRODUCT, "⋅": _PRODUCT, "×": _PRODUCT, "•": _PRODUCT,
    "Σ": _SUM, "∑": _SUM,
    # Python reads modifier letters as plain ones (ᵗ is t): caught before it does
    "ᵀ": _TRANSPOSE, "⊤": _TRANSPOSE, "ᵗ": _TRANSPOSE,
    "′": "write sigma_prime(...) for the derivative",
    "ʹ": "write sigma_prime(...) for the derivative", "³": "write **3",
    "’": "write sigma_prime(...) for the derivative",
    "←": _ASSIGN, "≔": _ASSIGN, "∂": _GRADIENT, "∇": _GRADIENT,
    "−": "write - (the ASCII minus sign)", "–": "write - (the ASCII minus sign)",
    "√": "write sqrt(...)", "²": "write **2", "⁻": "write ** for a power",
    "δ": "write delta[k]", "Δ": "write the gradient itself (dW[l]), not an update",
    "σ": "write sigma(...) and sigma_prime(...)", "φ": "write sigma(...) and sigma_prime(...)",
    "λ": "write lambda (the network's l2 weight decay)",
    "η": "a learning rate is not part of a gradient: write the gradient, e.g. -dW[l] "
         "for an update Delta W / eta",
    "α": "a learning rate is not part of a gradient: write the gradient itself",
    "ŷ": "write a[L] for the prediction and y for the target",
}

# tokens of code, ASCII but not the notation (a regex, what it is, the spelling)
_TOKENS = (
    (r"(?<![\d.])\.\*", "MATLAB's '.*'", _HADAMARD),
    (r"(?<![\d.])\./", "MATLAB's './'", "write / for the element-wise quotient"),
    (r"<-", "'<-'", _ASSIGN),
    (r":=", "':='", _ASSIGN),
    (r"[-+*/@]=", "an assignment like '+='",
     "a formula states the whole value, e.g. dW[l] = x.T @ delta[l] / m + lambda * W[l]"),
)

# NumPy functions and methods with a spelling in the notation
_NUMPY = {
    "dot": "write A @ B", "matmul": "write A @ B", "multiply": "write A * B",
    "divide": "write A / B", "add": "write A + B", "subtract": "write A - B",
    "sum": "write sum(X, axis=0|1): it keeps the reduced axis, as keepdims=True does",
    "mean": "write mean(X, axis=0|1): it keeps the reduced axis, as keepdims=True does",
    "transpose": _TRANSPOSE, "power": "write X**k", "square": "write X**2",
    "maximum": "write relu(X) for np.maximum(0, X)", "outer": "write outer(u, v)",
    "where": "write step(X) for the mask of X > 0", "int64": "write step(X) for (X > 0)",
    "float64": "write step(X) for (X > 0)", "ones": "write ones(r, c)", "eye": "write eye(n)",
    **{name: f"write {name}(X)" for name in ("exp", "log", "sqrt", "abs", "sign", "tanh")},
}
_MODULES = ("np", "numpy", "torch", "tf", "math")


def text_error(text: str, lead: int) -> FormulaError | None:
    """The first character of printed maths or token of code in ``text``
    (``lead`` is its column offset in the formula), or None.

    >>> str(text_error("dW[l] += lambda * W[l]", lead=0))
    "column 7: an assignment like '+=' is not part of the notation; a formula states the whole value, e.g. dW[l] = x.T @ delta[l] / m + lambda * W[l]."
    >>> text_error("dW[l] = delta[l] @ a[l-1].T", lead=0) is None
    True
    """
    found = [(position, f"'{char}'", _CHARACTERS[char])
             for position, char in enumerate(text) if char in _CHARACTERS][:1]
    for pattern, what, spelling in _TOKENS:
        match = re.search(pattern, text)
        if match:
            found.append((match.start(), what, spelling))
    if not found:
        return None
    position, what, spelling = min(found)
    return FormulaError(f"{what} is not part of the notation", column=lead + position + 1,
                        suggestion=spelling)


def juxtaposition_error(text: str, lead: int) -> FormulaError | None:
    """Two operands side by side (``1/m dZ[l]``, ``dZ[l] a[l-1].T``): a
    product written as in print, which Python cannot read; None when the
    text has none.  Asked when Python could not parse the text.

    >>> juxtaposition_error("dZ[l] @ a[l-1].T", lead=0) is None
    True
    """
    try:
        tokens = [token for token in tokenize.generate_tokens(io.StringIO(text).readline)
                  if token.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    for before, after in itertools.pairwise(tokens):
        if _ends_operand(before) and _starts_operand(after):
            return FormulaError("two operands side by side", column=lead + after.start[1] + 1,
                                suggestion=f"{_PRODUCT}, e.g. (1/m) * dZ[l] @ a[l-1].T")
    return None


def _ends_operand(token) -> bool:
    return (token.type == tokenize.NUMBER or token.string in (")", "]")
            or (token.type == tokenize.NAME and not keyword.iskeyword(token.string)))


def _starts_operand(token) -> bool:
    return token.type in (tokenize.NUMBER, tokenize.NAME) and \
        not keyword.iskeyword(token.string) or token.string == "("


def call_suggestion(callee: str, module: str | None, method: str | None,
                    indexed: list[str]) -> tuple[str, str] | None:
    """What to write for a call the notation does not have, as (what it is,
    the spelling), or None: a NumPy function (``np.dot``), a method
    (``X.dot``), a layer index in round brackets (``W(l)``), an index sum
    (``sum_k``), or no function at all (``(1/m)(...)``: a product).
    ``callee`` is the call's function as written, ``module`` the name before
    the dot of ``np.dot``, ``method`` the attribute, ``indexed`` the
    quantities that take an index.

    >>> call_suggestion("np.dot", "np", "dot", ["W"])
    ("'np.dot' is NumPy, not the notation", 'write A @ B (symbp grade checks NumPy code)')
    >>> call_suggestion("W", None, None, ["W"])[1]
    'a layer index goes in square brackets: write W[l]'
    """
    if method is not None:
        spelling = _NUMPY.get(method)
        if module in _MODULES:
            spelling = spelling or "write it with @, *, .T and the notation's functions"
            return (f"'{callee}' is NumPy, not the notation",
                    f"{spelling} (symbp grade checks NumPy code)")
        if spelling is not None:
            return f"the method '.{method}' is not part of the notation", spelling
        return f"the method '.{method}' is not part of the notation", None
    if callee in indexed:
        return (f"'{callee}(...)' is not part of the notation",
                f"a layer index goes in square brackets: write {callee}[l]")
    if index_name(callee):
        return f"'{callee}' is not part of the notation", _INDICES
    if not re.fullmatch(r"[A-Za-z_]\w*", callee):
        return f"'{callee}' is not a function, and two operands side by side are not a product", \
            _PRODUCT
    return None


_INDICES = ("explicit indices are not part of the notation: formulas are about whole "
            "matrices, e.g. delta[l] for the vector of delta_j, W[l+1].T @ delta[l+1] for "
            "sum_k w_kj delta_k")


def index_name(name: str) -> bool:
    """A name with an index glued on by an underscore, as a textbook writes
    a subscript: ``delta_j``, ``w_kj``, ``sum_k``, ``W_l``.

    >>> index_name("delta_j"), index_name("sigma_prime"), index_name("leaky_relu")
    (True, False, False)
    """
    return re.fullmatch(r"[A-Za-z]+_([a-z]{1,3}|\d{1,3}|L)", name) is not None and \
        not re.fullmatch(r".*_(prime|relu)", name)


_LOSS = ("the loss itself is not a quantity of the notation: a formula states a gradient "
         "(da[L], delta[l], dW[l], db[l]) or the forward pass")
_RATE = "a learning rate is not part of a gradient: write the gradient itself"
# the textbooks' own letters for the notation's quantities
_NAMES = {**dict.fromkeys(("L", "J", "E", "C", "R", "loss", "cost"), _LOSS),
          "eta": _RATE, "alpha": _RATE, "lr": _RATE,
          "h": "write a[k] for a layer's activation (Goodfellow's and d2l's h)",
          "t": "write y for the target (Bishop's t)", "d": "write y for the target "
          "(Rumelhart's d)", "yhat": "write a[L] for the prediction",
          "y_hat": "write a[L] for the prediction", "o": "write a[L] for the output",
          "g": "write the gradient by its name: da[l] (before the activation's derivative) "
               "or delta[l] (after it), Goodfellow's g"}


def name_suggestion(name: str, indexed: list[str]) -> str | None:
    """The spelling for a textbook's letter (``h``, ``t``, ``J``) or for a
    name with a glued index (:func:`index_name`): a layer index (``W_l``,
    ``a_2``) goes in brackets; any other index has no spelling.

    >>> name_suggestion("W_l", ["W"]), name_suggestion("w_kj", ["W"]) is not None
    ('a layer index goes in square brackets: write W[l]', True)
    >>> name_suggestion("t", ["W"])
    "write y for the target (Bishop's t)"
    """
    if name in _NAMES:
        return _NAMES[name]
    if not index_name(name):
        return None
    base, _, index = name.partition("_")
    if base in indexed and re.fullmatch(r"\d+|l|L", index):
        return f"a layer index goes in square brackets: write {base}[{index}]"
    return _INDICES


MASK = "a mask is written step(X): dA[l] * step(z[l]) is dA[l] with 0 where z[l] <= 0"
