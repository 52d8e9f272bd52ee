"""Caps that keep any formula cheap to reject, checked before and while it
is parsed: the text's length and bracket nesting, the height of its tree,
the size of numbers and exponents, and the sizes ``ones`` and ``eye`` build.

>>> check_text("(" * (MAX_DEPTH + 1))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbp.errors.FormulaError: column 41: brackets nest deeper than 40...
>>> top_level_equals("db[l] = sum(delta[l], axis=1)")
[6]
"""

from __future__ import annotations

import ast
import re

from symbp.errors import FormulaError

MAX_LENGTH = 2000
MAX_DEPTH = 40        # nesting: brackets, calls, operands; a chain a + b + c + ... is one level
# a chain's terms nest in the tree, which every walk recurses into (~4 Python
# frames a level): a sum of 100 terms fits, and Python's recursion limit holds
MAX_HEIGHT = 150
MAX_EXPONENT = 64
MAX_SIZE = 4096
MAX_DIGITS = 20


def top_level_equals(text: str) -> list[int]:
    """Where the equation's '=' signs are; an '=' inside brackets is a
    keyword argument (``sum(X, axis=0)``), not the equation's.

    >>> top_level_equals("dW = delta @ a.T"), top_level_equals("x == y")
    ([3], [])
    """
    depth, found = 0, []
    for match in re.finditer(r"[()\[\]]|(?<![=<>!])=(?!=)", text):
        char = match.group()
        depth += char in "(["
        depth -= char in ")]"
        if char == "=" and depth == 0:
            found.append(match.start())
    return found


def deepest_node(tree):
    """The first node more than MAX_HEIGHT levels down the tree, or None
    (measured without recursion, before the converter recurses).

    >>> deepest_node(ast.parse("a + b").body[0]) is None
    True
    >>> deepest_node(ast.parse("+".join(["a"] * 200)).body[0]) is not None
    True
    """
    stack = [(tree, 0)]
    while stack:
        node, height = stack.pop()
        if height > MAX_HEIGHT:
            return node
        stack.extend((child, height + 1) for child in ast.iter_child_nodes(node))
    return None


def check_text(text):
    """A FormulaError when ``text`` is not a string, is too long or nests too deep.

    >>> check_text("dW = delta @ a.T")
    >>> check_text(42)
    Traceback (most recent call last):
    ...
    symbp.errors.FormulaError: a formula must be text, not int.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; "
                           f"at most {MAX_LENGTH} are allowed", column=MAX_LENGTH + 1)
    depth = 0
    for position, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth > MAX_DEPTH:
            raise FormulaError(f"brackets nest deeper than {MAX_DEPTH}",
                               column=position + 1)
