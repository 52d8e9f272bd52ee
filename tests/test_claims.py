"""Claims files and ``symbp verify``: errors naming claim and key, expect/met,
the JSON document, exit codes, --random, and one real subprocess run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symbp import load_claims
from symbp.errors import ClaimsError
from symbp.verification.claims import ClaimResult, check_claims

ROOT = Path(__file__).resolve().parent.parent
NETWORK = '[network]\nlayers = [2, 3, 2]\nbatch = 3\n'
GOOD = 'formula = "dW[l] = (1/m) * delta[l] @ a[l-1].T"'
SLIP = 'formula = "dW[l] = delta[l] @ a[l-1].T"'
CLAIM_KEYS = {"name", "formula", "source", "verdict", "expect", "expect_general", "met",
              "layers_checked", "networks_checked", "counterexample", "diagnosis", "message",
              "general"}
GENERAL_KEYS = {"verdict", "scope", "counterexample", "diagnosis", "message"}


def write(tmp_path, text, name="claims.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- reading claims files -------------------------------------------------------

@pytest.mark.parametrize("text,fragments", [
    (NETWORK + '[[claim]]\nname = "BP4"\n' + GOOD + '\nexpected = "holds"\n',
     ["'BP4'", "unknown key 'expected'"]),
    (NETWORK + '[[claim]]\nname = "BP4"\nformula = 3\n', ["'BP4'", "'formula'", "string"]),
    (NETWORK + '[[claim]]\nname = "BP4"\nsource = "x"\n', ["'BP4'", "no 'formula'"]),
    (NETWORK + '[[claim]]\nname = "BP4"\n' + GOOD + '\nexpect = "true"\n',
     ["'BP4'", "'expect'", "proved, holds, refuted"]),
    (NETWORK + '[[claim]]\nname = "BP4"\n' + GOOD + '\n[claim.network]\nhidden = "cosine"\n',
     ["'BP4'", "[claim.network]", "hidden='cosine'"]),
    (NETWORK + '[[claim]]\nname = "BP4"\n' + GOOD + '\n[claim.network]\nwidth = 3\n',
     ["'BP4'", "[claim.network]", "unknown key 'width'"]),
    (NETWORK + '[[claim]]\nname = "BP4"\n' + GOOD + '\n[claim.network]\nbatch = "2"\n',
     ["'BP4'", "'batch'", "integer"]),
    (NETWORK + '[[claim]]\n' + GOOD + '\n[[claim]]\nname = 7\n' + GOOD + '\n',
     ["claim 2", "'name'"]),
    ('[network]\nlayers = [2, 3, 2]\nbias = "yes"\n[[claim]]\n' + GOOD + '\n',
     ["[network]", "'bias'", "true or false"]),
    ('[network]\nhidden = "tanh"\n[[claim]]\nname = "c"\n' + GOOD + '\n',
     ["'c'", "'layers'"]),
    ('titel = "x"\n' + NETWORK + '[[claim]]\n' + GOOD + '\n', ["unknown key 'titel'"]),
    (NETWORK, ["no [[claim]]"]),
    ('[network\nlayers = [2, 3]\n', ["not valid TOML"]),
])
def test_claims_file_errors_name_the_claim_and_the_key(cli, tmp_path, text, fragments):
    with pytest.raises(ClaimsError) as info:
        load_claims(write(tmp_path, text))
    for fragment in fragments:
        assert fragment in str(info.value)
    code, out, err = cli("verify", write(tmp_path, text))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "Traceback" not in err and fragments[0] in err


def test_a_missing_file_is_an_error_naming_it(cli, tmp_path):
    code, _, err = cli("verify", tmp_path / "nope.toml")
    assert code == 2 and "nope.toml" in err


def test_claim_network_overrides_the_file_network(tmp_path):
    claims = load_claims(write(tmp_path, NETWORK + '[[claim]]\nname = "a"\n' + GOOD + '\n'
                               '[[claim]]\nname = "b"\n' + GOOD + '\n'
                               '[claim.network]\nlayout = "row"\n'))
    first, second = claims.claims
    assert first.network.layout == "column" and second.network.layout == "row"
    assert second.network.layers == (2, 3, 2) and second.network.batch == 3


# -- expect and met ------------------------------------------------------------

@pytest.mark.parametrize("formula,expect,verdict,met", [
    (GOOD, None, "proved", True),
    (GOOD, "holds", "proved", True),
    (GOOD, "proved", "proved", True),
    (GOOD, "refuted", "proved", False),
    (SLIP, None, "refuted", False),
    (SLIP, "refuted", "refuted", True),
    (SLIP, "holds", "refuted", False),
    ('formula = "dW[l] = delta[l"', "refuted", "error", False),
])
def test_expect_decides_whether_a_claim_is_met(tmp_path, formula, expect, verdict, met):
    text = NETWORK + "[[claim]]\n" + formula + "\n"
    if expect:
        text += f'expect = "{expect}"\n'
    [result] = check_claims(load_claims(write(tmp_path, text)))
    assert isinstance(result, ClaimResult)
    assert (result.result.verdict, result.met) == (verdict, met)


# -- the CLI --------------------------------------------------------------------

MIXED = (NETWORK + '[[claim]]\nname = "BP4"\nsource = "Nielsen (BP4)"\n' + GOOD + '\n'
         '[[claim]]\nname = "no 1/m"\n' + SLIP + '\nexpect = "refuted"\n')


def test_json_document_has_exactly_the_contract_fields(cli, tmp_path):
    code, out, err = cli("verify", write(tmp_path, MIXED), "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert list(document) == ["claims"]
    good, slip = document["claims"]
    for claim in (good, slip):
        assert set(claim) == CLAIM_KEYS
        assert set(claim["general"]) == GENERAL_KEYS
    assert good["name"] == "BP4" and good["source"] == "Nielsen (BP4)"
    assert good["verdict"] == "proved" and good["met"] and good["expect"] is None
    assert good["layers_checked"] == [1, 2] and good["networks_checked"] == 1
    assert good["counterexample"] is None and good["diagnosis"] is None
    assert slip["verdict"] == "refuted" and slip["met"] and slip["expect"] == "refuted"
    assert slip["diagnosis"]["kind"] == "factor" and slip["diagnosis"]["factor"] == "m"
    assert slip["diagnosis"]["value"] == pytest.approx(3.0)
    example = slip["counterexample"]
    assert set(example) == {"l", "network", "seed", "point", "left", "right"}
    assert example["network"]["layers"] == [2, 3, 2] and example["seed"] == 0
    assert isinstance(example["point"]["W1"][0], list)
    assert len(example["left"]) == 3 and len(example["left"][0]) == 2  # dW1 is 3 x 2


def test_human_report_shows_verdicts_diagnosis_and_counterexample(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, out, _ = cli("verify", write(tmp_path, MIXED))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("proved") and "BP4" in lines[0] and "l = 1, 2" in lines[0]
    assert any(line.startswith("refuted") and "expected refuted: met" in line
               for line in lines)
    assert "diagnosis (factor)" in out and "counterexample: l = 1, seed 0" in out
    assert "left:" in out and "right:" in out
    assert "\033[" not in out  # not a terminal: no colour
    assert lines[-1].startswith("2 claim(s)")


@pytest.mark.parametrize("claims,code", [
    ("[[claim]]\n" + GOOD + "\n", 0),
    ("[[claim]]\n" + SLIP + "\n", 1),
    ("[[claim]]\n" + GOOD + '\nexpect = "refuted"\n', 1),
    ("[[claim]]\n" + SLIP + '\nexpect = "refuted"\n', 0),
    ("[[claim]]\n" + GOOD + '\n[[claim]]\nformula = "dW[l] = W[l+5]"\n', 2),
    ("[[claim]]\n" + SLIP + '\n[[claim]]\nformula = "dW[l] = nope(x)"\n', 2),
])
def test_exit_codes(cli, tmp_path, claims, code):
    path = write(tmp_path, NETWORK + claims)
    assert cli("verify", path)[0] == code
    returned, out, _ = cli("verify", path, "--json")
    assert returned == code
    # an error verdict still lists every claim
    assert len(json.loads(out)["claims"]) == claims.count("[[claim]]")


@pytest.mark.parametrize("argv,code,fragment", [
    (["--formula", "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])",
      "--layers", "2,3,3,1"], 0, "proved"),
    (["--formula", "dW[l] = delta[l] @ a[l-1].T", "--layers", "2,3,1", "--batch", "3"],
     1, "refuted"),
    (["--formula", "delta[L] = a[L] - y", "--layers", "2,3", "--output", "softmax",
      "--loss", "cce", "--layout", "row", "--no-bias"], 0, "proved"),
    (["--formula", "delta[l] = (W[l+1]", "--layers", "2,3,1"], 2, "column"),
    (["--formula", "delta[L] = a[L] - y"], 2, "--layers"),
    (["--formula", "delta[L] = a[L] - y", "--layers", "2,x"], 2, "--layers"),
    (["--formula", "delta[L] = a[L] - y", "--layers", "2,2", "--hidden", "cosine"], 2,
     "cosine"),
    ([], 2, "nothing to verify"),
    (["--random", "-1", "--formula", "x = x", "--layers", "2,2"], 2, "--random"),
    (["--vary-depth", "--formula", "x = x", "--layers", "2,2"], 2, "--vary-depth"),
    (["--seed", "one", "--formula", "x = x", "--layers", "2,2"], 2, "--seed"),
])
def test_formula_mode_and_bad_options(cli, argv, code, fragment):
    returned, out, err = cli("verify", *argv)
    assert returned == code
    assert fragment in out + err
    if code == 2 and not out:
        assert err.count("\n") == 1 and "Traceback" not in err


def test_a_file_and_a_formula_together_are_a_usage_error(cli, tmp_path):
    code, _, err = cli("verify", write(tmp_path, MIXED), "--formula", "x = x")
    assert code == 2 and "not both" in err
    code, _, err = cli("verify", write(tmp_path, MIXED), "--layers", "2,2")
    assert code == 2 and "--formula" in err


# -- --random ---------------------------------------------------------------------

def test_random_networks_refute_what_one_network_cannot(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # on batch 1 the missing 1/m is invisible; varying the batch refutes it
    text = ('[network]\nlayers = [2, 3, 2]\n[[claim]]\nname = "no 1/m"\n' + SLIP + '\n'
            '[[claim]]\nname = "BP4"\n' + GOOD + '\n')
    path = write(tmp_path, text)
    assert cli("verify", path)[0] == 0
    code, out, _ = cli("verify", path, "--random", "3", "--json")
    assert code == 1
    slip, good = json.loads(out)["claims"]
    assert slip["verdict"] == "refuted" and slip["networks_checked"] >= 2
    refuting = slip["counterexample"]["network"]
    assert refuting["batch"] > 1 and len(refuting["layers"]) == 3
    assert slip["diagnosis"]["factor"] in ("m", "2")
    assert good["verdict"] in ("proved", "holds") and good["networks_checked"] >= 2
    assert not (tmp_path / ".hypothesis").exists()  # no example database written
    # the same seed gives the same report
    assert cli("verify", path, "--random", "3", "--json")[1] == out


def test_random_with_vary_depth_keeps_formulas_checkable(cli, tmp_path):
    text = ('[network]\nlayers = [2, 3, 3, 2]\nhidden = "tanh"\n[[claim]]\nname = "BP2"\n'
            'formula = "delta[l] = (W[l+1].T @ delta[l+1]) * (1 - a[l]**2)"\n')
    code, out, _ = cli("verify", write(tmp_path, text), "--random", "3", "--vary-depth",
                       "--seed", "7", "--json")
    [claim] = json.loads(out)["claims"]
    assert code == 0 and claim["verdict"] in ("proved", "holds")
    assert claim["networks_checked"] >= 2


# -- a real process ----------------------------------------------------------------

def test_python_m_symbp_verifies_the_nielsen_example():
    completed = subprocess.run([sys.executable, "-m", "symbp", "verify",
                                str(ROOT / "examples" / "nielsen.toml")],
                               capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "BP2" in completed.stdout and "proved" in completed.stdout
    assert completed.stderr == ""
