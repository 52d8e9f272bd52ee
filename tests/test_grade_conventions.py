"""``symbp grade`` on code as people write it (contract section 10): key
conventions and maps, tuples, keys set aside, labels and one-hot targets,
weight decay, vacuous points, random networks of fixed widths, the file's
folder on sys.path, the grade-only diagnoses, inputs changed in place, and
the shipped examples.

The backprops graded are written here by hand (or in ``examples/grade``),
never with symbp; the truths they meet are SymPy's and finite differences.
"""

import os
import textwrap

import numpy as np
import pytest
import user_backprops as user

import symbp
from symbp import grade
from symbp.errors import NetworkError, UsageError
from symbp.network import Network

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
EXAMPLES = os.path.join(ROOT, "examples", "grade")
NG = ["--layers", "4,5,3,1", "--hidden", "relu", "--output", "sigmoid", "--loss", "bce",
      "--batch", "3"]
CS231N = ["--layers", "4,5,3", "--hidden", "relu", "--output", "softmax", "--loss", "cce",
          "--layout", "row", "--batch", "4"]

NET = Network(layers=[3, 3, 2], hidden="tanh", output="sigmoid", loss="bce", batch=3)
RIGHT = user.make_backprop("tanh", "sigmoid", "bce", "mean", "column", True)


def renamed(rename, extra=None):
    """RIGHT with its keys renamed, and more entries beside them."""
    def func(params, x, y):
        grads = {rename(k): v for k, v in RIGHT(params, x, y).items()}
        grads.update(extra or {})
        return grads
    return func


def keys_of(doc):
    return {k["key"]: k for k in doc["keys"]}


# -- keys ------------------------------------------------------------------------------

@pytest.mark.parametrize("rename,convention", [
    (lambda k: "d" + k, "dW1"),
    (lambda k: "d" + k.lower(), "dw1"),
    (lambda k: "grad_" + k, "grad_W1"),
    (lambda k: k.lower(), "w1"),
])
def test_conventions_are_recognised_and_named(rename, convention):
    report = grade(renamed(rename), NET)
    assert report.ok, str(report)
    assert [k.name for k in report.keys] == [rename(k) for k in NET.param_keys()]
    assert f"the {convention} convention" in " ".join(report.notes)


def test_keys_naming_no_parameter_are_set_aside_with_a_note():
    extra = {"dA1": np.ones((3, 3)), "dZ2": np.ones((2, 3)), "cache": {"A1": 1}}
    report = grade(renamed(lambda k: "d" + k, extra), NET)
    assert report.ok, str(report)
    assert report.set_aside == ["dA1", "dZ2", "cache"]
    assert any("set aside" in note and "dA1" in note for note in report.notes)


def test_a_key_naming_a_layer_the_network_lacks_is_extra():
    report = grade(renamed(lambda k: k, {"dW3": np.ones((2, 2))}), NET)
    assert [(k.key, k.problem) for k in report.wrong] == [("dW3", "extra")]


def test_names_and_grad_names_map_separately(cli, tmp_path):
    (tmp_path / "mine.py").write_text(textwrap.dedent("""
        import numpy as np
        def grads(params, x, y):   # identity output, half_sse, sum: delta = a - y
            delta = params["weights"] @ x + params["bias"] - y
            return {"gradW": delta @ x.T, "gradb": delta.sum(axis=1, keepdims=True)}
    """))
    target = f"{tmp_path / 'mine.py'}:grads"
    net = ["--layers", "2,1", "--output", "identity", "--reduction", "sum"]
    status, doc = cli.json("grade", target, *net, "--names", "W1=weights,b1=bias",
                           "--grad-names", "W1=gradW,b1=gradb")
    assert status == 0, doc
    assert [k["name"] for k in doc["report"]["keys"]] == ["gradW", "gradb"]
    status, out, err = cli("grade", target, *net, "--names", "W1=weights,b1=bias",
                           "--grad-names", "W1=dW1")
    assert status == 2 and out == ""
    assert "'dW1'" in err and "gradW, gradb" in err and "Traceback" not in err


