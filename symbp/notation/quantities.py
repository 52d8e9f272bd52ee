"""The table of the notation's quantities (contract sections 2 and 12).

One entry per quantity of a context: ``network`` (a feed-forward network's
W[k], z[k], delta[k], ...) or ``layer`` (one layer of the catalogue: x, out,
dout, mu, var, xhat, ...).  The parser reads the spellings and which ones
take an index, the evaluators the index range and whether a bias is needed,
the LaTeX printer the LaTeX, derivations the shape.  Adding a quantity is
one entry here (and its value where formulas are evaluated: for a layer,
the entry's ``source`` names it in the layer's definition, so a quantity
the definition already names needs nothing more).

>>> QUANTITIES["delta"].aliases
('dZ', 'dz')
>>> SPELLINGS["dA"], QUANTITIES["da"].lowest
('da', 0)
>>> LAYER_QUANTITIES["dscores"].source, LAYER_QUANTITIES["dmu"].latex
('dx', '\\\\mathrm{d}{\\\\mu}')
"""

from __future__ import annotations

from dataclasses import dataclass

NETWORK, LAYER = "network", "layer"
CONTEXTS = (NETWORK, LAYER)


@dataclass(frozen=True)
class QuantityKind:
    """One quantity of the notation.

    ``lowest`` is the lowest index of an indexed quantity (the highest is L;
    None: it takes no index); ``like`` the network quantity whose shape it has
    (``delta`` has z's); ``bias``: it exists only on networks with biases;
    ``size``: it is a size (m, n[k], N, D), not a matrix; ``number``: a
    number of the configuration (eps, p, lambda); ``latex`` has ``{k}``
    where the index goes.

    A ``layer`` quantity is found in the layer's definition under ``source``
    (default: its own name): an operand (``x``, ``gamma``), ``out``, a named
    intermediate quantity (``mu``), a parameter or size, or ``d`` followed by
    one of those: the gradient of the layer's objective with respect to it.
    ``layers`` lists the layers it belongs to (empty: every layer whose
    definition has it); ``gradient`` adds the entry ``d<name>`` for it.

    >>> b = QUANTITIES["b"]
    >>> b.indexed, b.lowest, b.bias, b.latex.format(k="l")
    (True, 1, True, 'b^{[l]}')
    """

    name: str
    meaning: str
    latex: str
    aliases: tuple = ()
    lowest: int | None = None
    like: str | None = None
    bias: bool = False
    size: bool = False
    context: str = NETWORK
    source: str | None = None
    layers: tuple = ()
    number: bool = False
    gradient: bool = False

    @property
    def indexed(self) -> bool:
        return self.lowest is not None

    @property
    def scalar(self) -> bool:
        """A number rather than a matrix (a size or a configuration's number)."""
        return self.size or self.number


def _layer(name, meaning, latex, **fields) -> QuantityKind:
    return QuantityKind(name, meaning, latex, context=LAYER, **fields)


def _gradients(entries) -> list[QuantityKind]:
    """Each layer quantity marked ``gradient``, then its ``d<name>``."""
    found = []
    for q in entries:
        found.append(q)
        if q.gradient:
            latex = q.latex if len(q.latex) == 1 else "{" + q.latex + "}"
            found.append(_layer(f"d{q.name}", f"the gradient of the layer's objective with "
                                f"respect to {q.name} (same shape)", r"\mathrm{d}" + latex,
                                source=f"d{q.source or q.name}", layers=q.layers))
    return found


_LOSSES = ("softmax_loss", "svm_loss")
_NORMS = ("batchnorm", "layernorm")

