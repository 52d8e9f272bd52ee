"""The most copied from-scratch network of blogs and GitHub, as ``symbp
grade`` calls it: a class ``NeuralNetwork(input_size, hidden_size,
output_size, learning_rate)`` that keeps ``W1, b1, W2, b2`` (or
``weights_input_hidden``, ``bias_hidden``, ``weights_hidden_output``,
``bias_output``, or lists ``weights`` and ``biases``) with the samples as
rows, whose ``forward(X)`` returns the output and whose ``backward(X, y,
output)`` *updates* the parameters in place by one gradient-descent step
(it returns nothing).

symbp builds the class with the network's sizes and the learning rate
:data:`LEARNING_RATE` (by its constructor's argument, else by setting its
attribute), sets its parameters to copies of the point's, calls ``output =
forward(X)`` and ``backward(X, y, output)`` on the whole batch and reads each
gradient off the step: ``-(P_after - P_before) / lr``.

These classes differ in the loss their step descends (``(y - output) *
s'(output)`` summed is 1/2 ||y - o||^2's, ``(output - y) / m`` the mean
cross-entropy's): :data:`OTHER_LOSSES` are the losses a wrong key is tried
against, to say which one the code's step is the gradient of.

>>> LEARNING_RATE, RATE_NAMES[:2]
(1024.0, ('learning_rate', 'lr'))
"""

from __future__ import annotations

import dis

import numpy as np

from symbp.grading.construction import (
    LEARNING_RATE,
    RATE_NAMES,
    SIZE_ARGUMENTS,
    built,
    required_arguments,
    signature_parameters,
    step_gradient,
)

# each layer's names besides W1/b1 (any capitals), weights1/bias1: the first layer's
# and the last layer's own
_FIRST = (("weights_input_hidden", "weights_ih", "w_ih", "w_input_hidden"),
          ("bias_hidden", "biases_hidden", "bias_h", "b_h"))
_LAST = (("weights_hidden_output", "weights_ho", "w_ho", "w_hidden_output"),
         ("bias_output", "biases_output", "bias_o", "b_o"))
# lists of every layer's weights and biases
_LISTS = (("weights", "biases"), ("w", "b"))

# the losses a wrong key is tried against: (loss, reduction, output activation or None)
_CANDIDATES = (("half_sse", "sum", None), ("half_sse", "mean", None), ("bce", "mean", None),
               ("cce", "mean", "softmax"))
_LOSS_WORDS = {"half_sse": "1/2 ||y - output||^2", "bce": "the binary cross-entropy",
               "cce": "the cross-entropy of softmax outputs"}


def _candidate(loss: str, reduction: str, output: str | None) -> dict:
    over = "summed over" if reduction == "sum" else "averaged over"
    flags = f"{loss}, {reduction}" + (f", {output} outputs" if output else "")
    # every key must be that loss's gradient: a bias averaged where the weights are summed
    # is a slip, not the step of the mean loss
    return {"loss": loss, "reduction": reduction, "output": output, "every_key": True, "text": (
        f"{{key}}'s step is the gradient of {_LOSS_WORDS[loss]} {over} the batch ({flags}), "
        "not of the network's loss")}


OTHER_LOSSES = [_candidate(*candidate) for candidate in _CANDIDATES]


def recognises(cls) -> bool:
    """Whether ``cls`` has ``forward(X)`` and ``backward(X, y, output)`` (or
    ``backward(X, y)``, reading the output its forward kept).

    >>> class NeuralNetwork:
    ...     def forward(self, X): ...
    ...     def backward(self, X, y, output): ...
    >>> recognises(NeuralNetwork), recognises(int)
    (True, False)
    """
    forward, backward = getattr(cls, "forward", None), getattr(cls, "backward", None)
    if not (callable(forward) and callable(backward)):
        return False
    return len(required_arguments(forward)) == 1 and len(required_arguments(backward)) in (2, 3)


def _backward_call(cls) -> str:
    """How the class's backward is called, as the report says it."""
    return "backward(X, y, output)" if len(required_arguments(cls.backward)) == 3 else "backward(X, y)"


def two_layers(cls) -> bool:
    """Whether ``cls``'s constructor takes one hidden size (a network of two
    layers), not a list of them.

    >>> two_layers(type("Net", (), {"__init__": lambda self, input_size, hidden_size: None}))
    True
    """
    kinds = {SIZE_ARGUMENTS.get(p.name.lower()) for p in signature_parameters(cls)}
    return "hidden" in kinds and not kinds & {"hiddens", "sizes"}


