"""A layer's functions or class, given as Python objects, graded in this
process: what ``symbp.testing.assert_layer`` runs inside a user's own test
suite, where the code under test is the suite's to trust.

The objects are placed under their conventional names in a namespace that
stands for the user's module, and called the way ``grade-layers`` calls a
module's in its child process (:class:`LocalCode` has the sandbox's
``names()`` and ``call()``), so the grading is the same.

>>> import numpy as np
>>> def relu_forward(x):
...     return np.maximum(x, 0), x
>>> def relu_backward(dout, x):
...     return dout * (x > 0)
>>> grade_layer_code(relu_forward, relu_backward, "relu", random=3).verdict
'ok'
"""

from __future__ import annotations

from types import SimpleNamespace

from symbp.errors import LayerError
from symbp.grading.discovery import Found
from symbp.grading.layer_draws import grade_draw
from symbp.grading.layers import DEFAULT_RANDOM, LayerReport, grade_found
from symbp.grading.user_code import Outcome, UserError, describe_exception
from symbp.layers import layer_named
from symbp.layers.points import check_config


class LocalCode:
    """Objects by name, called in this process with the sandbox's outcomes.

    >>> import numpy as np
    >>> from symbp.grading.user_code import call_named
    >>> code = LocalCode({"relu_forward": lambda x: (np.maximum(x, 0), x)})
    >>> code.names()
    {'relu_forward': 'function'}
    >>> code.call(call_named, "relu_forward", np.array([-1.0, 2.0])).value[0]
    array([0., 2.])
    >>> code.call(call_named, "relu_forward").error.what   # raised, caught, described
    "TypeError: <lambda>() missing 1 required positional argument: 'x'"
    """

    def __init__(self, objects: dict):
        self.module = SimpleNamespace(**objects)
        self._names = {name: "class" if isinstance(value, type) else "function"
                       for name, value in objects.items()}

    def names(self) -> dict[str, str]:
        return dict(self._names)

    def call(self, function, *args) -> Outcome:
        try:
            return Outcome(function(self.module, *args), None)
        except Exception as raised:  # noqa: BLE001  (the code under test may raise anything)
            return Outcome(None, UserError("raised", *describe_exception(raised)))


def _placed(forward, backward, layer) -> tuple[dict, Found]:
    """The objects under the layer's conventional names, and what to grade."""
    if isinstance(forward, type):
        if layer.dlfs is None:
            raise LayerError(f"{layer.name} has no class convention (Deep Learning from "
                             "Scratch); give its forward and backward functions")
        # the class convention of its own name (TimeDropout), else the layer's first
        convention = layer.convention("dlfs", forward.__name__)
        return {convention.name: forward}, Found(convention.name, layer.name, convention.course)
    if layer.cs231n is None:
        raise LayerError(f"{layer.name} has no function convention (cs231n); give its class")
    convention = layer.cs231n
    name = convention.backward[0]
    if convention.forward is None:        # a loss: one function gives (loss, gradient)
        if backward is not None:
            raise LayerError(f"{layer.name} is one function, {name}(...) -> "
                             f"{tuple(convention.returns)}; give it as forward, no backward")
        return {name: forward}, Found(name, layer.name, convention.course)
    if backward is None:
        raise LayerError(f"{layer.name} needs a backward function beside its forward")
    return ({convention.forward: forward, name: backward},
            Found(name, layer.name, convention.course, convention.forward))


def grade_layer_code(forward, backward=None, layer="batchnorm", *, config=None,
                     random: int = DEFAULT_RANDOM, seed: int = 0) -> LayerReport:
    """Grade ``forward``/``backward`` (cs231n-style functions; for a loss, the
    one function as ``forward``) or a DLFS-style class (as ``forward``) as
    catalogue layer ``layer``: on ``random`` Hypothesis configurations, or,
    with ``config`` (a full configuration, e.g. one drawn by
    ``symbp.strategies.layer_configs``), at that one configuration and the
    point of ``seed``.

    A backward that forgets the mask, at one configuration:

    >>> import numpy as np
    >>> report = grade_layer_code(lambda x: (np.maximum(x, 0), x), lambda dout, x: dout, "relu",
    ...                           config={"N": 2, "D": 3})
    >>> print(report)
    relu_backward (relu, cs231n): WRONG at N = 2, D = 3 (point seed 0)
      dx: WRONG, off by up to 0.947; dx agrees with the truth on column(s) 0, 2 only
    """
    entry = layer_named(layer) if isinstance(layer, str) else layer
    objects, found = _placed(forward, backward, entry)
    code = LocalCode(objects)
    if config is None:
        return grade_found(code, found, random, seed=seed)
    config = check_config(entry, {k: v for k, v in config.items() if k != "seed"})
    draw = grade_draw(code, found, entry, {**config, "seed": seed}, seed)
    tested = all(k.tested for k in draw.keys if k.ok)
    verdict = "untested" if draw.verdict == "ok" and not tested else draw.verdict
    message = draw.message if verdict != "untested" else (
        "a gradient is all zeros at this configuration and point: a zero from the code "
        "cannot be told from a right answer")
    return LayerReport(found, verdict, 1, draw.keys, draw.config, seed, message, draw.notes)
