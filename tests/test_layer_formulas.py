"""Layer formulas (contract section 12): verify on a layer's quantities, claims
files with [layer], the command line, and the truth they are checked against.

The truth of every layer quantity is checked against independent sources:
the catalogue's own compiled truth (the layers issue), finite differences of
symbp's NumPy forward, and the index form evaluated at concrete sizes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbp.layers.catalogue import LAYERS
from symbp.layers.formula_values import index_values, point_values
from symbp.layers.formulas import FORMULA_LAYERS, SizedLayer
from symbp.layers.symbolic import truth_for
from symbp.sources.finite import central_differences
from symbp.verification.claims import check_claims, claims_from_dict, load_claims
from symbp.verification.layer_verdicts import verify_layer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BN = SizedLayer.of("batchnorm", N=4, D=3, eps=1e-5)
COMPACT_BN_DX = ("dx = (1/N) * gamma / sqrt(var + eps) * (N*dout - sum(dout, axis=0) "
                 "- xhat * sum(dout*xhat, axis=0))")


# -- the truth of layer quantities ----------------------------------------------------

@pytest.mark.parametrize("name", sorted(FORMULA_LAYERS))
def test_gradients_equal_the_catalogue_truth(name):
    sized = SizedLayer.of(name)
    values = point_values(sized, 3)
    base = LAYERS[sized.layer.base]
    config = sized.catalogue(base.name)
    arrays = values["arrays"]
    _, catalogue = truth_for(base, config)(arrays, config, arrays.get("dout", 1.0))
    for key, expected in catalogue.items():
        expected = np.reshape(expected, values[key].shape)
        if sized.layer.penalty and key == "dw":   # the L2 layer's truth on the same w
            own = sized.catalogue("l2")
            expected = expected + truth_for(LAYERS["l2"], own)({"w": arrays["w"]}, own, 1.0)[1]["dw"]
        assert np.allclose(values[key], expected, rtol=1e-10, atol=1e-12), key


def _batchnorm_var(x):
    return ((x - x.mean(axis=0)) ** 2).mean(axis=0)


def test_a_named_quantitys_gradient_is_the_path_through_it():
    # the truth less the gradient with var held is (d var / d x)^T dvar, with
    # d var / d x from finite differences of NumPy's variance
    values = point_values(BN, 1)
    x = values["x"].copy()
    through = values["dx"] - values["held"]["var"]["dx"]
    jacobian = np.array([central_differences(lambda j=j: float(_batchnorm_var(x)[j]), x)
                         for j in range(x.shape[1])])          # D x N x D
    expected = np.einsum("j,jnd->nd", values["dvar"].ravel(), jacobian)
    assert np.allclose(through, expected, rtol=1e-5, atol=1e-7)


def test_the_index_form_evaluates_to_the_numbers():
    import sympy

    from symbp.layers.index_grid import COLUMN, ROW
    grid = index_values(BN)["dx"]
    values = point_values(BN, 0)
    sizes = {sympy.Symbol(k, integer=True, positive=True): v for k, v in (("N", 4), ("D", 3))}

    def number(i, j):
        expr = grid.body.xreplace({ROW: i, COLUMN: j, **sizes}).doit()
        expr = expr.replace(lambda e: isinstance(e, sympy.Indexed),
                            lambda e: values[str(e.base)][tuple(int(k) for k in e.indices)])
        return float(expr.xreplace({sympy.Symbol("eps", positive=True): BN["eps"]}))
    for i, j in ((0, 0), (3, 2), (1, 2)):   # a few entries: SymPy sums them out slowly
        assert np.isclose(number(i, j), values["dx"][i, j])


# -- verdicts ---------------------------------------------------------------------------

def test_the_compact_batchnorm_dx_is_proved_for_every_n_and_d():
    result = verify_layer(COMPACT_BN_DX, BN)
    assert result.verdict == "proved"
    assert (result.general.verdict, result.general.scope) == ("proved", "every N and D")


@pytest.mark.parametrize("formula,kind,words", [
    ("dx = gamma / sqrt(var + eps) * (dout - mean(dout, axis=0))", "missing_term",
     "less the chain-rule path through sq -> var -> sqrtvar -> ivar"),
    (COMPACT_BN_DX.replace("(1/N) * ", ""), "factor", "N times the truth"),
    ("dx = (1/N) * gamma / sqrt(var + eps) * (N*dout - sum(dout, axis=0))", "missing_term",
     "as if sq, var, sqrtvar, ivar were constant"),
    ("dx = dout * gamma", None, None),
    ("dgamma = sum(dout * xhat, axis=1)", "shape", "4 x 1 where the left side is 1 x 3"),
    ("dgamma = dout @ xhat", "shape", "column 10: '@' of a 4 x 3 and a 4 x 3 matrix"),
    ("dgamma = sum(dout * xhat, axis=0).T", "transpose", "transposed"),
])
def test_batchnorm_slips_are_refuted_with_their_diagnosis(formula, kind, words):
    result = verify_layer(formula, BN, general=False)
    assert result.verdict == "refuted"
    assert result.counterexample["layer"] == {"name": "batchnorm", "N": 4, "D": 3, "eps": 1e-5}
    if kind is None:
        assert result.diagnosis is None or result.diagnosis["kind"] == "partial"
    else:
        assert result.diagnosis["kind"] == kind and words in result.diagnosis["text"]


@pytest.mark.parametrize("name,settings,formula,factor", [
    ("dropout", {"p": 0.6}, "dx = dout * mask * p", "p^2"),
    ("dropout", {"p": 0.6}, "dx = dout * mask", "p"),
    ("softmax_loss", {"N": 3, "C": 4}, "dscores = softmax(scores) - onehot(y)", "N"),
    ("l2", {"lambda": 0.7, "D": 3}, "dw = w", "1/lambda"),
])
def test_factors_are_named_by_the_layer(name, settings, formula, factor):
    result = verify_layer(formula, SizedLayer.of(name, **settings), general=False)
    assert (result.verdict, result.diagnosis["factor"]) == ("refuted", factor)


@pytest.mark.parametrize("name,formula,then", [
    ("softmax_loss", "dx = (softmax(x) - y) / N", "is the truth."),
    ("softmax_loss", "dx = softmax(x) - y", "is N (= C) times the truth"),
    ("categorical_crossentropy", "dx = -y / x / N", "is the truth."),
])
def test_labels_written_where_the_one_hot_matrix_is_meant(name, formula, then):
    # textbooks' y is the one-hot matrix; cs231n's and the nnfs book's losses take labels
    result = verify_layer(formula, SizedLayer.of(name, N=3, C=3), general=False)
    assert result.verdict == "refuted" and result.diagnosis["kind"] == "labels_onehot"
    assert result.diagnosis["text"].startswith("y is the class labels here, one index per "
                                               "sample; with onehot(y)")
    assert then in result.diagnosis["text"]
    if then == "is the truth.":
        right = formula.replace("- y", "- onehot(y)").replace("-y", "-onehot(y)")
        assert verify_layer(right, SizedLayer.of(name, N=3, C=3), general=False).verdict in (
            "proved", "holds")


@pytest.mark.parametrize("name,formula,verdict", [
    ("mse", "dx = 2 * (x - y) / (N * D)", "proved"),
    ("binary_crossentropy", "dx = (x - y) / (x * (1 - x)) / (N * D)", "proved"),
    ("softmax", "dx = out * (dout - sum(dout * out, axis=1, keepdims=True))", "proved"),
    ("mae", "dx = sign(y - x) / (N * D)", "refuted"),   # the nnfs book's sign
])
def test_the_nnfs_books_layers_take_formulas(name, formula, verdict):
    result = verify_layer(formula, SizedLayer.of(name, N=3, D=2), general=False)
    assert result.verdict == verdict
    if verdict == "refuted":
        assert result.diagnosis["factor"] == "-1"


def test_weight_decay_over_the_batch_is_a_factor_of_the_decay_term():
    sized = SizedLayer.of("weight_decay", N=4, D=3, M=2, **{"lambda": 0.1})
    assert verify_layer("dw = x.T @ dout + lambda * w", sized).verdict == "proved"
    result = verify_layer("dw = x.T @ dout + lambda / N * w", sized)
    assert (result.diagnosis["kind"], result.diagnosis["factor"]) == ("path_factor", "1/N")
    assert "weight-decay term is 1/N" in result.diagnosis["text"]
    assert result.general.verdict == "refuted"


def test_a_formula_true_at_one_size_only_is_proved_there_and_refuted_in_general():
    result = verify_layer("db = dout", SizedLayer.of("affine", N=1, D=2, M=3))
    assert (result.verdict, result.general.verdict) == ("proved", "refuted")
    assert result.general.counterexample["layer"]["N"] == 2
    assert result.general.warning.startswith("holds at these sizes only: at N = 2")


@pytest.mark.parametrize("name,formula,words", [
    ("affine", "dx = dout @ w.T + mu", "mu is not a quantity of the affine layer"),
    ("softmax_loss", "dscores = dout", "dout is not a quantity of the softmax_loss layer"),
    ("dropout", "dx = onehot(y)", "y is not a quantity of the dropout layer"),
    ("batchnorm", "dx = dW[1]", "take no index"),
    ("batchnorm", "dx = sigma(x)", "not a function of the notation"),
])
def test_names_the_layer_does_not_have_are_errors(name, formula, words):
    result = verify_layer(formula, SizedLayer.of(name))
    assert result.verdict == "error" and words in result.message
    assert result.general.verdict == "error"


def test_a_formula_too_large_to_evaluate_is_refused_before_anything_is_allocated():
    huge = "0 * sum(ones(4096, 4096) @ ones(4096, 4096))"
    result = verify_layer(f"dx = dout + {huge}", BN)
    assert result.verdict == "error" and "at most 16,777,216 entries" in result.message
    proved = verify_layer(f"dx = dx + {huge}", BN)      # proved for every size needs no matrix
    assert proved.verdict == "proved" and proved.message.startswith("proved for every size;")


def test_every_claim_of_the_shipped_examples_meets_its_expectations():
    claims = load_claims(EXAMPLES / "layer_formulas.toml")
    results = check_claims(claims)
    assert [r.claim.name for r in results if not r.met] == []
    assert all(r.claim.expect and r.claim.expect_general for r in results)
    refuted = [r for r in results if r.result.verdict == "refuted"]
    assert len(refuted) >= 5 and all(r.result.diagnosis for r in refuted)
    compact = next(r for r in results if r.claim.name == "BN compact dx")
    assert compact.result.general.verdict == "proved"


# -- claims files and the command line ----------------------------------------------------

def test_the_public_api_takes_a_sized_layer_or_a_layer_table():
    import symbp
    bn = symbp.SizedLayer.of("batchnorm", N=3, D=2)
    assert symbp.verify_layer("dbeta = sum(dout, axis=0)", bn).general.scope == "every N and D"
    result = symbp.verify_layer("dx = dout * mask", {"name": "dropout", "p": 0.5})
    assert (result.verdict, result.diagnosis["factor"]) == ("refuted", "p")


def test_claim_layer_replaces_the_files_fields():
    document = {"layer": {"name": "batchnorm", "N": 4, "D": 3},
                "claim": [{"formula": "dbeta = sum(dout, axis=0)", "layer": {"N": 2}},
                          {"formula": "dx = dout * mask / p",
                           "layer": {"name": "dropout", "p": 0.5}}]}
    first, second = claims_from_dict(document).claims
    assert first.layer == SizedLayer.of("batchnorm", N=2, D=3)
    assert second.layer == SizedLayer.of("dropout", p=0.5)


@pytest.mark.parametrize("document,words", [
    ({"network": {"layers": [2, 1]}, "layer": {"name": "relu"}, "claim": [{"formula": "x = x"}]},
     "both [network] and [layer]"),
    ({"layer": {"name": "conv"}, "claim": [{"formula": "x = x"}]}, "'conv' is not a layer"),
    ({"layer": {"name": "relu", "C": 3}, "claim": [{"formula": "x = x"}]}, "has no C"),
    ({"layer": {"name": "relu", "N": "4"}, "claim": [{"formula": "x = x"}]}, "must be a number"),
    ({"layer": {"N": 4}, "claim": [{"formula": "x = x"}]}, "has no 'name'"),
])
def test_bad_layer_tables_are_one_sentence(document, words):
    from symbp.errors import ClaimsError
    with pytest.raises(ClaimsError, match=words.replace("[", r"\[").replace("]", r"\]")):
        claims_from_dict(document)


def test_verify_layer_on_the_command_line(cli):
    proved = ["verify", "--layer", "dropout", "--N", 3, "--D", 2, "--p", 0.5, "--formula"]
    code, out, err = cli(*proved, "dx = dout * mask / p")
    assert (code, err) == (0, "") and "for every size: proved (every N and D)" in out
    code, document = cli.json(*proved, "dx = dout * mask * p")
    claim = document["claims"][0]
    assert code == 1 and claim["diagnosis"]["factor"] == "p^2"
    assert claim["layer"] == {"name": "dropout", "N": 3, "D": 2, "p": 0.5}
    assert claim["counterexample"]["layer"]["name"] == "dropout"
    assert set(claim["counterexample"]["point"]) == {"x", "mask", "dout"}
    assert claim["general"]["counterexample"]["layer"]["name"] == "dropout"


@pytest.mark.parametrize("argv,words", [
    (["--layer", "batchnorm", "--N", "0", "--formula", "dx = dout"], "outside 1..16"),
    (["--layer", "nope", "--formula", "dx = dout"], "'nope' is not a layer"),
    (["--N", "3", "--formula", "dx = dout"], "give --layer NAME too"),
    (["--layer", "relu", "--layers", "2,2", "--formula", "dx = dout"], "network option"),
    (["--layer", "relu", "--formula", "dx = dout", "--random", "2", "--vary-depth"],
     "a layer has none"),
])
def test_bad_layer_options_are_exit_2(cli, argv, words):
    code, out, err = cli("verify", *argv)
    assert code == 2 and out == "" and words in err and "Traceback" not in err


def test_random_layer_sizes_find_the_smallest_refuting_configuration(cli):
    code, document = cli.json("verify", "--layer", "affine", "--N", 1, "--D", 2, "--M", 2,
                              "--formula", "dw = x.T @ dout / N", "--random", 8)
    claim = document["claims"][0]
    assert code == 1 and claim["verdict"] == "refuted" and claim["networks_checked"] > 1
    assert claim["counterexample"]["layer"]["N"] == 2
    assert claim["diagnosis"]["factor"] == "1/N"


def test_verify_layer_in_a_real_subprocess():
    done = subprocess.run([sys.executable, "-m", "symbp", "verify", "--layer", "softmax_loss",
                           "--N", "3", "--C", "4", "--json", "--formula",
                           "dscores = (softmax(scores) - onehot(y)) / N"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    claim = json.loads(done.stdout)["claims"][0]
    assert (claim["verdict"], claim["general"]["verdict"]) == ("proved", "proved")
