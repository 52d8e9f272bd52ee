"""A user's layer called the way its style expects: this runs where the
user's module lives (the child process of :mod:`symbp.grading.sandbox`).

:func:`run_forward_backward` is the one function symbp sends there for a
layer: it calls the forward with copies of the drawn arrays, then the
backward with a copy of ``dout``, and returns plain data: the forward's
output, each gradient, and every in-place change the code made to its
inputs, to ``dout`` or to its cache (for a class: the arrays it keeps on
``self``).  An exception is caught here, so that the report can say whether
the forward or the backward raised.

>>> import types, numpy as np
>>> from symbp.grading.discovery import Found
>>> def relu_forward(x):
...     return np.maximum(x, 0), x
>>> def relu_backward(dout, cache):
...     dout[cache <= 0] = 0          # writes into dout
...     return dout
>>> user = types.SimpleNamespace(relu_forward=relu_forward, relu_backward=relu_backward)
>>> found = Found("relu_backward", "relu", "cs231n", "relu_forward")
>>> result = run_forward_backward(user, found, {"x": np.array([[1.0, -2.0]])}, {},
...                               np.array([[3.0, 4.0]]))
>>> result["grads"]["dx"], [m["what"] for m in result["mutated"]]
(array([[3., 0.]]), ['dout'])
"""

from __future__ import annotations

import inspect

import numpy as np

from symbp.grading.layer_failures import hint, unfinished
from symbp.grading.user_code import describe_exception, plain
from symbp.layers import LAYERS
from symbp.layers.model import CLASS_STYLES

_DEPTH = 3   # how deep into tuples, lists, dicts and attributes arrays are watched


class _Stop(Exception):
    """Ends a call early with a finding (an exception, a missing method...)."""

    def __init__(self, finding: dict):
        super().__init__(finding.get("what"))
        self.finding = finding


def _unimplemented(stage: str, what: str) -> _Stop:
    return _Stop({"problem": "unimplemented", "stage": stage, "what": what, "where": None})


def _call(stage: str, label: str, function, *args, **kwargs):
    """``function(*args)``; an exception becomes a finding of ``stage``."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError as raised:
        what, where = describe_exception(raised)
        raise _Stop({"problem": "unimplemented", "stage": stage,
                     "what": f"{label} raised {what}", "where": where}) from None
    except Exception as raised:  # noqa: BLE001  (the user's code may raise anything)
        what, where = describe_exception(raised)
        if unfinished(raised):
            raise _Stop({"problem": "unimplemented", "stage": stage, "where": where, "what": (
                f"{label} is unfinished (a `pass` where its code goes): it raised {what}")}) \
                from None
        raise _Stop({"problem": "raised", "stage": stage, "what": what + hint(raised),
                     "where": where}) from None


class _Watch:
    """Copies of every array reachable from some objects, to find the ones
    the user's code changes in place."""

    def __init__(self):
        self.seen: dict[int, tuple] = {}   # id -> (array, copy, labels)
        self.found: list[dict] = []
        self.upstream: set[str] = set()    # the labels of the backward's upstream gradients

    def add_upstream(self, value, label: str):
        """Watch an upstream gradient the backward is given (``dout``, an
        LSTM step's ``dnext_c``)."""
        self.upstream.add(label)
        self.add(value, label)

    def add(self, value, label: str, depth: int = 0):
        if isinstance(value, np.ndarray):
            if id(value) in self.seen:
                self.seen[id(value)][2].append(label)
            else:
                self.seen[id(value)] = (value, value.copy(), [label])
        elif depth < _DEPTH and isinstance(value, (tuple, list)):
            for i, item in enumerate(value):
                self.add(item, f"{label}[{i}]", depth + 1)
        elif depth < _DEPTH and isinstance(value, dict):
            for key, item in value.items():
                self.add(item, f"{label}[{key!r}]", depth + 1)

    def checkpoint(self, stage: str):
        """Note the arrays changed since the last checkpoint (during ``stage``)."""
        for key, (array, copy, labels) in self.seen.items():
            if array.shape != copy.shape or not np.array_equal(array, copy, equal_nan=True):
                change = float(np.max(np.abs(array.astype(float) - copy))) \
                    if array.shape == copy.shape else float("inf")
                # what the backward was given (dout, its cache) names a change it
                # made, before the forward's input that the cache may hold
                given = [label for label in labels
                         if _root(label) in self.upstream or label.startswith(("cache", "self"))]
                path = given[0] if stage == "backward" and given else labels[0]
                self.found.append({"stage": stage, "what": _root(path), "path": path,
                                   "also": [x for x in labels if x != path], "change": change,
                                   "upstream": _root(path) in self.upstream,
                                   # made by the forward itself: in no input, no dout
                                   "internal": all(_root(x) in ("cache", "self")
                                                   for x in labels)})
                self.seen[key] = (array, array.copy(), labels)


