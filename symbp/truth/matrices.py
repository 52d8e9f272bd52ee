"""The symbolic truth as SymPy matrices, for proofs (``Truth.symbolic``).

The element-wise route: the local pieces of one network's sizes
(:mod:`symbp.truth.pieces`: affine map differentiated by SymPy here,
activations, loss, one symbol per entry) are composed by the chain rule into
expressions of one sample's symbols: x, y, W, b and an independent symbol
per z[k]_j, with a[k] = act(z[k]).  Each sample of the batch then gets its
own symbols by substitution, and dW, db sum the samples' contributions with
the weights of the reduction's lemma.  Only networks whose estimated size
fits ``SYMBOLIC_BUDGET`` are built: the bound counts chain-rule terms, never
time.
"""

from __future__ import annotations

from functools import lru_cache, reduce
from operator import add

import sympy

from symbp.network import Network
from symbp.tables import LOSSES
from symbp.truth.penalty import decay_symbolic
from symbp.truth.pieces import (
    ActivationPiece,
    AffinePiece,
    LossPiece,
    reduction_weights,
    shape_key,
)

# A symbolic derivation is attempted only while its estimated size, in terms
# of the chain-rule sums it builds, stays under this count (never a clock).
SYMBOLIC_BUDGET = 200_000

_ZERO = sympy.Integer(0)


def estimated_size(net: Network, batch: int) -> int:
    """Chain-rule terms the symbolic matrices would hold (a size, not a time).

    >>> estimated_size(Network(layers=[2, 2, 1]), 1) < 1000
    True
    """
    n, L = net.layers, net.depth
    da, total = 1, 0
    for k in range(L, 0, -1):
        full = not net.activation(k).elementwise  # softmax mixes every unit
        delta = da * (n[k] if full else 1)
        params = n[k] * n[k - 1] + (n[k] if net.bias else 0)
        da = n[k] * delta
        total += n[k] * delta + n[k - 1] * da + params * delta
    return total * batch


def _dot(terms):
    return reduce(add, terms, _ZERO)


@lru_cache(maxsize=32)
def _one_sample(net: Network) -> dict:
    """Every quantity of one sample, as lists of expressions in template symbols."""
    L = net.depth
    affine = [None] + [AffinePiece(net, l, sympy) for l in range(1, L + 1)]
    act = [None] + [ActivationPiece(net, l) for l in range(1, L + 1)]
    loss = LossPiece(net)
    acts = [affine[1].a] + [act[l].exprs for l in range(1, L + 1)]
    a_of = [{}] + [dict(zip(affine[l + 1].a, acts[l], strict=True)) if l < L else
                   dict(zip(loss.a, acts[L], strict=True)) for l in range(1, L + 1)]
    out = {("a", k): acts[k] for k in range(L + 1)}
    out.update({("z", k): act[k].z for k in range(1, L + 1)})
    out[("x", None)], out[("y", None)] = affine[1].a, loss.y
    da = [g.xreplace(a_of[L]) for g in loss.grad]
    out[("da", L)] = da
    for k in range(L, 0, -1):
        J, n_k = act[k].J, net.layers[k]
        delta = [_dot(da[i] * J[(i, j)] for i in range(n_k) if (i, j) in J)
                 for j in range(n_k)]
        piece = affine[k]
        da = [_dot(delta[i] * piece.J_a[(i, j)] for i in range(n_k) if (i, j) in piece.J_a)
              for j in range(net.layers[k - 1])]
        out[("delta", k)], out[("da", k - 1)] = delta, da
        out[("dW", k)] = _param_grads(delta, piece.J_W, len(piece.W) * len(piece.W[0]), a_of[k - 1])
        out[("dW_shape", k)] = (len(piece.W), len(piece.W[0]))
        if net.bias:
            out[("db", k)] = _param_grads(delta, piece.J_b, len(piece.b), {})
    out["params"] = {k: piece for k, piece in enumerate(affine) if piece}
    return out


def _param_grads(delta, J, count, a_of):
    grads = [[] for _ in range(count)]
    for (i, p), d in J.items():
        grads[p].append(delta[i] * d.xreplace(a_of))
    return [_dot(g) for g in grads]


def _stack(net, columns_per_sample):
    """A layout-shaped matrix of per-sample vectors (samples as columns or rows)."""
    M = sympy.Matrix(columns_per_sample)  # one row per sample
    return M.T if net.layout == "column" else M


def _sample_symbols(net: Network, template, stem, s):
    column = net.layout == "column"
    return [sympy.Symbol(f"{stem}_{j + 1}_{s + 1}" if column else f"{stem}_{s + 1}_{j + 1}",
                         real=True) for j in range(len(template))]


def symbolic_matrices(net: Network, batch: int) -> dict | None:
    """Every quantity of ``batch`` samples as SymPy matrices in the layout, or None
    when ``estimated_size`` is over ``SYMBOLIC_BUDGET``.

    >>> s = symbolic_matrices(Network(layers=[1, 1], output="identity"), 2)
    >>> s[("x", None)]
    Matrix([[x_1_1, x_1_2]])
    """
    if estimated_size(net, batch) > SYMBOLIC_BUDGET:
        return None
    one = _one_sample(shape_key(net))
    L = net.depth
    per_sample = [k for k in one if isinstance(k, tuple) and k[0] in
                  ("x", "y", "z", "a", "delta", "da")]
    samples = []
    for s in range(batch):
        rename = {}
        for key, stem in [(("x", None), "x"), (("y", None), "y")] + \
                [(("z", k), f"z{k}") for k in range(1, L + 1)]:
            rename.update(zip(one[key], _sample_symbols(net, one[key], stem, s), strict=True))
        samples.append(rename)
    out = {key: _stack(net, [[e.xreplace(r) for e in one[key]] for r in samples])
           for key in per_sample}
    weights = reduction_weights(net.reduction, batch)
    for k, piece in one["params"].items():
        out[("W", k)] = sympy.Matrix(piece.W)
        out[("dW", k)] = sympy.Matrix(*one[("dW_shape", k)], _weighted(one[("dW", k)], samples, weights))
        if net.l2:
            out[("dW", k)] += decay_symbolic(out[("W", k)], net.l2)
        if net.bias:
            out[("b", k)] = sympy.Matrix(piece.b).reshape(*net.shape("b", k))
            out[("db", k)] = sympy.Matrix(*net.shape("b", k), _weighted(one[("db", k)], samples, weights))
    out[("m", None)] = sympy.Matrix([[batch]])
    return out


def _weighted(entries, samples, weights):
    return [_dot(w * e.xreplace(r) for r, w in zip(samples, weights, strict=True)) for e in entries]


def assumptions(net: Network, batch: int) -> dict:
    """What every sampled point satisfies, as substitutions: where the loss's
    targets are probability vectors (``cce``), each sample's last target is 1
    minus the sum of its others; {} otherwise.

    >>> assumptions(Network(layers=[2, 2], output="softmax", loss="cce"), 1)
    {y_2_1: 1 - y_1_1}
    """
    if LOSSES[net.loss].domain != "simplex":
        return {}
    n = net.layers[-1]
    template = [None] * n
    subs = {}
    for s in range(batch):
        ys = _sample_symbols(net, template, "y", s)
        subs[ys[-1]] = 1 - sympy.Add(*ys[:-1])
    return subs
