"""Three independent gradients of one network, compared: ``symbp check``.

The symbolic truth (SymPy), the hand-coded NumPy backprop and central finite
differences must agree on every parameter.  Differences are measured
relative to the largest entry of the true gradient, so that a gradient with
tiny entries is judged on its own scale.

>>> from symbp.network import Network
>>> report = compare_gradients(Network(layers=[2, 3, 2]), seed=0)
>>> report.agree
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbp.errors import NetworkError
from symbp.sources.backprop import backprop
from symbp.sources.finite import finite_differences

# truth vs backprop: both exact up to rounding; truth vs finite differences:
# truncation and rounding of a central difference in float64 (~1e-8 at best)
BACKPROP_TOLERANCE = 1e-9
FINITE_TOLERANCE = 1e-5


def scaled_difference(truth: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """(largest absolute difference, the same relative to truth's largest entry)."""
    absolute = float(np.max(np.abs(truth - other))) if truth.size else 0.0
    scale = float(np.max(np.abs(truth))) if truth.size else 0.0
    return absolute, (absolute / scale if scale > 0 else absolute)


@dataclass(frozen=True)
class ParameterCheck:
    """How far backprop and finite differences are from the truth for one key."""
    key: str
    backprop_abs: float
    backprop_rel: float
    finite_abs: float
    finite_rel: float

    @property
    def agree(self) -> bool:
        return (self.backprop_rel <= BACKPROP_TOLERANCE
                and self.finite_rel <= FINITE_TOLERANCE)


@dataclass(frozen=True)
class CheckReport:
    network: object
    seed: int
    loss: float
    parameters: list

    @property
    def agree(self) -> bool:
        return all(p.agree for p in self.parameters)

    def to_json(self) -> dict:
        return {"network": self.network.to_dict(), "seed": self.seed, "loss": self.loss,
                "agree": self.agree,
                "tolerances": {"backprop": BACKPROP_TOLERANCE, "finite": FINITE_TOLERANCE},
                "parameters": [{"key": p.key, "agree": p.agree,
                                    "backprop": {"abs": p.backprop_abs, "rel": p.backprop_rel},
                                    "finite_differences": {"abs": p.finite_abs,
                                                        "rel": p.finite_rel}}
                               for p in self.parameters]}


def compare_gradients(net, point=None, *, seed: int = 0, progress=None) -> CheckReport:
    """Truth vs backprop vs finite differences for every parameter of ``net``
    at ``point`` (drawn from ``seed`` when not given); ``progress(done)``
    follows the finite differences, one call per parameter entry."""
    reason = net.untestable()
    if reason is not None:
        raise NetworkError(f"{net} cannot show a disagreement: {reason}",
                           suggestion="give the output layer at least 2 units")
    point = net.sample(seed) if point is None else net.check_point(point)
    truth = net.gradient(point)
    from_backprop = backprop(net, point)
    from_finite = finite_differences(net, point, progress)
    checks = [ParameterCheck(key, *scaled_difference(truth[key], from_backprop[key]),
                             *scaled_difference(truth[key], from_finite[key]))
              for key in net.param_keys()]
    return CheckReport(net, seed, net.total_loss(point), checks)
