"""The layer catalogue: one entry per layer, in the order reports list them.

Adding a layer is one entry here plus its definition (a
:class:`~symbp.layers.model.Layer` in the module of its kind); the truth,
symbp's own backward, finite differences, the configuration strategies,
``symbp check --layer`` and ``symbp grade-layers`` all read this table.

>>> list(LAYERS)[:3]
['affine', 'relu', 'sigmoid']
>>> layer_named("batch").name  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbp.errors.LayerError: 'batch' is not a layer of the catalogue; expected one of affine, ...
"""

from __future__ import annotations

from symbp.errors import LayerError
from symbp.layers.classifiers import LINEAR_SOFTMAX, LINEAR_SVM
from symbp.layers.convolution import CONV, MAX_POOL
from symbp.layers.dense import (
    ADD,
    AFFINE,
    DROPOUT,
    MATMUL,
    MULTIPLY,
    RELU,
    SIGMOID,
    SOFTMAX,
    TANH,
)
from symbp.layers.losses import L2, SIGMOID_LOSS, SOFTMAX_LOSS, SVM_LOSS
from symbp.layers.model import Layer
from symbp.layers.ng import NG_LINEAR, NG_LINEAR_RELU, NG_LINEAR_SIGMOID
from symbp.layers.nnfs import LAYERS_OF_THE_BOOK
from symbp.layers.normalization import (
    BATCHNORM,
    LAYERNORM,
    SPATIAL_BATCHNORM,
    SPATIAL_GROUPNORM,
)
from symbp.layers.recurrent import LSTM, LSTM_STEP, RNN, RNN_STEP
from symbp.layers.temporal import (
    TEMPORAL_AFFINE,
    TEMPORAL_SOFTMAX_LOSS,
    TIME_SOFTMAX_LOSS,
    WORD_EMBEDDING,
)
from symbp.tables import Table

LAYERS: dict[str, Layer] = Table("a layer of the catalogue", {layer.name: layer for layer in (
    AFFINE, RELU, SIGMOID, TANH, MULTIPLY, ADD, SOFTMAX_LOSS, SVM_LOSS, BATCHNORM, LAYERNORM,
    DROPOUT, L2, CONV, MAX_POOL, SPATIAL_BATCHNORM, SPATIAL_GROUPNORM, WORD_EMBEDDING, RNN_STEP,
    RNN, LSTM_STEP, LSTM, TEMPORAL_AFFINE, TEMPORAL_SOFTMAX_LOSS, TIME_SOFTMAX_LOSS, LINEAR_SOFTMAX,
    LINEAR_SVM, NG_LINEAR, NG_LINEAR_RELU, NG_LINEAR_SIGMOID, MATMUL, SOFTMAX, SIGMOID_LOSS,
    *LAYERS_OF_THE_BOOK)})


def layer_named(name: str) -> Layer:
    """The catalogue entry ``name``, or a LayerError that lists the names.

    >>> layer_named("affine").grads
    {'x': 'dx', 'w': 'dw', 'b': 'db'}
    """
    if not isinstance(name, str) or name not in LAYERS:
        raise LayerError(f"{name!r} is not a layer of the catalogue; expected one of "
                         f"{', '.join(LAYERS)}")
    return LAYERS[name]
