"""Seed 004's single sigmoid layer (row layout, sse summed over the batch),
its forward and backward as the article wrote them, returning the gradients
instead of updating the parameters.  The weights' gradient sums over the
batch (x.T @ matrix) but the bias's averages it (np.mean): b is 1/m times
the truth.  Its keys are the article's 'w' and 'b', and b is 1-D.

    symbp grade examples/grade/seed004_bias_averaged.py:backward --layers 3,2 --output sigmoid --loss sse --reduction sum --layout row --batch 2 --names W1=w,b1=b
"""

import numpy as np


def sigmoid(x):
    return 1.0 / (1. + np.exp(- x))


def sigmoid_gradient(x):
    sig = sigmoid(x)
    return sig * (1. - sig)


def cost_gradient(y_pred, y):
    return 2 * (y_pred - y)


def backward(param, x, y):
    nodes = {}
    nodes['matmul'] = np.matmul(x, param['w'])
    nodes['bias'] = nodes['matmul'] + param['b']
    y_pred = sigmoid(nodes['bias'])
    matrix = np.multiply(sigmoid_gradient(nodes['bias']), cost_gradient(y_pred, y))
    matrix2 = np.mean(matrix, 0, keepdims=False)
    return {"w": np.matmul(np.transpose(x), matrix), "b": matrix2}
