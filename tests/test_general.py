"""Verdicts for every size (contract section 9): ``general`` of verify, proofs
with symbolic sizes, the search over a claim's family, expect_general, the
warning line, and the truth over symbolic sizes against the numeric truth."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from symbp import load_claims
from symbp.cli.main import main
from symbp.network import Network
from symbp.truth.general import Family, FamilyTruth, M, size
from symbp.verification import general_proof
from symbp.verification.claims import check_claims
from symbp.verification.general import MIN_NETWORKS, family_networks
from symbp.verification.verdicts import verify

ROOT = Path(__file__).resolve().parent.parent
DEPTHS = "all widths, batch sizes and depths"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(map(str, argv)), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- the example -------------------------------------------------------

def test_a_per_sample_formula_proved_at_batch_1_is_refuted_for_every_size_with_factor_m():
    argv = ["verify", "--formula", "dW[2] = dZ[2] @ a[1].T", "--layers", "2,4,1",
            "--hidden", "tanh", "--loss", "bce"]
    code, out, err = run(*argv)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("proved")
    assert any(line.strip().startswith("for every size: refuted") for line in lines)
    assert ("warning: holds on this network only: at m = 2 the right side is m times "
            "the truth.") in out
    code, out, _ = run(*argv, "--json")
    claim = json.loads(out)["claims"][0]
    assert claim["verdict"] == "proved"
    general = claim["general"]
    assert general["verdict"] == "refuted" and general["diagnosis"]["factor"] == "m"
    assert general["counterexample"]["network"]["batch"] >= 2
    assert set(general) == {"verdict", "scope", "counterexample", "diagnosis", "message"}


def test_result_general_in_python():
    net = Network(layers=[2, 4, 3, 2], batch=4)
    result = verify("dW[l] = (1/m) * delta[l] @ a[l-1].T", net)
    assert result.verdict == "proved"
    assert result.general.verdict == "proved" and result.general.scope == DEPTHS
    assert result.to_json()["general"]["scope"] == DEPTHS
    slip = verify("dW[l] = delta[l] @ a[l-1].T", net)
    assert slip.verdict == "refuted" and slip.general.verdict == "refuted"
    # the smallest network found, never larger than the claim's own
    smallest = Network(**slip.general.counterexample["network"])
    assert sum(smallest.layers) <= sum(net.layers)


# -- Nielsen -------------------------------------------------------------------

def test_nielsen_bp1_to_bp4_are_proved_for_every_width_batch_and_depth():
    claims = load_claims(ROOT / "examples" / "nielsen.toml")
    results = {r.claim.name: r for r in check_claims(claims)}
    for name in ("BP1", "BP1a (quadratic cost)", "BP2", "BP3, mini-batch (averaged)",
                 "BP4, mini-batch (averaged)", "da through the weights",
                 "softmax + log-likelihood (eq. 84)", "cross-entropy cost (eq. 66)"):
        general = results[name].result.general
        assert general.verdict == "proved" and general.scope == DEPTHS, name
    # the per-sample BP3 and BP4 are right at batch 1 only
    for name in ("BP3", "BP4"):
        assert results[name].result.verdict == "proved"
        assert results[name].result.general.verdict == "refuted"
        assert results[name].result.general.warning
    assert all(r.met for r in results.values())


@pytest.mark.parametrize("layout,formula", [
    ("column", "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])"),
    ("row", "delta[l] = (delta[l+1] @ W[l+1].T) * sigma_prime(z[l])"),
    ("row", "db[l] = sum(delta[l], axis=0)"),
    ("column", "dW[l] = delta[l] @ a[l-1].T"),
])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "leaky_relu", "softplus"])
def test_textbook_recursion_and_gradients_are_proved_for_every_depth(layout, formula, hidden):
    net = Network(layers=[3, 2, 2], hidden=hidden, output="softmax", loss="cce",
                  layout=layout, reduction="sum", batch=2)
    result = verify(formula, net)
    assert result.verdict == "proved" and result.general.scope == DEPTHS, result.message


def test_a_formula_with_absolute_indices_is_proved_for_its_depth_only():
    result = verify("delta[1] = (W[2].T @ delta[2]) * a[1] * (1 - a[1])",
                    Network(layers=[2, 3, 2]))
    assert result.general.verdict == "proved"
    assert result.general.scope == "all widths and batch sizes"


def test_a_formula_true_for_one_output_width_only_is_refuted_with_its_size():
    # mse over one output unit: 2 (a - y) is the gradient; with more units it is /n[L]
    net = Network(layers=[3, 2, 1], output="identity", loss="mse")
    result = verify("da[2] = 2*(a[2] - y)", net)
    assert result.verdict == "proved" and result.general.verdict == "refuted"
    assert result.general.diagnosis["factor"] == "n[L]"
    assert "layers = " in result.general.warning


# -- the search ----------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"layers": [3, 5, 2]}, {"layers": [4, 4, 4, 4], "output": "softmax", "loss": "bce"},
    {"layers": [1, 1]}])
def test_the_family_has_small_square_nonsquare_width_one_and_batched_networks(fields):
    net = Network(**fields)
    drawn = family_networks(net)
    assert len(drawn) >= MIN_NETWORKS
    assert all(n.depth == net.depth and n.output == net.output and n.loss == net.loss
               for n in drawn)
    assert any(n.batch >= 2 for n in drawn) and any(1 in n.layers for n in drawn)
    assert any(len(set(n.layers)) == 1 for n in drawn)
    if net.depth > 1:
        assert any(len(set(n.layers)) > 1 for n in drawn)
    assert drawn == sorted(drawn, key=lambda n: (sum(n.layers), n.batch, n.layers))


def test_without_a_proof_general_holds_on_the_drawn_networks(monkeypatch):
    monkeypatch.setattr(general_proof, "PROOF_BUDGET", 0)
    general_proof._prove_at.cache_clear()
    try:
        result = verify("delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])",
                        Network(layers=[2, 3, 2], hidden="tanh"))
    finally:
        monkeypatch.undo()
        general_proof._prove_at.cache_clear()
    assert result.general.verdict == "holds"
    assert "budget" in result.general.message and "networks" in result.general.message


# -- the report, as a newcomer reads it (issue 17) ------------------------------------

def test_an_error_with_the_free_index_is_not_called_no_free_index():
    code, out, _ = run("verify", "--formula",
                       "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])", "--layers", "2,2")
    assert code == 2 and "(not checked)" in out and "no free index" not in out


def test_why_a_claim_only_holds_is_printed(monkeypatch):
    from symbp.verification import proof
    monkeypatch.setattr(general_proof, "PROOF_BUDGET", 0)
    monkeypatch.setattr(proof, "ENTRY_BUDGET", 3)
    general_proof._prove_at.cache_clear()
    try:
        code, out, _ = run("verify", "--formula", "sigma_prime(z[l]) = a[l] * (1 - a[l])",
                           "--layers", "2,3,2")
    finally:
        monkeypatch.undo()
        general_proof._prove_at.cache_clear()
    assert code == 0 and out.startswith("holds")
    assert "not proved: the expressions exceed the proof budget" in out
    assert "for every size: holds" in out


def test_random_keeps_the_claims_own_general(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS.format(expect="refuted"), encoding="utf-8")
    claim = json.loads(run("verify", path, "--random", "2", "--json")[1])["claims"][0]
    assert claim["general"]["verdict"] == "refuted" and claim["networks_checked"] >= 2


# -- expect_general ----------------------------------------------------------------

CLAIMS = """[network]
layers = [2, 3, 2]
[[claim]]
name = "per sample"
formula = "dW[l] = delta[l] @ a[l-1].T"
expect_general = "{expect}"
"""


@pytest.mark.parametrize("expect,code", [("refuted", 0), ("holds", 1), ("proved", 1)])
def test_expect_general_must_be_met_too(tmp_path, expect, code):
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS.format(expect=expect), encoding="utf-8")
    got, out, _ = run("verify", path)
    assert got == code
    assert f"expected {expect}: " + ("met" if code == 0 else "NOT met") in out
    document = json.loads(run("verify", path, "--json")[1])["claims"][0]
    assert document["expect_general"] == expect and document["met"] == (code == 0)


def test_an_expect_general_that_is_not_a_verdict_names_the_claim(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS.format(expect="always"), encoding="utf-8")
    code, out, err = run("verify", path)
    assert code == 2 and out == ""
    assert "'per sample'" in err and "'expect_general'" in err


def test_the_shipped_examples_state_expect_general_for_every_claim():
    for name in ("seeds.toml", "nielsen.toml"):
        claims = load_claims(ROOT / "examples" / name)
        assert all(claim.expect_general for claim in claims.claims), name


# -- bounded by size (issue 18) ------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"layers": [2, 4, 4, 4, 4, 2], "hidden": "relu"},
    {"layers": [3, 2, 3, 4, 1], "hidden": "leaky_relu", "output": "softmax", "loss": "mse"},
])
def test_deep_kinked_networks_derive_with_every_equation_proved(fields):
    from symbp.derivation.checked import derive
    derivation = derive(Network(**fields))
    assert {equation.verdict for equation in derivation.equations} == {"proved"}


@pytest.mark.parametrize("layers", ["2,2,2,2,2", "2,2,2,2,2,2"])
def test_the_forward_definition_is_proved_on_deep_leaky_networks(layers):
    code, out, _ = run("verify", "--formula", "z[L] = W[L] @ a[L-1] + b[L]", "--layers", layers,
                       "--hidden", "leaky_relu")
    assert code == 0 and out.startswith("proved")


def test_a_huge_ones_is_proved_for_every_size_without_being_built():
    code, out, _ = run("verify", "--formula", "x = x + 0*sum(ones(m,m))", "--layers", "1,1",
                       "--batch", "100000")
    assert code == 0 and out.startswith("proved") and "100000 x 100000" in out
    code, out, err = run("verify", "--formula", "x = x + sum(ones(m,m))", "--layers", "1,1",
                         "--batch", "100000")
    assert code == 2 and "at most 16,777,216 entries" in err
    assert "for every size: refuted" in out


# -- soundness (issue 18) ----------------------------------------------------------

def test_a_claim_does_not_hold_because_the_truth_vanishes():
    net = Network(layers=[1] * 14)
    result = verify("dW[1] = 0 * delta[1] @ a[0].T", net)
    assert result.verdict == "refuted" and result.diagnosis["kind"] == "zeros"
    truth = np.asarray(result.counterexample["left"])
    assert 0 < np.abs(truth).max() < 1e-9  # the truth is tiny, and still not 0
    # identities whose value is 0 up to rounding still hold
    softmax = Network(layers=[2, 5], output="softmax", loss="cce", batch=3)
    assert verify("sum(delta[L], axis=0) = 0 * sum(y, axis=0)", softmax).verdict == "proved"


def test_an_undefined_side_never_agrees_and_the_json_stays_json():
    code, out, err = run("verify", "--formula", "log(-a[L]) = sqrt(-a[L])", "--layers", "2,2",
                         "--json")
    assert code == 2 and "undefined" in err
    assert json.loads(out)["claims"][0]["verdict"] == "error"
    code, out, _ = run("verify", "--formula", "a[L] = sqrt(-a[L])", "--layers", "2,2", "--json")
    assert code == 1

    def not_json(constant):
        raise AssertionError(f"{constant} is not JSON")
    claim = json.loads(out, parse_constant=not_json)["claims"][0]
    assert claim["verdict"] == "refuted" and claim["diagnosis"]["kind"] == "undefined"
    assert claim["counterexample"]["right"] == [[None], [None]]


def test_no_runtime_warning_leaks_from_a_real_process():
    done = subprocess.run([sys.executable, "-W", "error", "-m", "symbp", "verify", "--formula",
                           "log(-a[L]) = sqrt(-a[L])", "--layers", "2,2"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2 and "Warning" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_whatever_is_proved_for_every_size_holds_on_other_networks_of_the_family():
    # proofs are sound: on a network other than the claim's, no counterexample
    from symbp.notation.parser import parse_formula
    from symbp.verification.general_proof import prove_for_every_size
    from symbp.verification.verdicts import layers_to_check
    proved = 0
    for claim in load_claims(ROOT / "examples" / "seeds.toml").claims:
        formula, net = parse_formula(claim.formula), claim.network
        if not prove_for_every_size(formula, net, layers_to_check(formula, net)).proved:
            continue
        proved += 1
        other = family_networks(net)[-1]
        assert verify(formula, other, prove=False, general=False).verdict == "holds", \
            (claim.name, other)
    assert proved >= 40


# -- the truth over symbolic sizes against the numeric truth ------------------------

def _canonical(net, value, per_sample=True):
    """A quantity in (unit, sample) order whatever the layout."""
    value = np.atleast_2d(value)
    return value if net.layout == "column" or not per_sample else value.T


def _numeric(expr, net, arrays):
    sizes = {size(k): n for k, n in enumerate(net.layers)}
    sizes[M] = net.batch
    expr = expr.xreplace(sizes).doit()
    values = {}
    for entry in expr.atoms(sympy.Indexed):
        indices = tuple(int(i) for i in entry.indices)
        values[entry] = arrays[str(entry.base)][indices if len(indices) == 2 else indices + (0,)]
    return float(expr.xreplace(values))


@pytest.mark.parametrize("fields", [
    {"layers": [2, 3, 2], "hidden": "tanh", "batch": 2},
    {"layers": [3, 2, 3], "hidden": "relu", "output": "softmax", "loss": "cce",
     "layout": "row", "reduction": "sum", "batch": 2},
    {"layers": [2, 2, 1], "hidden": "leaky_relu", "output": "identity", "loss": "mse",
     "bias": False},
])
def test_the_truth_over_symbolic_sizes_agrees_with_the_numeric_truth(fields):
    net = Network(**fields)
    point = net.sample(1)
    zs, _ = net.forward(point)
    per_sample, gradient = net.per_sample(point), net.gradient(point)
    arrays = {"x": _canonical(net, point["x"]), "y": _canonical(net, point["y"])}
    for k in range(1, net.depth + 1):
        arrays[f"z{k}"] = _canonical(net, zs[k])
        arrays[f"W{k}"] = point[f"W{k}"] if net.layout == "column" else point[f"W{k}"].T
        if net.bias:
            arrays[f"b{k}"] = point[f"b{k}"].reshape(-1, 1)
    truth = FamilyTruth(Family.of(net))
    for k in range(1, net.depth + 1):
        delta = _canonical(net, per_sample[f"delta{k}"])
        dW = gradient[f"W{k}"] if net.layout == "column" else gradient[f"W{k}"].T
        p, q, s = net.layers[k] - 1, net.layers[k - 1] - 1, net.batch - 1  # the last entries
        assert _numeric(truth.delta(k, p, s), net, arrays) == pytest.approx(
            delta[p, s], rel=1e-9, abs=1e-12)
        assert _numeric(truth.dW(k, 0, q), net, arrays) == pytest.approx(
            dW[0, q], rel=1e-9, abs=1e-12)
        if net.bias:
            assert _numeric(truth.db(k, p), net, arrays) == pytest.approx(
                gradient[f"b{k}"].ravel()[p], rel=1e-9, abs=1e-12)
