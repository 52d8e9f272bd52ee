"""Seed 001's worked numbers, reproduced through symbp's public API.

The article ("优化网络的原理与方法(2)--反向传播") builds the apple-and-orange
bill from multiply and add layers and passes gradients back node by node;
``symbp.graph`` builds the same scalar graph.  Its affine layer Y = X·W + B
(row vectors, a batch of two) has dB = sum(dY, axis=0) and dX = dY·W^T:
``symbp.verify`` checks both formulas, then a network whose upstream gradient
is exactly the article's dY gives its dB = [5, 7, 9] and dX = [[12, 48],
[30, 120]] from the symbolic truth.  Every number is printed beside the
article's; the script exits 1 if one does not match.

    python examples/seed001.py
"""

import sys

import numpy as np
from side_by_side import show

import symbp

BILL = "price = (apple*apple_num + orange*orange_num) * tax"
PRICES = {"apple": 100, "apple_num": 2, "orange": 150, "orange_num": 3, "tax": 1.1}

# The article's affine layer: two samples (rows) of two inputs, three units.
X = [[0.0, 0.0], [1.0, 1.0]]
W = [[2.0, 2.0, 2.0], [8.0, 8.0, 8.0]]
B = [[1.0, 2.0, 3.0]]
DY = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def layers_of_the_bill():
    """The add layer, the apple multiply layers and the whole bill."""
    add = symbp.graph("price = apple_price + orange_price", apple_price=200, orange_price=450)
    apples = symbp.graph("price = apple * apple_num * tax", apple=100, apple_num=2, tax=1.1)
    bill = symbp.graph(BILL, **PRICES)
    apple_price = next(n for n in apples.nodes if n.expr == "apple * apple_num")
    results = [
        show("add layer: price", add.value, 650),
        show("add layer: d_apple_price", add.grad["apple_price"], 1),
        show("add layer: d_orange_price", add.grad["orange_price"], 1),
        show("apples: price", apples.value, 220),
        show("apples: dapple_price", apple_price.grad, 1.1),
        show("apples: dTax", apples.grad["tax"], 200),
        show("apples: dApple", apples.grad["apple"], 2.2),
        show("apples: dApple_num", apples.grad["apple_num"], 110),
        show("bill: price", bill.value, 715),
    ]
    article = {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650}
    results += [show(f"bill: d{name}", bill.grad[name], value) for name, value in article.items()]
    print(f"bill: node-by-node backward agrees with SymPy: {bill.sympy_agrees}")
    return results + [bill.sympy_agrees]


def affine_layer():
    """dB and dX: the formulas verified, then the article's numbers."""
    # reduction "sum": the article's dY is the gradient of the whole loss, and
    # with a sum the per-sample delta of the notation is exactly that
    net = symbp.Network(layers=[2, 3], output="identity", loss="half_sse", batch=2,
                        reduction="sum", layout="row")
    results = []
    for formula in ("db[l] = sum(delta[l], axis=0)", "da[l-1] = delta[l] @ W[l].T"):
        verdict = symbp.verify(formula, net).verdict
        ok = verdict in ("proved", "holds")
        print(f"affine: verify {formula} | {verdict} | " + ("ok" if ok else "MISMATCH"))
        results.append(ok)
    # identity output and 1/2 (a - y)^2: delta = a - y, so y = X·W + B - dY
    # makes the layer's upstream gradient exactly the article's dY
    y = np.asarray(X) @ np.asarray(W) + np.asarray(B) - np.asarray(DY)
    point = {"x": X, "W1": W, "b1": B, "y": y}
    zs, _ = net.forward(point)
    per_sample = net.per_sample(point)
    results += [
        show("affine: X·W + B", zs[1], [[1, 2, 3], [11, 12, 13]]),
        show("affine: dY (delta[1])", per_sample["delta1"], DY),
        show("affine: dB (symbolic truth)", net.gradient(point)["b1"], [[5, 7, 9]]),
        show("affine: dX (symbolic truth)", per_sample["da0"], [[12, 48], [30, 120]]),
        show("affine: dX = dY·W^T (the formula)", np.asarray(DY) @ np.asarray(W).T,
             [[12, 48], [30, 120]]),
    ]
    return results


def main():
    results = layers_of_the_bill() + affine_layer()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