ENTRIES: tuple[QuantityKind, ...] = (
    # -- networks (contract section 2) -------------------------------------------------
    # X, Y, Z[k], A[k]: Ng's capitals, as dZ[k] and dA[k] are
    QuantityKind("x", "the input, same as a[0]", "x", aliases=("X",), like="x"),
    QuantityKind("y", "the target", "y", aliases=("Y",), like="y"),
    QuantityKind("m", "the batch size", "m", size=True),
    QuantityKind("lambda", "the L2 weight decay (the network's l2)", r"\lambda", number=True),
    QuantityKind("W", "the weights of layer k", "W^{{[{k}]}}", lowest=1, like="W"),
    QuantityKind("b", "the bias of layer k", "b^{{[{k}]}}", lowest=1, like="b", bias=True),
    QuantityKind("z", "the pre-activation of layer k", "z^{{[{k}]}}", aliases=("Z",), lowest=1,
                 like="z"),
    QuantityKind("a", "the activation of layer k (a[0] is x)", "a^{{[{k}]}}", aliases=("A",),
                 lowest=0, like="a"),
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
    # -- layers (contract section 12): 2-D, samples as rows ----------------------------
    *_gradients([
        _layer("x", "the layer's input, N x D (a loss layer's scores, N x C)", "x",
               gradient=True),
        _layer("scores", "a loss layer's scores, N x C (its input x)", r"\mathit{scores}",
               source="x", layers=_LOSSES, gradient=True),
        _layer("y", "a loss layer's N integer labels, N x 1 (multiply/add: the second "
               "input, N x D)", "y", gradient=True),
        _layer("out", "the layer's output (a loss layer's: the loss, 1 x 1)", r"\mathit{out}"),
        _layer("dout", "the upstream gradient d objective / d out, N x D, drawn (not for a "
               "loss layer)", r"\mathrm{d}{\mathit{out}}"),
        _layer("w", "affine's weights, D x M (l2: the weights decayed)", "w", gradient=True),
        _layer("b", "affine's bias, 1 x M", "b", gradient=True),
        _layer("gamma", "the scale, 1 x D", r"\gamma", layers=_NORMS, gradient=True),
        _layer("beta", "the shift, 1 x D", r"\beta", layers=_NORMS, gradient=True),
        _layer("mu", "the mean (batch norm: over the batch, 1 x D; layer norm: each "
               "sample's, N x 1)", r"\mu", layers=_NORMS, gradient=True),
        _layer("xmu", "x - mu, N x D", r"\mathit{xmu}", layers=_NORMS, gradient=True),
        _layer("sq", "(x - mu)**2, N x D", r"\mathit{sq}", layers=_NORMS, gradient=True),
        _layer("var", "the biased variance, shaped as mu", r"\sigma^{2}", layers=_NORMS,
               gradient=True),
        _layer("sqrtvar", "sqrt(var + eps), shaped as mu", r"\mathit{sqrtvar}",
               layers=_NORMS, gradient=True),
        _layer("ivar", "1 / sqrt(var + eps), shaped as mu", r"\mathit{ivar}", layers=_NORMS,
               gradient=True),
        _layer("xhat", "the normalised input (x - mu) / sqrt(var + eps), N x D", r"\hat{x}",
               layers=_NORMS, gradient=True),
        _layer("gammax", "gamma * xhat, N x D", r"\mathit{gammax}", layers=_NORMS,
               gradient=True),
        _layer("eps", "the constant added to the variance", r"\epsilon", number=True,
               layers=_NORMS),
        _layer("mask", "dropout's keep mask (0 or 1), N x D", r"\mathit{mask}",
               layers=("dropout",)),
        _layer("p", "dropout's probability of keeping a unit (out = x * mask / p)", "p",
               number=True, layers=("dropout",)),
        _layer("probs", "the softmax of the scores, row by row, N x C", r"\mathit{probs}",
               layers=("softmax_loss",), gradient=True),
        _layer("lse", "log sum exp of each row of the scores, N x 1", r"\mathit{lse}",
               layers=("softmax_loss",), gradient=True),
        _layer("correct", "each sample's score of its label, N x 1", r"\mathit{correct}",
               layers=_LOSSES, gradient=True),
        _layer("margins", "scores - correct + 1, N x C", r"\mathit{margins}",
               layers=("svm_loss",), gradient=True),
        _layer("penalty", "the weight decay's (lambda / 2) * sum(w**2), 1 x 1",
               r"\mathit{penalty}", layers=("weight_decay", "l2")),
        _layer("lambda", "the weight decay (the l2 layer's reg)", r"\lambda", number=True,
               source="reg", layers=("weight_decay", "l2")),
        _layer("N", "the batch size (rows)", "N", size=True),
        _layer("D", "the features (columns of x)", "D", size=True),
        _layer("C", "the classes (columns of the scores)", "C", size=True, layers=_LOSSES),
        _layer("M", "affine's outputs (columns of w)", "M", size=True,
               layers=("affine", "weight_decay", "l2")),
    ]),
)


def quantities_in(context: str) -> dict[str, QuantityKind]:
    """The quantities of one context, by name.

    >>> sorted(quantities_in("layer"))[:4]
    ['C', 'D', 'M', 'N']
    """
    return {q.name: q for q in ENTRIES if q.context == context}


QUANTITIES: dict[str, QuantityKind] = quantities_in(NETWORK)
LAYER_QUANTITIES: dict[str, QuantityKind] = quantities_in(LAYER)


def spelling_map(context: str = NETWORK) -> dict[str, str]:
    """Every spelling the parser accepts in ``context``, mapped to the quantity's name.

    >>> spelling_map()["dZ"], spelling_map(LAYER)["dscores"]
    ('delta', 'dscores')
    """
    return {spelling: q.name for q in quantities_in(context).values()
            for spelling in (q.name, *q.aliases)}


# every spelling of a network formula, mapped to the quantity's name
SPELLINGS: dict[str, str] = spelling_map(NETWORK)


def spellings(indexed: bool, context: str = NETWORK) -> list[str]:
    """The spellings of the quantities that take an index (or that do not).

    >>> spellings(indexed=False)
    ['x', 'X', 'y', 'Y', 'm', 'lambda']
    """
    table = quantities_in(context)
    return [spelling for spelling, name in spelling_map(context).items()
            if table[name].indexed == indexed]
