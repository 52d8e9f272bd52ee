"""A user's own test file, as contract section 6 shows it: Hypothesis draws
networks, ``assert_gradients`` checks the user's backprop on each."""

import numpy as np
import pytest
from hypothesis import given, settings

from symbp.strategies import networks
from symbp.testing import assert_gradients


def my_grads(params, x, y):
    """Column layout, tanh hidden layers, identity output, half_sse, mean."""
    L = sum(1 for key in params if key.startswith("W"))
    has_bias = "b1" in params
    m = x.shape[1]
    acts = [x]
    for l in range(1, L + 1):
        z = params[f"W{l}"] @ acts[-1] + (params[f"b{l}"] if has_bias else 0)
        acts.append(np.tanh(z) if l < L else z)
    delta = (acts[L] - y) / m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T
        if has_bias:
            grads[f"b{l}"] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * (1 - acts[l - 1] ** 2)
    return grads


def my_grads_forgetting_the_mean(params, x, y):
    grads = my_grads(params, x, y)
    return {key: value * x.shape[1] for key, value in grads.items()}


@settings(max_examples=25)
@given(networks(hidden="tanh", output="identity", loss="half_sse", layout="column",
                reduction="mean"))
def test_my_backprop(net):
    assert_gradients(my_grads, net)


@settings(max_examples=10)
@given(networks(hidden="tanh", output="identity", loss="half_sse", layout="column",
                reduction="mean", batch=3))
def test_a_forgotten_mean_is_named(net):
    with pytest.raises(AssertionError, match=r"W1: WRONG.* is m\b"):
        assert_gradients(my_grads_forgetting_the_mean, net)
