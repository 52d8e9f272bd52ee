"""The layer catalogue: three sources per layer agree over Hypothesis
configurations (the truth SymEngine derives from each definition, symbp's
hand-coded NumPy backward, finite differences of symbp's NumPy forward);
the same definition differentiated by SymPy gives the same numbers; seed
001's affine numbers; ``symbp check --layer``.
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp.errors import LayerError
from symbp.layers import LAYERS, compare_layer, layer_named
from symbp.layers.points import check_config, sample_point
from symbp.layers.symbolic import build, quantities, truth_for
from symbp.strategies import layer_configs


@pytest.mark.parametrize("name", list(LAYERS))
def test_three_sources_agree_over_configurations(name):
    layer = LAYERS[name]

    @settings(max_examples=8, deadline=None)
    @given(layer_configs(layer), st.integers(0, 2**31 - 1))
    def agree(config, seed):
        report = compare_layer(layer, config, seed=seed)
        assert report.agree, report.to_json()
        assert {k.key for k in report.keys} == set(layer.grads.values())

    agree()


def test_every_layer_has_a_definition_a_backward_and_a_convention():
    for layer in LAYERS.values():
        assert layer.cs231n or layer.dlfs, layer.name
        config = layer.default_config()
        arrays, dout = sample_point(layer, config)
        assert set(layer.backward(arrays, config, dout)) == set(layer.grads.values())


@pytest.mark.parametrize("name,config", [
    ("batchnorm", {"N": 3, "D": 1}), ("layernorm", {"N": 1, "D": 3}),
    ("softmax_loss", {"N": 2, "C": 3}), ("svm_loss", {"N": 2, "C": 3}),
    ("affine", {"N": 2, "d": (2,), "M": 2}),
    ("conv", {"N": 1, "C": 2, "F": 2, "HH": 2, "WW": 1, "stride": 2, "pad": 1, "H": 2, "W": 3}),
    ("max_pool", {"N": 1, "C": 1, "pool_height": 2, "pool_width": 1, "stride": 1, "H": 3,
                  "W": 2}),
    ("spatial_groupnorm", {"N": 1, "G": 2, "C": 4, "H": 1, "W": 2}),
    ("lstm", {"N": 1, "T": 2, "D": 1, "H": 1}), ("rnn", {"N": 1, "T": 2, "D": 1, "H": 2}),
    ("word_embedding", {"N": 1, "T": 3, "V": 2, "D": 1}),
    ("temporal_softmax_loss", {"N": 2, "T": 2, "V": 2}),
    ("linear_svm", {"N": 2, "D": 2, "C": 3, "coefficient": 0.5})])
def test_sympy_differentiates_the_same_definition_to_the_same_numbers(name, config):
    # the truth is SymEngine's, chained stage by stage; SymPy's own diff of the
    # whole definition, uncut, is an independent differentiation
    import sympy
    layer = LAYERS[name]
    config = check_config(layer, layer.default_config(config))
    arrays, dout = sample_point(layer, config, seed=3)
    _, truth = truth_for(layer, config)(arrays, config, dout)
    grids, symbols, _, result = build(layer, config, "sympy")
    out = result["out"]
    total = out.entries[0] if layer.loss else sum(
        d * o for d, o in zip(np.ravel(dout), out.entries, strict=True))
    values = {}
    for op in layer.operands:
        array = np.asarray(arrays[op.name], dtype=float)
        if op.kind == "labels":
            array = np.eye(op.grid(config)[-1])[np.asarray(arrays[op.name], dtype=int)]
        values.update(zip(grids[op.name].entries, array.ravel(), strict=True))
    values.update({symbols[p.name]: config[p.name] for p in layer.parameters})
    for op in layer.operands:
        if op.grad:   # d total / d s with every other symbol at its value first: SymPy's diff
            derived = [float(sympy.diff(total.xreplace({k: sympy.Float(v, 30) for k, v in
                                                        values.items() if k != s}), s)
                             .subs(s, values[s])) for s in grids[op.name].entries]
            assert np.allclose(np.reshape(derived, truth[op.grad].shape), truth[op.grad],
                               rtol=1e-10, atol=1e-12), op.grad


def test_conv_numbers_worked_by_hand():
    # a 2 x 2 filter of ones over a 3 x 3 image, stride 1, no pad: each output
    # is its window's sum; with dout all ones, dx counts the windows over each
    # entry and dw sums each filter position's entries over the four windows
    layer = LAYERS["conv"]
    config = check_config(layer, {"N": 1, "C": 1, "F": 1, "HH": 2, "WW": 2, "stride": 1,
                                  "pad": 0, "H": 3, "W": 3})
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    arrays = {"x": x, "w": np.ones((1, 1, 2, 2)), "b": np.array([0.5])}
    out, grads = truth_for(layer, config)(arrays, config, np.ones((1, 1, 2, 2)))
    assert np.array_equal(out[0, 0], [[8.5, 12.5], [20.5, 24.5]])
    assert np.array_equal(grads["dx"][0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert np.array_equal(grads["dw"][0, 0], [[8, 12], [20, 24]])
    assert np.array_equal(grads["db"], [4])


def test_max_pool_gradient_goes_to_each_windows_maximum_and_adds_where_they_overlap():
    layer = LAYERS["max_pool"]
    config = check_config(layer, {"N": 1, "C": 1, "pool_height": 1, "pool_width": 2,
                                  "stride": 1, "H": 1, "W": 3})
    arrays = {"x": np.array([[[[1.0, 5.0, 2.0]]]])}      # 5 is both windows' maximum
    out, grads = truth_for(layer, config)(arrays, config, np.array([[[[3.0, 4.0]]]]))
    assert np.array_equal(out, [[[[5.0, 5.0]]]])
    assert np.array_equal(grads["dx"], [[[[0.0, 7.0, 0.0]]]])


def test_word_embedding_adds_every_occurrence_of_a_word():
    layer = LAYERS["word_embedding"]
    config = check_config(layer, {"N": 1, "T": 3, "V": 2, "D": 1})
    arrays = {"x": np.array([[1, 0, 1]]), "W": np.array([[10.0], [20.0]])}
    out, grads = truth_for(layer, config)(arrays, config, np.array([[[1.0], [2.0], [4.0]]]))
    assert np.array_equal(out, [[[20.0], [10.0], [20.0]]])
    assert np.array_equal(grads["dW"], [[2.0], [5.0]])


def test_temporal_softmax_loss_sums_the_masked_steps_and_divides_by_n():
    # zero scores over two classes: log 2 per step counted, three steps, N = 2
    layer = LAYERS["temporal_softmax_loss"]
    config = check_config(layer, {"N": 2, "T": 2, "V": 2})
    arrays = {"x": np.zeros((2, 2, 2)), "y": np.array([[0, 1], [1, 1]]),
              "mask": np.array([[True, False], [True, True]])}
    loss, grads = truth_for(layer, config)(arrays, config)
    assert loss == pytest.approx(3 * np.log(2) / 2, rel=1e-14)
    assert np.allclose(grads["dx"][0, 1], 0) and np.allclose(grads["dx"][0, 0], [-0.25, 0.25])


def test_seed001_affine_numbers():
    # seed 001: dX = dY W^T = [[12, 48], [30, 120]], dB = sum(dY, axis=0) = [5, 7, 9]
    layer = LAYERS["affine"]
    config = {"N": 2, "d": (2,), "M": 3}
    arrays = {"x": np.array([[0.0, 0.0], [1.0, 1.0]]),
              "w": np.array([[2.0, 2.0, 2.0], [8.0, 8.0, 8.0]]), "b": np.array([1.0, 2.0, 3.0])}
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, grads = truth_for(layer, config)(arrays, config, dout)
    assert np.array_equal(out, [[1, 2, 3], [11, 12, 13]])
    assert np.array_equal(grads["dx"], [[12, 48], [30, 120]])
    assert np.array_equal(grads["db"], [5, 7, 9])


def test_batchnorm_at_one_sample_is_identically_zero_in_x_and_gamma():
    layer = LAYERS["batchnorm"]
    config = check_config(layer, {"N": 1, "D": 3})
    arrays, dout = sample_point(layer, config, seed=1)
    _, grads = truth_for(layer, config)(arrays, config, dout)
    assert not grads["dx"].any() and not grads["dgamma"].any()
    assert np.allclose(grads["dbeta"], dout[0])
    assert layer.vacuous(config) == {"dx", "dgamma"}


def test_named_quantities_are_sympy_matrices_with_the_contract_shapes():
    named = quantities(LAYERS["batchnorm"], {"N": 3, "D": 2, "eps": 1e-5})
    assert named["mu"].shape == (1, 2) and named["var"].shape == (1, 2)
    assert named["xhat"].shape == (3, 2) and named["gamma"].shape == (1, 2)
    assert named["out"].shape == (3, 2)
    assert quantities(LAYERS["layernorm"], {"N": 3, "D": 2, "eps": 1e-5})["mu"].shape == (3, 1)
    spatial = quantities(LAYERS["spatial_batchnorm"], {"N": 2, "C": 3, "H": 1, "W": 2,
                                                       "eps": 1e-5})
    assert spatial["mu"].shape == (1, 3, 1, 1) and spatial["out"].shape == (2, 3, 1, 2)


def test_a_pool_window_with_a_tie_within_reach_is_redrawn():
    layer = LAYERS["max_pool"]
    config = check_config(layer, layer.default_config({"stride": 1, "H": 3, "W": 3}))
    tied = {"x": np.zeros((2, 2, 3, 3))}
    assert layer.kink_distance(tied, config) == 0
    for seed in range(5):
        arrays, _ = sample_point(layer, config, seed)
        assert layer.kink_distance(arrays, config) >= 1e-3


@settings(max_examples=40, deadline=None)
@given(layer_configs("conv"), layer_configs("max_pool"), layer_configs("spatial_groupnorm"))
def test_only_valid_configurations_are_drawn(conv, pool, groups):
    for name, config in (("conv", conv), ("max_pool", pool), ("spatial_groupnorm", groups)):
        assert check_config(LAYERS[name], config) == config
    assert (conv["H"] + 2 * conv["pad"] - conv["HH"]) % conv["stride"] == 0
    assert (pool["W"] - pool["pool_width"]) % pool["stride"] == 0
    assert groups["C"] % groups["G"] == 0


def test_sizes_not_given_move_to_fit_the_ones_given():
    config = LAYERS["conv"].default_config({"stride": 3, "pad": 0})
    assert config["stride"] == 3 and (config["H"] - config["HH"]) % 3 == 0
    with pytest.raises(LayerError, match="H = 4 does not fit .*stride = 3, pad = 0: H \\+ 2 pad "
                                         "- HH must be a whole number"):
        check_config(LAYERS["conv"], {**config, "H": 4})


def test_truth_is_derived_once_per_shape():
    layer = LAYERS["batchnorm"]
    first = truth_for(layer, {"N": 3, "D": 2, "eps": 1e-5})
    assert truth_for(layer, {"N": 3, "D": 2, "eps": 0.1}) is first
    assert truth_for(layer, {"N": 4, "D": 2, "eps": 1e-5}) is not first


@pytest.mark.parametrize("config,words", [
    ({"N": 0, "D": 2}, "N = 0 is outside 1..16"),
    ({"N": 2, "D": 2, "Q": 1}, "batchnorm has no Q"),
    ({"N": 2, "D": 2, "eps": -1.0}, "eps = -1.0 is not allowed")])
def test_bad_configurations_are_one_sentence(config, words):
    with pytest.raises(LayerError, match=words):
        check_config(layer_named("batchnorm"), config)


def test_a_layer_too_large_to_derive_is_refused_before_anything_is_built():
    with pytest.raises(LayerError, match="has 4353 entries; symbp derives layers of up to 600"):
        check_config(layer_named("affine"), {"N": 16, "d": (16, 16), "M": 1})


def test_check_layer_command(cli):
    status, out, err = cli("check", "--layer", "batchnorm", "--config", "N=4,D=3,eps=1e-3")
    assert status == 0 and err == ""
    assert "all agree" in out and "dgamma" in out
    status, document = cli.json("check", "--layer", "conv", "--config", "stride=2,pad=0")
    assert status == 0 and document["agree"] and document["config"]["stride"] == 2
    assert (document["config"]["H"] - document["config"]["HH"]) % 2 == 0
    status, document = cli.json("check", "--layer", "lstm_step")
    assert status == 0 and document["agree"]
    assert [g["key"] for g in document["gradients"]] == ["dx", "dprev_h", "dprev_c", "dWx",
                                                         "dWh", "db"]
    status, document = cli.json("check", "--layer", "affine", "--config", "N=2,d=2x3,M=2")
    assert status == 0 and document["agree"] and document["config"]["d"] == [2, 3]
    assert [g["key"] for g in document["gradients"]] == ["dx", "dw", "db"]


@pytest.mark.parametrize("argv,words", [
    (["--layer", "batch"], "'batch' is not a layer of the catalogue; expected one of"),
    (["--layer", "relu", "--layers", "2,2"], "--layers is a network option"),
    (["--layers", "2,2", "--config", "N=2"], "give --layer NAME too"),
    (["--layer", "dropout", "--config", "p=2"], "p is a probability"),
    (["--layer", "relu", "--config", "N=two"], "'two' is not a number"),
    (["--layer", "conv", "--config", "stride=3,H=4,pad=0,HH=3"], "H = 4 does not fit")])
def test_check_layer_bad_input_is_exit_2(argv, words, cli):
    status, out, err = cli("check", *argv)
    assert status == 2 and out == "" and words in err and err.count("\n") == 1
