"""Every quantity of the notation at a point of a network: the values a
formula is evaluated on.

z and a come from the forward pass; delta, da, dW, db from the symbolic
truth, so that a formula is checked against the derivative itself.

>>> from symbp.network import Network
>>> from symbp.notation.evaluate import evaluate_numeric
>>> from symbp.notation.parser import parse_expression
>>> net = Network(layers=[2, 3, 1], batch=2)
>>> values = numeric_quantities(net, net.sample(seed=0))
>>> evaluate_numeric(parse_expression("W[1] @ a[0] + b[1]"), net, values).shape
(3, 2)
"""

from __future__ import annotations

from symbp.truth.exact import truth


def numeric_quantities(net, point) -> dict:
    """Every quantity of the notation at a point, keyed like ``truth.symbolic()``:
    ``("W", k)``, ``("z", k)``, ``("delta", k)``, ``("x", None)``, ...

    z and a come from the forward pass; delta, da, dW, db from the symbolic
    truth, so that a formula is checked against the derivative itself.

    >>> from symbp.network import Network
    >>> values = numeric_quantities(Network(layers=[2, 1]), Network(layers=[2, 1]).sample(0))
    >>> sorted(name for name, k in values if k == 1)
    ['W', 'a', 'b', 'dW', 'da', 'db', 'delta', 'z']
    """
    point = net.check_point(point)
    zs, acts = net.forward(point)
    per_sample, gradient = _truth_values(net, point)
    values = {("x", None): point["x"], ("y", None): point["y"]}
    for k in range(net.depth + 1):
        values[("a", k)] = acts[k]
        values[("da", k)] = per_sample[f"da{k}"]
        if k == 0:
            continue
        values[("z", k)] = zs[k]
        values[("delta", k)] = per_sample[f"delta{k}"]
        values[("W", k)], values[("dW", k)] = point[f"W{k}"], gradient[f"W{k}"]
        if net.bias:
            values[("b", k)], values[("db", k)] = point[f"b{k}"], gradient[f"b{k}"]
    return values


def _truth_values(net, point):
    derivation = truth(net)
    return derivation.per_sample(point), derivation.gradient(point)
