"""The formula notation: accepted forms, rejected forms (with their column),
and a fuzz test that no input runs code or escapes symbp's own errors."""

import os
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.errors import FormulaError, SymbpError
from symbp.network import Network
from symbp.notation.parser import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_SIZE,
    parse_expression,
    parse_formula,
)
from symbp.notation.tree import BinOp, Call, Index, Name, Neg, Number, Quantity, Transpose
from symbp.verification.verdicts import verify

W = lambda base, offset=0: Quantity("W", Index(base, offset))


# -- accepted forms ------------------------------------------------------------

@pytest.mark.parametrize("text,tree", [
    ("W[l+1].T @ delta[l+1]",
     BinOp("@", Transpose(W("l", 1)), Quantity("delta", Index("l", 1)))),
    ("dZ[L-1]", Quantity("delta", Index("L", -1))),
    ("dz[2]", Quantity("delta", Index(None, 2))),
    ("dA[0]", Quantity("da", Index(None, 0))),
    ("(1/m) * x", BinOp("*", BinOp("/", Number(Fraction(1)), Name("m")), Name("x"))),
    ("-y", Neg(Name("y"))),
    ("0.25", Number(Fraction(1, 4))),
    ("a[l]**2", BinOp("**", Quantity("a", Index("l", 0)), Number(Fraction(2)))),
    ("sum(delta[l], axis=1)", Call("sum", (Quantity("delta", Index("l", 0)),), 1)),
    ("mean(delta[l], 0)", Call("mean", (Quantity("delta", Index("l", 0)),), 0)),
    ("sum(y)", Call("sum", (Name("y"),), None)),
    ("ones(m, n[L])", Call("ones", (Name("m"), Quantity("n", Index("L", 0))))),
    ("eye(3)", Call("eye", (Number(Fraction(3)),))),
    ("outer(delta[l], a[l-1])", Call("outer", (Quantity("delta", Index("l", 0)),
                                              Quantity("a", Index("l", -1))))),
    ("relu_prime(z[1])", Call("relu_prime", (Quantity("z", Index(None, 1)),))),
])
def test_accepted_forms_parse_to_the_expected_tree(text, tree):
    assert parse_expression(text) == tree


def test_a_formula_splits_at_its_top_level_equals_sign():
    formula = parse_formula("db[l] = sum(delta[l], axis=1)")
    assert formula.left == Quantity("db", Index("l", 0))
    assert formula.right.func == "sum" and formula.right.axis == 1
    assert formula.uses_free_index()
    assert not parse_formula("delta[L] = a[L] - y").uses_free_index()


def test_columns_point_into_the_whole_formula():
    text = "delta[l] = W[l+1].T @ delta[l+1]"
    right = parse_formula(text).right
    assert right.left.column == text.index("W[l+1]") + 1
    assert right.right.column == text.index("delta[l+1]") + 1


# -- rejected forms ------------------------------------------------------------

@pytest.mark.parametrize("text,offender", [
    ("delta[l] = foo(z[l])", "foo"),
    ("delta[l] = z[l].__class__", "z[l].__class__"),
    ("delta[l] = z[l].shape", "z[l].shape"),
    ("delta[l] = __import__('os')", "__import__"),
    ("delta[l] = 'text'", "'text'"),
    ("delta[l] = lambda: 1", ": 1"),   # lambda is the weight decay here, not Python's
    ("delta[l] = W[l*2]", "l*2"),
    ("delta[l] = q", "q"),
    ("delta[l] = a[l] ** 1000", "1000"),
    ("delta[l] = ones(100000, 1)", "100000"),
    ("delta[l] = sum(z[l], axis=2)", "2)"),
    ("delta[l] = z[l] if y else x", "z[l] if y else x"),
    ("delta[l] = [x for x in y]", "[x for x in y]"),
    ("delta[l] = x = y", "= y"),
])
def test_rejected_forms_name_the_column_of_the_offending_text(text, offender):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    error = info.value
    assert error.column is not None
    assert text[error.column - 1:].startswith(offender), (error.column, str(error))
    assert str(error).startswith(f"column {error.column}: ")


@pytest.mark.parametrize("text,fragment", [
    ("delta[l]", "no '='"),
    ("delta[l] = ", "missing"),
    ("delta[l] = (z[l]", "syntax error"),
    ("delta = z[l]", "needs an index"),
    ("delta[l] = sigma(z[l], z[l])", "takes 1 argument"),
])
def test_rejected_forms_say_what_is_wrong(text, fragment):
    with pytest.raises(FormulaError, match=fragment.replace("(", r"\(")):
        parse_formula(text)


