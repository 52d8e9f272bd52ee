"""How ``symbp grade`` calls FUNC: ``FUNC(params, x, y)``, or the way the
course FUNC comes from calls it, recognised by FUNC's parameter names and
the module's other functions (contract section 10: code as people write it).

* Andrew Ng's deep-learning courses pass the forward pass's cache to the
  backward pass: ``L_model_backward(AL, Y, caches)`` (the module's
  ``L_model_forward(X, parameters)`` gives ``AL, caches``);
  ``backward_propagation(X, Y, cache)``, ``backward_propagation_with_
  regularization(X, Y, cache, lambd)``, ``backward_propagation_with_
  dropout(X, Y, cache, keep_prob)`` and ``backward_propagation_n(X, Y,
  cache)`` (with ``forward_propagation``, ``..._with_dropout``,
  ``forward_propagation_n``); the planar exercise's ``backward_propagation(
  parameters, cache, X, Y)``.  symbp runs the module's forward for the cache,
  then FUNC.  ``lambd`` is the network's decay (``l2 * m``); ``keep_prob`` is
  1: symbp's networks have no dropout.
* model classes keep their parameters in ``self.params``: cs231n's
  ``TwoLayerNet(input_dim, hidden_dim, num_classes, weight_scale, reg)`` and
  ``FullyConnectedNet(hidden_dims, input_dim, num_classes, ..., reg, dtype)``
  with ``loss(X, y) -> (loss, grads)``, assignment 1's ``TwoLayerNet(
  input_size, hidden_size, output_size)`` with ``loss(X, y, reg)``, and
  *Deep Learning from Scratch*'s ``TwoLayerNet``/``MultiLayerNet`` with
  ``gradient(x, t)``.  symbp builds one with the network's sizes (and
  ``reg`` = l2, ``dtype`` float64), writes the point's parameters into its
  ``params`` (in place: the book's layers hold those very arrays), and calls
  it, as cs231n's own gradient check does.
* Michael Nielsen's *Neural Networks and Deep Learning* (``network.py``,
  ``network2.py``): ``Network(sizes)`` keeps lists ``weights`` and
  ``biases`` (units as rows, one sample a column) and ``backprop(x, y)``
  returns ``(nabla_b, nabla_w)``, the gradient of one sample's cost.  symbp
  builds one with the network's sizes, sets its lists to the point's
  parameters and reads the two lists as ``db1, db2, ...`` and ``dW1, dW2,
  ...``.  FUNC is the class or its method: ``network.py:Network`` or
  ``network.py:Network.backprop``.
* Tariq Rashid's *Make Your Own Neural Network*: ``neuralNetwork(
  inputnodes, hiddennodes, outputnodes, learningrate)`` whose ``train(
  inputs_list, targets_list)`` updates ``wih`` and ``who`` by one step; the
  gradients are read off the step (:mod:`symbp.grading.course_rashid`).
* the blogs' ``NeuralNetwork(input_size, hidden_size, output_size,
  learning_rate)`` with ``forward(X)`` and ``backward(X, y, output)`` that
  updates ``W1, b1, ...`` by one step; the gradients are read off the step
  (:mod:`symbp.grading.course_update_step`).
* Andrew Ng's *Machine Learning* exercise 4 in Python: ``nnCostFunction(
  nn_params, input_layer_size, hidden_layer_size, num_labels, X, y,
  lambda_)`` returning ``(J, grad)``, Theta1 and Theta2 unrolled
  (:mod:`symbp.grading.course_ex4`).

:func:`describe` says which convention applies (plain data, for the
report's note); :func:`adapt` gives a function ``(params, x, y)`` that calls
FUNC that way.  Both run where FUNC lives (the sandbox's child process).

>>> def L_model_forward(X, parameters):
...     return X, []
>>> def L_model_backward(AL, Y, caches):
...     return {}
>>> describe(L_model_backward)["note"]
'FUNC called as the course does: L_model_forward gives the cache, then L_model_backward(AL, Y, caches)'
>>> describe(lambda params, x, y: {})["kind"]
'plain'
"""

