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
