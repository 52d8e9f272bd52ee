"""What a catalogue layer is: one :class:`Layer` entry holds everything symbp
knows about it.

* ``define(ops, **grids)``: the forward over a :class:`~symbp.layers.grid.Grid`
  of symbols per input and a symbol per parameter, returning ``{"out": ...}``
  and naming its intermediate quantities with ``ops.stage`` (``mu``, ``var``,
  ``xhat``...).  SymPy/SymEngine differentiate it: this is the truth.
* ``forward`` and ``backward``: symbp's own hand-coded NumPy forward and
  backward, written independently of ``define`` (the second source).
* the configuration space: ``sizes`` and ``parameters`` that vary, which
  values are drawn, when a gradient is identically zero (``vacuous``) and how
  far a point is from a kink (``kink_distance``).
* ``cs231n`` and ``dlfs``: the names and calling conventions of the layer in
  cs231n's ``layers.py`` and *Deep Learning from Scratch*'s ``common/layers.py``.

Arrays have the shapes of cs231n (``b`` is ``(M,)``, ``gamma`` ``(D,)``, ``x``
may be ``N x d1 x ... x dk`` for affine, a convolution's ``x`` is N x C x H x
W); ``define`` sees each as a grid of the shape that broadcasts as the
definition needs (contract section 12: ``gamma`` is 1 x D, a spatial batch
norm's 1 x C x 1 x 1).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from math import prod

import numpy as np


@dataclass(frozen=True)
class Operand:
    """One array a layer takes.

    ``shape(config)`` is its array shape, ``grid(config)`` the shape its
    definition sees (the same entries, in the same order).  ``grad`` names
    its gradient (``"dx"``), None for arrays that are not differentiated
    (labels, a dropout mask).  ``kind`` says how values are drawn: ``real``,
    ``labels`` (integers in [0, C), C the grid's last size), ``mask`` (0/1,
    each 1 with probability ``p``), ``flags`` (booleans, each True with
    probability 3/4, one at least), ``probs`` (rows of probabilities: the
    softmax of normal draws), ``unit`` (each in (0, 1): their sigmoid) or
    ``binary`` (0/1 targets, each 1 with probability 1/2); a ``labels``
    operand is seen by the definition as its one-hot array (one more axis,
    of size C).

    >>> from symbp.layers import LAYERS
    >>> x = LAYERS["affine"].operands[0]      # affine's x, flattened for x @ w
    >>> x.grad, x.shape({"N": 2, "d": (3, 4)}), x.grid({"N": 2, "d": (3, 4)})
    ('dx', (2, 3, 4), (2, 12))
    """

    name: str
    shape: Callable[[dict], tuple]
    grid: Callable[[dict], tuple]
    grad: str | None = None
    kind: str = "real"


@dataclass(frozen=True)
class Size:
    """A size of the configuration: drawn from ``low..high``; any value from
    ``minimum`` up is valid (``--config`` may ask for one outside the drawn
    range, e.g. ``N=1`` for batch norm).  ``dims``: a tuple of sizes (the
    trailing dimensions of affine's ``x``), each in ``low..high``.

    ``fits(value, config)``: whether a value is valid given the sizes listed
    before it (a convolution's H given HH, stride and pad: the output size
    must be a whole number, as cs231n asserts), ``rule`` says so in words;
    only fitting values are drawn.  ``default``: its value in the first
    configuration graded (else the low end, two where that allows).
    ``counts``: a count (N, C, T...) that may name a factor of a wrong
    gradient (``N`` times the truth); stride and pad do not.  ``path``: a
    size that changes the code path (stride, pad, filter and pool sizes): a
    wrong layer is graded again over its values, to say for which it is right.

    >>> from symbp.layers import LAYERS
    >>> H = LAYERS["conv"].sizes[-2]          # H + 2 pad - HH: whole strides
    >>> H.name, H.fitting({"HH": 3, "stride": 2, "pad": 1})
    ('H', [1, 3, 5])
    """

    name: str
    low: int
    high: int
    minimum: int = 1
    dims: bool = False
    default: int | None = None
    counts: bool = True
    path: bool = False
    fits: Callable[[int, dict], bool] | None = None
    rule: str = ""

    def fitting(self, config: dict, low: int | None = None, high: int | None = None) -> list:
        """The values of ``low..high`` (default: the drawn range) that fit ``config``."""
        values = range(self.low if low is None else low, (self.high if high is None else high) + 1)
        return [v for v in values if self.fits is None or self.fits(v, config)]


@dataclass(frozen=True)
class Parameter:
    """A number of the configuration (``eps``, ``p``, ``reg``): drawn from
    ``choices``; ``default`` where one value is wanted.  A parameter with
    ``follows`` is not drawn: its value is ``follows(config)`` unless given
    (dropout's ``scale`` is 1/p) or read back from a user's forward.

    >>> from symbp.layers import LAYERS
    >>> p, scale = LAYERS["dropout"].parameters
    >>> p.default, scale.follows({"p": 0.5})
    (0.6, 2.0)
    """

    name: str
    choices: tuple
    default: float
    meaning: str = ""
    follows: Callable[[dict], float] | None = None


@dataclass(frozen=True)
class Try:
    """One way of calling a layer's code that its convention allows, tried
    in turn until the user's forward accepts one: configuration ``values``
    the calls read (``{"targets": "onehot"}``) and the ``note`` a report
    carries when they are the ones used.

    >>> from symbp.layers import LAYERS
    >>> book = LAYERS["softmax_loss"].dlfs       # SoftmaxWithLoss: labels, else one-hot
    >>> [t.values for t in book.tries]
    [{'targets': 'labels'}, {'targets': 'onehot'}]
    >>> book.forward({"x": None, "y": [2, 0]}, {"C": 3, **book.tries[1].values})[1]
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """

    values: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Cs231n:
    """cs231n's functions for a layer.

    ``forward`` (None for a loss, whose one function does both) and
    ``backward`` (each name graded on its own, e.g. ``batchnorm_backward`` and
    ``batchnorm_backward_alt``).  ``args(arrays, config)`` builds the forward's
    arguments (the arrays and a parameter dict such as ``bn_param``);
    ``returns`` names what the backward returns, in order (for a loss:
    ``("loss", "dx")``).  ``reads`` names the parameters the code fixes
    itself, which symbp reads back from its output (``Layer.read_back``):
    each maps to ``accepted(config) -> {value: note}`` (None: any value).
    ``outputs`` names the arrays the forward returns before its cache (an
    LSTM step's ``next_h, next_c``: the layer's output is them side by side
    on the last axis, and the backward is given ``dout`` split the same way).
    ``also``: more ``(forward, backward)`` pairs of the same layer
    (cs231n's ``fast_layers.py``: ``conv_forward_im2col``/``conv_backward_im2col``).
    ``tries``: the ways of calling it (:class:`Try`), in turn until the
    forward accepts one (group norm's gamma as ``(1, C, 1, 1)`` or ``(C,)``);
    ``flat`` as for :class:`Dlfs`.  Andrew Ng's course: ``input_cached``
    names forwards a file may have instead of ``forward`` (``relu(Z)``, whose
    cache is Z: one that returns its output alone is taken to cache its
    input); ``backward_args`` follow the cache (``linear_activation_backward(
    dA, cache, "relu")``); ``means`` are gradients returned as means over the
    m examples (Ng's dW and db, 1/m of the vector-Jacobian product): they are
    multiplied by ``m`` before they are compared; ``course`` names whose
    functions they are in reports (``ng``).

    >>> from symbp.layers import LAYERS
    >>> batchnorm = LAYERS["batchnorm"].cs231n
    >>> batchnorm.backward
    ('batchnorm_backward', 'batchnorm_backward_alt')
    >>> batchnorm.args({"x": 0, "gamma": 1, "beta": 0}, {"eps": 1e-5})[-1]   # bn_param
    {'mode': 'train', 'momentum': 0.9, 'eps': 1e-05}
    """

    forward: str | None
    backward: tuple[str, ...]
    args: Callable[[dict, dict], tuple]
    returns: tuple[str, ...]
    reads: dict = field(default_factory=dict)
    outputs: tuple[str, ...] = ("out",)
    also: tuple = ()
    tries: tuple = (Try(),)
    flat: tuple = ()
    input_cached: tuple[str, ...] = ()
    backward_args: tuple = ()
    means: tuple[str, ...] = ()
    course: str = "cs231n"


@dataclass(frozen=True)
class Dlfs:
    """*Deep Learning from Scratch*'s class for a layer: ``name``, its
    constructor's arguments ``init(arrays, config)``, ``forward(arrays,
    config)``'s arguments, what ``backward(dout)`` returns (``returns``) and
    the gradient attributes it sets (``{"dW": "dw", "db": "db"}``); ``reads``
    as for :class:`Cs231n`; ``tries`` as for :class:`Cs231n` (``SoftmaxWithLoss``
    takes labels or one-hot targets); ``flat``: sizes of several dimensions
    drawn with one only (the book's ``Affine`` takes ``x`` as N x D: book 2's
    does not flatten more); ``outputs`` as for :class:`Cs231n` (the book 2's
    ``LSTM.forward`` returns ``h_next, c_next``); ``before(instance, arrays)``
    runs between the constructor and ``forward`` (``TimeRNN.set_state(h0)``);
    ``gates``: the order of the blocks of a gated layer's weights in the
    class, by their positions in the definition's (the book 2's LSTM slices
    f, g, i, o where cs231n's i, f, o, g: ``(1, 3, 0, 2)``): its Wx, Wh and
    b are given with their columns so ordered, and their gradients read back
    the same way.

    *Neural Networks from Scratch*'s classes (``course`` ``nnfs``) return
    nothing: ``output`` names the attribute ``forward`` sets (``"output"``;
    None: returned), ``per_sample`` says a loss's ``forward`` returns each
    sample's loss (the loss is their mean, as ``Loss.calculate`` takes it),
    ``upstream(instance, arrays, config)`` gives the backward's arguments
    (a loss's ``backward(dvalues, y_true)``, dvalues the predictions),
    ``rows`` names gradients kept as one row (``dbiases`` (1, M), read back as
    b's (M,)); ``before`` may return a note; ``forward_optional``: a class
    without ``forward`` (the book's final softmax classifier) is graded on its
    ``backward`` alone.

    >>> from symbp.layers import LAYERS
    >>> affine = LAYERS["affine"].dlfs
    >>> affine.name, affine.returns, affine.attributes
    ('Affine', ('dx',), {'dW': 'dw', 'db': 'db'})
    """

    name: str
    init: Callable[[dict, dict], tuple]
    forward: Callable[[dict, dict], tuple]
    returns: tuple[str, ...]
    attributes: dict = field(default_factory=dict)
    reads: dict = field(default_factory=dict)
    tries: tuple = (Try(),)
    flat: tuple = ()
    outputs: tuple[str, ...] = ("out",)
    before: Callable | None = None
    gates: tuple[int, ...] | None = None
    course: str = "dlfs"
    output: str | None = None
    per_sample: bool = False
    upstream: Callable | None = None
    rows: tuple[str, ...] = ()
    forward_optional: bool = False


CLASS_STYLES = ("dlfs", "nnfs")    # the courses whose layers are classes


def _no_kinks(_arrays, _config) -> float:
    return float("inf")


def _never_vacuous(_config) -> frozenset:
    return frozenset()


def _no_read_back(_arrays, _out, _config) -> dict:
    return {}


@dataclass(frozen=True)
class Layer:
    """One catalogue entry (see the module doc).

    >>> from symbp.layers import LAYERS
    >>> batchnorm = LAYERS["batchnorm"]
    >>> config = batchnorm.default_config()
    >>> config, batchnorm.shapes(config)
    ({'N': 2, 'D': 2, 'eps': 1e-05}, {'x': (2, 2), 'gamma': (2,), 'beta': (2,)})
    >>> sorted(batchnorm.vacuous({"N": 1, "D": 2}))   # a batch of one: out is beta
    ['dgamma', 'dx']
    """

    name: str
    title: str
    operands: tuple[Operand, ...]
    sizes: tuple[Size, ...]
    define: Callable
    forward: Callable[[dict, dict], np.ndarray]
    backward: Callable[[dict, dict, object], dict]
    parameters: tuple[Parameter, ...] = ()
    loss: bool = False                # the output is one number (dout = 1)
    vacuous: Callable[[dict], frozenset] = _never_vacuous
    kink_distance: Callable[[dict, dict], float] = _no_kinks
    read_back: Callable[[dict, object, dict], dict] = _no_read_back
    forward_slips: tuple = ()         # (what differs, forward(arrays, config)) pairs
    # a forward that differs as a harmless convention does: its note, or None
    # (arrays, config, the user's out, the definition's out) -> str | None
    tolerated: Callable | None = None
    factors: Callable[[dict], list] = lambda _config: []
    overwrite: str = ""               # when `=` for `+=` is right (windows, repeated indices)
    cse: bool = True                  # share subexpressions when compiling (module symbolic)
    cs231n: Cs231n | None = None
    dlfs: Dlfs | None = None
    # more classes of the layer: the book 2's TimeDropout, nnfs's Layer_Dense
    dlfs_also: tuple = ()

    @property
    def classes(self) -> tuple:
        """Every class of the layer (DLFS's, nnfs's), ``dlfs`` first."""
        return ((self.dlfs,) if self.dlfs else ()) + tuple(self.dlfs_also)

    def convention(self, style: str, name: str | None = None):
        """cs231n's functions (``style`` cs231n or ng), or the class named
        ``name`` (in any capitals; the first class without a name)."""
        if style not in CLASS_STYLES:
            return self.cs231n
        return next((c for c in self.classes if name and c.name.lower() == name.lower()),
                    self.dlfs)

    @property
    def grads(self) -> dict[str, str]:
        """Each differentiated operand's gradient key: ``{"x": "dx", ...}``."""
        return {op.name: op.grad for op in self.operands if op.grad}

    def default_config(self, given: dict | None = None) -> dict:
        """A configuration with every size at its default (else the low end
        of its drawn range, two where that allows) and every parameter at its
        default; the values ``given`` replace them, and a size not given that
        no longer fits is moved to the next value that does (``fit``).  A tuple
        of sizes starts with two of them (affine's ``x`` as N x 2 x 2, as
        cs231n's notebook checks it with N x 4 x 5 x 6): a backward that
        forgets to reshape ``dx`` fails at the first configuration."""
        given = dict(given or {})
        config = {size.name: (2, 2) if size.dims else size.default if size.default is not None
                  else min(max(size.low, 2), size.high) for size in self.sizes}
        config.update({p.name: p.default for p in self.parameters if p.follows is None})
        return self.complete(self.fit({**config, **given}, keep=set(given)))

    def fit(self, config: dict, keep=frozenset()) -> dict:
        """``config`` with each size that does not fit the sizes before it
        (and is not in ``keep``) moved to the nearest value that does, upward
        first; unchanged where none fits."""
        config = dict(config)
        for size in self.sizes:
            try:
                if size.fits is None or size.name in keep or size.name not in config or \
                        size.fits(config[size.name], config):
                    continue
            except (TypeError, ValueError):
                continue   # a value given of the wrong kind: check_config says which
            value = config[size.name]
            candidates = size.fitting(config, size.minimum, max(size.high, value) + 3)
            if candidates:
                config[size.name] = min(candidates, key=lambda v: (abs(v - value), v < value))
        return config

    def complete(self, config: dict) -> dict:
        """``config`` with the parameters that follow others filled in."""
        config = dict(config)
        for p in self.parameters:
            if p.follows is not None and p.name not in config:
                try:
                    config[p.name] = p.follows(config)
                except (TypeError, ValueError, ArithmeticError, KeyError):
                    continue   # from a value not allowed (p = 0): check_config says which
        return config

    def config_names(self) -> set[str]:
        """Every size and parameter name of the configuration."""
        return {size.name for size in self.sizes} | {p.name for p in self.parameters}

    def shapes(self, config: dict) -> dict[str, tuple]:
        return {op.name: tuple(op.shape(config)) for op in self.operands}

    def shape_key(self, config: dict) -> tuple:
        """What the symbolic derivation depends on: every operand's grid
        shape, and the sizes the definition takes itself (stride, pad)."""
        taken = arguments_of(self.define)
        return tuple(tuple(op.grid(config)) for op in self.operands) + \
            tuple(config[s.name] for s in self.sizes if s.name in taken)


@cache
def arguments_of(define) -> frozenset:
    """The names a definition takes (read once per definition).

    >>> from symbp.layers import LAYERS
    >>> sorted(arguments_of(LAYERS["conv"].define))   # stride and pad: sizes it takes
    ['_ops', 'b', 'pad', 'stride', 'w', 'x']
    """
    return frozenset(inspect.signature(define).parameters)


def features(config: dict) -> int:
    """D of a configuration: ``D``, or the product of affine's ``d``.

    >>> features({"N": 2, "d": (3, 4), "M": 5}), features({"N": 2, "D": 3})
    (12, 3)
    """
    return config["D"] if "D" in config else prod(config["d"])
