"""The three gradient sources agree: SymPy truth, NumPy backprop, finite differences.

Plus hand-worked numbers that no code here produced (seed 000's article).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symbp
from symbp.sources.backprop import backprop_per_sample
from symbp.sources.finite import finite_differences_per_sample
from symbp.strategies import all_networks
from symbp.truth.exact import truth


def assert_close_to_scale(reference, other, tolerance, what, floor):
    # ``floor``: an absolute allowance for gradients that are zero in exact
    # arithmetic (a softmax output of one unit is constant) and round to ~1e-17
    for key, expected in reference.items():
        scale = float(np.max(np.abs(expected)))
        error = float(np.max(np.abs(expected - other[key])))
        assert error <= tolerance * scale + floor, (
            f"{what} {key}: off by {error:.3e}, {error / scale:.2e} of its largest entry")


@settings(max_examples=60)
@given(all_networks(max_depth=4, max_width=5, max_batch=4, l2=st.sampled_from([0.0, 0.3]),
                    targets=st.sampled_from(["soft", "onehot"])))
def test_truth_backprop_and_finite_differences_agree(net):
    point = net.sample(seed=7)
    true_gradient = net.gradient(point)
    assert sorted(true_gradient) == sorted(net.param_keys())
    for key, value in true_gradient.items():
        assert value.shape == net.point_shapes()[key]
    assert_close_to_scale(true_gradient, symbp.backprop(net, point), 1e-9, "backprop", 1e-14)
    assert_close_to_scale(true_gradient, symbp.finite_differences(net, point), 1e-5,
                          "finite differences", 1e-9)


@settings(max_examples=25)
@given(all_networks(max_depth=3, max_width=4, max_batch=3))
def test_per_sample_delta_and_da_agree(net):
    point = net.sample(seed=3)
    per_sample = net.per_sample(point)
    expected_keys = {f"delta{k}" for k in range(1, net.depth + 1)} | \
                    {f"da{k}" for k in range(net.depth + 1)}
    assert set(per_sample) == expected_keys
    assert_close_to_scale(per_sample, backprop_per_sample(net, point), 1e-9, "backprop", 1e-14)
    assert_close_to_scale(per_sample, finite_differences_per_sample(net, point), 1e-5,
                          "finite differences", 1e-9)


@pytest.mark.parametrize("fields", [
    {"layers": [4, 32, 3], "hidden": "tanh", "output": "sigmoid", "batch": 3},
    {"layers": [3, 33, 2], "hidden": "relu", "output": "softmax", "loss": "cce", "batch": 2,
         "layout": "row", "reduction": "sum"},
])
def test_a_wide_layer(fields):
    net = symbp.Network(**fields)
    point = net.sample(seed=1)
    true_gradient = net.gradient(point)
    assert_close_to_scale(true_gradient, symbp.backprop(net, point), 1e-9, "backprop", 1e-14)
    assert_close_to_scale(true_gradient, symbp.finite_differences(net, point), 1e-5, "fd", 1e-9)


SEED_000 = {"layers": [2, 2, 1], "hidden": "relu", "output": "identity", "loss": "half_sse",
                "bias": False}
SEED_000_POINT = {"x": np.array([[1.0], [2.0]]), "W1": np.array([[0.5, 0.2], [0.3, 0.7]]),
                  "W2": np.array([[0.6, 0.8]]), "y": np.array([[1.5]])}


@pytest.mark.parametrize("source", ["truth", "backprop", "finite_differences"])
def test_seed_000_worked_numbers_from_every_source(source):
    net = symbp.Network(**SEED_000)
    gradient = {"truth": net.gradient, "backprop": lambda p: symbp.backprop(net, p),
                "finite_differences": lambda p: symbp.finite_differences(net, p)}[source]
    result = gradient(SEED_000_POINT)
    assert net.loss(SEED_000_POINT) == pytest.approx(0.08)
    np.testing.assert_allclose(result["W1"], [[0.24, 0.48], [0.32, 0.64]], rtol=1e-7)
    np.testing.assert_allclose(result["W2"], [[0.36, 0.68]], rtol=1e-7)


def test_truth_loss_matches_the_article():
    net = symbp.Network(**SEED_000)
    assert truth(net).loss(SEED_000_POINT) == pytest.approx(0.08)