def test_a_tuple_is_read_in_the_default_order_or_in_returns():
    def as_tuple(params, x, y):
        grads = RIGHT(params, x, y)
        return tuple(grads[k] for k in ("W1", "b1", "W2", "b2"))

    report = grade(as_tuple, NET)
    assert report.ok and report.order_assumed
    assert any("default order W1, b1, W2, b2" in note for note in report.notes)

    def own_order(params, x, y):
        grads = RIGHT(params, x, y)
        return [grads["W2"], grads["b2"], grads["W1"], grads["b1"]]
    assert not grade(own_order, NET).ok
    report = grade(own_order, NET, returns=["dW2", "db2", "dW1", "db1"])
    assert report.ok and not report.order_assumed, str(report)


def test_a_tuple_of_the_wrong_length_says_so():
    report = grade(lambda *_: (1, 2, 3), NET)
    assert {k.problem for k in report.keys} == {"not_dict"}
    assert "tuple of 3" in report.keys[0].message and "W1, b1, W2, b2" in report.keys[0].message


def test_returns_on_the_command_line(cli, tmp_path):
    (tmp_path / "tup.py").write_text(textwrap.dedent("""
        def grads(params, x, y):
            delta = params["W1"] @ x + params["b1"] - y
            return delta.sum(axis=1, keepdims=True), delta @ x.T
    """))
    target = f"{tmp_path / 'tup.py'}:grads"
    net = ["--layers", "2,1", "--output", "identity", "--reduction", "sum"]
    status, out, _ = cli("grade", target, *net)
    assert status == 1 and "--returns dW1,db1,... gives another order" in out
    assert cli("grade", target, *net, "--returns", "db1,dW1")[0] == 0


# -- targets, labels, weight decay --------------------------------------------------------

def test_onehot_targets_are_one_class_per_sample():
    for layout in ("column", "row"):
        net = Network(layers=[3, 4], output="softmax", loss="cce", batch=5, layout=layout,
                      targets="onehot")
        y = net.sample(3)["y"]
        per_sample = y if layout == "row" else y.T
        assert set(np.unique(per_sample)) <= {0.0, 1.0}
        assert np.array_equal(per_sample.sum(axis=1), np.ones(5))


def test_code_assuming_onehot_targets_fails_on_soft_ones_with_a_possible_cause(cli):
    target = os.path.join(TESTS, "user_backprops.py") + ":cs231n_argmax_row"
    status, out, _ = cli("grade", target, *CS231N)
    assert status == 1
    assert "possible cause" in out and "one-hot" in out and "--labels" in out
    status, doc = cli.json("grade", target, *CS231N, "--targets", "onehot", "--random", 5)
    assert status == 0, doc
    assert doc["report"]["possible_causes"] == []


def test_the_cs231n_example_passes_with_labels_and_l2_as_written(cli):
    example = os.path.join(EXAMPLES, "cs231n_two_layer.py") + ":loss"
    status, doc = cli.json("grade", example, *CS231N, "--labels", "--l2", "0.1",
                           "--random", 5, "--fixed-widths")
    assert status == 0, doc
    assert doc["report"]["network"]["targets"] == "onehot"
    assert doc["report"]["network"]["l2"] == 0.1
    assert cli("grade", example, *CS231N, "--labels")[0] == 1   # its REG term is then wrong


def test_l2_agrees_in_every_source_with_finite_differences_of_the_definition():
    net = Network(layers=[2, 3, 2], hidden="tanh", batch=2, l2=0.25, layout="row")
    point = net.sample(5)
    plain = net.replace(l2=0.0)
    # the definition: L = data loss + (l2/2) * sum ||W||^2, differentiated numerically
    assert net.total_loss(point) == pytest.approx(
        plain.total_loss(point) + 0.125 * sum(np.sum(point[k] ** 2) for k in ("W1", "W2")))
    truth, finite = net.gradient(point), symbp.finite_differences(net, point)
    for key in net.param_keys():
        assert np.allclose(truth[key], finite[key], atol=1e-8)
        assert np.allclose(truth[key], symbp.backprop(net, point)[key], atol=1e-14)
    assert not np.allclose(truth["W1"], plain.gradient(point)["W1"])
    assert np.array_equal(truth["b1"], plain.gradient(point)["b1"])


