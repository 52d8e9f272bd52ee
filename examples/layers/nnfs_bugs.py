"""Four slips in classes written the way *Neural Networks from Scratch in
Python* writes them (the forwards are right); ``symbp grade-layers
examples/layers/nnfs_bugs.py`` finds and names each:

* Layer_Dense: ``dweights = dvalues.T @ inputs``, the transpose of the
  gradient, which has the right shape only on a square layer (as many
  inputs as neurons: ``--config d=3,M=3`` grades it there);
* Activation_Sigmoid: the derivative taken at the output, sigmoid'(a) for
  sigmoid'(z);
* the softmax classifier: divided by the number of samples twice;
* Layer_Dropout: the mask not applied in the backward.

Written for symbp's examples, not copied from the book.
"""

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(dvalues.T, self.inputs)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_Sigmoid:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        sigmoid = 1 / (1 + np.exp(-self.output))
        self.dinputs = dvalues * sigmoid * (1 - sigmoid)


class Activation_Softmax_Loss_CategoricalCrossentropy:
    # the book's final version: no forward (its model applies the softmax itself)
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples
        self.dinputs = self.dinputs / samples


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training):
        self.inputs = inputs
        if not training:
            self.output = inputs.copy()
            return
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
