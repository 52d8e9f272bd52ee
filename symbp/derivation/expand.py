"""``--expand``: the element-wise partials of every weight and bias, one line
each, gathered back into matrix form (seed 004's style).

These lines are outside the formula notation, so each is checked against
the symbolic truth's entry instead of by verify: the line's sum over
samples is evaluated from the truth's per-sample errors at sampled points
and compared with the truth's gradient entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symbp.derivation.printers import Display, Heading, Text
from symbp.truth.exact import truth

SEEDS = (0, 1)


@dataclass
class ExpandedLine:
    """One element-wise line; ``check()`` is True when it matches the truth.

    >>> from symbp.derivation.draft import build_document
    >>> from symbp.network import Network
    >>> line = build_document(Network(layers=[1, 1]), expand=True).expanded[0]
    >>> line.name, line.check()
    ('W[1] entry (1, 1)', True)
    """
    name: str
    check: Callable[[], bool]


def _values(net):
    """Per seed: the truth's per-sample errors, the activations, the gradient."""
    out = []
    for seed in SEEDS:
        point = net.sample(seed)
        _, acts = net.forward(point)
        t = truth(net)
        out.append((t.per_sample(point), acts, t.gradient(point)))
    return out


def expand_section(writer):
    """Add the ``--expand`` section to a draft being written (``writer``, in
    :mod:`symbp.derivation.draft`): each entry's partial, and its check.

    >>> from symbp.derivation.draft import build_document
    >>> from symbp.network import Network
    >>> draft = build_document(Network(layers=[1, 1]), expand=True)
    >>> [block.text for block in draft.blocks[-6:] if hasattr(block, "level")]
    ['Element-wise partials', 'Layer 1']
    """
    net, column = writer.net, writer.net.layout == "column"
    m = net.batch
    mean = net.reduction == "mean" and m > 1
    scale = r"\frac{1}{m} " if mean else ""
    total = r"\sum_{i=1}^{m} " if m > 1 else ""
    sample = "^{(i)}" if m > 1 else ""
    cache = {}

    def values():
        if "v" not in cache:
            cache["v"] = _values(net)
        return cache["v"]

    writer.add(Heading("Element-wise partials"), Text(
        "Each weight $W_{rc}$ touches one pre-activation per sample, so its partial is one "
        "error times one input, summed over the samples"
        + (" and divided by $m$" if mean else "") + ". Each line below was checked against "
        "the symbolic truth's entry at sampled points."))
    for l in range(1, net.depth + 1):
        writer.add(Heading(f"Layer {l}", 2))
        rows, cols = net.shape("W", l)
        lines, entries = [], []
        for r in range(rows):
            row_entries = []
            for c in range(cols):
                j, k = (r, c) if column else (c, r)   # unit of layer l, unit of layer l-1
                previous = "x" if l == 1 else f"a^{{[{l - 1}]}}"
                term = rf"\delta^{{[{l}]{sample}}}_{{{j + 1}}}\, {previous}{sample}_{{{k + 1}}}"
                left = rf"\frac{{\partial \mathcal{{L}}}}{{\partial W^{{[{l}]}}_{{{r + 1}{c + 1}}}}}"
                lines.append(f"{left} &= {scale}{total}{term}")
                row_entries.append(f"{scale}{total}{term}")
                writer.draft.expanded.append(ExpandedLine(
                    f"W[{l}] entry ({r + 1}, {c + 1})",
                    _weight_check(net, values, l, r, c, j, k, column)))
            entries.append(" & ".join(row_entries))
        if net.bias:
            for j in range(net.layers[l]):
                left = rf"\frac{{\partial \mathcal{{L}}}}{{\partial b^{{[{l}]}}_{{{j + 1}}}}}"
                lines.append(f"{left} &= {scale}{total}" + rf"\delta^{{[{l}]{sample}}}_{{{j + 1}}}")
                writer.draft.expanded.append(ExpandedLine(
                    f"b[{l}] entry {j + 1}", _bias_check(net, values, l, j, column)))
        writer.add(Display(tuple(lines)))
        product = (rf"\delta^{{[{l}]}} {{{_a(l - 1)}}}^{{\top}}" if column
                   else rf"{{{_a(l - 1)}}}^{{\top}} \delta^{{[{l}]}}")
        matrix = r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"
        writer.add(Text("Gathered into matrix form:"), Display((
            rf"\frac{{\partial \mathcal{{L}}}}{{\partial W^{{[{l}]}}}} = {matrix} = "
            + scale + product,)))


def _a(k: int) -> str:
    return "x" if k == 0 else f"a^{{[{k}]}}"


def _scale(net) -> float:
    return 1.0 / net.batch if net.reduction == "mean" else 1.0


def _unit(array, unit, column):
    """One unit's values over the samples."""
    return array[unit, :] if column else array[:, unit]


def _weight_check(net, values, l, r, c, j, k, column):
    def check() -> bool:
        for per_sample, acts, gradient in values():
            line = _scale(net) * np.sum(_unit(per_sample[f"delta{l}"], j, column)
                                        * _unit(acts[l - 1], k, column))
            if not np.isclose(line, gradient[f"W{l}"][r, c], rtol=1e-9, atol=1e-12):
                return False
        return True
    return check


def _bias_check(net, values, l, j, column):
    def check() -> bool:
        for per_sample, _, gradient in values():
            line = _scale(net) * np.sum(_unit(per_sample[f"delta{l}"], j, column))
            entry = gradient[f"b{l}"][j, 0] if column else gradient[f"b{l}"][0, j]
            if not np.isclose(line, entry, rtol=1e-9, atol=1e-12):
                return False
        return True
    return check