def test_a_slip_in_the_decay_term_is_named_on_the_w_keys():
    net = Network(layers=[3, 4, 2], hidden="tanh", output="identity", batch=4, l2=0.5)
    right = user.make_backprop("tanh", "identity", "half_sse", "mean", "column", True)

    def ng_lambda_over_m(params, x, y):   # lambda/m * W where l2 = lambda is meant
        grads = right(params, x, y)
        return {k: v + (0.5 / x.shape[1]) * params[k] if k[0] == "W" else v
                for k, v in grads.items()}
    report = grade(ng_lambda_over_m, net)
    assert [k.key for k in report.wrong] == ["W1", "W2"]
    for key in report.wrong:
        assert key.diagnosis["kind"] == "decay" and key.diagnosis["factor"] == "1/m"
        assert "the decay term is 1/m of what it should be" in key.line()
    forgot = grade(right, net).wrong[0]
    assert forgot.diagnosis["kind"] == "decay" and "missing" in forgot.diagnosis["text"]


def test_lambda_in_the_notation_and_in_derive(cli):
    net = Network(layers=[2, 3, 2], batch=3, l2=0.1)
    assert symbp.verify("dW[l] = delta[l] @ a[l-1].T / m + lambda * W[l]", net).verdict in (
        "proved", "holds")
    refuted = symbp.verify("dW[l] = delta[l] @ a[l-1].T / m + lambda / m * W[l]", net)
    assert refuted.verdict == "refuted"
    status, out, _ = cli("derive", "--layers", "2,3,2", "--batch", 3, "--l2", "0.1",
                         "--format", "markdown")
    assert status == 0
    assert r"\frac{\lambda}{2}" in out and r"+ \lambda W^{[1]}" in out


# -- points that test nothing -------------------------------------------------------------

def test_a_relu_layer_dead_per_sample_is_redrawn():
    net = Network(layers=[1, 2, 2, 1], hidden="relu", output="identity", batch=2)
    # sample 0 dies at layer 1, sample 1 at layer 2: no layer is dead for both,
    # yet W1's gradient gets nothing from either sample
    point = {"W1": [[1.0], [1.0]], "b1": [[0.0], [0.0]],
             "W2": [[1.0, 0.0], [0.0, 1.0]], "b2": [[-5.0], [-5.0]],
             "W3": [[1.0, 1.0]], "b3": [[0.0]], "x": [[-1.0, 1.0]], "y": [[0.5, 0.5]]}
    assert not np.any(net.gradient(point)["W1"])
    assert net.near_kink(point)
    for seed in range(300):   # never returned by sampling
        truth = net.gradient(net.sample(seed))
        assert all(np.any(value) for value in truth.values()), seed


