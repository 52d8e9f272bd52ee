"""Notation trees printed back as notation text, which parses to the same tree.

Brackets follow :data:`~symbp.notation.tree.PRECEDENCE`; the right operand of
``-``, ``/``, ``@`` and ``*`` keeps its brackets when it binds as loosely
(``a - (b - c)``).  Derivations write the equations they build this way, so
that what is checked is exactly what is printed.

>>> from symbp.notation.parser import LAYER_MATRIX, parse_expression
>>> tree = parse_expression("-(dxmu + 2 * xmu) / N", LAYER_MATRIX)
>>> notation_text(tree)
'-(dxmu + 2 * xmu) / N'
>>> parse_expression(notation_text(tree), LAYER_MATRIX) == tree
True
"""

from __future__ import annotations

from symbp.notation.latex import fraction_text
from symbp.notation.tree import (
    PRECEDENCE,
    BinOp,
    Call,
    Name,
    Neg,
    Number,
    Quantity,
    Transpose,
    Walker,
    precedence,
)


class _NotationTextPrinter(Walker):
    """A notation tree as text (see the module doc)."""

    prefix = "_print_"

    def _wrap(self, node, parent: int, strict: bool = False) -> str:
        text = self.walk(node)
        own = precedence(node)
        return f"({text})" if own < parent or (strict and own == parent) else text

    def _print_Number(self, node: Number) -> str:
        return fraction_text(node.value)

    def _print_Name(self, node: Name) -> str:
        return node.name

    def _print_Quantity(self, node: Quantity) -> str:
        return f"{node.name}[{node.index}]"

    def _print_Neg(self, node: Neg) -> str:
        return "-" + self._wrap(node.operand, PRECEDENCE["neg"], strict=True)

    def _print_Transpose(self, node: Transpose) -> str:
        return self._wrap(node.operand, PRECEDENCE["atom"]) + ".T"

    def _print_BinOp(self, node: BinOp) -> str:
        own = PRECEDENCE[node.op]
        if node.op == "**":
            return f"{self._wrap(node.left, own, strict=True)}**{self._wrap(node.right, own)}"
        left = self._wrap(node.left, own)
        right = self._wrap(node.right, own, strict=node.op in "-/@*")
        return f"{left} {node.op} {right}"

    def _print_Call(self, node: Call) -> str:
        args = [self.walk(arg) for arg in node.args]
        if node.axis is not None:
            args.append(f"axis={node.axis}")
        return f"{node.func}({', '.join(args)})"


def notation_text(node) -> str:
    """The notation text of a tree (see the module doc).

    >>> from symbp.notation.parser import parse_expression
    >>> notation_text(parse_expression("W[l+1].T@dZ[l+1]*sigma_prime(z[l])"))
    'W[l+1].T @ delta[l+1] * sigma_prime(z[l])'
    """
    return _NotationTextPrinter().walk(node)
