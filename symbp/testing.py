"""Assertions for users' own test suites (contract section 6).

>>> import numpy as np
>>> from symbp.network import Network
>>> def my_grads(params, x, y):   # one identity layer, half_sse, sum
...     delta = params["W1"] @ x - y
...     return {"W1": delta @ x.T}
>>> assert_gradients(my_grads, Network(layers=[2, 1], output="identity",
...                                    reduction="sum", bias=False))

With Hypothesis::

    from hypothesis import given
    from symbp.strategies import networks
    from symbp.testing import assert_gradients

    @given(networks(hidden="tanh", output="identity", loss="half_sse", layout="column"))
    def test_my_backprop(net):
        assert_gradients(my_grads, net)
"""

from __future__ import annotations

from symbp.grading.grades import grade
from symbp.network import Network

__all__ = ["assert_gradients"]


def _pay_one_time_costs():
    """Derive the smallest network once, when a test module imports this one.

    The first truth symbp derives pays for imports and code-generation set-up
    (0.3 to 1 s); each later network shape costs tens of milliseconds.
    Hypothesis times every example against its deadline (200 ms by default)
    but not the import of the test module, so the cost is paid here and the
    contract's example passes under Hypothesis's default settings.
    """
    net = Network(layers=[1, 1])
    net.gradient(net.sample(0))


_pay_one_time_costs()


def assert_gradients(func, net, point=None, *, rtol=None, atol=None, names=None,
                     seed: int = 0) -> None:
    """Raise AssertionError unless ``func(params, x, y)`` returns every gradient of
    ``net``'s total loss at ``point`` (default ``net.sample(seed)``).

    The message is ``symbp grade``'s report: the network and point, then one
    line per key, each wrong one with how far off it is, where, and a
    diagnosis where one fits (a factor such as 1/m, a transpose, a shape).
    """
    report = grade(func, net, point, rtol=rtol, atol=atol, names=names, seed=seed)
    if not report.ok:
        wrong = ", ".join(k.key for k in report.wrong)
        raise AssertionError(f"wrong gradient(s): {wrong}\n{report}")
