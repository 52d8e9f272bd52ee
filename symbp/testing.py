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

__all__ = ["assert_gradients", "assert_layer"]


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
                     seed: int = 0, **reading) -> None:
    """Raise AssertionError unless ``func(params, x, y)`` returns every gradient of
    ``net``'s total loss at ``point`` (default ``net.sample(seed)``).

    The message is ``symbp grade``'s report: the network and point, then one
    line per key, each wrong one with how far off it is, where, and a
    diagnosis where one fits (a factor such as 1/m, a transpose, a shape).
    ``reading`` takes :func:`symbp.grade`'s ``grad_names``, ``returns`` and
    ``labels``: how FUNC's answer is read.

    >>> net = Network(layers=[2, 1], output="identity", reduction="sum", bias=False)
    >>> def halved(params, x, y):   # half the right gradient
    ...     return {"W1": 0.5 * (params["W1"] @ x - y) @ x.T}
    >>> try:
    ...     assert_gradients(halved, net)
    ... except AssertionError as error:
    ...     report = str(error).splitlines()
    >>> report[0], report[-1].split("; ")[-1]
    ('wrong gradient(s): W1', 'W1 is 1/2 times the truth')
    """
    report = grade(func, net, point, rtol=rtol, atol=atol, names=names, seed=seed, **reading)
    if not report.ok:
        wrong = ", ".join(k.key for k in report.wrong)
        raise AssertionError(f"wrong gradient(s): {wrong}\n{report}")


def assert_layer(forward, backward=None, layer: str = "batchnorm", *, config=None,
                 random: int = 20, seed: int = 0) -> None:
    """Raise AssertionError unless the layer is right: cs231n-style
    ``forward(x, ...) -> (out, cache)`` and ``backward(dout, cache)``, a loss
    function ``softmax_loss(x, y) -> (loss, dx)`` given as ``forward`` alone, or
    a DLFS-style class given as ``forward``.

    Without ``config`` it is graded on ``random`` configurations drawn by
    Hypothesis (a failure shrunk to the smallest); with one (say from
    ``symbp.strategies.layer_configs(layer)`` in your own ``@given`` test) at
    that configuration.  A layer tested only vacuously (batch norm at N = 1,
    where dx and dgamma are zero whatever) fails too: nothing was tested.

    >>> import numpy as np
    >>> def affine_forward(x, w, b):
    ...     return x.reshape(len(x), -1) @ w + b, (x, w)
    >>> def affine_backward(dout, cache):
    ...     x, w = cache
    ...     return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(0)
    >>> assert_layer(affine_forward, affine_backward, "affine", random=5)
    """
    from symbp.grading.in_process import grade_layer_code
    report = grade_layer_code(forward, backward, layer, config=config, random=random, seed=seed)
    if report.verdict != "ok":
        raise AssertionError(f"{layer} is {report.verdict}\n{report}")
