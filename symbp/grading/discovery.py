"""Which catalogue layers a user's module defines, found by their
conventional names: cs231n's functions (``batchnorm_forward`` with
``batchnorm_backward`` and ``batchnorm_backward_alt``, ``softmax_loss``...),
*Deep Learning from Scratch*'s classes (``Affine``, ``Relu``,
``BatchNormalization``...) and *Neural Networks from Scratch*'s
(``Layer_Dense``, ``Activation_ReLU``, ``Loss_CategoricalCrossentropy``...).
Only names are read; nothing is run.

>>> found = discover({"relu_forward": "function", "relu_backward": "function",
...                   "Affine": "class", "helper": "function"})
>>> [(f.name, f.layer, f.style) for f in found]
[('Affine', 'affine', 'dlfs'), ('relu_backward', 'relu', 'cs231n')]
"""

from __future__ import annotations

from dataclasses import dataclass

from symbp.errors import LayerError
from symbp.layers import LAYERS


@dataclass(frozen=True)
class Found:
    """One layer to grade: the user's ``name`` (a backward function, a loss
    function or a class), the catalogue ``layer``, the ``style`` (``cs231n``
    or ``dlfs``; ``ng`` for Andrew Ng's course's functions, called as
    cs231n's are; ``nnfs`` for *Neural Networks from Scratch*'s classes)
    and, for functions, the ``forward`` whose cache the backward takes
    (``cache_is_input``: there is none, and the backward of an activation
    gets its input as the cache, as both courses' forwards cache it).

    >>> found = discover({"batchnorm_forward": "function", "batchnorm_backward_alt": "function"})
    >>> found[0].name, found[0].style, found[0].forward
    ('batchnorm_backward_alt', 'cs231n', 'batchnorm_forward')
    """

    name: str
    layer: str
    style: str
    forward: str | None = None
    cache_is_input: bool = False


def discover(names: dict[str, str]) -> list[Found]:
    """The layers among ``names`` (``{name: kind}``, as
    :meth:`~symbp.grading.sandbox.UserProcess.names` gives them), in
    catalogue order, DLFS classes before cs231n functions of a layer.

    Names the module defines come first: one it imports is someone else's
    (the book's ``layers.py`` imports ``common.functions.softmax_loss``,
    which returns the loss alone).  Only a module that defines none of them
    (``layer_utils.py``: ``from .layers import *``) is graded on what it imports.

    >>> [f.name for f in discover({"softmax_loss": "imported function", "Relu": "class"})]
    ['Relu']
    """
    found = _discover(names, "")
    return found or _discover(names, "imported ")


def _discover(names: dict[str, str], origin: str) -> list[Found]:
    found = []
    # a class is found whatever its capitals: ReLU (PyTorch's spelling) is the book's Relu
    classes = {name.lower(): name for name, kind in names.items() if kind == f"{origin}class"}
    for layer in LAYERS.values():
        for convention in layer.classes:
            if convention.name.lower() in classes:
                found.append(Found(classes[convention.name.lower()], layer.name,
                                   convention.course))
        for forward, backward in _pairs(layer):
            if names.get(backward) == f"{origin}function":
                found.append(Found(backward, layer.name, *_forward_of(layer, forward, names)))
    return found


def _forward_of(layer, forward: str | None, names: dict) -> tuple:
    """The style and the forward of a backward: ``forward``, or the one Ng's
    course has instead (``relu(Z)`` for its ``relu_backward(dA, cache)``)
    when the file defines that one only; with neither, an activation whose
    cache is its input in both courses gets that (``cache_is_input``)."""
    course = layer.cs231n.course
    if forward is None or forward in names:
        return course, forward
    instead = next((name for name in layer.cs231n.input_cached if name in names), None)
    if instead:
        return "ng", instead
    return course, forward, bool(layer.cs231n.input_cached)


def _pairs(layer) -> list[tuple[str | None, str]]:
    """A layer's cs231n ``(forward, backward)`` pairs: each backward with its
    forward (None for a loss), then the ``also`` pairs (``fast_layers.py``)."""
    if layer.cs231n is None:
        return []
    convention = layer.cs231n
    return [(convention.forward, name) for name in convention.backward] + list(convention.also)


def looked_for() -> list[str]:
    """Every name discovery recognises, for the message when none is found.

    >>> names = looked_for()
    >>> "batchnorm_backward_alt" in names, "BatchNormalization" in names, "helper" in names
    (True, True, False)
    """
    names = []
    for layer in LAYERS.values():
        for forward, backward in _pairs(layer):
            names += [name for name in (forward, backward) if name and name not in names]
        names += [convention.name for convention in layer.classes]
    return names


def select(found: list[Found], only: list[str] | None) -> list[Found]:
    """The layers ``only`` names (the user's names or catalogue names); a
    name that matches none is a LayerError listing what there is.

    >>> found = discover({"relu_forward": "function", "relu_backward": "function",
    ...                   "Affine": "class"})
    >>> [f.name for f in select(found, ["relu"])]
    ['relu_backward']
    >>> select(found, ["conv"])
    Traceback (most recent call last):
    ...
    symbp.errors.LayerError: conv is not among the layers found (Affine, relu_backward) or their catalogue names.
    """
    if not only:
        return found
    if isinstance(only, str):
        only = [only]          # one name
    if not all(isinstance(name, str) for name in only):
        raise LayerError(f"only={only!r} is not a list of layer names, e.g. "
                         "['batchnorm', 'affine_backward']")
    unknown = [name for name in only
               if not any(name in (f.name, f.layer) for f in found)]
    if unknown:
        there = ", ".join(f.name for f in found) or "nothing"
        raise LayerError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                         f"among the layers found ({there}) or their catalogue names")
    return [f for f in found if f.name in only or f.layer in only]
