"""The table of the notation's functions (contract section 2).

One entry per function name: how many arguments it takes, its kind (which
one method of the evaluators applies it), its NumPy and SymPy forms where
the kind needs them, and its LaTeX.  The parser, both evaluators and the
LaTeX printers read this table, so adding an element-wise function to the
notation is one entry:

>>> FUNCTIONS["log"].kind, FUNCTIONS["sum"].takes_axis
('elementwise', True)
>>> FUNCTIONS["relu_prime"].activation, FUNCTIONS["relu_prime"].prime
('relu', True)

Kinds: ``elementwise`` (``numpy(array)``, ``sympy(expression)``),
``activation`` (a table activation, or with ``activation`` None sigma: the
layer's own, contract section 2), ``reduce`` (``numpy(array, axis=...,
keepdims=True)``, ``sympy(list of entries)``; ``axis=0|1`` allowed),
``outer`` (u @ v.T), ``sizes`` (``ones``, ``eye``: their arguments are
sizes; ``numpy(*sizes)``, ``sympy(*sizes)``) and ``labels`` (``onehot(y)``:
its value is the layer's own, looked up as ``("onehot", "y")``).

``contexts`` says where a function may be written: in network formulas, in
layer formulas (contract section 12), or both; ``sigma`` is a network
layer's activation, ``onehot`` a loss layer's labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symbp.tables import ACTIVATIONS


def _sympy():
    import sympy  # imported when a formula is first evaluated symbolically: start-up stays fast
    return sympy


@dataclass(frozen=True)
class NotationFunction:
    """One function of the notation; see the module doc for the kinds.

    ``latex`` is the operator's LaTeX; ``template`` (``{0}``, ``{1}`` for the
    printed arguments) replaces ``operator(argument)`` where the function is
    written otherwise (``\\sqrt{..}``, ``\\lvert..\\rvert``).

    >>> sqrt = FUNCTIONS["sqrt"]
    >>> sqrt.kind, sqrt.arity, float(sqrt.numpy(4.0)), sqrt.contexts
    ('elementwise', 1, 2.0, ('network', 'layer'))
    """

    name: str
    kind: str
    arity: int
    latex: str
    meaning: str
    numpy: Callable | None = None
    sympy: Callable | None = None
    template: str | None = None
    activation: str | None = None
    prime: bool = False
    contexts: tuple = ("network", "layer")

    @property
    def takes_axis(self) -> bool:
        return self.kind == "reduce"


def _step_numpy(value):
    return np.where(np.asarray(value) > 0, 1.0, 0.0)


def _activation_entries() -> list[NotationFunction]:
    entries = [NotationFunction("sigma", "activation", 1, r"\sigma",
                                "the activation of the argument's layer (contract section 2)",
                                contexts=("network",)),
               NotationFunction("sigma_prime", "activation", 1, r"\sigma",
                                "the derivative of the argument layer's activation", prime=True,
                                contexts=("network",))]
    for name, activation in ACTIVATIONS.items():
        entries.append(NotationFunction(name, "activation", 1, activation.latex,
                                        f"the activation {name}", activation=name))
        entries.append(NotationFunction(f"{name}_prime", "activation", 1, activation.latex,
                                        f"the derivative of {name}", activation=name, prime=True))
    return entries


FUNCTIONS: dict[str, NotationFunction] = {f.name: f for f in [
    *_activation_entries(),
    NotationFunction("step", "elementwise", 1, r"\operatorname{step}", "1 where X > 0, else 0",
                     numpy=_step_numpy,
                     sympy=lambda e: _sympy().Piecewise((1, e > 0), (0, True))),
    NotationFunction("log", "elementwise", 1, r"\log", "the natural logarithm",
                     numpy=np.log, sympy=lambda e: _sympy().log(e)),
    NotationFunction("exp", "elementwise", 1, r"\exp", "the exponential",
                     numpy=np.exp, sympy=lambda e: _sympy().exp(e)),
    NotationFunction("sqrt", "elementwise", 1, r"\sqrt", "the square root",
                     numpy=np.sqrt, sympy=lambda e: _sympy().sqrt(e), template=r"\sqrt{{{0}}}"),
    NotationFunction("abs", "elementwise", 1, r"\operatorname{abs}", "the absolute value",
                     numpy=np.abs, sympy=lambda e: _sympy().Abs(e),
                     template=r"\left\lvert {0} \right\rvert"),
    NotationFunction("sign", "elementwise", 1, r"\operatorname{sign}", "-1, 0 or 1",
                     numpy=np.sign, sympy=lambda e: _sympy().sign(e)),
    NotationFunction("sum", "reduce", 1, r"\operatorname{sum}",
                     "the sum (along an axis, kept; or of everything, 1 x 1)",
                     numpy=np.sum, sympy=lambda entries: _sympy().Add(*entries)),
    NotationFunction("mean", "reduce", 1, r"\operatorname{mean}",
                     "the mean (along an axis, kept; or of everything, 1 x 1)",
                     numpy=np.mean, sympy=lambda entries: _sympy().Add(*entries) / len(entries)),
    NotationFunction("outer", "outer", 2, r"\operatorname{outer}", "u @ v.T",
                     template=r"{0} \left({1}\right)^{{\top}}"),
    NotationFunction("ones", "sizes", 2, r"\mathbf{1}", "an r x c matrix of ones",
                     numpy=lambda rows, cols: np.ones((rows, cols)),
                     sympy=lambda rows, cols: _sympy().ones(rows, cols),
                     template=r"\mathbf{{1}}_{{{0} \times {1}}}"),
    NotationFunction("eye", "sizes", 1, "I", "the n x n identity",
                     numpy=np.eye, sympy=lambda size: _sympy().eye(size), template=r"I_{{{0}}}"),
    NotationFunction("onehot", "labels", 1, r"\operatorname{onehot}",
                     "the N x C one-hot matrix of a loss layer's labels y",
                     contexts=("layer",)),
]}


def functions_in(context: str) -> tuple[str, ...]:
    """The names of the functions a formula of ``context`` may call.

    >>> "onehot" in functions_in("layer"), "sigma" in functions_in("layer")
    (True, False)
    """
    return tuple(name for name, f in FUNCTIONS.items() if context in f.contexts)
