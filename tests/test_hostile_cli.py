"""Hostile input to the layer commands and the Python API (issue 18, after the
layers arrived): each class of bug ``scripts/fuzz_cli.py`` found, through the
real command line (in process, and real subprocesses where exit codes,
signals, pipes or stray processes are the point) and the public API."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import symbp
from symbp.derivation.calculus import loss_derivative
from symbp.grading import user_code
from symbp.tables import LOSSES
from symbp.verification import rewrites
from symbp.verification.cost import MAX_ENTRIES

GRADE_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "grade",
                             "two_layer_sigmoid.py:gradients")
RELU = """\
import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    {body}
"""


def one_sentence(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


def layer_file(folder, body: str, name: str = "layers.py") -> str:
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write(RELU.format(body=textwrap.indent(textwrap.dedent(body), "    ").strip()))
    return path


def symbp_process(*argv, **options):
    return subprocess.run([sys.executable, "-m", "symbp", *map(str, argv)],
                          check=False, capture_output=True, text=True, **options)


# -- layer options: checked before anything is counted, derived or divided -----------

@pytest.mark.parametrize("argv, fragment", [
    (["check", "--layer", "tanh", "--config", "N=0x10"], "N = (0, 10) is not a size"),
    (["check", "--layer", "batchnorm", "--config", "D=nan"], "D = nan is not a size"),
    (["check", "--layer", "affine", "--config", "M=2x3"], "M = (2, 3) is not a size"),
    (["check", "--layer", "dropout", "--config", "p=0"], "p = 0 is not allowed"),
    (["verify", "--layer", "dropout", "--p", "0", "--formula", "dx = dout"], "p = 0.0 is not"),
    (["derive", "--layer", "dropout", "--p", "0"], "p = 0.0 is not allowed"),
    (["derive", "--layer", "weight_decay", "--lambda", "1e308"], "from 0 to 1e+06"),
    (["check", "--layer", "batchnorm", "--config", "N=1,eps=0"], "undefined (NaN or infinite)"),
    (["check", "--layer", "layernorm", "--config", "D=1,eps=0"], "undefined (NaN or infinite)"),
    (["grade-layers", "layers.py:relu_backward"], "with layers.py --only relu_backward"),
    (["grade-layers", "/dev/null"], "it is not a regular file"),
    (["grade-layers", "no_such.py", "--timeout", "inf"], "--timeout 'inf' is not a finite"),
    (["grade-layers", "no_such.py", "--timeout", "0"], "must be a number of seconds > 0"),
    # 2,000 finite differences through 1,000 layers each: minutes, refused before it starts
    (["check", "--layers", ",".join(["1"] * 1001)], "would take about 80 s of finite "),
])
def test_bad_layer_values_are_one_sentence(cli, argv, fragment):
    status, out, err = cli(*argv)
    assert (status, out) == (2, "") and one_sentence(err), err
    assert fragment in err


@pytest.mark.parametrize("argv", [
    ["check", "--layer", "x" * 100_000],
    ["check", "--layers", "2,2", "--hidden", "y" * 100_000],
    ["verify", "--formula", "delta[L] = " + "q" * 100_000, "--layers", "2,2"],
    ["check", "--layer", "affine", "--config", "N=" + "9" * 100_000],
    ["grade-layers", "z" * 100_000 + ".py"],
])
def test_a_huge_value_quoted_in_a_sentence_is_cut_in_its_middle(cli, argv):
    status, _, err = cli(*argv)
    assert status == 2 and one_sentence(err)
    assert len(err) < 1500 and "characters ...]" in err


def test_a_sentence_listing_thousands_of_names_is_cut_too():
    with pytest.raises(symbp.GraphError) as raised:
        symbp.graph("f = x", x=1, **{f"v{i}": 1 for i in range(10_000)})
    sentence = str(raised.value)
    assert len(sentence) < 4100 and "characters ...]" in sentence
    assert sentence.endswith("are given a value but not used in the expression.")


def test_a_vanishing_layer_gradient_is_judged_within_rounding(cli):
    # batch norm at N = 2 has a dx of ~1e-6: relative differences of finite
    # differences measured noise (a false DIFFERS at this seed and at eps = 0)
    for argv in (["--seed", "99999999999999999999999999"], ["--config", "eps=0"]):
        status, out, err = cli("check", "--layer", "batchnorm", *argv)
        assert (status, err) == (0, ""), out
        assert "all agree" in out


# -- sizes refused before the work: --random, --max-width, diagnoses, derivations -----

@pytest.mark.parametrize("argv", [
    ["verify", "--formula", "delta[L] = a[L] - y", "--layers", "2,2"],
    ["grade", GRADE_EXAMPLE, "--layers", "3,4,2"],
    ["grade-layers", "no_such.py"],
])
def test_random_beyond_its_limit_is_refused(cli, argv):
    status, out, err = cli(*argv, "--random", "1000000000000")
    assert (status, out) == (2, "") and one_sentence(err)
    assert "--random 1000000000000 asks for more draws than symbp makes: at most 1,000" in err


def test_max_width_beyond_its_limit_is_refused(cli):
    status, _, err = cli("grade", GRADE_EXAMPLE, "--layers", "3,4,2", "--random", "2",
                         "--max-width", "1000000000")
    assert status == 2 and one_sentence(err) and "at most 1,024" in err


def test_a_diagnosis_never_evaluates_beyond_the_limits(monkeypatch):
    # the transpose rewrite a[L].T - y broadcast a row against a column:
    # 100,000 outputs made a 10^10-entry matrix (MemoryError)
    largest = []
    evaluate = rewrites.evaluate_bounded

    def recorded(node, net, values, l):
        value = evaluate(node, net, values, l)
        largest.append(np.size(value.value))
        return value
    monkeypatch.setattr(rewrites, "evaluate_bounded", recorded)
    result = symbp.verify("delta[L] = a[L] - y", symbp.Network(layers=[1, 5000]),
                          general=False, prove=False)
    assert result.verdict == "refuted"
    assert largest and max(largest) <= MAX_ENTRIES


@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_loss_derivative_is_the_written_out_sums(loss):
    # the derivative is taken from the sum's first term; it must equal SymPy's
    # derivative of the loss written out over every unit (as it was before)
    import sympy as sp

    from symbp.derivation.calculus import A, Y
    for units in (1, 2, 3):
        a = sp.symbols(f"a1:{units + 1}", real=True)
        y = sp.symbols(f"y1:{units + 1}", real=True)
        written_out = sp.diff(LOSSES[loss].sympy(list(a), list(y)), a[0])
        assert sp.simplify(loss_derivative(loss, units)
                           - written_out.xreplace({a[0]: A, y[0]: Y})) == 0


@pytest.mark.parametrize("argv, line", [
    # minutes before: SymPy wrote the loss out over 10^6 units
    (["--layers", "1,1000000"], (r"| $\delta^{[1]}$ | $a^{[1]} \odot \left(1 - a^{[1]}\right) "
                                 r"\odot \left(a^{[1]} - y\right)$ | $1000000 \times 1$ | proved |")),
    # a 1000 x 1000 Jacobian simplified entry by entry
    (["--layers", "2,1000", "--output", "softmax", "--loss", "cce"],
     r"\delta^{[1]} = a^{[1]} - y \in \mathbb{R}^{1000 \times 1}"),
])
def test_derive_on_a_wide_output_layer(cli, argv, line):
    status, out, err = cli("derive", *argv, "--format", "markdown")
    assert (status, err) == (0, "")
    assert line in out


# -- files symbp writes --------------------------------------------------------------

def test_a_named_pipe_nobody_reads_is_refused(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    done = symbp_process("derive", "--layers", "2,2", "-o", pipe, timeout=60)
    assert done.returncode == 2 and one_sentence(done.stderr)
    assert "a named pipe that no program is reading" in done.stderr


def test_a_named_pipe_with_a_reader_gets_the_whole_derivation(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    reader = subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE, text=True)
    done = symbp_process("derive", "--layers", "2,2", "-o", pipe, timeout=60)
    out, _ = reader.communicate(timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert out.rstrip().endswith(symbp.derive(symbp.Network(layers=[2, 2])).text.rstrip()[-40:])


# -- users' layer code ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["numpy", "hypothesis", "os"])
def test_a_users_file_named_like_a_library_is_graded_by_its_name(cli, tmp_path, monkeypatch, name):
    layer_file(tmp_path, "return dout * (cache > 0)", name=f"{name}.py")
    monkeypatch.chdir(tmp_path)
    status, out, err = cli("grade-layers", name, "--random", "2")
    assert (status, err) == (0, ""), out
    assert "relu_backward (relu, cs231n): ok" in out


def test_a_looping_backward_is_one_error_called_once(tmp_path):
    calls = tmp_path / "calls.txt"
    path = layer_file(tmp_path, f"""
        with open({str(calls)!r}, "a") as handle:
            handle.write("called\\n")
        while True:
            pass
    """)
    done = symbp_process("grade-layers", path, "--timeout", "1", timeout=120)
    assert done.returncode == 1 and done.stderr == ""
    assert "did not finish within 1 s" in done.stdout and "--timeout 1 is the limit" in done.stdout
    assert calls.read_text().count("called") == 1      # never shrunk: one time limit spent


def test_a_fork_in_users_code_neither_answers_nor_outlives_symbp(tmp_path):
    pids = tmp_path / "pids.txt"
    path = layer_file(tmp_path, f"""
        import os, time
        if os.fork() == 0:
            with open({str(pids)!r}, "a") as handle:
                handle.write(f"{{os.getpid()}}\\n")
            time.sleep(1000)
        return dout * (cache > 0)
    """)
    done = symbp_process("grade-layers", path, "--random", "3", timeout=120)
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    assert "relu_backward (relu, cs231n): ok" in done.stdout
    time.sleep(0.2)
    assert pids.read_text().split()
    assert not any(alive(int(pid)) for pid in pids.read_text().split())


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie that no init reaps has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("body, fragment", [
    ("return (dout * (cache > 0)).astype(np.float16)", "ok on"),
    ("return (dout * (cache > 0)).astype(complex)", "an array of complex128 where real"),
    ("return np.zeros(1000)", "entries, more than the 10 entries symbp reads back"),
])
def test_odd_arrays_returned_get_a_clean_verdict(cli, tmp_path, monkeypatch, body, fragment):
    monkeypatch.setattr(user_code, "MAX_RETURNED_ENTRIES", 10)   # the child forks from here
    status, out, err = cli("grade-layers", layer_file(tmp_path, body), "--random", "2")
    assert err == "" and fragment in out
    assert status == (0 if fragment == "ok on" else 1)


def test_megabytes_printed_by_func_are_kept_to_their_first_million(cli, tmp_path):
    path = tmp_path / "loud.py"
    path.write_text("import numpy as np\n"
                    "def gradients(params, x, y):\n"
                    "    print('q' * 3_000_000)\n"
                    "    return {k: np.zeros_like(v) for k, v in params.items()}\n")
    status, document = cli.json("grade", f"{path}:gradients", "--layers", "2,2")
    assert status == 1
    assert len(document["output"]) < 1_000_100
    assert document["output"].endswith("[... 2,000,001 more characters printed, not kept]\n")
    status, out, _ = cli("grade", f"{path}:gradients", "--layers", "2,2")
    assert max(map(len, out.splitlines())) < 400


def test_ctrl_c_during_grade_layers_is_one_line_and_exit_130(tmp_path):
    path = layer_file(tmp_path, "import time\ntime.sleep(1000)")
    process = subprocess.Popen([sys.executable, "-m", "symbp", "grade-layers", path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert (process.returncode, err) == (130, "interrupted.\n")


# -- the Python API: a SymbpError in one sentence, never a raw Python error ----------

NET = symbp.Network(layers=[2, 3, 2])
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "layers", "cs231n_style.py")


def test_verify_gives_bad_arguments_the_verdict_error():
    # verify's way with bad input: a Result whose verdict is error, never an exception
    for result in (symbp.verify("delta[L] = a[L] - y", "2,3,2"),
                   symbp.verify("delta[L] = a[L] - y", {"layers": [2, 2], "depth": 3}),
                   symbp.verify_layer("dx = dout", NET)):
        assert result.verdict == "error" and len(result.message.splitlines()) == 1
    assert "not str" in symbp.verify("delta[L] = a[L] - y", "2,3,2").message


@pytest.mark.parametrize("call", [
    lambda: symbp.verify("delta[L] = a[L] - y", NET, seeds=5),
    lambda: symbp.verify("delta[L] = a[L] - y", NET, seeds=[]),
    lambda: symbp.graph("f = x", x=10**400),
    lambda: symbp.Network(layers=[2, 2], hidden=[]),
    lambda: symbp.backprop(None, NET.sample(0)),
    lambda: symbp.finite_differences("net", NET.sample(0)),
    lambda: NET.gradient({k: v.astype(complex) for k, v in NET.sample(0).items()}),
    lambda: NET.gradient({k: np.full_like(v, np.nan) for k, v in NET.sample(0).items()}),
    lambda: symbp.derive(None),
    lambda: symbp.derive(NET, format=None),
    lambda: symbp.load_claims(None),
    lambda: symbp.SizedLayer.of("dropout", p=[2, 2]),
    lambda: symbp.SizedLayer.of("batchnorm", N=True),
    lambda: symbp.SizedLayer.of(["batchnorm"]),
    lambda: symbp.derive_layer(None),
    lambda: symbp.grade(lambda *_: {}, None),
    lambda: symbp.grade(lambda *_: {}, NET, rtol=float("nan")),
    lambda: symbp.grade_layers(None),
    lambda: symbp.grade_layers("/dev/null"),
    lambda: symbp.grade_layers(EXAMPLE, random=10**12),
    lambda: symbp.grade_layers(EXAMPLE, random=1, seed=-1),
    lambda: symbp.grade_layers(EXAMPLE, random=1, only=[3]),
    lambda: symbp.grade_layers(EXAMPLE, random=1, config=3),
    lambda: symbp.grade_layers(EXAMPLE, random=1, timeout=0),
    lambda: symbp.LAYERS["batch"],
    lambda: symbp.ACTIVATIONS["relu6"],
])
def test_bad_api_arguments_are_one_symbp_sentence(call):
    with pytest.raises(symbp.SymbpError) as raised:
        call()
    assert len(str(raised.value).splitlines()) == 1


def test_an_unknown_table_name_is_still_a_key_error():
    with pytest.raises(KeyError, match="'relu6' is not an activation; expected one of"):
        symbp.ACTIVATIONS["relu6"]


def test_a_layer_may_be_named_or_given_as_a_dict():
    assert symbp.verify_layer("dx = dout * step(x)", "relu").verdict == "proved"
    result = symbp.verify_layer("dbeta = sum(dout, axis=0)", {"name": "batchnorm", "N": 3})
    assert result.verdict == "proved"
    derivation = symbp.derive_layer("relu", format="markdown")
    assert derivation.equations[-1].formula == "dx = dout * step(x)"
