"""verify(): the textbook equations hold or are proved across configurations,
and their classic corruptions are refuted with the right diagnosis."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbp
from symbp.network import Network
from symbp.strategies import networks
from symbp.tables import ACTIVATIONS, LOSSES
from symbp.verification import general_proof, proof
from symbp.verification.verdicts import verify

ELEMENTWISE = [name for name, a in ACTIVATIONS.items() if a.elementwise]
BP2 = {"column": "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])",
       "row": "delta[l] = (delta[l+1] @ W[l+1].T) * sigma_prime(z[l])"}
BP4_MEAN = {"column": "dW[l] = (1/m) * delta[l] @ a[l-1].T",
            "row": "dW[l] = (1/m) * a[l-1].T @ delta[l]"}
BP3_MEAN = {"column": "db[l] = mean(delta[l], axis=1)", "row": "db[l] = mean(delta[l], axis=0)"}
BP4_SUM = {"column": "dW[l] = delta[l] @ a[l-1].T", "row": "dW[l] = a[l-1].T @ delta[l]"}
BP3_SUM = {"column": "db[l] = sum(delta[l], axis=1)", "row": "db[l] = sum(delta[l], axis=0)"}
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _met(result, *verdicts):
    assert result.verdict in verdicts, (result.verdict, result.message, result.diagnosis)
    return result


# -- the textbook equations ----------------------------------------------------

@pytest.mark.parametrize("output,loss", [
    (output, loss) for loss in sorted(LOSSES) for output in ELEMENTWISE
    if LOSSES[loss].outputs is None or output in LOSSES[loss].outputs])
def test_bp1_is_proved_for_every_elementwise_output_and_loss(output, loss):
    net = Network(layers=[2, 3, 2], hidden="tanh", output=output, loss=loss, batch=2)
    _met(verify("delta[L] = da[L] * sigma_prime(z[L])", net), "proved")


@pytest.mark.parametrize("layout", ["column", "row"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "leaky_relu", "softplus"])
def test_bp2_is_proved_in_both_layouts(layout, hidden):
    net = Network(layers=[3, 4, 3, 2], hidden=hidden, layout=layout, batch=2)
    result = _met(verify(BP2[layout], net), "proved")
    assert result.layers_checked == [1, 2]


@pytest.mark.parametrize("layout", ["column", "row"])
def test_bp3_bp4_with_mean_and_sum(layout):
    mean = Network(layers=[2, 3, 2], layout=layout, batch=3, reduction="mean")
    total = mean.replace(reduction="sum")
    for formula in (BP4_MEAN[layout], BP3_MEAN[layout]):
        assert _met(verify(formula, mean), "proved").layers_checked == [1, 2]
    for formula in (BP4_SUM[layout], BP3_SUM[layout]):
        _met(verify(formula, total), "proved")


@pytest.mark.parametrize("output,loss", [("softmax", "cce"), ("sigmoid", "bce"),
                                         ("softmax", "bce"), ("sigmoid", "cce")])
@pytest.mark.parametrize("layout", ["column", "row"])
def test_output_error_is_a_minus_y_where_the_loss_matches_the_output(output, loss, layout):
    net = Network(layers=[2, 3, 3], output=output, loss=loss, layout=layout, batch=2)
    result = verify("delta[L] = a[L] - y", net)
    if (output, loss) in [("softmax", "cce"), ("sigmoid", "bce")]:
        _met(result, "proved")
    else:
        _met(result, "refuted")


def test_tanh_derivative_written_with_the_activation():
    net = Network(layers=[2, 3, 3, 1], hidden="tanh", output="identity", batch=2)
    _met(verify("delta[l] = (W[l+1].T @ delta[l+1]) * (1 - a[l]**2)", net), "proved")
    _met(verify("tanh_prime(z[l]) = 1 - tanh(z[l])**2", net), "proved")


def test_forward_pass_and_chain_rule_identities():
    net = Network(layers=[2, 3, 2], batch=2, layout="row")
    for formula in ("z[l] = a[l-1] @ W[l] + b[l]", "a[l] = sigma(z[l])",
                    "da[l-1] = delta[l] @ W[l].T", "x = a[0]", "n[L] = 2", "m = 2"):
        _met(verify(formula, net), "proved")


@SETTINGS
@given(networks(hidden=st.sampled_from(["sigmoid", "tanh", "softplus"]),
                output="sigmoid", loss=st.sampled_from(["half_sse", "bce", "mse"]),
                max_depth=3, max_width=3, max_batch=3))
def test_bp2_and_bp4_hold_on_networks_hypothesis_draws(net):
    layout = net.layout
    if net.depth >= 2:
        _met(verify(BP2[layout], net), "proved", "holds")
    bp4 = BP4_MEAN[layout] if net.reduction == "mean" else BP4_SUM[layout]
    _met(verify(bp4, net), "proved", "holds")
    flipped = _met(verify(bp4.replace("dW[l] = ", "dW[l] = -"), net), "refuted")
    assert flipped.diagnosis["kind"] == "factor" and flipped.diagnosis["factor"] == "-1"


# -- corruptions ---------------------------------------------------------------

SQUARE = Network(layers=[3, 3, 3, 3], batch=2)
DEEP = Network(layers=[2, 4, 3, 2], batch=3)


@pytest.mark.parametrize("net,formula,kind,fields", [
    (SQUARE, "delta[l] = (W[l+1] @ delta[l+1]) * sigma_prime(z[l])", "transpose_slip",
     {"found": "W[l+1]", "expected": "W[l+1].T"}),
    # the shapes refuse it, and the one edit that makes them fit names the slip
    (DEEP, "delta[l] = (W[l+1] @ delta[l+1]) * sigma_prime(z[l])", "transpose_slip",
     {"found": "W[l+1]", "expected": "W[l+1].T"}),
    (SQUARE, "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l+1])", "prime_layer",
     {"found": "sigma_prime(z[l+1])", "expected": "sigma_prime(z[l])"}),
    (DEEP, "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(a[l])", "prime_at_a",
     {"found": "sigma_prime(a[l])", "expected": "sigma_prime(z[l])"}),
    (DEEP, "delta[l] = -(W[l+1].T @ delta[l+1]) * sigma_prime(z[l])", "factor",
     {"factor": "-1"}),
    (DEEP, "dW[l] = (2/m) * delta[l] @ a[l-1].T", "factor", {"factor": "2"}),
    (DEEP, "dW[l] = delta[l] @ a[l-1].T", "factor", {"factor": "m"}),
    (DEEP, "dW[l] = (1/m) * (1/m) * delta[l] @ a[l-1].T", "factor", {"factor": "1/m"}),
    (DEEP, "db[l] = sum(delta[l], axis=1)", "factor", {"factor": "m"}),
    (DEEP.replace(reduction="sum"), "db[l] = mean(delta[l], axis=1)", "factor",
     {"factor": "1/m"}),
    (DEEP, "db[l] = mean(delta[l], axis=0)", "axis_slip", {"expected": "mean(..., axis=1)"}),
    # row-layout formulas on a column-layout network
    (DEEP, "dW[l] = (1/m) * a[l-1].T @ delta[l]", "layout", {"holds_in": "row"}),
    (DEEP, "delta[l] = (delta[l+1] @ W[l+1].T) * sigma_prime(z[l])", "layout",
     {"holds_in": "row"}),
    (DEEP, "dW[l] = (1/m) * a[l-1] @ delta[l].T", "transpose", {}),
    (DEEP, "db[l] = 0 * delta[l]", "shape", {}),
    (DEEP, "db[l] = 0 * db[l]", "zeros", {}),
    # the batch equals the widths: a missing .T on an activation hides from the shapes
    (Network(layers=[3, 3, 3], batch=3), "dW[l] = (1/m) * delta[l] @ a[l-1]", "transpose_slip",
     {"found": "a[l-1]", "expected": "a[l-1].T"}),
    (Network(layers=[3, 3, 3], batch=3, layout="row"), "dW[l] = (1/m) * a[l-1] @ delta[l]",
     "transpose_slip", {"found": "a[l-1]", "expected": "a[l-1].T"}),
    # a relu mask taken from the layer next door
    (Network(layers=[3, 3, 3, 2], hidden="relu"),
     "delta[l] = (W[l+1].T @ delta[l+1]) * step(z[l+1])", "mask_layer",
     {"found": "step(z[l+1])", "expected": "step(z[l])"}),
    (Network(layers=[3, 3, 3, 2], hidden="relu"),
     "delta[l] = (W[l+1].T @ delta[l+1]) * step(a[l-1])", "mask_layer",
     {"found": "step(a[l-1])", "expected": "step(a[l])"}),
])
def test_classic_corruptions_are_refuted_with_their_diagnosis(net, formula, kind, fields):
    result = _met(verify(formula, net), "refuted")
    assert result.diagnosis["kind"] == kind, result.diagnosis
    assert result.diagnosis["text"].endswith(".")
    for key, value in fields.items():
        assert result.diagnosis[key] == value


def test_a_shape_refutation_gives_both_shapes():
    result = verify("db[l] = 0 * delta[l]", DEEP)
    example = result.counterexample
    assert result.diagnosis["left"] == list(np.shape(example["left"]))
    assert result.diagnosis["right"] == list(np.shape(example["right"]))
    assert result.diagnosis["left"] == [DEEP.layers[example["l"]], 1]


def test_softmax_bp1_with_the_diagonal_derivative_is_wrong_not_an_error():
    net = Network(layers=[2, 3, 3], output="softmax", loss="cce", batch=2)
    _met(verify("delta[L] = da[L] * sigma_prime(z[L])", net), "refuted")
    _met(verify("sigma_prime(z[L]) = a[L] * (1 - a[L])", net), "proved")


def test_a_formula_wrong_at_one_layer_only_is_refuted_at_that_layer():
    net = Network(layers=[2, 2, 2, 2], batch=1)
    # (a[l] - y) is the output error's factor: right at l = L only
    result = _met(verify("delta[l] = (a[l] - y) * sigma_prime(z[l])", net), "refuted")
    assert result.counterexample["l"] in (1, 2)
    _met(verify("delta[L] = (a[L] - y) * sigma_prime(z[L])", net), "proved")


# -- counterexamples are real ----------------------------------------------------

def test_the_counterexample_is_a_point_where_both_sides_have_the_reported_values():
    result = _met(verify("dW[l] = delta[l] @ a[l-1].T", DEEP), "refuted")
    example = result.counterexample
    assert set(example) == {"l", "network", "seed", "point", "left", "right"}
    net = Network(**example["network"])
    point = {key: np.array(value) for key, value in example["point"].items()}
    np.testing.assert_allclose(point["W1"], net.sample(example["seed"])["W1"])
    l = example["l"]
    # the left side against finite differences, the right side by hand
    np.testing.assert_allclose(example["left"], symbp.finite_differences(net, point)[f"W{l}"],
                               rtol=1e-5, atol=1e-8)
    # delta[l] @ a[l-1].T from the hand-coded backprop (independent of the truth)
    from symbp.sources.backprop import backprop_per_sample
    _, acts = net.forward(point)
    delta = backprop_per_sample(net, point)[f"delta{l}"]
    np.testing.assert_allclose(example["right"], delta @ acts[l - 1].T, rtol=1e-9)


# -- errors and results -------------------------------------------------------

@pytest.mark.parametrize("net,formula,fragment", [
    (DEEP, "delta[l] = (W[l+1].T @ delta[l+1]", "column"),
    (DEEP, "delta[l] = W[L+2]", "no l in 1..3"),
    (DEEP, "delta[L] = W[L+1]", "out of range"),
    (DEEP, "delta[0] = x", "out of range"),
    (DEEP.replace(bias=False), "db[l] = delta[l]", "no biases"),
    (DEEP, "delta[l] = sigmoid(z[l]) ** a[l]", "exponent must be a number"),
    (DEEP, "delta[l] delta[l]", "column"),
])
def test_bad_formulas_are_the_verdict_error_with_a_reason(net, formula, fragment):
    result = verify(formula, net)
    assert result.verdict == "error" and fragment in result.message
    assert result.counterexample is None and result.layers_checked == []


def test_a_proof_over_the_budget_leaves_the_numeric_verdict(monkeypatch):
    formula, net = "sigma_prime(z[l]) = a[l] * (1 - a[l])", Network(layers=[2, 3, 3, 2])
    monkeypatch.setattr(proof, "ENTRY_BUDGET", 3)
    monkeypatch.setattr(general_proof, "PROOF_BUDGET", 3)
    general_proof._prove_at.cache_clear()
    result = _met(verify(formula, net), "holds")
    assert "budget" in result.message
    monkeypatch.undo()
    general_proof._prove_at.cache_clear()
    _met(verify(formula, net), "proved")


def test_result_json_has_the_contract_fields():
    document = verify(BP2["column"], DEEP).to_json()
    assert set(document) == {"formula", "verdict", "layers_checked", "counterexample",
                             "diagnosis", "message", "general"}
    assert document["verdict"] == "proved" and document["layers_checked"] == [1, 2]


def test_the_public_api_takes_a_network_given_as_a_dict():
    assert verify("a[L] = sigma(z[L])", {"layers": [2, 1]}).verdict == "proved"
    assert verify("a[L] = sigma(z[L])", {"layers": [2]}).verdict == "error"


def test_sigma_of_an_expression_is_the_hidden_activation_and_the_slip_is_named():
    net = Network(layers=[2, 3, 2], hidden="relu", output="tanh")
    result = verify("a[2] = sigma(W[2] @ a[1] + b[2])", net)
    assert result.verdict == "refuted"
    assert result.diagnosis["kind"] == "sigma_activation"
    assert result.diagnosis["expected"] == "tanh(...)"
    assert verify("a[2] = tanh(W[2] @ a[1] + b[2])", net).verdict == "proved"
    assert verify("a[1] = sigma(W[1] @ x + b[1])", net).verdict == "proved"
