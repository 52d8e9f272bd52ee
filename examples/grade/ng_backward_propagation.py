"""A three-layer net as Andrew Ng's deep learning course writes it: column
layout (samples are columns), LINEAR -> RELU -> LINEAR -> RELU -> LINEAR ->
SIGMOID, the cross-entropy cost averaged over the m examples.  Its
``backward_propagation(parameters, cache, X, Y)`` returns dZ3, dW3, db3,
dA2, ... : symbp recognises the dW1/db1 keys by themselves and sets the dA
and dZ keys aside, so the only adapter needed is one line that runs the
forward pass for the cache.  Correct: grade it with

    symbp grade examples/grade/ng_backward_propagation.py:gradients --layers 4,5,3,1 \
        --hidden relu --output sigmoid --loss bce --batch 3
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "Z3": Z3, "A3": A3}
    return A3, cache


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2, W3 = parameters["W2"], parameters["W3"]
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]

    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T)
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)

    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T)
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)

    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T)
    db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)

    return {"dZ3": dZ3, "dW3": dW3, "db3": db3,
            "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


# the one-line adapter: symbp calls FUNC(params, x, y); the course's backward
# pass wants the forward pass's cache too
def gradients(parameters, X, Y):
    return backward_propagation(parameters, forward_propagation(X, parameters)[1], X, Y)
