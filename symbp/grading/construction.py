"""Building a user's model class with a network's sizes, by the names of its
constructor's arguments (``TwoLayerNet(input_size, hidden_size,
output_size)``, ``Network(sizes)``, ``NeuralNetwork(input_nodes,
hidden_nodes, output_nodes, learning_rate)``): one table, :data:`SIZE_ARGUMENTS`,
for every course convention that builds a class.

>>> class Net:
...     def __init__(self, n_input, n_hidden, n_output, lr=0.1):
...         self.sizes, self.lr = (n_input, n_hidden, n_output), lr
>>> model = built(Net, [2, 3, 1], {"learning_rate": 1024.0})
>>> model.sizes, model.lr
((2, 3, 1), 1024.0)
"""

from __future__ import annotations

import inspect

import numpy as np

# a constructor's argument names (lower case) and what each is given; "rate" is the
# learning rate of a class that updates its own weights (None: left to its default)
SIZE_ARGUMENTS = {
    **dict.fromkeys(("input_dim", "input_size", "n_input", "n_inputs", "input_nodes",
                     "num_inputs", "input_neurons", "input_layer_size"), "input"),
    **dict.fromkeys(("hidden_dim", "hidden_size", "n_hidden", "hidden_nodes", "num_hidden",
                     "hidden_neurons", "hidden_units", "hidden_layer_size"), "hidden"),
    **dict.fromkeys(("output_dim", "output_size", "n_output", "n_outputs", "output_nodes",
                     "num_outputs", "output_neurons", "num_classes"), "output"),
    **dict.fromkeys(("hidden_dims", "hidden_size_list", "hidden_sizes", "hidden_layers"),
                    "hiddens"),
    **dict.fromkeys(("sizes", "layer_sizes", "layers"), "sizes"),
    # the most specific first: "alpha" is also a leaky ReLU's slope
    **dict.fromkeys(("learning_rate", "lr", "eta", "learningrate", "alpha"), "rate"),
    "reg": "reg", "weight_decay_lambda": "reg", "dtype": "dtype"}
# a learning rate's names, in that order
RATE_NAMES = tuple(name for name, kind in SIZE_ARGUMENTS.items() if kind == "rate")

# The learning rate a class that updates its own weights (Rashid's train(), the blogs'
# backward) is built with: a power of two, so that multiplying by it and dividing by it
# are exact; large, so that a step that forgets the learning rate (or reads a weight
# after updating it) is 1/1024 of the truth, never within a tolerance, and the step
# dwarfs the rounding of W + step.
LEARNING_RATE = 1024.0


def step_gradient(before, after, method: str, label: str) -> np.ndarray:
    """The gradient one gradient-descent step of :data:`LEARNING_RATE` took
    on a parameter, ``-(after - before) / rate``; a TypeError naming the
    ``method`` when the step changed the parameter's shape.

    >>> step_gradient(np.ones(2), np.array([-1023.0, 3.0]), "train", "wih").tolist()
    [1.0, -0.001953125]
    """
    after = np.asarray(after, float)
    if after.shape != np.shape(before):
        raise TypeError(f"{method} left {label} of shape {after.shape}; it was "
                        f"{np.shape(before)}")
    return -(after - before) / LEARNING_RATE


def signature_parameters(function) -> list[inspect.Parameter]:
    """``function``'s parameters, or none where it has no signature.

    >>> [p.name for p in signature_parameters(lambda x, y=1: x)], signature_parameters(1)
    (['x', 'y'], [])
    """
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []


def required_arguments(function) -> list[str]:
    """The names of ``function``'s positional arguments without a default
    (``self`` aside): what a caller must pass.

    >>> required_arguments(lambda self, X, y, output=None: None)
    ['X', 'y']
    """
    return [p.name for p in signature_parameters(function) if p.name != "self" and
            p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def built(cls, widths, extras: dict):
    """``cls`` built with the network's ``widths`` (input first), by the
    names of its constructor's arguments (:data:`SIZE_ARGUMENTS`); ``extras``
    gives ``l2`` (``reg``) and ``learning_rate``."""
    given = {"input": widths[0], "hidden": widths[1] if len(widths) == 3 else None,
             "hiddens": list(widths[1:-1]), "output": widths[-1], "reg": extras.get("l2", 0.0),
             "dtype": np.float64, "sizes": list(widths), "rate": extras.get("learning_rate")}
    return cls(**{p.name: given[SIZE_ARGUMENTS[p.name.lower()]]
                  for p in signature_parameters(cls)
                  if p.name.lower() in SIZE_ARGUMENTS and
                  given[SIZE_ARGUMENTS[p.name.lower()]] is not None})
