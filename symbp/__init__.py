"""symbp: a symbolic backpropagation checker.

SymPy derives the gradients of a network (the truth); a hand-coded NumPy
backprop and finite differences are checked against it, and so are formulas
(``verify``), users' own backprops (``grade``) and derivations (``derive``).

>>> import symbp
>>> net = symbp.Network(layers=[2, 3, 1])
>>> point = net.sample(seed=0)
>>> sorted(net.gradient(point)) == sorted(symbp.backprop(net, point))
True

Modules are not named after the functions they export (``verify`` lives in
``verification.verdicts``) so that importing a submodule never shadows a
function here.
The names below are imported lazily (module ``__getattr__``) so that
``symbp --help`` starts without importing SymPy.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "Network": "network",
    "backprop": "sources.backprop",
    "finite_differences": "sources.finite",
    "verify": "verification.verdicts",
    "verify_layer": "verification.layer_verdicts",
    "SizedLayer": "layers.formulas",
    "derive_layer": "derivation.layer_derive",
    "load_claims": "verification.claims",
    "derive": "derivation.checked",
    "Derivation": "derivation.checked",
    "grade": "grading.grades",
    "grade_layers": "grading.layers",
    "LAYERS": "layers",
    "graph": "scalar.graphs",
    "SymbpError": "errors",
    "NetworkError": "errors",
    "PointError": "errors",
    "FormulaError": "errors",
    "ClaimsError": "errors",
    "GraphError": "errors",
    "LayerError": "errors",
    "ACTIVATIONS": "tables",
    "LOSSES": "tables",
}

__all__ = ["ACTIVATIONS", "LAYERS", "LOSSES", "ClaimsError", "Derivation", "FormulaError",
           "GraphError", "LayerError", "Network", "NetworkError", "PointError", "SizedLayer",
           "SymbpError", "__version__", "backprop", "derive", "derive_layer",
           "finite_differences", "grade", "grade_layers", "graph", "load_claims", "verify",
           "verify_layer"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symbp' has no attribute {name!r}")


def __dir__():
    return __all__