def _root(label: str) -> str:
    """``cache`` of ``cache[0]``, ``self`` of ``self.mask``."""
    return label.split("[")[0].split(".")[0]


def _grads(layer, names, values, label: str) -> dict:
    """The gradients a backward returned, by key; a wrong count is a finding."""
    if values is None:
        raise _unimplemented("backward", f"{label} returned None")
    if len(names) == 1 and not (isinstance(values, (tuple, list)) and len(values) == 1):
        values = (values,)
    if not isinstance(values, (tuple, list)) or len(values) != len(names):
        count = len(values) if isinstance(values, (tuple, list)) else f"a {type(values).__name__}"
        raise _Stop({"problem": "returned", "stage": "backward", "where": None,
                     "what": f"{label} returned {count} where {', '.join(names)} "
                             "are expected"})
    grads = dict(zip(names, (plain(v) for v in values), strict=True))
    if all(v is None for k, v in grads.items() if k in layer.grads.values()):
        raise _unimplemented("backward", f"{label} returned None for every gradient")
    return grads


def _returned(name: str, function, args, names: tuple, notes=None) -> tuple:
    """What a cs231n forward (or loss) returns: the values ``names``, the
    first not None.  With ``notes`` (a list), a forward that returns its
    output alone is taken to cache its input (Ng's ``sigmoid(Z)``), noted."""
    result = _call("forward", name, function, *args)
    if notes is not None and isinstance(result, np.ndarray) and len(names) == 2:
        notes.append(f"{name} returned its output alone: its input was given to the backward "
                     "as the cache (Ng's activation cache is Z)")
        result = (result, args[0])
    if result is None or (isinstance(result, (tuple, list)) and result and result[0] is None):
        raise _unimplemented("forward", f"{name} returned None")
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise _Stop({"problem": "returned", "stage": "forward", "where": None,
                     "what": f"{name} returned {type(result).__name__} where "
                             f"({', '.join(names)}) is expected"})
    return tuple(result)


def _side_by_side(name: str, outputs: tuple, names: tuple):
    """A forward's several outputs as one array, side by side on the last
    axis (an LSTM step's next_h and next_c), or the finding that they are not."""
    if len(outputs) == 1:
        return outputs[0]
    try:
        return np.concatenate([np.asarray(o, dtype=float) for o in outputs], axis=-1)
    except (ValueError, TypeError):
        shapes = ", ".join(f"{n} {np.shape(o)}" for n, o in zip(names, outputs, strict=True))
        raise _Stop({"problem": "returned", "stage": "forward", "where": None,
                     "what": f"{name} returned {shapes}: arrays of one shape are "
                             "expected"}) from None


def _cs231n(module, layer, found, arrays, config, dout, watch, notes) -> tuple:
    convention = layer.cs231n
    args = convention.args(arrays, config)
    backward = getattr(module, found.name)
    if found.forward is None:         # a loss: one function, (loss, gradient)
        loss, gradient = _returned(found.name, backward, args, convention.returns)
        return plain(loss), _grads(layer, convention.returns[1:], gradient, found.name)
    if found.cache_is_input:   # no forward in the file: the input is the cache in both courses
        notes.append(f"no {found.forward} in the file: {found.name} was given its input as "
                     "the cache, as cs231n's and Ng's forwards cache it")
        outputs, cache = [layer.forward(arrays, config)], args[0]
    else:
        *outputs, cache = _returned(found.forward, getattr(module, found.forward), args,
                                    (*convention.outputs, "cache"),
                                    notes if found.forward in convention.input_cached else None)
    out = _side_by_side(found.forward, tuple(outputs), convention.outputs)
    watch.checkpoint("forward")
    watch.add(cache, "cache")
    # several outputs: their upstream gradients are views of one dout, split
    # alike, and named as the backward's arguments are (dnext_h, dnext_c)
    upstream = np.split(dout, len(outputs), axis=-1) if len(outputs) > 1 else [dout]
    names = [f"d{name}" for name in convention.outputs] if len(outputs) > 1 else ["dout"]
    for name, part in zip(names, upstream, strict=True):
        watch.add_upstream(part, name)
    values = _call("backward", found.name, backward, *upstream, cache,
                   *convention.backward_args)
    grads = _grads(layer, convention.returns, values, found.name)
    for key in convention.means:   # Ng's dW = 1/m dZ A_prev.T: the cost's, a mean
        if isinstance(grads.get(key), np.ndarray) and grads[key].dtype.kind in "fiu":
            grads[key] = grads[key] * config["m"]
    return plain(out), grads


