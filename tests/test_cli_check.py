"""``symbp check`` and the command line's common behaviour."""

import io
import json
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("options", [
    "--layers 2,3,2",
    "--layers 2,4,3,2 --hidden relu --output softmax --loss cce --batch 3",
    "--layers 3,3 --hidden tanh --output tanh --loss mse --layout row --reduction sum --batch 2",
    "--layers 4,5,3 --hidden leaky_relu --output identity --loss l1 --batch 2",
    "--layers 2,6,2 --hidden softplus --output sigmoid --loss bce --no-bias",
    "--layers 1,1",
])
def test_check_agrees(cli, options):
    status, out, err = cli("check", *options.split())
    assert status == 0, out + err
    assert "all agree" in out and err == ""


@pytest.mark.parametrize("options,fragment", [
    ("--layers 2", "layers=[2]"),
    ("--layers 2,0,1", "size 0"),
    ("--layers 2,2 --hidden cosine", "hidden='cosine' is not an activation"),
    ("--layers 2,2 --loss hinge", "loss='hinge' is not a loss"),
    ("--layers 2,2 --batch 0", "batch=0"),
    ("--layers 2,3,2 --hidden softmax", "hidden='softmax'"),
    ("--layers two", "--layers 'two' is not"),
    ("--layers 2,2 --seed x", "--seed 'x'"),
    ("--frobnicate", "unrecognized arguments"),
    ("--layers 100000,100000", "needs about 149 GiB for one gradient (10,000,100,000 parameters"),
    ("--layers 2,3,2 --batch 1000000000", "1,000,000,000 samples); symbp takes networks"),
    ("--layers 2,3,2 --batch 10000000", "needs about 2.2 GiB"),
])
def test_check_invalid_input_is_one_sentence_and_exit_2(cli, options, fragment):
    status, _out, err = cli("check", *options.split())
    assert status == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_check_json_document(cli):
    status, out, _ = cli("check", "--layers", "2,3,2", "--batch", "2", "--json")
    document = json.loads(out)
    assert status == 0 and document["agree"] is True
    assert [p["key"] for p in document["parameters"]] == ["W1", "b1", "W2", "b2"]
    assert all(p["backprop"]["rel"] <= 1e-9 for p in document["parameters"])


def test_real_console_script_and_module():
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "symbp", "check", "--layers", "2,3,1"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0 and "all agree" in done.stdout
    assert "\033[" not in done.stdout  # piped: no colour
    bad = subprocess.run([sys.executable, "-m", "symbp", "check", "--layers", "2",
                          "--hidden", "cosine"], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    version = subprocess.run([sys.executable, "-m", "symbp", "--version"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0 and version.stdout.startswith("symbp ")


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from symbp.cli.common import Output

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert Output(Terminal(), Terminal()).color is True
    assert Output(io.StringIO(), io.StringIO()).color is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert Output(Terminal(), Terminal()).color is False


@pytest.mark.parametrize("options", [
    # finite differences off by 2e-10 where W2's gradient is ~1e-5: rounding
    ("--layers 4,1,3,2,4 --hidden leaky_relu --output identity --loss sse --batch 1 "
    "--reduction mean --layout row --seed 667152"),
    "--layers 1,1,1,1,1,1,1,1,1,1,1",
    "--layers 1,1,1,1,1,1,1,1,1,1,1 --hidden leaky_relu --output identity --loss l1",
    # a softmax under l1 whose errors share one sign: every gradient is 0
    ("--layers 1,2,2 --hidden relu --output softmax --loss l1 --layout row --no-bias "
    "--seed 812726"),
    "--layers 4,50 --output softmax --loss cce",
    "--layers 4,100 --output softmax --loss cce --batch 3",
    "--layers 32,64,32 --hidden relu --output softmax --loss cce",
])
def test_no_false_disagreement_from_rounding_or_sampling(cli, options):
    status, out, err = cli("check", *options.split())
    assert (status, err) == (0, ""), out + err
    assert "all agree" in out


def test_a_large_network_is_checked_at_a_stated_sample(cli):
    status, out, _ = cli("check", "--layers", "70,60,2")     # 4,382 parameters
    assert status == 0
    assert ("W1 at 256 of its 4,200 entries and along 4 random directions "
            "(the other parameters at every entry)") in out


def test_a_wrong_truth_entry_is_caught_in_a_sampled_check(monkeypatch):
    # the check is only worth its sample if one wrong entry among thousands
    # shows: W1[37, 11] is not among the entries seed 0 samples, so it is the
    # random directions through the whole of W1 that catch it
    from symbp.network import Network
    from symbp.sources.check import compare_gradients
    exact = Network.gradient

    def one_entry_off(self, point):
        gradient = exact(self, point)
        gradient["W1"][37, 11] += 0.1 * abs(gradient["W1"]).max()
        return gradient
    monkeypatch.setattr(Network, "gradient", one_entry_off)
    report = compare_gradients(Network(layers=[80, 60, 10], batch=2), seed=0)
    assert [p.key for p in report.parameters if not p.agree] == ["W1"]