def _takes_rate(function) -> str | None:
    return next((p.name for p in signature_parameters(function)
                 if SIZE_ARGUMENTS.get(p.name.lower()) == "rate"), None)


def _attribute_names(cls) -> set[str]:
    """The attribute names (lower case) the class's methods read or set
    (``self.lr``; a global ``LR`` is no attribute), and its class attributes."""
    names = set()
    for klass in cls.__mro__[:-1]:
        for value in vars(klass).values():
            code = getattr(value, "__code__", None)
            if code is not None:
                names.update(str(step.argval).lower() for step in dis.get_instructions(code)
                             if step.opname in ("LOAD_ATTR", "STORE_ATTR", "LOAD_METHOD"))
        names.update(name.lower() for name in vars(klass))
    return names


def rate_problem(cls) -> str | None:
    """One sentence when ``cls`` has no learning rate symbp can set (a
    constructor argument, or an attribute its methods use), else None.

    >>> class Net:
    ...     def __init__(self, input_size): self.w = 0
    ...     def forward(self, X): ...
    ...     def backward(self, X, y, output): self.w -= 0.1
    >>> rate_problem(Net).split(":")[0]
    'Net has no learning rate symbp can set (a constructor argument or attribute learning_rate, lr, eta, learningrate or alpha)'
    """
    if _takes_rate(cls) or _takes_rate(cls.backward) or \
            _attribute_names(cls) & set(RATE_NAMES):
        return None
    return (f"{cls.__name__} has no learning rate symbp can set (a constructor argument or "
            f"attribute {', '.join(RATE_NAMES[:-1])} or {RATE_NAMES[-1]}): its backward's step "
            "cannot be read as a gradient; keep the rate in self.learning_rate")


def note(cls) -> str:
    """The report's note for the class ``cls``.

    >>> said = note(type("NeuralNetwork", (), {"backward": lambda self, X, y: None}))
    >>> said.split(";")[0]
    "NeuralNetwork built with the network's sizes and learning rate 1024, its weights and biases set to the point's"
    >>> "graded through output = forward(X), backward(X, y), each" in said
    True
    """
    return (f"{cls.__name__} built with the network's sizes and learning rate "
            f"{LEARNING_RATE:g}, its weights and biases set to the point's; graded through "
            f"output = forward(X), {_backward_call(cls)}, each gradient read off its step as "
            f"-(P_after - P_before) / {LEARNING_RATE:g}")


class _Slot:
    """Where a parameter lives on the model: an attribute, or an item of a list attribute."""

    def __init__(self, model, name: str, index: int | None = None):
        self.model, self.name, self.index = model, name, index
        self.label = name if index is None else f"{name}[{index}]"

    def get(self):
        value = getattr(self.model, self.name)
        return value if self.index is None else value[self.index]

    def set(self, value):
        if self.index is None:
            setattr(self.model, self.name, value)
        else:
            getattr(self.model, self.name)[self.index] = value


def _named(model, layer: int, depth: int, which: int) -> _Slot | None:
    """The slot of layer ``layer``'s weights (``which`` 0) or biases (1)."""
    names = [f"{'wb'[which]}{layer}", f"{('weights', 'bias')[which]}{layer}",
             f"{('weight', 'biases')[which]}{layer}"]
    names += list(_FIRST[which]) * (layer == 1) + list(_LAST[which]) * (layer == depth)
    found = {name.lower(): name for name in vars(model)}
    return next((_Slot(model, found[name]) for name in names if name in found), None)


