"""Three independent gradients of one network, compared: ``symbp check``.

The symbolic truth (SymPy), the hand-coded NumPy backprop and central finite
differences must agree on every parameter.  Differences are measured
relative to the largest entry of the true gradient, so that a gradient with
tiny entries is judged on its own scale; finite differences also get an
absolute floor, their own rounding error (a central difference cannot
resolve a derivative smaller than a few rounding units of the loss over
the step, whatever the gradient's scale).

Up to ``FULL_CHECK_ENTRIES`` parameters every entry is differenced; above,
``SAMPLED_ENTRIES`` entries of each parameter (its largest and others drawn
from the seed) and ``DIRECTIONS`` random directions through the whole of it
(PyTorch gradcheck's fast mode, JAX's check_grads), so that the cost stays a
few thousand forward passes; the report says how many entries were checked.

>>> from symbp.network import Network
>>> report = compare_gradients(Network(layers=[2, 3, 2]), seed=0)
>>> report.agree, report.sampled
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.errors import NetworkError
from symbp.sources.backprop import backprop
from symbp.sources.finite import RELATIVE_STEP, sampled_finite_differences

# truth vs backprop: both exact up to rounding; truth vs finite differences:
# truncation and rounding of a central difference in float64 (~1e-8 at best)
BACKPROP_TOLERANCE = 1e-9
FINITE_TOLERANCE = 1e-5
# Where a gradient vanishes (a softmax under l1 whose errors all have one
# sign, a layer deep in a narrow net) relative errors measure rounding noise.
# Below these absolute floors differences are noise: a gradient computed in
# float64 is off by a few rounding units of the loss's size (activations and
# targets are of order 1, so a loss below 1 still rounds like 1; measured: up
# to ~1 unit at depth 10), and a central difference divides two such
# evaluations by 2 h.
ROUNDING_UNITS = 64
FULL_CHECK_ENTRIES = 4096
SAMPLED_ENTRIES = 256
DIRECTIONS = 4
# What a finite-difference run may take, estimated before it starts: each difference
# is two forward passes, each a Python step per layer (~20 us measured, whatever the
# width) plus its products (~1 ns a multiply-add, generous for one BLAS thread).  A
# network of width 1 and depth 1000 has 2,000 parameters to difference through 1,000
# layers each: minutes, not a check.
MAX_FINITE_SECONDS = 30.0
SECONDS_PER_LAYER = 20e-6
SECONDS_PER_MULTIPLY_ADD = 1e-9


def rounding_floor(loss: float) -> float:
    """The absolute error rounding alone gives a gradient, for a loss of this size.

    >>> f"{rounding_floor(0.5):.1e}", f"{rounding_floor(100.0):.1e}"
    ('1.4e-14', '1.4e-12')
    """
    return ROUNDING_UNITS * float(np.finfo(float).eps) * max(abs(loss), 1.0)


def finite_floor(loss: float) -> float:
    """The absolute error a central difference makes from rounding alone.

    >>> f"{finite_floor(0.5):.1e}"
    '2.4e-09'
    """
    return rounding_floor(loss) / RELATIVE_STEP


def scaled_difference(truth: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """(largest absolute difference, the same relative to truth's largest entry).

    >>> scaled_difference(np.array([2.0, -4.0]), np.array([2.0, -3.0]))
    (1.0, 0.25)
    """
    absolute = float(np.max(np.abs(truth - other))) if truth.size else 0.0
    scale = float(np.max(np.abs(truth))) if truth.size else 0.0
    return absolute, (absolute / scale if scale > 0 else absolute)


@dataclass(frozen=True)
class ParameterCheck:
    """How far backprop and finite differences are from the truth for one key;
    ``entries`` of its ``size`` entries and ``directions`` random directions
    were differenced.

    >>> ParameterCheck("W1", backprop_abs=1e-17, backprop_rel=1e-16,
    ...                finite_abs=1e-9, finite_rel=1e-7).agree
    True
    >>> ParameterCheck("W1", 0.5, 0.5, 0.5, 0.5).agree
    False
    """
    key: str
    backprop_abs: float
    backprop_rel: float
    finite_abs: float
    finite_rel: float
    backprop_floor: float = 0.0     # differences below these are rounding
    finite_floor: float = 0.0
    entries: int = 0
    size: int = 0
    directions: int = 0

    @property
    def agree(self) -> bool:
        return ((self.backprop_rel <= BACKPROP_TOLERANCE
                 or self.backprop_abs <= self.backprop_floor)
                and (self.finite_rel <= FINITE_TOLERANCE or self.finite_abs <= self.finite_floor))


@dataclass(frozen=True)
class CheckReport:
    """What :func:`compare_gradients` found: one :class:`ParameterCheck` per key.

    >>> from symbp.network import Network
    >>> report = compare_gradients(Network(layers=[2, 2]), seed=0)
    >>> [check.key for check in report.parameters], report.agree
    (['W1', 'b1'], True)
    """
    network: object
    seed: int
    loss: float
    parameters: list

    @property
    def agree(self) -> bool:
        return all(p.agree for p in self.parameters)

    @property
    def sampled(self) -> bool:
        """True when finite differences checked a sample of the entries."""
        return any(p.entries < p.size or p.directions for p in self.parameters)

    @property
    def floor(self) -> float:
        """The finite differences' rounding floor at this point's loss."""
        return finite_floor(self.loss)

    def to_json(self) -> dict:
        return {"network": self.network.to_dict(), "seed": self.seed, "loss": self.loss,
                "agree": self.agree,
                "tolerances": {"backprop": BACKPROP_TOLERANCE, "finite": FINITE_TOLERANCE,
                               "backprop_floor": rounding_floor(self.loss),
                               "finite_floor": self.floor},
                "parameters": [{"key": p.key, "agree": p.agree,
                                "backprop": {"abs": p.backprop_abs, "rel": p.backprop_rel},
                                "finite_differences": {
                                    "abs": p.finite_abs, "rel": p.finite_rel,
                                    "entries": p.entries, "of": p.size,
                                    "directions": p.directions}}
                               for p in self.parameters]}


def finite_difference_count(net) -> int:
    """How many central differences ``compare_gradients`` takes for ``net``.

    >>> from symbp.network import Network
    >>> [finite_difference_count(Network(layers=sizes)) for sizes in ([2, 3, 2], [256, 512, 256])]
    [17, 1036]
    """
    if net.parameter_count <= FULL_CHECK_ENTRIES:
        return net.parameter_count
    return sum(min(size, SAMPLED_ENTRIES) + (DIRECTIONS if size > SAMPLED_ENTRIES else 0)
               for size in _sizes(net).values())


def finite_difference_seconds(net) -> float:
    """A generous estimate of the seconds ``compare_gradients`` spends on
    finite differences for ``net`` (two forward passes per difference).

    >>> from symbp.network import Network
    >>> round(finite_difference_seconds(Network(layers=[1] * 1001)))
    80
    """
    products = sum(a * b for a, b in zip(net.layers, net.layers[1:], strict=False)) * net.batch
    forward = net.depth * SECONDS_PER_LAYER + products * SECONDS_PER_MULTIPLY_ADD
    return 2 * finite_difference_count(net) * forward


def _sizes(net) -> dict[str, int]:
    return {key: int(np.prod(shape)) for key, shape in net.point_shapes().items()
            if key in net.param_keys()}


def _plan(net, truth: dict, seed: int) -> tuple[dict, dict]:
    """Which entries and directions to difference: all entries of a small
    network; else, per large parameter, its largest true entry and others
    drawn from ``seed``, and ``DIRECTIONS`` random unit directions."""
    if net.parameter_count <= FULL_CHECK_ENTRIES:
        return {}, {}
    rng = np.random.default_rng(seed)
    entries, directions = {}, {}
    for key, size in _sizes(net).items():
        if size <= SAMPLED_ENTRIES:
            continue
        shape = truth[key].shape
        largest = int(np.argmax(np.abs(truth[key])))
        others = rng.choice(size - 1, SAMPLED_ENTRIES - 1, replace=False)
        chosen = sorted({largest} | {int(i) + (i >= largest) for i in others})
        entries[key] = [np.unravel_index(i, shape) for i in chosen]
        vectors = rng.normal(size=(DIRECTIONS, *shape))
        directions[key] = [v / np.linalg.norm(v) for v in vectors]
    return entries, directions


def _finite_check(truth: np.ndarray, differenced: np.ndarray, entries, directions,
                  directional) -> tuple[float, float]:
    """(absolute, relative) distance of the finite differences from the truth
    over the entries differenced (relative to the largest true entry) and the
    directions (relative to the true gradient's norm, the largest a
    directional derivative can be)."""
    if entries is None:
        return scaled_difference(truth, differenced)
    rows = tuple(np.array(axis) for axis in zip(*entries, strict=True))
    absolute, relative = scaled_difference(truth[rows], differenced[rows])
    scale = float(np.max(np.abs(truth)))
    relative = absolute / scale if scale > 0 else absolute
    norm = float(np.linalg.norm(truth))
    for direction, value in zip(directions, directional, strict=True):
        error = abs(float(np.sum(truth * direction)) - value)
        absolute = max(absolute, error)
        relative = max(relative, error / norm if norm > 0 else error)
    return absolute, relative


def compare_gradients(net, point=None, *, seed: int = 0, progress=None) -> CheckReport:
    """Truth vs backprop vs finite differences for every parameter of ``net``
    at ``point`` (drawn from ``seed`` when not given); ``progress(done)``
    follows the finite differences, one call per difference taken (their
    number is :func:`finite_difference_count`).

    >>> from symbp.network import Network
    >>> net, done = Network(layers=[2, 2]), []
    >>> report = compare_gradients(net, net.sample(seed=1), progress=done.append)
    >>> report.agree, len(done) == finite_difference_count(net)
    (True, True)
    """
    reason = net.untestable()
    if reason is not None:
        raise NetworkError(f"{net} cannot show a disagreement: {reason}",
                           suggestion="give the output layer at least 2 units")
    seconds = finite_difference_seconds(net)
    if seconds > MAX_FINITE_SECONDS:
        raise NetworkError(
            f"a network of {net.depth:,} layers and {net.parameter_count:,} parameters "
            f"would take about {seconds:.0f} s of finite differences "
            f"({finite_difference_count(net):,} of them, each two passes through "
            f"{net.depth:,} layers); symbp checks networks whose finite differences take at "
            f"most about {MAX_FINITE_SECONDS:.0f} s",
            suggestion="check a shallower network (the same formulas hold at every depth), "
                       "or compare with the truth without finite differences")
    point = net.sample(seed) if point is None else net.check_point(point)
    truth = net.gradient(point)
    from_backprop = backprop(net, point)
    entries, directions = _plan(net, truth, seed)
    from_finite, directional = sampled_finite_differences(
        net, point, entries=entries, directions=directions, progress=progress)
    loss = net.total_loss(point)
    checks = []
    for key in net.param_keys():
        size = truth[key].size
        finite = _finite_check(truth[key], from_finite[key], entries.get(key),
                               directions.get(key, []), directional[key])
        checks.append(ParameterCheck(key, *scaled_difference(truth[key], from_backprop[key]),
                                     *finite, backprop_floor=rounding_floor(loss),
                                     finite_floor=finite_floor(loss),
                                     entries=len(entries.get(key, range(size))), size=size,
                                     directions=len(directions.get(key, []))))
    return CheckReport(net, seed, loss, checks)
