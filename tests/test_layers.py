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


@pytest.mark.parametrize("name,config", [("batchnorm", {"N": 3, "D": 1}),
                                         ("layernorm", {"N": 1, "D": 3}),
                                         ("softmax_loss", {"N": 2, "C": 3}),
                                         ("svm_loss", {"N": 2, "C": 3}),
                                         ("affine", {"N": 2, "d": (2,), "M": 2})])
def test_sympy_differentiates_the_same_definition_to_the_same_numbers(name, config):
    # the truth is SymEngine's; SymPy's own diff of the same definition is an
    # independent differentiation engine
    import sympy
    layer = LAYERS[name]
    config = check_config(layer, {**layer.default_config(), **config})
    arrays, dout = sample_point(layer, config, seed=3)
    _, truth = truth_for(layer, config)(arrays, config, dout)
    grids, symbols, _, result = build(layer, config, "sympy")
    out = result["out"]
    total = out[0, 0] if layer.loss else sum(
        d * o for d, o in zip(np.ravel(dout), out.entries, strict=True))
    values = {}
    for op in layer.operands:
        array = np.asarray(arrays[op.name], dtype=float)
        if op.kind == "labels":
            array = np.eye(config["C"])[np.asarray(arrays[op.name], dtype=int)]
        values.update(zip(grids[op.name].entries, array.ravel(), strict=True))
    values.update({symbols[p.name]: config[p.name] for p in layer.parameters})
    for op in layer.operands:
        if op.grad:
            derived = [float(sympy.diff(total, s).subs(values)) for s in grids[op.name].entries]
            assert np.allclose(np.reshape(derived, truth[op.grad].shape), truth[op.grad],
                               rtol=1e-10, atol=1e-12), op.grad


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
    status, document = cli.json("check", "--layer", "affine", "--config", "N=2,d=2x3,M=2")
    assert status == 0 and document["agree"] and document["config"]["d"] == [2, 3]
    assert [g["key"] for g in document["gradients"]] == ["dx", "dw", "db"]


@pytest.mark.parametrize("argv,words", [
    (["--layer", "batch"], "'batch' is not a layer of the catalogue; expected one of"),
    (["--layer", "relu", "--layers", "2,2"], "--layers is a network option"),
    (["--layers", "2,2", "--config", "N=2"], "give --layer NAME too"),
    (["--layer", "dropout", "--config", "p=2"], "p is a probability"),
    (["--layer", "relu", "--config", "N=two"], "'two' is not a number")])
def test_check_layer_bad_input_is_exit_2(argv, words, cli):
    status, out, err = cli("check", *argv)
    assert status == 2 and out == "" and words in err and err.count("\n") == 1
