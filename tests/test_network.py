"""Network fields, shapes, sampling and hand-built points."""

import numpy as np
import pytest

import symbp
from symbp.errors import NetworkError, PointError, SymbpError
from symbp.network import Network
from symbp.sampling import KINK_MARGIN
from symbp.sources.finite import sampled_finite_differences


@pytest.mark.parametrize("fields,fragment", [
    ({"layers": [2]}, "layers=[2]"),
    ({"layers": [2, 0, 1]}, "size 0"),
    ({"layers": "2,3"}, "layers='2,3'"),
    ({"layers": [2, 2.5]}, "size 2.5"),
    ({"layers": [2, 2], "hidden": "cosine"},
     "hidden='cosine' is not an activation; expected one of identity, sigmoid"),
    ({"layers": [2, 2], "loss": "hinge"}, "loss='hinge' is not a loss"),
    ({"layers": [2, 2], "batch": 0}, "batch=0"),
    ({"layers": [2, 2], "batch": True}, "batch=True"),
    ({"layers": [2, 3, 2], "hidden": "softmax"}, "hidden='softmax' can only be the output"),
    ({"layers": [2, 2], "reduction": "max"}, "reduction='max'"),
    ({"layers": [2, 2], "layout": "diagonal"}, "layout='diagonal'"),
    ({"layers": [2, 2], "bias": "yes"}, "bias='yes'"),
    ({"layers": [2, 2], "output": "identity", "loss": "bce"}, "loss='bce' needs outputs in (0, 1)"),
    ({"layers": [2, 2], "output": "tanh", "loss": "cce"}, "loss='cce'"),
    ({"layers": [2, 1], "output": "softmax", "loss": "bce"}, "at least 2 output units"),
])
def test_invalid_fields_name_the_field_and_what_is_allowed(fields, fragment):
    with pytest.raises(NetworkError) as info:
        Network(**fields)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, SymbpError)


def test_shapes_follow_the_layout():
    column = Network(layers=[3, 4, 2], batch=5)
    row = column.replace(layout="row")
    assert column.shape("W", 1) == (4, 3) and row.shape("W", 1) == (3, 4)
    assert column.shape("b", 2) == (2, 1) and row.shape("b", 2) == (1, 2)
    assert column.shape("x") == (3, 5) and row.shape("x") == (5, 3)
    assert column.shape("z", 1) == (4, 5) and row.shape("a", 1) == (5, 4)
    assert Network(layers=[3, 2], bias=False).param_keys() == ["W1"]


def test_loss_is_both_the_field_and_a_method():
    net = Network(layers=[2, 2], loss="sse")
    assert net.loss == "sse" and net.to_dict()["loss"] == "sse"
    point = net.sample(seed=4)
    _, acts = net.forward(point)
    assert net.loss(point) == pytest.approx(float(np.sum((acts[-1] - point["y"]) ** 2)))


def test_sample_is_reproducible_and_in_each_loss_domain():
    for loss, output in (("bce", "sigmoid"), ("cce", "softmax"), ("half_sse", "identity")):
        net = Network(layers=[2, 3, 4], output=output, loss=loss, batch=6, layout="row")
        point = net.sample(seed=11)
        again = net.sample(seed=11)
        assert all(np.array_equal(point[k], again[k]) for k in point)
        y = point["y"]
        if loss == "bce":
            assert np.all((y > 0) & (y < 1))
        if loss == "cce":
            assert np.all(y >= 0) and np.allclose(y.sum(axis=1), 1.0)


def test_sample_avoids_kinks():
    net = Network(layers=[3, 5, 4, 2], hidden="relu", output="leaky_relu", loss="l1", batch=4)
    for seed in range(20):
        point = net.sample(seed)
        zs, acts = net.forward(point)
        for z in zs[1:]:
            assert np.all(np.abs(z) >= KINK_MARGIN)
        assert np.all(np.abs(acts[-1] - point["y"]) >= KINK_MARGIN)
        assert all(np.any(z > 0) for z in zs[1:-1])


def test_hand_built_points_with_wrong_keys_or_shapes_are_clear_value_errors():
    net = Network(layers=[2, 3, 1])
    point = net.sample(0)
    with pytest.raises(PointError, match=r"point\['W1'\] has shape \(2, 3\); expected \(3, 2\)"):
        net.loss({**point, "W1": point["W1"].T})
    missing = {k: v for k, v in point.items() if k != "b2"}
    with pytest.raises(ValueError, match="missing b2"):
        symbp.backprop(net, missing)
    with pytest.raises(ValueError, match="unexpected W3"):
        net.gradient({**point, "W3": np.zeros((1, 1))})


