"""A two-layer net as cs231n's assignments write it: row layout (samples are
rows), relu, a softmax loss on integer class labels averaged over the batch,
and L2 regularisation 0.5 * reg * (||W1||^2 + ||W2||^2).  ``loss`` takes the
labels ``y`` (shape (N,)) and returns ``(loss, grads)``; the biases'
gradients are 1-D, as cs231n's are.  Correct: grade it with

    symbp grade examples/grade/cs231n_two_layer.py:loss --layers 4,5,3 --hidden relu \
        --output softmax --loss cce --layout row --batch 4 --labels --l2 0.1

--labels passes y as class indices; --l2 0.1 is reg (cs231n's 0.5 * reg is
symbp's lambda / 2).
"""

import numpy as np

REG = 0.1


def loss(params, X, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    total = data_loss + 0.5 * REG * (np.sum(W1 * W1) + np.sum(W2 * W2))

    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads["W2"] = hidden.T.dot(dscores) + REG * W2
    grads["b2"] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads["W1"] = X.T.dot(dhidden) + REG * W1
    grads["b1"] = np.sum(dhidden, axis=0)
    return total, grads
