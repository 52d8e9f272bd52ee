"""Seed 000's worked example, reproduced through symbp's public API.

The article ("前向传播与反向传播") runs one sample x = [1, 2] through a relu
hidden layer of two units and one identity output, no biases, with the loss
1/2 ||y - ŷ||^2, and prints the loss and both weight gradients.  Here the same
numbers come from the symbolic truth, the NumPy backprop and finite
differences, each printed beside the article's; the script exits 1 if one
does not match.

    python examples/seed000.py
"""

import sys

from side_by_side import show

import symbp

# What the article prints (its code's output and its worked forward pass).
ARTICLE = {
    "h = W1 x": [[0.9], [1.7]],
    "y_pred": [[1.9]],
    "loss": 0.08,
    "grad_W1": [[0.24, 0.48], [0.32, 0.64]],
    "grad_W2": [[0.36, 0.68]],
}


def main():
    net = symbp.Network(layers=[2, 2, 1], hidden="relu", output="identity",
                        loss="half_sse", batch=1, layout="column", bias=False)
    point = {"x": [[1.0], [2.0]], "W1": [[0.5, 0.2], [0.3, 0.7]],
             "W2": [[0.6, 0.8]], "y": [[1.5]]}
    print(f"seed 000 on {net}")
    zs, acts = net.forward(point)
    results = [show("h = W1 x", zs[1], ARTICLE["h = W1 x"], rtol=1e-7),
               show("y_pred", acts[2], ARTICLE["y_pred"], rtol=1e-7),
               show("loss", net.loss(point), ARTICLE["loss"], rtol=1e-7)]
    # finite differences are accurate to about 1e-9 here, not to the last bit
    sources = [("truth", net.gradient(point), 1e-9),
               ("backprop", symbp.backprop(net, point), 1e-9),
               ("finite differences", symbp.finite_differences(net, point), 1e-7)]
    for name, grads, atol in sources:
        results.append(show(f"grad_W1 ({name})", grads["W1"], ARTICLE["grad_W1"], rtol=1e-7, atol=atol))
        results.append(show(f"grad_W2 ({name})", grads["W2"], ARTICLE["grad_W2"], rtol=1e-7, atol=atol))

    # The article writes dL/dW2 = (y - ŷ) z^T with y the PREDICTION: right as
    # it defines y, wrong (off by -1) under the usual reading, y the target.
    readings = [("as the article defines y (the prediction)", "dW[2] = (a[2] - y) @ a[1].T",
                 ("proved", "holds")),
                ("with y read as the target", "dW[2] = (y - a[2]) @ a[1].T", ("refuted",))]
    for reading, formula, wanted in readings:
        result = symbp.verify(formula, net)
        ok = result.verdict in wanted
        diagnosis = f" ({result.diagnosis['text']})" if result.diagnosis else ""
        print(f"dL/dW2 {reading} | verify {formula} | {result.verdict}{diagnosis} | "
              + ("ok" if ok else "MISMATCH"))
        results.append(ok)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
