"""Seed 004's worked numbers, reproduced through symbp's public API.

The article trains one sigmoid layer on row vectors, x (2 samples x 3) · w
(3 x 2) + b, with cost = np.sum((y_pred - y) ** 2), learning rate 0.1, for
1000 steps.  Its code steps the weights by the true gradient (summed over the
samples) but the bias by the gradient AVERAGED over the samples (np.mean),
1/m of the true one.  Here symbp reproduces its first forward pass, then its
first and last steps by running the article's backward() on symbp's per-sample
errors; the true gradient's own trajectory (``net.gradient``) is printed
beside it.  The script exits 1 if a number of the article is not matched.

    python examples/seed004.py
"""

import sys

import numpy as np
from side_by_side import show as _show
from side_by_side import text as _text

import symbp

RATE, STEPS = 0.1, 1000

# What the article prints: the first forward pass, the first step, the last one.
FIRST_FORWARD = [[0.90024951, 0.94267582], [0.80218389, 0.88079708]]
AFTER_FIRST_STEP = [[0.87638772, 0.93574933], [0.74070904, 0.87317416]]
COST_AFTER_FIRST_STEP = 1.4556414717601052
AFTER_LAST_STEP = [[0.97371017, 0.02647935], [0.02628983, 0.97352065]]
COST_AFTER_LAST_STEP = 0.0027846224530159356


def show(label, ours, article, atol):
    """``atol`` is half a unit in the last digit the article prints."""
    return _show(label, ours, article, atol=atol, digits=12)


def text(array):
    return _text(array, digits=12)


def code_gradients(net, point):
    """The article's backward(): ``matrix`` is the per-sample error (delta),
    the weights get x^T @ matrix, the bias np.mean(matrix, 0)."""
    matrix = net.per_sample(point)["delta1"]
    return {"W1": point["x"].T @ matrix, "b1": np.mean(matrix, axis=0, keepdims=True)}


def step(point, grads):
    """One gradient-descent step."""
    return dict(point, W1=point["W1"] - RATE * grads["W1"], b1=point["b1"] - RATE * grads["b1"])


def prediction(net, point):
    return net.forward(point)[1][-1]


def main():
    net = symbp.Network(layers=[3, 2], hidden="sigmoid", output="sigmoid", loss="sse",
                        batch=2, reduction="sum", layout="row", bias=True)
    start = {"x": np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]),
             "y": np.array([[1.0, 0.0], [0.0, 1.0]]),
             "W1": np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
             "b1": np.zeros((1, 2))}
    print(f"seed 004 on {net}")
    results = [show("first forward pass", prediction(net, start), FIRST_FORWARD, 5e-9)]

    grads, code = net.gradient(start), code_gradients(net, start)
    print(f"step 1 gradients: the code's dW equals the true one: "
          f"{np.allclose(code['W1'], grads['W1'], rtol=1e-12, atol=0)}; "
          f"true db {text(grads['b1'])}, the code's np.mean {text(code['b1'])} "
          f"= db / {net.batch}: {np.allclose(code['b1'], grads['b1'] / net.batch, rtol=1e-12, atol=0)}")

    article, true = step(start, code), step(start, grads)
    results += [
        show("after step 1 (article's averaged bias)", prediction(net, article),
             AFTER_FIRST_STEP, 5e-9),
        show("cost after step 1 (article's averaged bias)", net.loss(article),
             COST_AFTER_FIRST_STEP, 1e-12),
    ]
    print(f"after step 1 (true gradient) | symbp {text(prediction(net, true))} "
          f"| cost {net.loss(true):.12g}")

    for _ in range(STEPS - 1):
        article, true = step(article, code_gradients(net, article)), step(true, net.gradient(true))
    results += [
        show(f"after step {STEPS} (article's averaged bias)", prediction(net, article),
             AFTER_LAST_STEP, 5e-9),
        show(f"cost after step {STEPS} (article's averaged bias)", net.loss(article),
             COST_AFTER_LAST_STEP, 1e-12),
    ]
    print(f"after step {STEPS} (true gradient) | symbp {text(prediction(net, true))} "
          f"| cost {net.loss(true):.12g}")
    print(f"bias after step {STEPS}: article's {text(article['b1'])}, "
          f"true gradient's {text(true['b1'])}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
