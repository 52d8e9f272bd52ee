"""The network: its fields, their validation, shapes, sampling and forward pass.

A :class:`Network` is a frozen value (it is the cache key of the symbolic
derivation).  Arrays follow the layout of contract section 1:

* ``column``: ``z[l] = W[l] @ a[l-1] + b[l]``, ``W[l]`` is n_l x n_(l-1),
  ``b[l]`` n_l x 1, samples are columns;
* ``row``: ``z[l] = a[l-1] @ W[l] + b[l]``, ``W[l]`` is n_(l-1) x n_l,
  ``b[l]`` 1 x n_l, samples are rows.

Contract section 10 adds two fields: ``targets`` (``soft`` targets anywhere
in the loss's domain, or ``onehot``: each sample's target is one class) and
``l2``, the weight decay lambda that adds ``(lambda / 2) * sum_l ||W[l]||_F^2``
to the total loss.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from symbp import limits, sampling
from symbp.errors import NetworkError, PointError
from symbp.tables import ACTIVATIONS, LAYOUTS, LOSSES, REDUCTIONS

TARGETS = ("soft", "onehot")

def _one_of(field: str, value, allowed, what: str):
    if not isinstance(value, str) or value not in allowed:
        raise NetworkError(f"{field}={value!r} is not {what}; expected one of "
                           + ", ".join(allowed))


class _LossName(str):
    """The ``loss`` field: the loss's name, and callable as ``net.loss(point)``.

    The contract asks for both ``Network(loss="half_sse")`` and
    ``net.loss(point) -> float``; a str that can be called gives both.
    """

    def __new__(cls, name: str, network: Network):
        self = super().__new__(cls, name)
        self._network = network
        return self

    def __call__(self, point) -> float:
        return self._network.total_loss(point)

    def __reduce__(self):
        return (str, (str(self),))

    def __deepcopy__(self, memo):
        return str(self)


def _integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class CheckedPoint(dict):
    """A point :meth:`Network.check_point` has validated, held by code that
    changes it only by steps it controls (finite differences move one entry
    by a small step and put it back): passed on without being validated
    again, which at depth 300 was half of a finite-difference run.

    >>> net = Network(layers=[1, 1])
    >>> point = net.checked(net.sample(0))
    >>> net.check_point(point) is point
    True
    """


@dataclass(frozen=True)
class Network:
    """A fully connected feed-forward network (contract section 1).

    >>> net = Network(layers=[2, 3, 1], hidden="tanh", output="identity")
    >>> net.depth, net.shape("W", 1)
    (2, (3, 2))
    >>> point = net.sample(seed=0)
    >>> sorted(point)
    ['W1', 'W2', 'b1', 'b2', 'x', 'y']
    """

    layers: tuple[int, ...]
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "half_sse"
    batch: int = 1
    reduction: str = "mean"
    layout: str = "column"
    bias: bool = True
    targets: str = "soft"
    l2: float = 0.0

    def __post_init__(self):
        layers = self.layers
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
            raise NetworkError(f"layers={layers!r} is not a list of sizes; "
                               "expected at least 2 integers, e.g. [2, 4, 3, 2]")
        layers = tuple(layers)
        if len(layers) < 2:
            raise NetworkError(f"layers={list(layers)!r} has {len(layers)} size(s); "
                               "expected at least 2 (input and output), e.g. [2, 3]")
        for size in layers:
            if not _integer(size) or size < 1:
                raise NetworkError(f"layers={list(layers)!r} has the size {size!r}; "
                                   "every size must be an integer >= 1")
        object.__setattr__(self, "layers", tuple(int(s) for s in layers))
        _one_of("hidden", self.hidden, ACTIVATIONS, "an activation")
        _one_of("output", self.output, ACTIVATIONS, "an activation")
        if ACTIVATIONS[self.hidden].output_only:
            hidden_ok = [n for n, a in ACTIVATIONS.items() if not a.output_only]
            raise NetworkError(f"hidden={self.hidden!r} can only be the output "
                               "activation; expected one of " + ", ".join(hidden_ok))
        _one_of("loss", str(self.loss) if isinstance(self.loss, str) else self.loss, LOSSES, "a loss")
        object.__setattr__(self, "loss", _LossName(str(self.loss), self))
        _one_of("reduction", self.reduction, REDUCTIONS, "a reduction")
        _one_of("layout", self.layout, LAYOUTS, "a layout")
        if not _integer(self.batch) or self.batch < 1:
            raise NetworkError(f"batch={self.batch!r} is not a batch size; "
                               "expected an integer >= 1")
        object.__setattr__(self, "batch", int(self.batch))
        if not isinstance(self.bias, (bool, np.bool_)):
            raise NetworkError(f"bias={self.bias!r} is not a boolean; expected true or false")
        object.__setattr__(self, "bias", bool(self.bias))
        _one_of("targets", self.targets, TARGETS, "a kind of targets")
        number = isinstance(self.l2, (int, float, np.number)) and \
            not isinstance(self.l2, (bool, np.bool_))
        if not number or not np.isfinite(self.l2) or self.l2 < 0:
            raise NetworkError(f"l2={self.l2!r} is not a weight decay; expected a number >= 0 "
                               "(lambda of (lambda/2) * sum ||W||^2; 0 for none)")
        object.__setattr__(self, "l2", float(self.l2))
        self._check_pairing()
        limits.check_sizes(self)

    def _check_pairing(self):
        allowed = LOSSES[self.loss].outputs
        if allowed is not None and self.output not in allowed:
            raise NetworkError(f"loss={self.loss!r} needs outputs in (0, 1), but "
                               f"output={self.output!r}; expected output one of "
                               + ", ".join(allowed))
        least = LOSSES[self.loss].min_units.get(self.output, 1)
        if self.layers[-1] < least:
            raise NetworkError(f"loss={str(self.loss)!r} with output={self.output!r} needs at "
                               f"least {least} output units, but layers ends in "
                               f"{self.layers[-1]}")

    @property
    def memory_needed(self) -> int:
        """Bytes of float64 arrays one gradient evaluation holds
        (:func:`symbp.limits.memory_needed`).

        >>> Network(layers=[2, 3, 2], batch=4).memory_needed
        1232
        """
        return limits.memory_needed(self)

    # -- structure -----------------------------------------------------------

    @property
    def depth(self) -> int:
        """L, the number of layers after the input."""
        return len(self.layers) - 1

    @property
    def units_axis(self) -> int:
        """The axis of an activation array that runs over units (0 column, 1 row)."""
        return 0 if self.layout == "column" else 1

    def activation(self, l: int):
        """The table entry of layer l's activation (1 <= l <= L)."""
        return ACTIVATIONS[self.output if l == self.depth else self.hidden]

    def shape(self, name: str, k: int | None = None) -> tuple[int, int]:
        """The shape of a quantity: ``W``, ``b``, ``z``, ``a``, ``x``, ``y``."""
        n, m = self.layers, self.batch
        column = self.layout == "column"
        if name == "W":
            return (n[k], n[k - 1]) if column else (n[k - 1], n[k])
        if name == "b":
            return (n[k], 1) if column else (1, n[k])
        size = {"x": n[0], "y": n[-1]}.get(name, n[k] if k is not None else None)
        return (size, m) if column else (m, size)

    def param_keys(self) -> list[str]:
        """The keys of the parameters and of the gradients: W1, b1, ..., WL, bL."""
        keys = []
        for l in range(1, self.depth + 1):
            keys += [f"W{l}", f"b{l}"] if self.bias else [f"W{l}"]
        return keys

    @property
    def parameter_count(self) -> int:
        """How many weights and biases the network has.

        >>> Network(layers=[2, 3, 1]).parameter_count
        13
        """
        return sum(rows * cols for rows, cols in
                   (self.shape(key[0], int(key[1:])) for key in self.param_keys()))

    def point_shapes(self) -> dict[str, tuple[int, int]]:
        """Every key of a point with its shape."""
        return dict(self._point_shapes)

    @cached_property
    def _point_shapes(self) -> dict[str, tuple[int, int]]:
        # every gradient checks its point against these: worked out once
        shapes = {}
        for key in self.param_keys():
            shapes[key] = self.shape(key[0], int(key[1:]))
        shapes["x"], shapes["y"] = self.shape("x"), self.shape("y")
        return shapes

    def to_dict(self) -> dict:
        """The fields as plain JSON-ready values."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["layers"], fields["loss"] = list(self.layers), str(self.loss)
        return fields

    def replace(self, **changes) -> Network:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def __str__(self):
        text = (f"layers={list(self.layers)} hidden={self.hidden} output={self.output} "
                f"loss={self.loss} batch={self.batch} reduction={self.reduction} "
                f"layout={self.layout}")
        text += "" if self.bias else " bias=false"
        text += "" if self.targets == "soft" else f" targets={self.targets}"
        return text + (f" l2={self.l2:g}" if self.l2 else "")

    def untestable(self) -> str | None:
        """Why no gradient of this network can show a slip, or None
        (:func:`symbp.sampling.untestable`)."""
        return sampling.untestable(self)

    # -- points --------------------------------------------------------------

    def checked(self, point) -> CheckedPoint:
        """The point validated once, as copies its holder may step entry by
        entry (:class:`CheckedPoint`)."""
        return CheckedPoint({key: value.copy() for key, value in self.check_point(point).items()})

    def check_point(self, point) -> dict[str, np.ndarray]:
        """The point as float64 arrays, or a :class:`PointError` naming the bad key."""
        if isinstance(point, CheckedPoint):
            return point
        if not isinstance(point, dict):
            raise PointError(f"a point must be a dict of arrays, not {type(point).__name__}")
        shapes = self._point_shapes
        missing = [k for k in shapes if k not in point]
        extra = [k for k in point if k not in shapes]
        if missing or extra:
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                    ([f"unexpected {', '.join(map(str, extra))}"] if extra else [])
            raise PointError(f"the point's keys do not fit the network ({'; '.join(parts)}); "
                             f"expected {', '.join(shapes)}")
        arrays = {}
        for key, expected in shapes.items():
            if np.iscomplexobj(point[key]):
                raise PointError(f"point[{key!r}] has complex entries; a point is real")
            try:
                value = np.asarray(point[key], dtype=float)
            except (TypeError, ValueError):
                raise PointError(f"point[{key!r}] is not an array of numbers") from None
            # a sum is finite exactly when every entry is, unless it overflows:
            # one pass without a temporary array, the full test only then
            with np.errstate(over="ignore", invalid="ignore"):
                quick = np.isfinite(value.sum())
            if not quick and not np.isfinite(value).all():
                raise PointError(f"point[{key!r}] has NaN or infinite entries; a point is "
                                 "finite")
            if value.shape != expected:
                raise PointError(f"point[{key!r}] has shape {value.shape}; "
                                 f"expected {expected} for {self.layout} layout")
            arrays[key] = value
        return arrays

    def forward(self, point, *, start: int = 0, a=None) -> tuple[list, list]:
        """NumPy forward pass: ``(zs, activations)``, ``zs[0]`` is None and
        ``activations[0]`` is ``x``.

        With ``start = k`` and ``a``, the pass resumes from a[k] = ``a`` (the
        lists then hold None below layer k): finite differences perturb a
        hidden activation this way.

        >>> net = Network(layers=[2, 3, 1])
        >>> zs, acts = net.forward(net.sample(seed=0))
        >>> [a.shape for a in acts]
        [(2, 1), (3, 1), (1, 1)]
        """
        p = self.check_point(point)
        zs, acts = [None] * (start + 1), [None] * start + [p["x"] if a is None else a]
        for l in range(start + 1, self.depth + 1):
            z = self.affine(acts[-1], p[f"W{l}"], p[f"b{l}"] if self.bias else None)
            zs.append(z)
            acts.append(self.activation(l).numpy(z, self.units_axis))
        return zs, acts

    def affine(self, a, W, b=None):
        """One layer's pre-activation from the layer below: ``W @ a + b`` in
        column layout, ``a @ W + b`` in row layout (the one place the forward
        step is written).  ``a`` and ``W`` may be NumPy arrays or SymPy
        matrices; a bias that does not already have z's shape is broadcast
        across the samples.

        >>> net = Network(layers=[2, 1], layout="row")
        >>> net.affine(np.ones((3, 2)), np.ones((2, 1)), np.ones((1, 1))).ravel().tolist()
        [3.0, 3.0, 3.0]
        """
        z = W @ a if self.layout == "column" else a @ W
        if b is None:
            return z
        if isinstance(z, np.ndarray) or tuple(b.shape) == tuple(z.shape):
            return z + b
        # SymPy matrices do not broadcast: repeat the bias across the samples
        rows, cols = z.shape
        ones = type(z).ones
        return z + (b @ ones(1, cols) if self.layout == "column" else ones(rows, 1) @ b)

    def per_sample_losses(self, point) -> np.ndarray:
        """Each sample's loss, a vector of length m."""
        _, acts = self.forward(point)
        return LOSSES[self.loss].numpy(acts[-1], np.asarray(point["y"], float),
                                       self.units_axis)

    def total_loss(self, point) -> float:
        """The total loss L (also ``net.loss(point)``): the sum or the mean of
        the per-sample losses, plus the weight decay ``(l2 / 2) * sum_l ||W[l]||_F^2``."""
        losses = self.per_sample_losses(point)
        total = float(losses.sum() if self.reduction == "sum" else losses.mean())
        return total + self.decay(point)

    def decay(self, point) -> float:
        """The weight-decay part of the total loss, ``(l2 / 2) * sum_l ||W[l]||_F^2``
        (biases excluded); 0 without ``l2``.

        >>> net = Network(layers=[1, 1], l2=0.5)
        >>> net.decay({"W1": [[2.0]], "b1": [[7.0]], "x": [[0.0]], "y": [[0.0]]})
        1.0
        """
        if not self.l2:
            return 0.0
        p = self.check_point(point)
        return 0.5 * self.l2 * sum(float(np.sum(p[f"W{l}"] ** 2))
                                   for l in range(1, self.depth + 1))

    def gradient(self, point) -> dict[str, np.ndarray]:
        """dL/dW[l], dL/db[l] from the symbolic derivation (the truth)."""
        from symbp.truth.exact import truth  # the one upward import (see pyproject.toml)
        return truth(self).gradient(point)

    def per_sample(self, point) -> dict[str, np.ndarray]:
        """The per-sample errors of contract section 2 from the symbolic
        derivation: ``delta1..deltaL`` (d loss_i / d z[k]_i, stacked like z[k])
        and ``da0..daL`` (d loss_i / d a[k]_i, stacked like a[k])."""
        from symbp.truth.exact import truth
        return truth(self).per_sample(point)

    def sample(self, seed: int = 0) -> dict[str, np.ndarray]:
        """A point drawn from ``seed``, kinks avoided (contract section 1;
        :mod:`symbp.sampling` says how).

        >>> sorted(Network(layers=[2, 3, 1]).sample(seed=0))
        ['W1', 'W2', 'b1', 'b2', 'x', 'y']
        """
        return sampling.draw(self, seed)

    def near_kink(self, point) -> bool:
        """True where the point could not test every gradient: too close to a
        kink (or, under bce, to an output of 1), or relu layers cut every
        sample off some parameter (:func:`symbp.sampling.near_kink`)."""
        return sampling.near_kink(self, point)

    @property
    def kink_margin(self) -> float:
        """How close to a kink a sampled point may come (:func:`symbp.sampling.kink_margin`)."""
        return sampling.kink_margin(self)

    def one_hot(self, labels) -> np.ndarray:
        """The targets of integer class ``labels`` (one per sample), in the layout.

        >>> Network(layers=[2, 3], batch=2, layout="row").one_hot([2, 0]).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        """
        per_sample = np.eye(self.layers[-1])[np.asarray(labels, dtype=int)]   # m x nL
        return per_sample.T.copy() if self.layout == "column" else per_sample


def as_network(net, what: str = "net") -> Network:
    """``net`` as a :class:`Network`: a Network, or a dict of its fields; a
    NetworkError for anything else (the public functions take either).

    >>> as_network({"layers": [2, 1]}).layers
    (2, 1)
    >>> as_network("2,1")
    Traceback (most recent call last):
    ...
    symbp.errors.NetworkError: net must be a symbp.Network or a dict of its fields, not str.
    """
    if isinstance(net, Network):
        return net
    if not isinstance(net, Mapping):
        raise NetworkError(f"{what} must be a symbp.Network or a dict of its fields, not "
                           f"{type(net).__name__}")
    fields = {f.name for f in dataclasses.fields(Network)}
    unknown = [key for key in net if key not in fields]
    if unknown:
        raise NetworkError(f"{what} has no field {', '.join(map(repr, unknown))}; a network's "
                           f"fields are {', '.join(sorted(fields))}")
    if "layers" not in net:
        raise NetworkError(f"{what} has no layers; give the sizes, e.g. layers=[2, 3, 1]")
    return Network(**net)