def test_ngs_planted_bugs_are_caught_at_every_point():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "ng_bugs", os.path.join(EXAMPLES, "ng_gradient_check_bugs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = Network(layers=[4, 5, 3, 1], hidden="relu", output="sigmoid", loss="bce", batch=3)
    # about 1 seed in 200 drew a point where both bugs passed before the redraw rule
    for seed in range(200):
        report = grade(module.gradients, net, seed=seed)
        assert {k.key for k in report.wrong} == {"W2", "b1"}, (seed, str(report))


def test_a_one_unit_softmax_is_refused_by_check_and_grade(cli):
    net = ["--layers", "3,1", "--output", "softmax", "--loss", "cce"]
    for command in (["check"], ["grade", f"{EXAMPLES}/two_layer_sigmoid.py:gradients"]):
        status, out, err = cli(*command, *net)
        assert status == 2 and out == ""
        assert "one output unit is 1 whatever its input" in err and "Traceback" not in err
    with pytest.raises(NetworkError):
        grade(RIGHT, Network(layers=[3, 1], output="softmax", loss="cce"))


# -- random networks ------------------------------------------------------------------------

def test_fixed_widths_and_max_width(cli, tmp_path):
    (tmp_path / "fixed.py").write_text(textwrap.dedent("""
        import numpy as np
        def grads(params, x, y):   # written for layers 3,4,2 only
            assert params["W1"].shape == (4, 3) and params["W2"].shape == (2, 4)
            d2 = (params["W2"] @ np.tanh(params["W1"] @ x + params["b1"]) + params["b2"] - y)
            m = x.shape[1]
            a1 = np.tanh(params["W1"] @ x + params["b1"])
            d1 = (params["W2"].T @ d2) * (1 - a1 ** 2)
            return {"W1": d1 @ x.T / m, "b1": d1.sum(1, keepdims=True) / m,
                    "W2": d2 @ a1.T / m, "b2": d2.sum(1, keepdims=True) / m}
    """))
    argv = ["grade", f"{tmp_path / 'fixed.py'}:grads", "--layers", "3,4,2", "--hidden", "tanh",
            "--output", "identity", "--random", 8]
    assert cli(*argv)[0] == 1                        # other widths: FUNC raises
    status, doc = cli.json(*argv, "--fixed-widths")
    assert status == 0, doc
    assert doc["random"]["fixed_widths"] is True
    assert cli(*argv, "--max-width", "1")[0] == 1     # widths 1 only: FUNC raises
    for bad, fragment in ((["--fixed-widths", "--vary-depth"], "--vary-depth"),
                          (["--max-width", "0"], "at least 1")):
        status, _, err = cli(*argv, *bad)
        assert status == 2 and fragment in err


def test_the_files_folder_is_on_sys_path(cli, tmp_path):
    (tmp_path / "helpers_for_grading.py").write_text("def twice(v):\n    return 2 * v\n")
    (tmp_path / "uses_sibling.py").write_text(textwrap.dedent("""
        from helpers_for_grading import twice
        def grads(params, x, y):
            delta = params["W1"] @ x - y
            return {"W1": twice(delta @ x.T) / 2}
    """))
    status, out, err = cli("grade", f"{tmp_path / 'uses_sibling.py'}:grads", "--layers", "2,1",
                           "--output", "identity", "--reduction", "sum", "--no-bias")
    assert status == 0, out + err


# -- diagnoses --------------------------------------------------------------------------------

def test_partial_agreement_is_by_units_and_dead_zeros_do_not_count():
    net = Network(layers=[3, 4, 3, 2], hidden="relu", output="sigmoid", loss="bce", batch=4,
                  layout="row")
    right = user.make_backprop("relu", "sigmoid", "bce", "mean", "row", True)

    def one_unit_off(params, x, y):
        grads = right(params, x, y)
        grads["W3"][:, 1] *= 1.5   # the weights into output unit 1
        return grads
    wrong = grade(one_unit_off, net).wrong
    assert [k.key for k in wrong] == ["W3"]
    diagnosis = wrong[0].diagnosis
    assert diagnosis["kind"] == "partial" and "sample" not in diagnosis["text"]
    assert diagnosis["units"] == [0] and diagnosis["layer"] == 3
    point = net.sample(0)

    def zeros_where_dead(params, x, y):
        grads = right(params, x, y)
        grads["W2"] = np.where(grads["W2"] == 0, 0.0, 1.0)   # right only on the dead zeros
        return grads
    assert not np.all(net.gradient(point)["W2"])   # some zeros to be right on
    found = grade(zeros_where_dead, net, point).wrong[0]
    assert found.key == "W2" and (found.diagnosis or {}).get("kind") != "partial"


def test_a_scalar_bias_that_sums_every_axis():
    net = Network(layers=[3, 5, 2], batch=4)
    right = user.make_backprop("sigmoid", "sigmoid", "half_sse", "mean", "column", True)

    def summed(params, x, y):
        grads = right(params, x, y)
        grads["b1"] = np.sum(grads["b1"])
        return grads
    wrong = grade(summed, net).wrong[0]
    assert wrong.key == "b1" and wrong.diagnosis["kind"] == "axis"
    assert "np.sum without axis=" in wrong.line()


def test_keys_shifted_by_one_layer_are_connected():
    net = Network(layers=[3, 3, 3, 3], hidden="tanh", batch=2)
    right = user.make_backprop("tanh", "sigmoid", "half_sse", "mean", "column", True)

    def from_zero(params, x, y):
        grads = right(params, x, y)
        return {f"{k[0]}{int(k[1:]) - 1}": v for k, v in grads.items()}
    report = grade(from_zero, net)
    lines = {k.key: k.line() for k in report.wrong}
    assert "W0 holds exactly the true W1" in lines["W0"]
    assert "W1 holds exactly the true W2" in lines["W1"]


def test_the_wrong_line_names_each_networks_own_keys(cli, tmp_path):
    (tmp_path / "bias_mean.py").write_text(textwrap.dedent("""
        import numpy as np
        def grads(params, x, y):   # one identity layer, half_sse, sum; b averaged
            delta = params["W1"] @ x + params["b1"] - y
            return {"W1": delta @ x.T, "b1": delta.mean(axis=1, keepdims=True)}
    """))
    status, out, _ = cli("grade", f"{tmp_path / 'bias_mean.py'}:grads", "--layers", "2,3",
                         "--output", "identity", "--reduction", "sum", "--batch", 2,
                         "--random", 10)
    assert status == 1
    last = out.strip().splitlines()[-1]
    assert last.startswith("wrong: b1 on layers [2, 3]; b1 on the smallest random network")


def test_inputs_changed_in_place_are_reported_and_graded_on_copies(cli, tmp_path):
    def sloppy(params, x, y):
        grads = RIGHT(params, x, y)
        params["W1"] -= 0.1 * grads["W1"]    # an update step inside the backprop
        x *= 0
        return grads
    point = NET.sample(2)
    kept = {k: v.copy() for k, v in point.items()}
    report = grade(sloppy, NET, point)
    assert report.ok and report.changed == ["params['W1']", "x"]
    assert all(np.array_equal(point[k], kept[k]) for k in kept)
    (tmp_path / "upd.py").write_text(textwrap.dedent("""
        def grads(params, x, y):
            delta = params["W1"] @ x - y
            params["W1"] -= 0.5 * delta @ x.T
            return {"W1": delta @ x.T}
    """))
    status, doc = cli.json("grade", f"{tmp_path / 'upd.py'}:grads", "--layers", "2,1",
                           "--output", "identity", "--reduction", "sum", "--no-bias")
    assert status == 0 and doc["report"]["changed_inputs"] == ["params['W1']"]


# -- the shipped examples as documented -------------------------------------------------------

def test_ngs_backward_propagation_with_its_one_line_adapter(cli):
    example = os.path.join(EXAMPLES, "ng_backward_propagation.py") + ":gradients"
    status, doc = cli.json("grade", example, *NG, "--random", 5, "--fixed-widths")
    assert status == 0, doc
    assert [k["name"] for k in doc["report"]["keys"]] == \
        ["dW1", "db1", "dW2", "db2", "dW3", "db3"]
    assert set(doc["report"]["set_aside"]) == {"dZ3", "dA2", "dZ2", "dA1", "dZ1"}


def test_ngs_planted_bugs_named_as_factors(cli):
    example = os.path.join(EXAMPLES, "ng_gradient_check_bugs.py") + ":gradients"
    status, out, _ = cli("grade", example, *NG)
    assert status == 1
    assert "W2 is 2 times the truth" in out and "b1 is 4 times the truth" in out
    assert out.strip().splitlines()[-1] == "wrong: b1, W2 on layers [4, 5, 3, 1]"


def test_grad_names_map_a_missing_key_is_a_usage_error():
    with pytest.raises(UsageError, match="it returned dW1, db1"):
        grade(lambda *_: {"dW1": 0, "db1": 0}, Network(layers=[2, 1]),
              grad_names={"W1": "gradW"})
