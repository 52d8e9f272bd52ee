"""The backward pass of Andrew Ng's gradient-checking exercise, with the two
bugs the exercise plants for gradient checking to find: ``dW2`` multiplied
by 2 and ``db1`` with ``4./m`` instead of ``1./m``.  symbp names each as its
factor on its key:

    symbp grade examples/grade/ng_gradient_check_bugs.py:gradients --layers 4,5,3,1 \
        --hidden relu --output sigmoid --loss bce --batch 3

prints, among its lines, "W2 (dW2): WRONG ... W2 is 2 times the truth" and
"b1 (db1): WRONG ... b1 is 4 times the truth".  (At these sizes about 1 point
in 200 has the relu layers dead for every example, a different layer per
example: every gradient of the first layers is then exactly 0 and both bugs
would pass; symbp redraws such points.)
"""

import numpy as np


def forward_propagation_n(X, Y, parameters):
    m = X.shape[1]
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = np.maximum(0, Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = 1 / (1 + np.exp(-Z3))
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    cost = 1. / m * np.sum(logprobs)
    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return cost, cache


def backward_propagation_n(X, Y, cache):
    m = X.shape[1]
    (_Z1, A1, _W1, _b1, _Z2, A2, W2, _b2, _Z3, A3, W3, _b3) = cache

    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T)
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)

    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T) * 2          # planted bug 1
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)

    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T)
    db1 = 4. / m * np.sum(dZ1, axis=1, keepdims=True)   # planted bug 2

    return {"dZ3": dZ3, "dW3": dW3, "db3": db3,
            "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


# the one-line adapter from symbp's FUNC(params, x, y) to the exercise's functions
def gradients(parameters, X, Y):
    return backward_propagation_n(X, Y, forward_propagation_n(X, Y, parameters)[1])