def test_a_point_is_refused_for_a_non_finite_entry_not_for_a_large_sum():
    net = Network(layers=[2, 1], output="identity", bias=False, batch=2)
    point = net.sample(0)
    for bad in (np.nan, np.inf, -np.inf):
        x = point["x"].copy()
        x[1, 0] = bad
        with pytest.raises(PointError, match=r"point\['x'\] has NaN or infinite entries"):
            net.gradient({**point, "x": x})
    # finite entries whose sum overflows are a point (the quick test must not refuse it)
    huge = {**point, "x": np.full((2, 2), 1e308), "W1": np.zeros((1, 2))}
    assert net.loss(huge) == pytest.approx(0.5 * float(np.sum(point["y"] ** 2)) / 2)


def test_seed_004_first_forward_pass():
    # seed 004: one sigmoid layer on row vectors, x @ w + b, two samples
    net = Network(layers=[3, 2], output="sigmoid", loss="sse", reduction="sum",
                  layout="row", batch=2)
    point = {"x": np.array([[1., 2., 3.], [3., 2., 1.]]),
             "W1": np.array([[.1, .2], [.3, .4], [.5, .6]]),
             "b1": np.zeros((1, 2)), "y": np.array([[1., 0.], [0., 1.]])}
    _, acts = net.forward(point)
    np.testing.assert_allclose(acts[1], [[0.90024951, 0.94267582], [0.80218389, 0.88079708]],
                               atol=5e-9)


@pytest.mark.parametrize("classes", [100, 1000])
def test_many_class_softmax_cce_is_sampled_and_its_gradients_agree(classes):
    # MNIST has 10 classes, CIFAR-100 100: every output is ~1/classes, and a
    # rule keeping outputs away from 0 would reject every point
    net = Network(layers=[2, classes], output="softmax", loss="cce", batch=2)
    point = net.sample(seed=5)
    _, acts = net.forward(point)
    assert acts[-1].min() < 0.01
    from_backprop = symbp.backprop(net, point)
    rng = np.random.default_rng(0)
    entries = {key: [np.unravel_index(i, shape) for i in rng.choice(np.prod(shape), 40)]
               for key, shape in net.point_shapes().items() if key in net.param_keys()}
    finite, _ = sampled_finite_differences(net, point, entries=entries)
    for key, chosen in entries.items():
        scale = np.max(np.abs(from_backprop[key]))
        for index in chosen:
            assert abs(from_backprop[key][index] - finite[key][index]) <= 1e-6 * scale


def test_bce_outputs_near_1_are_redrawn():
    # log(1 - a) keeps only eps / (1 - a) of its precision
    net = Network(layers=[1, 1], output="sigmoid", loss="bce")
    point = {"W1": np.array([[1.0]]), "b1": np.array([[6.0]]), "x": np.array([[0.0]]),
             "y": np.array([[0.5]])}
    assert net.near_kink(point)
    assert not net.near_kink({**point, "b1": np.array([[-6.0]])})


def test_the_kink_margin_shrinks_with_the_values_at_kinks_per_sample_not_below_its_floor():
    from symbp.sampling import MIN_KINK_MARGIN
    assert Network(layers=[2, 4, 1], hidden="relu", batch=64).kink_margin == KINK_MARGIN
    wide = Network(layers=[4, 20000, 2], hidden="relu", output="softmax", loss="cce")
    assert wide.kink_margin == MIN_KINK_MARGIN
    point = wide.sample(seed=0)     # with the contract's 1e-3, no draw in 2000 would do
    zs, _ = wide.forward(point)
    assert np.all(np.abs(zs[1]) >= MIN_KINK_MARGIN)


def test_samples_near_a_kink_are_redrawn_one_by_one():
    # 800 relu units and 128 samples: a whole point avoids |z| < 1e-3 with
    # probability ~1e-36, a single sample with ~0.5
    net = Network(layers=[20, 800, 10], hidden="relu", output="softmax", loss="cce",
                  batch=128, layout="row")
    point = net.sample(seed=3)
    zs, _ = net.forward(point)
    assert net.kink_margin == KINK_MARGIN and np.all(np.abs(zs[1]) >= KINK_MARGIN)
    assert not net.near_kink(point)
    assert all(np.array_equal(point[key], net.sample(seed=3)[key]) for key in point)


@pytest.mark.parametrize("seed", [-1, 2.5, "0"])
def test_a_seed_that_is_not_a_non_negative_integer_is_a_network_error(seed):
    with pytest.raises(NetworkError, match="is not a seed"):
        Network(layers=[2, 2]).sample(seed)
