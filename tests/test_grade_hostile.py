"""``symbp grade`` against hostile and unlucky functions (issue 18): every
case ends in a clean report (a verdict per key, exit 1) or one sentence, never
a traceback, a hang or a false verdict, and FUNC's prints never reach the
JSON document.  Users' functions run in a child process
(symbp.grading.sandbox); the truth and the comparison in symbp's own.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp import grade
from symbp.grading.report import GradeReport
from symbp.network import Network

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NET = ["--layers", "2,1", "--output", "identity", "--reduction", "sum"]

HOSTILE = textwrap.dedent('''
    import os, sys, time
    import numpy as np

    def right(params, x, y):
        delta = params["W1"] @ x + params["b1"] - y
        return {"W1": delta @ x.T, "b1": delta.sum(axis=1, keepdims=True)}

    def longdouble(params, x, y):
        return {k: v.astype(np.longdouble) for k, v in right(params, x, y).items()}

    def patches_numpy(params, x, y):
        np.abs = lambda v: np.zeros_like(v)
        np.max = lambda *args, **kwargs: 0.0
        np.isfinite = lambda v: np.ones_like(v, dtype=bool)
        return {k: 2 * v for k, v in right(params, x, y).items()}

    def exits(params, x, y):
        os._exit(0)

    class Stop(BaseException):
        pass

    def base_exception(params, x, y):
        raise Stop("stop")

    def generator_exit(params, x, y):
        raise GeneratorExit

    class NoArray:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no array")

    def array_raises(params, x, y):
        return {"W1": NoArray(), "b1": NoArray()}

    class Locked(dict):
        def __getitem__(self, key):
            raise KeyError(key)
        def items(self):
            raise RuntimeError("locked")

    def dict_raises(params, x, y):
        return Locked(right(params, x, y))

    def closes_stdout(params, x, y):
        sys.stdout.close()
        sys.__stdout__.close()
        return right(params, x, y)

    def prints(params, x, y):
        print('{"ok": true}')
        print("debug", x.shape, file=sys.stderr)
        sys.__stdout__.write("below print\\n")
        return right(params, x, y)

    def sleeps(params, x, y):
        time.sleep(60)
''')


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "hostile.py"
    path.write_text(HOSTILE)
    return str(path)


def test_a_right_longdouble_gradient_is_right(cli, hostile):
    status, doc = cli.json("grade", f"{hostile}:longdouble", *NET)
    assert status == 0, doc
    assert {k["dtype"] for k in doc["report"]["keys"]} == {str(np.dtype(np.longdouble))}


def test_patching_numpy_in_func_cannot_make_a_wrong_gradient_pass(cli, hostile):
    status, doc = cli.json("grade", f"{hostile}:patches_numpy", *NET)
    assert status == 1
    assert {k["diagnosis"]["factor"] for k in doc["report"]["keys"]} == {"2"}
    # in this process too (the Python API): NumPy is put back after the call
    import importlib.util
    spec = importlib.util.spec_from_file_location("hostile_here", hostile)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = grade(module.patches_numpy, Network(layers=[2, 1], output="identity",
                                                 reduction="sum"))
    assert not report.ok and np.abs(-2.0) == 2.0


@pytest.mark.parametrize("function,fragment", [
    ("base_exception", "FUNC raised Stop at "),
    ("generator_exit", "FUNC raised GeneratorExit at "),
    ("array_raises", "a NoArray symbp cannot read (reading it raised RuntimeError: no array)"),
    ("dict_raises", "a Locked symbp cannot read (reading it raised RuntimeError: locked)"),
])
def test_hostile_returns_get_a_clean_report(cli, hostile, function, fragment):
    status, out, err = cli("grade", f"{hostile}:{function}", *NET)
    assert status == 1 and err == "", err
    assert fragment in out and "Traceback" not in out
    assert out.strip().splitlines()[-1] == "wrong: W1, b1 on layers [2, 1]"


def test_func_closing_stdout_is_graded(cli, hostile):
    status, out, err = cli("grade", f"{hostile}:closes_stdout", *NET)
    assert status == 0 and err == "" and "every gradient right" in out


def test_funcs_prints_are_kept_apart_from_the_json(cli, hostile):
    status, out, err = cli("grade", f"{hostile}:prints", *NET, "--json")
    assert status == 0 and err == ""
    doc = json.loads(out)
    assert doc["ok"] and doc["output"] == '{"ok": true}\ndebug (2, 1)\n'
    status, out, _ = cli("grade", f"{hostile}:prints", *NET)
    assert 'FUNC printed 2 line(s):\n  | {"ok": true}\n  | debug (2, 1)' in out


def run_symbp(*argv, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "symbp", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_os_exit_in_func_is_reported_not_exit_0(hostile):
    done = run_symbp("grade", f"{hostile}:exits", *NET)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the process ended during the call (exit status 0)" in done.stdout
    assert done.stderr == ""


def test_a_func_past_the_time_limit_is_a_verdict(cli, hostile):
    status, out, err = cli("grade", f"{hostile}:sleeps", *NET, "--timeout", "0.5")
    assert status == 1 and err == ""
    assert "did not finish within 0.5 s (the time limit)" in out and "--timeout 0.5" in out
    status, _, err = cli("grade", f"{hostile}:right", *NET, "--timeout", "0")
    assert status == 2 and "--timeout" in err


@pytest.mark.usefixtures("hostile")
def test_a_hypothesis_py_beside_the_users_file_is_not_imported(tmp_path):
    (tmp_path / "hypothesis.py").write_text("raise ImportError('not the library')\n")
    done = run_symbp("grade", "hostile.py:right", *NET, "--random", 3, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every gradient right" in done.stdout


# -- fuzz: functions returning anything ---------------------------------------------------------

class Hostile:
    """An object whose every dunder raises."""

    def __array__(self, *args, **kwargs):
        raise ValueError("no")

    def __len__(self):
        raise TypeError("no")

    def __iter__(self):
        raise RuntimeError("no")

    def __eq__(self, other):
        raise RuntimeError("no")

    def __hash__(self):
        raise RuntimeError("no")

    def __repr__(self):
        raise RuntimeError("no")

    def __float__(self):
        raise RuntimeError("no")


class RaisingDict(dict):
    def __getitem__(self, key):
        raise KeyError(key)

    def items(self):
        raise KeyboardInterruptLike("no")


class KeyboardInterruptLike(BaseException):
    pass


DTYPES = ["float64", "float32", "float16", "longdouble", "int8", "uint64", "bool", "complex64",
          "U3", "S2", "object", "datetime64[s]", [("a", "f8"), ("b", "i4")]]
SHAPES = [(), (1,), (2,), (2, 1), (1, 2), (2, 2), (1, 1), (0,), (2, 0), (2, 1, 1), (3, 4)]


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(st.sampled_from(SHAPES))
    values = np.zeros(shape, dtype=dtype)
    if dtype.kind in "fc" and values.size:
        with np.errstate(over="ignore"):   # -1e308 overflows to -inf in float16: fine here
            values = values + draw(st.sampled_from([0.5, np.nan, np.inf, -1e308]))
    return values


LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                   st.binary(max_size=3), st.complex_numbers(), arrays(),
                   st.builds(Hostile), st.just(RaisingDict(W1=1)),
                   st.sampled_from([np.longdouble(1.5), np.float16(2), np.int64(3)]))
KEYS = st.one_of(st.sampled_from(["W1", "b1", "dW1", "db1", "w1", "grad_W1", "W0", "dA1",
                                  "cache", "\x1b[2J"]), st.integers(-2, 2), st.none(),
                 st.tuples(st.integers(0, 2)))
OBJECTS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(KEYS, inner, max_size=5)), max_leaves=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(OBJECTS)
def test_random_returns_only_ever_give_clean_reports(returned):
    net = Network(layers=[2, 1], output="identity", reduction="sum")
    report = grade(lambda _params, _x, _y: returned, net)
    assert isinstance(report, GradeReport)
    assert "\n" in str(report) and all(isinstance(k.ok, bool) for k in report.keys)
    json.dumps(report.to_json(), allow_nan=False, default=str)


FUZZ_MODULE = textwrap.dedent('''
    import random
    import numpy as np

    class Raising:
        def __array__(self, *args, **kwargs):
            raise ValueError("no")

    class Locked(dict):
        def items(self):
            raise RuntimeError("locked")

    def leaf(rng):
        choice = rng.randrange(9)
        if choice == 0:
            return np.ones(rng.choice([(), (2,), (2, 1), (1, 2), (3, 3)]),
                           dtype=rng.choice(["float32", "longdouble", "int8", "U1", "complex64"]))
        return [None, "text", 1.5, float("nan"), Raising(), Locked(a=1), b"by", 2 ** 70][choice - 1]

    def build(rng, depth=0):
        if depth > 3 or rng.random() < 0.4:
            return leaf(rng)
        kind = rng.randrange(3)
        items = [build(rng, depth + 1) for _ in range(rng.randrange(4))]
        if kind == 0:
            return items
        if kind == 1:
            return tuple(items)
        keys = ["W1", "b1", "dW1", "db1", "dA1", 3, None]
        return {rng.choice(keys): item for item in items}

    calls = [0]

    def anything(params, x, y):
        calls[0] += 1
        return build(random.Random(calls[0]))
''')


def test_random_returns_through_the_child_process_give_clean_reports(tmp_path):
    from symbp.grading.sandbox import UserProcess
    (tmp_path / "fuzzed.py").write_text(FUZZ_MODULE)
    net = Network(layers=[2, 1], output="identity", reduction="sum")
    with UserProcess(tmp_path / "fuzzed.py", timeout=20) as user:
        func = user.function("anything")
        for _ in range(60):
            report = grade(func, net)
            assert not report.ok or report.error is None
            json.dumps(report.to_json(), allow_nan=False, default=str)


def test_control_characters_in_returned_keys_are_escaped(cli, tmp_path):
    (tmp_path / "spoof.py").write_text(
        'def grads(params, x, y):\n    return {"\\x1b[2J\\rW1": 1.0}\n')
    status, out, _ = cli("grade", f"{tmp_path / 'spoof.py'}:grads", *NET)
    assert status == 1 and "\x1b" not in out and "\r" not in out
    assert "\\x1b[2J\\rW1" in out