def _accepts(method, name: str) -> bool:
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _takes_argument(method) -> bool:
    try:
        return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                   for p in inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return True


def _gated(arrays: dict, layer, convention, back: bool = False) -> dict:
    """The arrays of a gated layer with the blocks of their last axis in the
    class's order (``back``: gradients from the class's order to the
    definition's); the others unchanged."""
    if convention.gates is None:
        return arrays
    order = np.argsort(convention.gates) if back else np.asarray(convention.gates)
    names = {"Wx", "Wh", "b"} | {layer.grads[name] for name in ("Wx", "Wh", "b")}
    moved = {}
    for name, value in arrays.items():
        if name in names and isinstance(value, np.ndarray):
            blocks = np.split(value, len(order), axis=-1)
            value = np.concatenate([blocks[k] for k in order], axis=-1)
        moved[name] = value
    return moved


def _class_forward(instance, layer, found, convention, arrays, config, notes):
    """What a class's forward gives: its return value, or (nnfs) the
    attribute it sets; a loss's per-sample losses as their mean."""
    if convention.forward_optional and not callable(getattr(instance, "forward", None)):
        notes.append(f"{found.name} has no forward method: its backward alone was graded, "
                     "given what the forward would have kept (computed by symbp)")
        return layer.forward(arrays, config)
    # training mode: the book's train_flg, nnfs's training
    kwargs = {flag: True for flag in ("train_flg", "training") if _accepts(instance.forward, flag)}
    out = _call("forward", f"{found.name}.forward", instance.forward,
                *convention.forward(arrays, config), **kwargs)
    if convention.output is not None and getattr(instance, convention.output, None) is not None:
        out = getattr(instance, convention.output)   # nnfs: self.output, nothing returned
    if out is None:
        raise _unimplemented("forward", f"{found.name}.forward returned None" + (
            f" and set no self.{convention.output}" if convention.output else ""))
    if convention.per_sample:   # nnfs's Loss.calculate: the mean of the sample losses
        try:
            return float(np.mean(np.asarray(out, dtype=float)))
        except (TypeError, ValueError):
            return out   # not numbers: the report says so
    return out


def _dlfs(module, layer, found, arrays, config, dout, watch, notes) -> tuple:
    convention = layer.convention(found.style, found.name)
    arrays = _gated(arrays, layer, convention)
    if convention.gates is not None:
        for name in ("Wx", "Wh", "b"):
            watch.add(arrays[name], name)
    cls = getattr(module, found.name)
    instance = _call("forward", f"{found.name}(...)", cls, *convention.init(arrays, config))
    for method in ("forward", "backward"):
        if not callable(getattr(instance, method, None)) and \
                not (method == "forward" and convention.forward_optional):
            raise _unimplemented(method, f"{found.name} has no {method} method")
    if convention.before is not None:
        note = _call("forward", found.name, convention.before, instance, arrays)
        notes.extend([note] if isinstance(note, str) else [])
    out = _class_forward(instance, layer, found, convention, arrays, config, notes)
    if len(convention.outputs) > 1:   # the book 2's LSTM: h_next, c_next
        if not isinstance(out, (tuple, list)) or len(out) != len(convention.outputs):
            raise _Stop({"problem": "returned", "stage": "forward", "where": None,
                         "what": f"{found.name}.forward returned {type(out).__name__} where "
                                 f"({', '.join(convention.outputs)}) is expected"})
        out = _side_by_side(f"{found.name}.forward", tuple(out), convention.outputs)
    watch.checkpoint("forward")
    upstream = np.split(dout, len(convention.outputs), axis=-1) \
        if len(convention.outputs) > 1 else [dout]
    for name, part in zip([f"d{n}" for n in convention.outputs] if len(upstream) > 1
                          else ["dout"], upstream, strict=True):
        watch.add_upstream(part, name)
    for name, value in vars(instance).items():
        if name != "grads":   # the book 2's gradients, written in place on purpose
            watch.add(value, f"self.{name}", 1)
    if convention.upstream is not None:   # nnfs's loss.backward(dvalues, y_true)
        args = convention.upstream(instance, arrays, config)
    else:   # a loss's backward takes dout=1 (the book's SoftmaxWithLoss.backward(dout=1))
        args = upstream if not layer.loss or _takes_argument(instance.backward) else ()
    values = _call("backward", f"{found.name}.backward", instance.backward, *args)
    grads = _grads(layer, convention.returns, values, f"{found.name}.backward") \
        if convention.returns else {}
    for attribute, key in convention.attributes.items():
        value = _attribute(instance, attribute)
        if value is None:
            value = _from_grads_list(instance, layer, arrays, key)
        if value is None:   # the arrays of its shape it did set, to say where it went
            grads[f"{key}?"] = _same_shape(instance, arrays, layer, key)
        shape = _shape_of(layer, arrays, key)
        if key in convention.rows and np.shape(value) == (1, *shape):
            value = np.reshape(value, shape)   # nnfs's dbiases (1, M), as its biases
        grads[key] = plain(value)
    return plain(out), _gated(grads, layer, convention, back=True)