from __future__ import annotations

import sys

import numpy as np

from symbp.grading import course_ex4, course_rashid, course_update_step
from symbp.grading.construction import SIZE_ARGUMENTS, built, required_arguments
from symbp.grading.construction import signature_parameters as _parameters

# FUNC's parameter names (lower case) that Ng's code uses, and what each is given
_NG_ARGUMENTS = {"x": "x", "y": "y", "parameters": "params", "params": "params",
                 "cache": "cache", "caches": "cache", "al": "out", "a3": "out", "a2": "out",
                 "lambd": "lambd", "keep_prob": "keep_prob"}
# Nielsen's cost classes (network2.py's ``cost=`` default) and symbp's loss for each:
# QuadraticCost is C = ||a - y||^2 / 2, CrossEntropyCost the binary cross-entropy
_NIELSEN_COSTS = {"QuadraticCost": "half_sse", "CrossEntropyCost": "bce"}
# a model's method named by the user is called for gradients only if its name says so
# (Network.feedforward, Network.SGD, __init__ would be called with (x, y) otherwise)
_GRADIENT_WORDS = ("grad", "loss", "backprop", "backward", "cost", "train")


def _positional(function) -> list[str]:
    return [p.name for p in _parameters(function) if p.name != "self" and
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _is_rashid(cls, method) -> bool:
    """Rashid's ``neuralNetwork(inputnodes, hiddennodes, outputnodes,
    learningrate)`` with ``train(inputs_list, targets_list)``, not cs231n's
    ``TwoLayerNet.train(X, y, X_val, y_val, ...)``."""
    return method == "train" and len(_positional(cls)) == 4 and \
        len(_positional(getattr(cls, method))) == 2


def _is_nn_cost_function(obj) -> bool:
    """Exercise 4's ``nnCostFunction(nn_params, input_layer_size,
    hidden_layer_size, num_labels, X, y[, lambda_])`` (or a port's
    ``nnGradient`` of the same arguments)."""
    if isinstance(obj, type) or not callable(obj):
        return False
    names = _positional(obj)
    named = getattr(obj, "__name__", "").lower().startswith("nncostfunction")
    return len(names) in (6, 7) and (named or names[0].lower() == "nn_params")


def _module_of(obj):
    return sys.modules.get(getattr(obj, "__module__", None) or "")


def _ng_forward(function):
    """The module's forward pass for Ng's backward ``function``, or None."""
    names = [p.name.lower() for p in _parameters(function)]
    if not names or "cache" not in names and "caches" not in names or \
            any(name.lower() not in _NG_ARGUMENTS for name in required_arguments(function)):
        return None
    # the names FUNC itself sees (its module's, or a notebook's)
    module = _module_of(function)
    namespace = {**(vars(module) if module else {}), **getattr(function, "__globals__", {})}
    name = function.__name__
    candidates = ["L_model_forward"] if "caches" in names else \
        [name.replace("backward", "forward"),
         name.replace("backward", "forward").replace("_with_regularization", ""),
         "forward_propagation"]
    for candidate in candidates:
        forward = namespace.get(candidate)
        if callable(forward):
            return forward
    return None


def _layer_named(name: str) -> str | None:
    """The catalogue layer whose conventional backward (or class) is ``name``."""
    from symbp.grading.discovery import discover
    found = discover({name: "function"}) + discover({name: "class"})
    return found[0].layer if found else None


def _model_method(cls):
    for name in ("gradient", "loss", "backprop", "train"):
        if callable(getattr(cls, name, None)):
            return name
    return None


def _model_and_method(obj):
    """``(class, method name)`` when ``obj`` is a model class or one of its
    methods (``Network.backprop``), else None."""
    if isinstance(obj, type):
        return obj, _model_method(obj)
    owner, dot, method = getattr(obj, "__qualname__", "").rpartition(".")
    cls = getattr(_module_of(obj), owner, None) if dot else None
    if isinstance(cls, type) and getattr(cls, method, None) is obj:
        return cls, method
    return None


def _nielsen_loss(cls) -> str:
    """network2.py's default ``cost`` class as symbp's loss; network.py's
    ``cost_derivative`` (a - y) is the quadratic cost's."""
    cost = next((p.default for p in _parameters(cls) if p.name == "cost"), None)
    return _NIELSEN_COSTS.get(getattr(cost, "__name__", ""), "half_sse")


def describe(obj) -> dict:
    """Which convention FUNC is called by: ``{"kind": "plain" | "ng" |
    "model" | "nielsen" | "rashid" | "update_step" | "ex4", "note": ...,
    "takes": [...]}``;
    ``takes`` names what the convention passes that the network must provide
    (``lambd``, ``reg``, ``lambda_``),
    ``labels`` whether a model takes integer class labels (cs231n's do),
    ``loss`` the loss of Nielsen's cost class.

    >>> def gradients(params, x, y): ...
    >>> describe(gradients)["kind"]
    'plain'
    >>> class TwoLayerNet:
    ...     def __init__(self, input_size, hidden_size, output_size): ...
    ...     def gradient(self, x, t): ...
    >>> model = describe(TwoLayerNet)
    >>> model["kind"], model["method"]
    ('model', 'gradient')
    >>> class CrossEntropyCost: ...
    >>> class Network:
    ...     def __init__(self, sizes, cost=CrossEntropyCost): ...
    ...     def backprop(self, x, y): ...
    >>> nielsen = describe(Network)
    >>> nielsen["kind"], nielsen["loss"]
    ('nielsen', 'bce')
    >>> class neuralNetwork:
    ...     def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate): ...
    ...     def train(self, inputs_list, targets_list): ...
    >>> describe(neuralNetwork)["kind"]
    'rashid'
    >>> class NeuralNetwork:
    ...     def __init__(self, input_size, hidden_size, output_size, learning_rate=0.1): ...
    ...     def forward(self, X): ...
    ...     def backward(self, X, y, output): ...
    ...     def train(self, X, y, epochs=1000): ...
    >>> describe(NeuralNetwork)["kind"]
    'update_step'
    >>> def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels,
    ...                    X, y, lambda_=0.0): ...
    >>> describe(nnCostFunction)["kind"], describe(nnCostFunction)["takes"]
    ('ex4', ['lambda_'])
    """
    model = _model_and_method(obj)
    if model is not None and (isinstance(obj, type) or model[1] == "backward") and \
            course_update_step.recognises(model[0]):
        return _update_step(model[0])
    if model is not None:
        obj, method = model
        if method is not None and not any(word in method.lower() for word in _GRADIENT_WORDS):
            return {"kind": "unknown", "note": None, "takes": [], "problem": (
                f"{obj.__name__}.{method} does not compute gradients by its name: give the "
                "class's backprop(x, y) (Nielsen's), loss(X, y) (cs231n's) or gradient(x, t) "
                "(the book's), or a function FUNC(params, x, y)")}
        if method == "backprop":
            return {"kind": "nielsen", "method": method, "takes": [], "loss": _nielsen_loss(obj),
                    "note": f"{obj.__name__} built with the network's sizes and its weights and "
                            f"biases set to the point's (Nielsen's network.py); graded through "
                            f"backprop(x, y), its (nabla_b, nabla_w) read as db1, db2, ... "
                            f"and dW1, dW2, ..."}
        if _is_rashid(obj, method):
            return {"kind": "rashid", "method": method, "takes": [],
                    "note": course_rashid.note(obj), "other_loss": [course_rashid.OTHER_LOSS]}
        if method is not None and course_update_step.recognises(obj):
            # NeuralNetwork.train loops over epochs: its forward and backward are the step
            return {"kind": "unknown", "note": None, "takes": [], "problem": (
                f"{obj.__name__}.{method} is not one step: symbp grades the class itself, "
                f"through its forward and backward ({obj.__name__} without .{method})")}
        if method in (None, "train"):
            return {"kind": "unknown", "note": None, "takes": [],
                    "problem": f"the class {obj.__name__} has no gradient, loss or backprop "
                               "method (nor Rashid's train(inputs, targets)): give a function "
                               "FUNC(params, x, y), or a model class with loss(X, y), "
                               "gradient(x, t) or backprop(x, y)"}
        sizes = [p.name for p in _parameters(obj)
                 if SIZE_ARGUMENTS.get(p.name.lower()) not in (None, "rate")]
        takes_reg = any(SIZE_ARGUMENTS[s.lower()] == "reg" for s in sizes) or \
            "reg" in [p.name for p in _parameters(getattr(obj, method))]
        return {"kind": "model", "method": method, "takes": ["reg"] * takes_reg,
                "labels": method == "loss",
                "note": f"{obj.__name__} built with the network's sizes ("
                        f"{', '.join(sizes) or 'no size arguments'}) and its params set to "
                        f"the point's; graded through its {method} method"}
    if _is_nn_cost_function(obj):
        takes_lambda = len(_positional(obj)) == 7
        return {"kind": "ex4", "note": course_ex4.note(obj.__name__, takes_lambda),
                "takes": ["lambda_"] * takes_lambda}
    layer = _layer_named(getattr(obj, "__name__", ""))
    if layer is not None:
        return {"kind": "unknown", "note": None, "takes": [], "problem": (
            f"{obj.__name__} is the backward of a layer (the catalogue's {layer}), not of a "
            "whole network: symbp grade-layers FILE grades it; symbp grade takes a function "
            "FUNC(params, x, y), a course's backward pass or a model class")}
    forward = _ng_forward(obj) if callable(obj) else None
    if forward is not None:
        names = [p.name.lower() for p in _parameters(obj)]
        note = (f"FUNC called as the course does: {forward.__name__} gives the cache, then "
                f"{obj.__name__}({', '.join(p.name for p in _parameters(obj))})")
        if "keep_prob" in names:
            note += (" with keep_prob = 1 (symbp's networks have no dropout: the masks and "
                     "the division by keep_prob are not tested; grade-layers grades dropout "
                     "layers)")
        return {"kind": "ng", "forward": forward.__name__, "note": note,
                "takes": ["lambd"] * ("lambd" in names)}
    return {"kind": "plain", "note": None, "takes": []}


def _update_step(cls) -> dict:
    """The blogs' ``NeuralNetwork`` whose ``backward(X, y, output)`` updates
    its parameters (:mod:`symbp.grading.course_update_step`)."""
    problem = course_update_step.rate_problem(cls)
    if problem is not None:
        return {"kind": "unknown", "note": None, "takes": [], "problem": problem}
    return {"kind": "update_step", "method": "backward", "takes": [], "name": cls.__name__,
            "two_layers": course_update_step.two_layers(cls),
            "note": course_update_step.note(cls), "other_loss": course_update_step.OTHER_LOSSES}


def adapt(obj, extras: dict | None = None):
    """A function ``(params, x, y)`` calling FUNC by its convention;
    ``extras`` holds ``l2`` (the network's decay, lambda).

    >>> class Model:
    ...     def __init__(self, input_dim, hidden_dim, num_classes):
    ...         self.params = {"W1": np.zeros((input_dim, hidden_dim))}
    ...     def loss(self, X, y):
    ...         return 0.0, {"W1": self.params["W1"] * 2}
    >>> loss, grads = adapt(Model)({"W1": np.ones((2, 3)), "W2": np.ones((3, 4))}, None, None)
    >>> grads["W1"].shape, float(grads["W1"][0, 0])
    ((2, 3), 2.0)
    """
    extras = extras or {}
    kind = describe(obj)["kind"]
    if kind == "ng":
        return lambda params, x, y: _call_ng(obj, params, x, y, extras)
    if kind == "ex4":
        takes_lambda = "lambda_" in describe(obj)["takes"]
        return lambda params, x, y: course_ex4.call(obj, params, x, y, extras.get("l2", 0.0),
                                                    takes_lambda)
    if kind == "update_step":
        cls, _ = _model_and_method(obj)
        return lambda params, x, y: course_update_step.call(cls, params, x, y)
    if kind == "rashid":
        cls, method = _model_and_method(obj)
        return lambda params, x, y: course_rashid.call(cls, method, params, x, y)
    if kind in ("model", "nielsen"):
        cls, method = _model_and_method(obj)
        call = _call_model if kind == "model" else _call_nielsen
        return lambda params, x, y: call(cls, method, params, x, y, extras)
    return obj


def _call_ng(function, params, x, y, extras):
    forward = _ng_forward(function)
    m = np.shape(x)[-1]
    given = {"x": x, "y": y, "params": params, "lambd": extras.get("l2", 0.0) * m,
             "keep_prob": 1.0}
    forward_args = [given[_NG_ARGUMENTS[name.lower()]] for name in required_arguments(forward)
                    if name.lower() in _NG_ARGUMENTS]
    kwargs = {"keep_prob": 1.0} if "keep_prob" in [p.name for p in _parameters(forward)] else {}
    returned = forward(*forward_args, **kwargs)
    given["out"], given["cache"] = returned[0], returned[-1]
    return function(*[given[_NG_ARGUMENTS[p.name.lower()]] for p in _parameters(function)
                      if p.name.lower() in _NG_ARGUMENTS])


def _layer_params(params, letter):
    return [params[k] for k in sorted((k for k in params if k.startswith(letter)),
                                      key=lambda k: int(k[1:]))]


def _call_nielsen(cls, method, params, x, y, extras):
    # units as rows, samples as columns: W[l] is (n_l, n_(l-1)), b[l] (n_l, 1)
    weights = _layer_params(params, "W")
    widths = [np.shape(weights[0])[1]] + [np.shape(w)[0] for w in weights]
    model = built(cls, widths, extras)
    missing = [name for name in ("weights", "biases") if not hasattr(model, name)]
    if missing:   # its parameters live elsewhere: graded at its own random ones, it would fail
        raise TypeError(f"{cls.__name__} keeps no {' and no '.join(missing)} list: symbp cannot "
                        "give it the point's parameters (Nielsen's Network keeps self.weights "
                        "and self.biases)")
    given_biases = _layer_params(params, "b")
    model.weights = weights
    # a network without biases: zeros, so that the forward pass is the network's
    model.biases = given_biases or [np.zeros((n, 1)) for n in widths[1:]]
    returned = getattr(model, method)(x, y)
    if isinstance(returned, (tuple, list)) and len(returned) == 2 and \
            all(isinstance(part, (tuple, list)) for part in returned):
        nabla_b, nabla_w = returned
        grads = {f"dW{l}": value for l, value in enumerate(nabla_w, 1)}
        if given_biases:
            grads.update({f"db{l}": value for l, value in enumerate(nabla_b, 1)})
        return grads
    return returned


def _call_model(cls, method, params, x, y, extras):
    weights = _layer_params(params, "W")
    model = built(cls, [np.shape(weights[0])[0]] + [np.shape(w)[1] for w in weights], extras)
    held = getattr(model, "params", None)
    if not isinstance(held, dict):
        raise TypeError(f"{cls.__name__} keeps no params dict: symbp cannot give it the point's "
                        "parameters")
    for key, value in params.items():
        existing = held.get(key)
        if isinstance(existing, np.ndarray) and existing.size == np.size(value):
            existing[...] = np.reshape(value, existing.shape)   # in place: layers hold them
        else:
            held[key] = np.array(value)
    method = getattr(model, method)
    if "reg" in [p.name for p in _parameters(method)]:
        return method(x, y, reg=extras.get("l2", 0.0))
    return method(x, y)
