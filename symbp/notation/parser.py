"""The formula notation (contract section 2), parsed into symbp's own tree.

Python's ``ast`` module tokenises and parses the text; a strict whitelist then
turns the few node types the notation has into the dataclasses below, and
everything else is a :class:`FormulaError` naming the column.  Nothing here
evaluates user text: no ``eval``, ``exec`` or ``sympify``.  The tree is read
by ``symbp.notation.evaluate`` (numeric and symbolic) and by ``symbp.graph``.

>>> parse_formula("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])").left
Quantity(column=1, name='delta', index=Index(base='l', offset=0))

Caps keep any input cheap to reject: the text's length, the nesting depth,
the size of numbers and exponents, and the sizes ``ones`` and ``eye`` build.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction

from symbp.errors import FormulaError
from symbp.notation.caps import (
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_HEIGHT,
    MAX_LENGTH,  # noqa: F401  (the parser's caps, imported from here too)
    MAX_SIZE,
    check_text,
    deepest_node,
    top_level_equals,
)
from symbp.notation.foreign import (
    MASK,
    call_suggestion,
    juxtaposition_error,
    name_suggestion,
    text_error,
)
from symbp.notation.functions import FUNCTIONS, functions_in
from symbp.notation.habits import caret_error, prime_error
from symbp.notation.quantities import LAYER, NETWORK, quantities_in, spelling_map, spellings
from symbp.notation.tree import (
    PRECEDENCE,
    BinOp,
    Call,
    Formula,
    Index,
    Name,
    Neg,
    Node,
    Number,
    Quantity,
    Transpose,
    Walker,
    constant_value,
)

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@",
           ast.Pow: "**"}
_PRECEDENCE_OF = {kind: PRECEDENCE[op] for kind, op in _BINARY.items()}

# ``lambda`` (the weight decay) is a Python keyword: before Python's parser
# sees the text it becomes this name of the same length, so columns still match
_LAMBDA, _LAMBDA_STANDIN = "lambda", "_lmbda"


# -- parsing ------------------------------------------------------------------

@dataclass(frozen=True)
class Dialect:
    """What a parse allows: the matrix notation of a network's or a layer's
    quantities (``context``), or scalar graph expressions.

    >>> MATRIX.context, LAYER_MATRIX.context, "onehot" in LAYER_MATRIX.functions
    ('network', 'layer', True)
    """
    matrix: bool
    functions: tuple
    context: str = NETWORK


MATRIX = Dialect(matrix=True, functions=functions_in(NETWORK))
# layer formulas (contract section 12): x, out, dout, mu, ... without indices
LAYER_MATRIX = Dialect(matrix=True, functions=functions_in(LAYER), context=LAYER)


def parse_formula(text: str, dialect: Dialect = MATRIX) -> Formula:
    """Parse ``LEFT = RIGHT`` into a :class:`Formula`.

    >>> parse_formula("dW[L] = delta[L] @ a[L-1].T").right.op
    '@'
    >>> parse_formula("a[L] = y = x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.FormulaError: column 10: the formula has more than one '='; ...
    """
    check_text(text)
    foreign = text_error(text, lead=0) if dialect.matrix else None
    if foreign is not None:  # before the split: '+=' and '<-' hide or fake the '='
        raise foreign
    equals = top_level_equals(text)
    if not equals:
        raise FormulaError("the formula has no '='; write it as LEFT = RIGHT",
                           column=1, text=text)
    if len(equals) > 1:
        raise FormulaError("the formula has more than one '='; write it as LEFT = RIGHT",
                           column=equals[1] + 1, text=text)
    cut = equals[0]
    left = parse_expression(text[:cut], dialect, column_offset=0)
    right = parse_expression(text[cut + 1:], dialect, column_offset=cut + 1)
    return Formula(left, right, text)


def parse_expression(text: str, dialect: Dialect = MATRIX, column_offset: int = 0) -> Node:
    """Parse one expression of the notation into the tree; ``column_offset``
    is where the text starts in its formula.

    >>> parse_expression("-x")
    Neg(column=1, operand=Name(column=2, name='x'))
    >>> parse_expression("dxhat * gamma", LAYER_MATRIX).left
    Name(column=1, name='dxhat')
    """
    check_text(text)
    stripped = text.strip()
    lead = column_offset + len(text) - len(text.lstrip())
    if not stripped:
        raise FormulaError("an expression is missing", column=column_offset + 1)
    if "\n" in stripped or ";" in stripped:
        raise FormulaError("a formula is one line with one '='", column=lead + 1)
    _maths_habits(stripped, lead, dialect)
    if dialect.matrix:
        stripped = re.sub(rf"\b{_LAMBDA}\b", _LAMBDA_STANDIN, stripped)
    try:
        with warnings.catch_warnings():
            # Python's own warnings about the text (SyntaxWarning, invalid
            # escapes) would reach the user's terminal; the whitelist below
            # rejects whatever they are about anyway
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        habit = prime_error(stripped, lead) or juxtaposition_error(stripped, lead)
        if habit is not None:
            raise habit from None
        if not error.offset or error.offset > len(stripped):
            # Python reports offset 0 when the text ends in the middle of an expression
            raise FormulaError("the expression ends too early", column=lead + len(stripped) + 1,
                               text=stripped, suggestion="something is missing at its end"
                               ) from None
        raise FormulaError(f"syntax error ({error.msg})", column=lead + error.offset,
                           text=stripped, suggestion="check the brackets and operators") from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("the formula cannot be read", column=lead + 1) from None
    converter = _Converter(stripped, lead, dialect)
    deepest = deepest_node(tree.body)
    if deepest is not None:
        converter.fail(deepest, f"the expression is more than {MAX_HEIGHT} operations deep",
                       "a sum or product of up to 100 terms fits; split longer ones")
    return converter.convert(tree.body, 0)


def _continues_chain(node) -> bool:
    """True for the left operand of a left-associative chain (``a + b`` in
    ``a + b - c``): it is not one level deeper than the chain."""
    return (isinstance(node, ast.BinOp) and isinstance(node.left, ast.BinOp)
            and not isinstance(node.op, ast.Pow)
            and _PRECEDENCE_OF[type(node.op)] == _PRECEDENCE_OF.get(type(node.left.op)))


def _maths_habits(text: str, lead: int, dialect: Dialect):
    """Habits Python would misread, caught before it does: ``^``
    (:func:`~symbp.notation.habits.caret_error`), and ``lambda`` spelled as
    the stand-in."""
    habit = (text_error(text, lead) if dialect.matrix else None) or \
        caret_error(text, lead, dialect.matrix)
    if habit is not None:
        raise habit
    if dialect.matrix and _LAMBDA_STANDIN in text:
        raise FormulaError(f"'{_LAMBDA_STANDIN}' is not part of the notation",
                           column=lead + text.index(_LAMBDA_STANDIN) + 1)


class _Converter(Walker):
    """ast -> symbp tree, one method per accepted ast node type."""

    prefix = "_convert_"

    def __init__(self, text: str, lead: int, dialect: Dialect):
        self.text, self.lead, self.dialect = text, lead, dialect
        self._encoded = text.encode("utf-8")

    def column(self, node) -> int:
        # ast offsets count UTF-8 bytes; report characters
        prefix = self._encoded[:getattr(node, "col_offset", 0)]
        return self.lead + len(prefix.decode("utf-8", errors="ignore")) + 1

    def source(self, node) -> str:
        text = ast.get_source_segment(self.text, node) or type(node).__name__
        return text.replace(_LAMBDA_STANDIN, _LAMBDA)

    def fail(self, node, message, suggestion=None):
        raise FormulaError(message, column=self.column(node), text=self.source(node),
                           suggestion=suggestion)

    def not_notation(self, node, suggestion=None):
        self.fail(node, f"'{self.source(node)}' is not part of the notation", suggestion)

    def convert(self, node, depth: int) -> Node:
        if depth > MAX_DEPTH:
            self.fail(node, f"the expression nests deeper than {MAX_DEPTH}")
        return self.walk(node, depth + 1)

    def unknown(self, node, _depth):
        self.not_notation(node)

    def _convert_Constant(self, node, _depth):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            what = "strings" if isinstance(value, str) else f"'{self.source(node)}'"
            self.fail(node, f"{what} are not part of the notation" if isinstance(value, str)
                      else f"{what} is not part of the notation")
        literal = self.source(node)
        if len(literal.replace(".", "").lstrip("0")) > MAX_DIGITS or "e" in literal.lower() \
                or "j" in literal.lower() or "_" in literal or literal.lower().startswith("0x"):
            self.fail(node, f"the number '{literal}' is not allowed",
                      f"write plain decimals with at most {MAX_DIGITS} digits")
        return Number(Fraction(literal), column=self.column(node))

    def _convert_Name(self, node, _depth):
        name = node.id
        if self.dialect.matrix and name == _LAMBDA_STANDIN:
            return Name(_LAMBDA, column=self.column(node))
        if name.startswith("_") or name.endswith("_"):
            self.not_notation(node)
        if not self.dialect.matrix:
            if name in self.dialect.functions:
                self.fail(node, f"'{name}' is a function; call it as {name}(...)")
            return Name(name, column=self.column(node))
        context = self.dialect.context
        if name in spellings(indexed=False, context=context):
            return Name(spelling_map(context)[name], column=self.column(node))
        if name in spellings(indexed=True, context=context):
            self.fail(node, f"'{name}' needs an index, e.g. {name}[l] or {name}[L]")
        glued = re.fullmatch(r"(.*?)(\d+|l|L)", name)
        if glued and glued.group(1) in spellings(indexed=True, context=context):
            self.not_notation(node, f"an index goes in brackets: write "
                                    f"{glued.group(1)}[{glued.group(2)}]")
        indexed = name_suggestion(name, spellings(indexed=True, context=context))
        if indexed is not None:
            self.not_notation(node, indexed)
        other = LAYER if context == NETWORK else NETWORK
        if name in spelling_map(other):
            self.not_notation(node, f"{name} is a quantity of {other} formulas; the quantities "
                                    f"of {context} formulas are " + _listed(context))
        self.not_notation(node, "the quantities are " + _listed(context))

    def _convert_Subscript(self, node, _depth):
        if isinstance(node.slice, ast.Compare):
            self.fail(node.slice, "a mask in brackets is not part of the notation", MASK)
        indexed = spellings(indexed=True, context=self.dialect.context)
        if self.dialect.matrix and not indexed:
            self.not_notation(node, "the quantities of layer formulas take no index")
        if not self.dialect.matrix or not isinstance(node.value, ast.Name) \
                or node.value.id not in indexed:
            self.not_notation(node, f"only {', '.join(indexed[:-1])} and {indexed[-1]} "
                                    "take an index")
        return Quantity(spelling_map(self.dialect.context)[node.value.id], self.index(node.slice),
                        column=self.column(node))

    def index(self, node) -> Index:
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value < 1000:
            return Index(None, node.value)
        if isinstance(node, ast.Name) and node.id in ("l", "L"):
            return Index(node.id, 0)
        if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
                and isinstance(node.left, ast.Name) and node.left.id in ("l", "L")
                and isinstance(node.right, ast.Constant) and type(node.right.value) is int
                and node.right.value < 1000):
            sign = 1 if isinstance(node.op, ast.Add) else -1
            return Index(node.left.id, sign * node.right.value)
        self.fail(node, f"'{self.source(node)}' is not an index",
                  "an index is an integer, or l or L plus or minus an integer: 2, L, L-1, l+1")

    def _convert_Attribute(self, node, depth):
        if not self.dialect.matrix or node.attr != "T":
            self.fail(node, f"'.{node.attr}' is not part of the notation",
                      "the only attribute is .T (transpose)" if self.dialect.matrix else None)
        return Transpose(self.convert(node.value, depth), column=self.column(node))

    def _convert_UnaryOp(self, node, depth):
        operand = self.convert(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return Neg(operand, column=self.column(node))
        if isinstance(node.op, ast.UAdd):
            return operand
        self.not_notation(node)

    def _convert_BinOp(self, node, depth):
        op = _BINARY.get(type(node.op))
        if op is None or (op == "@" and not self.dialect.matrix):
            self.not_notation(node)
        # a chain's left operand stays at the chain's depth: a flat sum of 45
        # terms does not nest 45 deep
        left = self.convert(node.left, depth - 1 if _continues_chain(node) else depth)
        right = self.convert(node.right, depth)
        if op == "**":
            self.check_exponent(node.right, right)
        return BinOp(op, left, right, column=self.column(node))

    def check_exponent(self, ast_node, exponent: Node):
        value = constant_value(exponent)
        if value is None:
            if self.dialect.matrix:
                self.fail(ast_node, "an exponent must be a number", "for example a[l]**2")
            return
        if abs(value) > MAX_EXPONENT:
            self.fail(ast_node, f"the exponent {value} is larger than {MAX_EXPONENT}")

    def _convert_Compare(self, node, _depth):
        self.fail(node, "comparisons are not part of the notation", MASK)

    def _convert_Call(self, node, depth):
        if not isinstance(node.func, ast.Name) or node.func.id not in self.dialect.functions:
            self.unknown_call(node)
        func = node.func.id
        args = [self.convert(arg, depth) for arg in node.args]
        axis = None
        entry = FUNCTIONS[func] if self.dialect.matrix else None
        takes_axis = entry is not None and entry.takes_axis
        for keyword in node.keywords:
            if keyword.arg == "keepdims" and takes_axis and self.keeps_dims(keyword.value):
                continue  # the notation's sum keeps the axis anyway
            if keyword.arg != "axis" or not takes_axis:
                self.fail(keyword.value if keyword.arg else node,
                          f"{func}() takes no argument '{keyword.arg}'")
            axis = self.axis(keyword.value)
        if takes_axis and len(args) == 2 and axis is None:
            axis = self.axis(node.args[1])
            args = args[:1]
        expected = 1 if entry is None else entry.arity
        if entry is not None and entry.kind == "labels" and not (
                len(args) == 1 and isinstance(args[0], Name) and args[0].name == "y"):
            self.fail(node, f"{func}() takes the labels y: write {func}(y)")
        if entry is not None and entry.kind == "sizes":
            for arg, raw in zip(args, node.args, strict=False):
                self.check_size(raw, arg)
        if len(args) != expected:
            self.fail(node, f"{func}() takes {expected} argument{'s' * (expected != 1)}, "
                            f"{len(args)} given")
        return Call(func, tuple(args), axis, column=self.column(node))

    def unknown_call(self, node):
        func = node.func
        module = func.value.id if isinstance(func, ast.Attribute) and \
            isinstance(func.value, ast.Name) else None
        method = func.attr if isinstance(func, ast.Attribute) else None
        if self.dialect.matrix:
            foreign = call_suggestion(self.source(func), module, method,
                                      spellings(indexed=True, context=self.dialect.context))
            if foreign is not None:
                self.fail(node, *foreign)
        self.fail(node, f"'{self.source(func)}' is not a function of the notation",
                  f"expected one of {', '.join(self.dialect.functions)}")

    def keeps_dims(self, node) -> bool:
        if isinstance(node, ast.Constant) and node.value is True:
            return True
        self.fail(node, "the notation's sum and mean always keep the reduced axis",
                  "leave out keepdims, or write keepdims=True")

    def axis(self, node) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value in (0, 1):
            return node.value
        self.fail(node, f"axis={self.source(node)} is not an axis; expected 0 or 1")

    def check_size(self, raw, arg: Node):
        if isinstance(arg, Number) and arg.value.denominator == 1 and 1 <= arg.value <= MAX_SIZE:
            return
        sizes = [q.name for q in quantities_in(self.dialect.context).values() if q.size]
        if (isinstance(arg, Name) and arg.name in sizes) or \
                (isinstance(arg, Quantity) and arg.name == "n"):
            return
        named = "m or n[k]" if self.dialect.context == NETWORK else ", ".join(sizes)
        self.fail(raw, f"'{self.source(raw)}' is not a size",
                  f"a size is an integer from 1 to {MAX_SIZE}, {named}")


def _listed(context: str) -> str:
    return ", ".join(spellings(indexed=False, context=context)
                     + [f"{q}[k]" for q in spellings(indexed=True, context=context)])
