"""The table of the notation's quantities (contract section 2).

One entry per quantity: the parser reads the spellings and which ones take
an index, the evaluators the index range and whether a bias is needed, the
LaTeX printer the LaTeX, derivations the shape.  Adding a quantity is one
entry here (and its value where formulas are evaluated).

>>> QUANTITIES["delta"].aliases
('dZ', 'dz')
>>> SPELLINGS["dA"], QUANTITIES["da"].lowest
('da', 0)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuantityKind:
    """One quantity of the notation.

    ``lowest`` is the lowest index of an indexed quantity (the highest is L;
    None: it takes no index); ``like`` the network quantity whose shape it has
    (``delta`` has z's); ``bias``: it exists only on networks with biases;
    ``size``: it is a number (m, n[k]), not a matrix; ``latex`` has ``{k}``
    where the index goes.
    """

    name: str
    meaning: str
    latex: str
    aliases: tuple = ()
    lowest: int | None = None
    like: str | None = None
    bias: bool = False
    size: bool = False

    @property
    def indexed(self) -> bool:
        return self.lowest is not None


QUANTITIES: dict[str, QuantityKind] = {q.name: q for q in [
    QuantityKind("x", "the input, same as a[0]", "x", like="x"),
    QuantityKind("y", "the target", "y", like="y"),
    QuantityKind("m", "the batch size", "m", size=True),
    QuantityKind("lambda", "the L2 weight decay (the network's l2)", r"\lambda", size=True),
    QuantityKind("W", "the weights of layer k", "W^{{[{k}]}}", lowest=1, like="W"),
    QuantityKind("b", "the bias of layer k", "b^{{[{k}]}}", lowest=1, like="b", bias=True),
    QuantityKind("z", "the pre-activation of layer k", "z^{{[{k}]}}", lowest=1, like="z"),
    QuantityKind("a", "the activation of layer k (a[0] is x)", "a^{{[{k}]}}", lowest=0,
                 like="a"),
    QuantityKind("delta", "the per-sample error d loss_i / d z[k]_i", r"\delta^{{[{k}]}}",
                 aliases=("dZ", "dz"), lowest=1, like="z"),
    QuantityKind("da", "the per-sample d loss_i / d a[k]_i",
                 r"\frac{{\partial \ell}}{{\partial a^{{[{k}]}}}}", aliases=("dA",), lowest=0,
                 like="a"),
    QuantityKind("dW", "d L / d W[k] of the total loss",
                 r"\frac{{\partial \mathcal{{L}}}}{{\partial W^{{[{k}]}}}}", lowest=1, like="W"),
    QuantityKind("db", "d L / d b[k] of the total loss",
                 r"\frac{{\partial \mathcal{{L}}}}{{\partial b^{{[{k}]}}}}", lowest=1, like="b",
                 bias=True),
    QuantityKind("n", "the size of layer k", "n_{{{k}}}", lowest=0, size=True),
]}

# every spelling the parser accepts, mapped to the quantity's name
SPELLINGS: dict[str, str] = {spelling: q.name for q in QUANTITIES.values()
                             for spelling in (q.name, *q.aliases)}


def spellings(indexed: bool) -> list[str]:
    """The spellings of the quantities that take an index (or that do not).

    >>> spellings(indexed=False)
    ['x', 'y', 'm', 'lambda']
    """
    return [spelling for spelling, name in SPELLINGS.items()
            if QUANTITIES[name].indexed == indexed]
