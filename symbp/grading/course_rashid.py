"""Tariq Rashid's *Make Your Own Neural Network* (《Python神经网络编程》),
as ``symbp grade`` calls it: a class ``neuralNetwork(inputnodes,
hiddennodes, outputnodes, learningrate)`` that keeps the weights in
``self.wih`` (hidden x input) and ``self.who`` (output x hidden), has no
biases, and whose ``train(inputs_list, targets_list)`` takes one sample as
lists and *updates* the weights in place by what is meant as one
gradient-descent step of the loss 1/2 ||t - o||^2 (it returns nothing; the
book's own ``wih`` step is the cross-entropy's, :data:`OTHER_LOSS`).

symbp builds the class with the network's sizes and the learning rate
:data:`~symbp.grading.construction.LEARNING_RATE`, sets ``wih`` and
``who`` to copies of the point's W1 and W2, calls ``train`` on each sample (the weights reset before each) and
reads each gradient off the step: ``-(W_after - W_before) / lr``, summed
over the samples.

:mod:`symbp.grading.conventions` recognises the class: a constructor of
four arguments and ``train(inputs, targets)``.

>>> LEARNING_RATE
1024.0
"""

from __future__ import annotations

import numpy as np

from symbp.grading.construction import LEARNING_RATE, step_gradient

# the names the book's copies give the two weight matrices (compared in lower case)
INPUT_HIDDEN_NAMES = ("wih", "w_ih", "w_i_h", "weights_ih", "w_input_hidden")
HIDDEN_OUTPUT_NAMES = ("who", "woh", "w_ho", "w_h_o", "weights_ho", "w_hidden_output")


# the book's train() sends the output errors t - o back to the hidden layer without the
# output's sigmoid derivative o(1 - o): its wih step is the cross-entropy's (whose delta is
# o - t), its who step the squared error's; a W1 that is the former is named so
OTHER_LOSS = {"loss": "bce", "text": (
    "{key} is the gradient of the cross-entropy loss (bce), not of 1/2 ||t - o||^2: the "
    "hidden errors who.T @ output_errors leave out the output's sigmoid derivative "
    "o * (1 - o), as the book's own train() does (who.T @ (output_errors * o * (1 - o)) "
    "is the gradient)")}


def note(cls) -> str:
    """The report's note for the class ``cls``.

    >>> note(type("neuralNetwork", (), {})).split(",")[0]
    "neuralNetwork built with the network's sizes and learning rate 1024"
    """
    return (f"{cls.__name__} built with the network's sizes and learning rate "
            f"{LEARNING_RATE:g}, wih and who set to the point's W1 and W2 (Rashid's Make Your "
            f"Own Neural Network); graded through train(inputs, targets) one sample at a time, "
            f"each gradient read off its step as -(W_after - W_before) / {LEARNING_RATE:g}")


def _weight_name(model, names: tuple, what: str) -> str:
    found = {name.lower(): name for name in vars(model)}
    for name in names:
        if name in found:
            return found[name]
    raise TypeError(f"{type(model).__name__} keeps no {what} weights under a name symbp knows "
                    f"({', '.join(names)}): symbp cannot give it the point's weights")


def call(cls, method: str, params: dict, x, y) -> dict:
    """The gradients ``{"dW1": ..., "dW2": ...}`` of the book's ``cls`` at
    the point ``params`` (column layout, no biases) on the batch ``x``, ``y``.

    >>> class neuralNetwork:
    ...     def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate):
    ...         self.wih, self.who, self.lr = None, None, learningrate
    ...     def train(self, inputs_list, targets_list):      # the step of 1/2 (t - W2 W1 x)^2
    ...         inputs = np.array(inputs_list, ndmin=2).T
    ...         errors = np.array(targets_list, ndmin=2).T - self.who @ self.wih @ inputs
    ...         hidden_errors = self.who.T @ errors
    ...         self.who += self.lr * errors @ (self.wih @ inputs).T
    ...         self.wih += self.lr * hidden_errors @ inputs.T
    >>> grads = call(neuralNetwork, "train", {"W1": np.ones((1, 1)), "W2": np.full((1, 1), 2.0)},
    ...              np.ones((1, 1)), np.zeros((1, 1)))
    >>> float(grads["dW1"][0, 0]), float(grads["dW2"][0, 0])
    (4.0, 2.0)
    """
    if "W3" in params or any(key.startswith("b") for key in params):
        raise TypeError(f"{cls.__name__} is the book's network of two layers without biases: "
                        "grade it on a network of three sizes with no biases")
    weights = [np.asarray(params["W1"], float), np.asarray(params["W2"], float)]
    hidden, inputs = weights[0].shape
    model = cls(inputs, hidden, weights[1].shape[0], LEARNING_RATE)
    names = [_weight_name(model, INPUT_HIDDEN_NAMES, "input-to-hidden"),
             _weight_name(model, HIDDEN_OUTPUT_NAMES, "hidden-to-output")]
    x, y = np.asarray(x), np.asarray(y)
    gradients = [np.zeros_like(w) for w in weights]
    for sample in range(x.shape[1]):
        for name, weight in zip(names, weights, strict=True):
            setattr(model, name, weight.copy())
        # one sample as lists, as the book's training loop passes a record
        getattr(model, method)(x[:, sample].tolist(), y[:, sample].tolist())
        for gradient, name, weight in zip(gradients, names, weights, strict=True):
            gradient += step_gradient(weight, getattr(model, name), method, name)
    return {"dW1": gradients[0], "dW2": gradients[1]}