def _slots(model, depth: int) -> tuple[list, list]:
    """The model's weight slots and bias slots (None where it has none), layer by layer."""
    found = {name.lower(): name for name in vars(model)}
    for weights, biases in _LISTS:
        if isinstance(getattr(model, found.get(weights, ""), None), list):
            held = [getattr(model, found[weights]), getattr(model, found.get(biases, ""), None)]
            for slots, name in zip(held, (weights, biases), strict=True):
                if slots is not None and len(slots) != depth:
                    raise TypeError(f"{type(model).__name__}.{found[name]} holds {len(slots)} "
                                    f"layers, the network {depth}: give the network its depth")
            return ([_Slot(model, found[weights], i) for i in range(depth)],
                    [_Slot(model, found[biases], i) if held[1] is not None else None
                     for i in range(depth)])
    if _named(model, depth + 1, 0, 0) is not None:   # W3 by number, never by a last name
        raise TypeError(f"{type(model).__name__} has weights of a layer {depth + 1}, the "
                        f"network {depth} layers: give the network its depth")
    weights = [_named(model, layer, depth, 0) for layer in range(1, depth + 1)]
    missing = [layer for layer, slot in enumerate(weights, 1) if slot is None]
    if missing:
        raise TypeError(f"{type(model).__name__} keeps no weights of layer {missing[0]} under a "
                        f"name symbp knows (W{missing[0]}, weights{missing[0]}, "
                        "weights_input_hidden, weights_hidden_output or a list weights): "
                        "symbp cannot give it the point's weights")
    return weights, [_named(model, layer, depth, 1) for layer in range(1, depth + 1)]


def _checked(model, slot: _Slot, shape: tuple, key: str) -> tuple:
    """The shape of the model's own ``slot``: ``shape``, or (n,) for a bias (1, n)."""
    own = np.shape(slot.get())
    if own == shape or key.startswith("b") and own == shape[1:]:
        return own
    raise TypeError(f"{type(model).__name__}.{slot.label} has shape {own}, the network's {key} "
                    f"{shape} (samples as rows: W1 is inputs x hidden, b1 is 1 x hidden)")


def call(cls, params: dict, x, y) -> dict:
    """The gradients ``{"dW1": ..., "db1": ...}`` read off one step of
    ``cls``'s ``backward`` at the point ``params`` (row layout) on the batch
    ``x``, ``y``.

    >>> class NeuralNetwork:
    ...     def __init__(self, input_size, output_size, learning_rate=0.1):
    ...         self.W1 = np.zeros((input_size, output_size)); self.lr = learning_rate
    ...     def forward(self, X):
    ...         return X @ self.W1
    ...     def backward(self, X, y, output):      # the step of 1/2 ||X W1 - y||^2
    ...         self.W1 -= self.lr * X.T @ (output - y)
    >>> grads = call(NeuralNetwork, {"W1": np.full((1, 1), 2.0)}, np.ones((1, 1)), np.zeros((1, 1)))
    >>> float(grads["dW1"][0, 0])
    2.0
    """
    weights = [np.asarray(params[f"W{l}"], float) for l in range(1, len(params) + 1)
               if f"W{l}" in params]
    widths = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    takes_rate = _takes_rate(cls)
    model = built(cls, widths, {"learning_rate": LEARNING_RATE})
    if not takes_rate:   # the rate is an attribute set in the constructor, or the class's
        found = {name.lower(): name for name in dir(model)}
        rate = next((found[name] for name in RATE_NAMES if name in found), None)
        if rate is not None:
            setattr(model, rate, LEARNING_RATE)
    weight_slots, bias_slots = _slots(model, len(weights))
    before = {}
    for layer, (weight_slot, bias_slot) in enumerate(zip(weight_slots, bias_slots,
                                                         strict=True), 1):
        key = f"b{layer}"
        _checked(model, weight_slot, weights[layer - 1].shape, f"W{layer}")
        if bias_slot is None and key in params:
            raise TypeError(f"{cls.__name__} keeps no bias of layer {layer} under a name symbp "
                            f"knows (b{layer}, bias{layer}, bias_hidden, bias_output or a list "
                            "biases): grade it on a network without biases")
        if bias_slot is not None:
            shape = (1, widths[layer])
            own = _checked(model, bias_slot, shape, key)
            # a network without biases: zeros, so that the forward pass is the network's
            value = np.asarray(params[key], float) if key in params else np.zeros(shape)
            before[key] = (bias_slot, value.reshape(own))
        before[f"W{layer}"] = (weight_slot, weights[layer - 1])
    for slot, value in before.values():
        slot.set(value.copy())
    output = model.forward(x)
    rate_argument = _takes_rate(cls.backward)
    given = (x, y, output) if len(required_arguments(cls.backward)) == 3 else (x, y)
    model.backward(*given, **{rate_argument: LEARNING_RATE} if rate_argument else {})
    gradients = {}
    for key, (slot, value) in before.items():
        if key not in params:
            continue
        gradients[f"d{key}"] = step_gradient(value, slot.get(), "backward",
                                             slot.label).reshape(np.shape(params[key]))
    return gradients
