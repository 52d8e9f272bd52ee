"""The layer catalogue (contract sections 11 and 12).

``LAYERS`` maps each layer's name to its entry (:class:`Layer`): its forward
defined once over symbols (the truth: :mod:`symbp.layers.symbolic`), symbp's
own NumPy forward and backward, its configuration space, and its names in
cs231n and *Deep Learning from Scratch*.  ``compare_layer`` checks the three
sources of its gradients against each other (``symbp check --layer``).

>>> from symbp.layers import LAYERS, compare_layer
>>> compare_layer(LAYERS["softmax_loss"], {"N": 2, "C": 3}).agree
True
"""

from symbp.layers.catalogue import LAYERS, layer_named
from symbp.layers.check import compare_layer
from symbp.layers.model import Layer

__all__ = ["LAYERS", "Layer", "compare_layer", "layer_named"]