def _attribute(instance, name: str):
    """``instance.dW``, else the same name in other capitals (``self.dw``)."""
    value = getattr(instance, name, None)
    if value is not None:
        return value
    return next((v for k, v in vars(instance).items() if k.lower() == name.lower() and
                 v is not None), None)


def _shape_of(layer, arrays: dict, key: str) -> tuple:
    """The shape of the array whose gradient is ``key``."""
    return np.shape(next(arrays[op.name] for op in layer.operands if op.grad == key))


def _same_shape(instance, arrays: dict, layer, key: str) -> dict:
    """The instance's arrays of gradient ``key``'s shape, by attribute name."""
    shape = _shape_of(layer, arrays, key)
    return {name: plain(value) for name, value in vars(instance).items()
            if isinstance(value, np.ndarray) and value.shape == shape and
            not any(value is given for given in arrays.values())}


def _from_grads_list(instance, layer, arrays: dict, key: str):
    """Gradient ``key`` as *Deep Learning from Scratch 2* keeps it:
    ``self.params = [W, b]`` holds the arrays the class was built with and
    ``self.grads = [dW, db]`` their gradients, in the same order; None when
    the instance has no such lists."""
    params, grads = getattr(instance, "params", None), getattr(instance, "grads", None)
    if not isinstance(params, (list, tuple)) or not isinstance(grads, (list, tuple)) or \
            len(params) != len(grads):
        return None
    given = next(arrays[op.name] for op in layer.operands if op.grad == key)
    return next((grad for param, grad in zip(params, grads, strict=True) if param is given),
                None)


def run_forward_backward(module, found, arrays: dict, config: dict, dout) -> dict:
    """Run the user's layer ``found`` (a :class:`~symbp.grading.discovery.Found`)
    at one point: see the module doc.  Returns ``{"out", "grads", "mutated",
    "problem", "stage", "what", "where", "notes"}`` (``problem`` None when both
    ran).

    A DLFS-style class whose backward is not written yet:

    >>> import types
    >>> from symbp.grading.discovery import Found
    >>> class Relu:
    ...     def forward(self, x):
    ...         return np.maximum(x, 0)
    >>> result = run_forward_backward(types.SimpleNamespace(Relu=Relu), Found("Relu", "relu", "dlfs"),
    ...                               {"x": np.ones((1, 2))}, {}, np.ones((1, 2)))
    >>> result["problem"], result["stage"], result["what"]
    ('unimplemented', 'backward', 'Relu has no backward method')
    """
    layer = LAYERS[found.layer]
    arrays = {name: np.array(value, copy=True) for name, value in arrays.items()}
    dout = np.array(dout, copy=True) if not layer.loss else dout
    watch = _Watch()
    for op in layer.operands:
        watch.add(arrays[op.name], op.name)
    run = _dlfs if found.style in CLASS_STYLES else _cs231n   # cs231n's and Ng's functions
    result = {"out": None, "grads": {}, "problem": None, "stage": None, "what": None,
              "where": None, "notes": []}
    try:
        result["out"], result["grads"] = run(module, layer, found, arrays, config, dout, watch,
                                             result["notes"])
    except _Stop as stop:
        result.update(stop.finding)
    # a cs231n loss is one function (its changes are the forward's); a class has a backward
    watch.checkpoint(result["stage"] or ("forward" if layer.loss and
                                         found.style not in CLASS_STYLES
                                         else "backward"))
    result["mutated"] = watch.found
    return result
