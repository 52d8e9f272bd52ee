"""A user's backprop graded on networks drawn by Hypothesis (``grade --random N``).

The networks are like the given one (:func:`symbp.verification.search.similar_networks`);
a wrong gradient is shrunk to the smallest network (and point seed) that
still shows it.

>>> import numpy as np
>>> from symbp.network import Network
>>> def zeros(params, x, y):
...     return {key: np.zeros_like(value) for key, value in params.items()}
>>> found = grade_random(zeros, Network(layers=[2, 2]), 3)
>>> found.ok, found.failing.network.layers
(False, (1, 1))
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, reject
from hypothesis import strategies as st

from symbp.errors import NetworkError
from symbp.grading.grades import GradeReport, grade
from symbp.limits import check_max_width, check_random
from symbp.network import Network
from symbp.verification.search import MAX_WIDTH, isolated, scratch_storage, similar_networks


@dataclass
class RandomGrade:
    """What ``grade_random`` found: how many networks were graded before the
    first failure (all of them when none failed), and the smallest failing
    network's report, shrunk by Hypothesis (None when every one was right).

    >>> found = RandomGrade(5, None)
    >>> found.ok, found.to_json()
    (True, {'ok': True, 'networks_checked': 5, 'failing': None})
    """

    tried: int
    failing: GradeReport | None

    @property
    def ok(self) -> bool:
        return self.failing is None

    def to_json(self) -> dict:
        return {"ok": self.ok, "networks_checked": self.tried,
                "failing": self.failing.to_json() if self.failing else None}


class _Wrong(Exception):
    """Raised inside the Hypothesis test so that it shrinks the failing network."""

    def __init__(self, report: GradeReport):
        super().__init__(str(report))
        self.report = report


def grade_random(func, net: Network, n: int, *, vary_depth: bool = False,
                 fixed_widths: bool = False, fixed_batch: bool = False,
                 max_width: int = MAX_WIDTH, seed: int = 0,
                 on_network=None, l2_per_batch: float | None = None,
                 **options) -> RandomGrade:
    """Grade ``func`` on ``n`` networks drawn by Hypothesis from
    ``symbp.verification.search.similar_networks(net, ...)``; ``on_network(done)``
    follows them, ``options`` are :func:`symbp.grading.grades.grade`'s.

    Hypothesis runs with its own settings, whatever profile is loaded: no
    example database, derandomized from ``seed``, no deadline.  A failure is
    shrunk to the smallest network (and point seed) that still fails.

    ``l2_per_batch``: Ng's lambd, whose decay ``(lambd / 2m) * sum ||W||^2``
    is ``l2 = lambd / m`` on each network, m its own batch.

    >>> def right(params, x, y):     # for any widths and batch of a one-layer network
    ...     delta = params["W1"] @ x + params["b1"] - y
    ...     return {"dW1": delta @ x.T, "db1": delta.sum(axis=1, keepdims=True)}
    >>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum")
    >>> seen = []
    >>> found = grade_random(right, net, 3, on_network=seen.append)
    >>> found.ok, found.tried, seen
    (True, 3, [1, 2, 3])
    """
    check_random(n, "n")
    check_max_width(max_width)
    maps = {what: dict(options.pop(what, None) or {}) for what in ("names", "grad_names")}
    calls, failures = [0], []
    drawn = similar_networks(net, vary_depth=vary_depth, fixed_widths=fixed_widths,
                             fixed_batch=fixed_batch,
                             max_width=max_width)

    @isolated(n, seed)
    @given(drawn, st.integers(0, 2**32 - 1))
    def attempt(candidate, point_seed):
        if not failures:
            calls[0] += 1
            if on_network is not None:
                on_network(min(calls[0], n))
        # keys a network drawn with another depth lacks are left out of the maps
        kept = {what: {k: v for k, v in mapping.items() if k in candidate.param_keys()}
                for what, mapping in maps.items()}
        if l2_per_batch is not None:
            candidate = candidate.replace(l2=l2_per_batch / candidate.batch)
        try:
            report = grade(func, candidate, seed=point_seed, **kept, **options)
        except NetworkError:
            reject()  # no point away from the kinks on this network: not a counterexample
        if not report.ok:
            failures.append(report)
            raise _Wrong(report)

    try:
        with scratch_storage():
            attempt()
    except _Wrong as wrong:
        failing = wrong.report
    except Exception:
        if not failures:
            raise
        # a flaky FUNC (right then wrong on the same network): the smallest failure seen
        failing = min(failures, key=_size)
    else:
        return RandomGrade(calls[0], None)
    return RandomGrade(calls[0], _with_causes(failing, net, func, l2_per_batch, maps, options))


def _with_causes(report: GradeReport, given: Network, func, l2_per_batch, maps,
                 options) -> GradeReport:
    """``report`` with the causes a failure on another network than the
    given one may have: code written for the given output width (Ng's
    ``assert(AL.shape == (1, X.shape[1]))``), or a decay of lambd/m (Ng's
    ``lambd / m * W``) graded with the given batch's l2 on another batch
    (graded again with the l2 scaled, to know)."""
    failing = report.network
    if report.error is not None and failing.layers[-1] != given.layers[-1]:
        report.causes.append("output_width")
    if l2_per_batch is None and given.l2 and failing.batch != given.batch and \
            report.error is None:
        scaled = failing.replace(l2=given.l2 * given.batch / failing.batch)
        kept = {what: {k: v for k, v in mapping.items() if k in scaled.param_keys()}
                for what, mapping in maps.items()}
        if grade(func, scaled, seed=report.seed, **kept, **options).ok:
            report.causes.append("decay_per_batch")
    return report


def _size(report: GradeReport):
    net = report.network
    return (net.depth, sum(net.layers), net.batch)
