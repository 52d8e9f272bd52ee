"""``symbp grade`` and ``symbp.grade``: users' own backprops against the truth.

The implementations graded here live in ``tests/user_backprops.py``, written
by hand without symbp; the right ones must pass on 20 random networks, the
wrong ones must fail naming the keys and, where one fits, the diagnosis.
"""

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest
import user_backprops as user
from hypothesis import given, settings
from hypothesis import strategies as st

from symbp import grade
from symbp.network import Network
from symbp.strategies import all_networks
from symbp.testing import assert_gradients

TESTS = os.path.dirname(os.path.abspath(__file__))
SEED004 = "--layers 3,2 --output sigmoid --loss sse --reduction sum --layout row --batch 2"
SEED004_NAMES = "W1=w,b1=b"


@pytest.fixture
def in_scratch(tmp_path, monkeypatch):
    """Run from an empty directory with the tests' user modules importable."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(TESTS)
    return tmp_path


def keys_of(report):
    return {k["key"]: k for k in report["keys"]}


# -- the right ones pass on 20 random networks --------------------------------------------

@pytest.mark.parametrize("function,options", [
    ("loop_sigmoid_column", "--layers 3,4,2 --batch 3"),
    ("vectorised_tanh_softmax_row",
     "--layers 3,4,3 --hidden tanh --output softmax --loss cce --layout row --batch 3"),
    ("seed001_two_layer", ("--layers 4,5,3 --hidden relu --output identity --loss sse "
                          "--reduction sum --layout row --no-bias --batch 4")),
])
def test_right_backprops_pass_on_random_networks(cli, in_scratch, function, options):
    status, doc = cli.json("grade", f"user_backprops:{function}", *options.split(),
                           "--random", 20)
    assert status == 0, doc
    assert doc["ok"] and doc["report"]["ok"] and doc["random"]["failing"] is None
    assert doc["random"]["networks_checked"] == 20
    assert not (in_scratch / ".hypothesis").exists()


@pytest.mark.usefixtures("in_scratch")
def test_a_backprop_for_any_depth_passes_with_vary_depth(cli):
    status, out, err = cli("grade", "user_backprops:loop_sigmoid_column", "--layers", "2,3,2",
                           "--random", 10, "--vary-depth")
    assert status == 0, out + err
    assert "every gradient right" in out


# -- the wrong ones fail, naming the keys -------------------------------------------------

@pytest.mark.usefixtures("in_scratch")
def test_seed004_bias_averaged_is_named_with_its_diagnosis(cli):
    status, doc = cli.json("grade", "user_backprops:seed004_bias_averaged", *SEED004.split(),
                           "--names", SEED004_NAMES)
    assert status == 1
    keys = keys_of(doc["report"])
    assert keys["W1"]["ok"] and keys["W1"]["name"] == "w"
    bias = keys["b1"]
    assert not bias["ok"] and bias["name"] == "b"
    assert bias["diagnosis"]["kind"] == "bias_reduction"
    assert bias["diagnosis"]["factor"] == "1/m"
    assert "averaged" in bias["diagnosis"]["text"]
    assert "1-D" in bias["note"]
    # the claimed bias gradient is half (1/m, m = 2) the truth's largest entry away
    assert bias["max_rel_error"] == pytest.approx(0.5)


@pytest.mark.usefixtures("in_scratch")
def test_seed004_human_report_and_shrunk_network(cli):
    status, out, err = cli("grade", "user_backprops:seed004_bias_averaged", *SEED004.split(),
                           "--names", SEED004_NAMES, "--random", 20)
    assert status == 1 and err == ""
    assert "b1 (b): WRONG" in out and "W1 (w): ok" in out
    assert "averaged over the batch" in out
    assert "smallest failing network" in out
    # a bias averaged over one sample is right: the smallest failure has m = 2
    assert "layers=[1, 1]" in out and "batch=2" in out


@pytest.mark.usefixtures("in_scratch")
def test_missing_transpose_on_square_layers(cli):
    status, doc = cli.json("grade", "user_backprops:missing_transpose_column",
                           "--layers", "3,3,3", "--batch", 2)
    assert status == 1
    keys = keys_of(doc["report"])
    assert {k for k, v in keys.items() if not v["ok"]} == {"W1", "b1"}


@pytest.mark.usefixtures("in_scratch")
def test_missing_transpose_found_among_random_networks(cli):
    status, doc = cli.json("grade", "user_backprops:missing_transpose_column",
                           "--layers", "3,4,2", "--random", 20)
    assert status == 1
    failing = doc["random"]["failing"]
    if failing["error"] is None:  # else the shapes gave the slip away: an exception
        layers = failing["network"]["layers"]
        assert layers[1] == layers[2] > 1  # W2 square: the transpose hides from the shapes
        assert {k["key"] for k in failing["keys"] if not k["ok"]} == {"W1", "b1"}


@pytest.mark.usefixtures("in_scratch")
def test_sigma_prime_of_a_is_caught_on_hidden_layers_only(cli):
    status, doc = cli.json("grade", "user_backprops:sigma_prime_of_a_tanh_row",
                           "--layers", "3,4,4,2", "--hidden", "tanh", "--output", "identity",
                           "--reduction", "sum", "--layout", "row", "--batch", 2)
    assert status == 1
    keys = keys_of(doc["report"])
    assert {k for k, v in keys.items() if not v["ok"]} == {"W1", "b1", "W2", "b2"}


@pytest.mark.usefixtures("in_scratch")
def test_exception_in_func_reported_with_file_and_line(cli):
    status, doc = cli.json("grade", "user_backprops:missing_transpose_column",
                           "--layers", "3,4,2")
    assert status == 1
    source, first = inspect.getsourcelines(user.missing_transpose_column)
    line = first + next(i for i, text in enumerate(source) if "params[f\"W{l}\"] @ delta" in text)
    error = doc["report"]["error"]
    assert error.startswith("ValueError") and error.endswith(f"user_backprops.py:{line}")
    assert all(k["problem"] == "exception" for k in doc["report"]["keys"])


# -- what grade reports, through the API ---------------------------------------------------

NET = Network(layers=[3, 3, 2], hidden="tanh", output="sigmoid", loss="bce", batch=3)
RIGHT = user.make_backprop("tanh", "sigmoid", "bce", "mean", "column", True)


def altered(change):
    def func(params, x, y):
        grads = RIGHT(params, x, y)
        change(grads)
        return grads
    return func


@pytest.mark.parametrize("change,key,problem,kind", [
    (lambda g: g.update(W1=-g["W1"]), "W1", "values", "factor"),
    (lambda g: g.update(W2=2 * g["W2"]), "W2", "values", "factor"),
    (lambda g: g.update(W1=g["W1"].T), "W1", "values", "transpose"),
    (lambda g: g.update(W2=g["W2"].T), "W2", "shape", "transpose"),
    (lambda g: g.update(b1=np.zeros_like(g["b1"])), "b1", "values", "zeros"),
    (lambda g: g.update(b2=np.ones((3, 1))), "b2", "shape", "shape"),
    (lambda g: g.pop("W2"), "W2", "missing", None),
    (lambda g: g.update(W1=g["W1"].tolist()), "W1", "not_array", None),
    (lambda g: g["b2"].__setitem__((1, 0), np.nan), "b2", "non_finite", None),
])
def test_each_wrong_key_is_named(change, key, problem, kind):
    report = grade(altered(change), NET)
    assert [k.key for k in report.wrong] == [key]
    wrong = report.wrong[0]
    assert wrong.problem == problem
    assert (wrong.diagnosis or {}).get("kind") == kind
    assert key in str(report)


def test_extra_key_is_wrong():
    report = grade(altered(lambda g: g.update(W3=g["W1"])), NET)
    assert [(k.key, k.problem) for k in report.wrong] == [("W3", "extra")]


def test_the_largest_error_is_located():
    def change(g):
        g["W1"][2, 1] += 0.25
    wrong = grade(altered(change), NET).wrong[0]
    assert (wrong.key, wrong.where) == ("W1", (2, 1))
    assert wrong.max_abs_error == pytest.approx(0.25)


def test_a_func_that_returns_no_dict():
    report = grade(lambda _params, _x, _y: [1, 2], NET)
    assert not report.ok and {k.problem for k in report.keys} == {"not_dict"}


def test_params_are_the_users_copies():
    def destructive(params, x, y):
        grads = RIGHT(params, x, y)
        for value in params.values():
            value[...] = 0.0
        return grads
    point = NET.sample(4)
    kept = {k: v.copy() for k, v in point.items()}
    assert grade(destructive, NET, point).ok
    assert all(np.array_equal(point[k], kept[k]) for k in kept)


def test_assert_gradients_message_names_key_and_diagnosis():
    with pytest.raises(AssertionError) as raised:
        assert_gradients(altered(lambda g: g.update(W1=-g["W1"])), NET)
    message = str(raised.value)
    assert "W1: WRONG" in message and "-1 times the truth" in message
    assert "W2: ok" in message


# -- tolerances -----------------------------------------------------------------------------

def configured(net, dtype=np.float64):
    return user.make_backprop(net.hidden, net.output, str(net.loss), net.reduction,
                              net.layout, net.bias, dtype)


@settings(max_examples=40)
@given(all_networks(max_width=5), st.integers(0, 2**16))
def test_a_right_float64_backprop_is_never_flagged(net, seed):
    report = grade(configured(net), net, seed=seed)
    assert report.ok, str(report)


@settings(max_examples=40)
@given(all_networks(max_width=5), st.data())
def test_one_entry_off_by_1e_8_of_the_largest_is_caught(net, data):
    point = net.sample(0)
    right = configured(net)
    key = data.draw(st.sampled_from(net.param_keys()))
    index = tuple(data.draw(st.integers(0, size - 1)) for size in net.point_shapes()[key])
    sign = data.draw(st.sampled_from([-1.0, 1.0]))

    def perturbed(params, x, y):
        grads = right(params, x, y)
        largest = np.max(np.abs(grads[key]))
        grads[key][index] += sign * 1e-8 * largest
        return grads
    if np.max(np.abs(right({k: point[k] for k in net.param_keys()}, point["x"], point["y"])[key])) \
            < 1e-6:
        return  # an all-but-zero gradient (a dead relu layer): 1e-8 of nothing is rounding
    report = grade(perturbed, net, point)
    assert [(k.key, k.where) for k in report.wrong] == [(key, index)], str(report)


@settings(max_examples=30)
@given(all_networks(max_width=5), st.integers(0, 2**16))
def test_a_right_float32_backprop_passes_with_a_float32_tolerance(net, seed):
    report = grade(configured(net, np.float32), net, seed=seed)
    assert report.ok, str(report)
    assert all(k.dtype == "float32" for k in report.keys)


def test_float32_tolerance_is_looser_but_still_catches_a_percent():
    net = Network(layers=[4, 5, 3], batch=4)
    right32 = configured(net, np.float32)
    loose, tight = grade(right32, net).keys, grade(configured(net), net).keys
    assert all(k32.tolerance > 1e3 * k64.tolerance for k32, k64 in zip(loose, tight, strict=True))

    def off(params, x, y):
        grads = right32(params, x, y)
        grads["W2"][0, 0] *= np.float32(1.01)
        return grads
    assert [k.key for k in grade(off, net).wrong] == ["W2"]


@pytest.mark.usefixtures("in_scratch")
def test_rtol_and_atol_override(cli):
    argv = ["grade", "user_backprops:seed004_bias_averaged", *SEED004.split(),
            "--names", SEED004_NAMES]
    assert cli(*argv, "--rtol", "0.6")[0] == 0
    assert cli(*argv, "--atol", "10")[0] == 0
    assert cli(*argv, "--rtol", "0.1")[0] == 1


# -- invalid input: exit 2, one sentence -----------------------------------------------------

@pytest.mark.parametrize("argv,fragment", [
    (["nowhere_module:f", "--layers", "2,1"], "cannot import module 'nowhere_module'"),
    (["user_backprops:nothing", "--layers", "2,1"], "has no 'nothing'"),
    (["user_backprops", "--layers", "2,1"], "is not MODULE:FUNC"),
    (["user_backprops:seed001_two_layer", "--layers", "2,1", "--rtol", "x"], "--rtol 'x'"),
    (["user_backprops:seed001_two_layer", "--layers", "2,1", "--names", "W1"], "KEY=NAME"),
    (["user_backprops:seed001_two_layer", "--layers", "2,1", "--names", "W7=w"], "'W7'"),
    (["user_backprops:seed001_two_layer", "--layers", "2,1", "--vary-depth"], "--random"),
    (["user_backprops:seed001_two_layer", "--layers", "2,1", "--random", "-3"], "negative"),
])
@pytest.mark.usefixtures("in_scratch")
def test_invalid_input_is_exit_2(cli, argv, fragment):
    status, out, err = cli("grade", *argv)
    assert status == 2 and out == ""
    assert fragment in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_module_that_fails_on_import_is_exit_2(cli, in_scratch):
    (in_scratch / "broken_backprop.py").write_text("import numpy\n\nraise RuntimeError('no data')\n")
    status, _out, err = cli("grade", "broken_backprop:f", "--layers", "2,1")
    assert status == 2
    assert "RuntimeError: no data at broken_backprop.py:3" in err


def test_real_command_line_from_the_users_directory(tmp_path):
    source = inspect.getsource(user)
    (tmp_path / "my_backprop.py").write_text(source)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-m", "symbp", "grade",
                           "my_backprop:seed004_bias_averaged", *SEED004.split(),
                           "--names", SEED004_NAMES, "--random", "5"],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert "b1 (b): WRONG" in done.stdout and done.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_backprop.py"]
    by_path = subprocess.run([sys.executable, "-m", "symbp", "grade",
                              str(tmp_path / "my_backprop.py") + ":loop_sigmoid_column",
                              "--layers", "2,3,1"], capture_output=True, text=True, env=env,
                             timeout=300, check=False)
    assert by_path.returncode == 0, by_path.stdout + by_path.stderr


def test_the_shipped_examples_grade_as_documented(cli):
    examples = os.path.join(os.path.dirname(TESTS), "examples", "grade")
    right = os.path.join(examples, "two_layer_sigmoid.py") + ":gradients"
    assert cli("grade", right, "--layers", "3,4,2", "--batch", 3, "--random", 5,
               "--vary-depth")[0] == 0
    seed004 = os.path.join(examples, "seed004_bias_averaged.py") + ":backward"
    status, doc = cli.json("grade", seed004, *SEED004.split(), "--names", SEED004_NAMES)
    assert status == 1
    assert keys_of(doc["report"])["b1"]["diagnosis"]["kind"] == "bias_reduction"