# -- caps ----------------------------------------------------------------------

PATHOLOGICAL = [
    "a[l] = " + "(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5),
    "a[l] = " + "-" * 500 + "x",
    "a[l] = x" + " + x" * (MAX_LENGTH // 4),
    f"a[l] = x ** {MAX_EXPONENT * 1000}",
    "a[l] = x ** (9 ** 9)",
    f"a[l] = ones({MAX_SIZE * 100}, {MAX_SIZE * 100})",
    f"a[l] = eye({10 ** 12})",
    "a[l] = 1" + "0" * 400,
    "a[l] = 1e400",
]


@pytest.mark.parametrize("text", PATHOLOGICAL)
def test_pathological_input_is_rejected_before_any_evaluation(text):
    net = Network(layers=[2, 2])
    with mock.patch("symbp.notation.evaluate.Evaluator.walk",
                    side_effect=AssertionError("evaluated")):
        with pytest.raises(FormulaError):
            parse_formula(text)
        result = verify(text, net)
    assert result.verdict == "error" and result.message


# -- fuzz: only symbp's errors, and no code runs ---------------------------------

SENTINEL_DIR = Path(tempfile.mkdtemp(prefix="symbp-fuzz-"))
SENTINEL = SENTINEL_DIR / "pwned"
ESCAPES = [
    f"x = __import__('os').system('touch {SENTINEL}')",
    f"x = exec(\"open('{SENTINEL}', 'w')\")",
    f"x = eval(\"__import__('os').system('touch {SENTINEL}')\")",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "x = x.__globals__",
    "x = [c for c in ().__class__.__base__.__subclasses__()]",
    f"x = open('{SENTINEL}', 'w').write('1')",
    "x = (lambda: 1)()",
    "x = sigma.__call__(x)",
    f"x = Symbol('x'); __import__('subprocess').Popen(['touch', '{SENTINEL}'])",
    "x = getattr(x, 'T')",
    "x = x.T.T.__dict__",
    "x = f'{x}'",
    "x = x[0]",
    "x = W[__import__('os').getpid()]",
    "x = sum(x, axis=__import__('os').getpid())",
    "x = b'bytes'",
    "x = {1: 2}",
    "x = x\nimport os",
    "x = x; import os",
    "x = (yield x)",
    "x = await x",
    "x = x @= x",
    "x = x := 3",
    "x = ...",
    "x = None",
    "x = True",
    "x = 1j",
    "x = 0x10",
    "x = 1_000",
]

ALPHABET = list("xymlLWbzan0123456789+-*/@().,=[]T_ 'e\"\\") + [
    "delta", "da", "dW", "db", "sigma", "sigma_prime", "sum", "mean", "axis", "ones",
    "eye", "outer", "relu", "softmax", "**", ".T", "__import__", "__class__", "os",
    "system", "lambda", "exec", "eval", ":", ";", "\n", "{", "}"]
TOKENS = st.lists(st.sampled_from(ALPHABET), max_size=30).map("".join)
NET = Network(layers=[1, 1], output="identity")


def _forbidden(*args, **_kwargs):
    raise AssertionError(f"a formula ran code: {args!r}")


def _check_only_symbp_errors(text):
    with mock.patch.object(os, "system", _forbidden), \
            mock.patch.object(subprocess, "Popen", _forbidden):
        try:
            parse_formula(text)
        except SymbpError:
            pass
        result = verify(text, NET, seeds=(0,))
    assert result.verdict in ("proved", "holds", "refuted", "error")
    if result.verdict == "error":
        assert result.message
    assert not SENTINEL.exists()


@pytest.mark.parametrize("text", ESCAPES, ids=[f"escape{i}" for i in range(len(ESCAPES))])
def test_known_escape_attempts_are_errors_and_run_nothing(text):
    _check_only_symbp_errors(text)
    assert verify(text, NET).verdict == "error"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=60))
def test_random_strings_raise_only_symbp_errors(text):
    _check_only_symbp_errors(text)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(TOKENS, TOKENS)
def test_random_token_sequences_raise_only_symbp_errors(left, right):
    _check_only_symbp_errors(f"{left} = {right}")
    _check_only_symbp_errors(left + right)
