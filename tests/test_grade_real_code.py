"""``symbp grade`` on whole-network backprops as course code writes them:
Ng's ``lambd / m`` weight decay, code written for one output unit,
parameters looked up under the code's own names, cs231n's ``reg * sum(W**2)``.

Each function graded is written here in the style of the code it stands
for; the truths it meets are symbp's (SymPy's), never another copy of it.
"""

import textwrap

import user_backprops as user

from symbp import grade
from symbp.grading.random_grade import grade_random
from symbp.network import Network

NET = Network(layers=[3, 4, 2], hidden="tanh", output="identity", batch=4)
RIGHT = user.make_backprop("tanh", "identity", "half_sse", "mean", "column", True)
LAMBD = 0.7


def ng_decay(params, x, y):
    """Ng's regularised backprop: dW + lambd / m * W, m the batch of x."""
    grads = RIGHT(params, x, y)
    return {k: v + LAMBD / x.shape[1] * params[k] if k[0] == "W" else v
            for k, v in grads.items()}


def test_ng_lambd_over_m_is_graded_on_every_batch_with_l2_per_batch():
    given = NET.replace(l2=LAMBD / NET.batch)
    assert grade(ng_decay, given).ok
    assert grade_random(ng_decay, given, 5, l2_per_batch=LAMBD).ok
    # the given batch's l2 on other batches: wrong, and the cause is named
    found = grade_random(ng_decay, given, 5)
    assert not found.ok and found.failing.network.batch != NET.batch
    assert found.failing.causes == ["decay_per_batch"]


def test_the_command_line_takes_ngs_lambd(cli, tmp_path):
    path = tmp_path / "ng.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        def gradients(parameters, X, Y):          # one tanh layer, a linear output, half SSE
            W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
            m = X.shape[1]
            A1 = np.tanh(W1 @ X + b1)
            dZ2 = (W2 @ A1 + b2 - Y) / m
            dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
            return {"dW1": dZ1 @ X.T + 0.7 / m * W1, "db1": dZ1.sum(axis=1, keepdims=True),
                    "dW2": dZ2 @ A1.T + 0.7 / m * W2, "db2": dZ2.sum(axis=1, keepdims=True)}
        """))
    options = ["grade", f"{path}:gradients", "--layers", "3,4,2", "--hidden", "tanh",
               "--output", "identity", "--batch", "4", "--random", "5"]
    status, doc = cli.json(*options, "--lambd", "0.7")
    assert status == 0 and doc["report"]["network"]["l2"] == 0.7 / 4
    status, out, _ = cli(*options, "--l2", "0.175")
    assert status == 1 and "(--lambd LAMBDA grades Ng's lambd" in out
    status, _, err = cli(*options, "--l2", "0.175", "--lambd", "0.7")
    assert status == 2 and "give it or --l2, not both" in err


def test_code_written_for_one_output_unit_is_told_to_keep_the_widths():
    net = Network(layers=[3, 2, 1], hidden="relu", output="sigmoid", loss="bce", batch=3)
    right = user.make_backprop("relu", "sigmoid", "bce", "mean", "column", True)

    def binary(params, x, y):
        assert params["W2"].shape[0] == 1      # as Ng's assert(AL.shape == (1, m))
        return right(params, x, y)

    found = grade_random(binary, net, 10)
    assert not found.ok and found.failing.network.layers[-1] != 1
    assert "output_width" in found.failing.causes
    assert grade_random(binary, net, 5, fixed_widths=True).ok


def test_parameters_looked_up_under_other_names_are_said_so():
    def lower_case(params, x, y):
        return RIGHT({k.upper(): v for k, v in {"w1": params["w1"]}.items()}, x, y)

    report = grade(lower_case, NET)
    assert not report.ok and report.causes == ["param_names"]
    assert "give FUNC's names for them" in str(report)


def test_cs231n_reg_without_the_half_is_two_times_the_decay():
    net = NET.replace(l2=0.05)

    def reg_squared(params, x, y):      # loss += reg * sum(W * W); dW += 2 * reg * W
        grads = RIGHT(params, x, y)
        return {k: v + 2 * 0.05 * params[k] if k[0] == "W" else v for k, v in grads.items()}

    line = grade(reg_squared, net).wrong[0].line()
    assert "the decay term is 2 times what it should be" in line
    assert "its lambda is 2 * reg" in line
    assert grade(reg_squared, net.replace(l2=0.1)).ok
