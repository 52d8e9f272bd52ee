"""Hostile and unlucky input gets a verdict or one sentence and exit 2, never
a traceback: negative seeds, claims files that are not claims files (deep,
huge, /dev/zero, control characters), no writable temporary folder, and a
structure-aware fuzz of claims files."""

import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbp.verification.claims import CLAIM_KEYS, NETWORK_KEYS

GRADE_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "grade",
                             "two_layer_sigmoid.py:gradients")


def one_sentence(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ("check", "--layers", "2,2"),
    ("verify", "--formula", "delta[L] = a[L] - y", "--layers", "2,2"),
    ("grade", GRADE_EXAMPLE, "--layers", "3,4,2"),
])
def test_a_negative_seed_is_one_sentence(cli, argv):
    status, out, err = cli(*argv, "--seed", "-1")
    assert (status, out) == (2, "") and one_sentence(err)
    assert "--seed -1 is negative" in err


def write(folder, text: str) -> str:
    path = os.path.join(folder, "claims.toml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


@pytest.mark.parametrize("text, fragment", [
    ("x = " + "[" * 5000 + "]" * 5000, "nest too deeply"),
    ("title = " + "[" * 900 + "]" * 900, "nest too deeply"),
    ("title = [" + ", ".join(["1"] * 100_000) + "]", "'title' must be a string, not [1, 1,"),
    ("title = " + "9" * 4000, "'title' must be a string, not 9999"),
    ("title = " + "9" * 5000, "too many digits"),
    ("[" + ".".join(["a"] * 3000) + "]", "nest too deeply"),
], ids=["deep array", "deep title", "long list", "long integer", "longer integer",
        "deep table"])
def test_deep_or_huge_claims_files_are_one_short_sentence(cli, tmp_path, text, fragment):
    status, out, err = cli("verify", write(tmp_path, text))
    assert (status, out) == (2, "") and one_sentence(err)
    assert fragment in err and len(err) < 400


def test_reading_a_claims_file_is_bounded(cli):
    status, _, err = cli("verify", "/dev/zero")
    assert status == 2 and one_sentence(err)
    assert "larger than 1,000,000 bytes" in err


def test_control_characters_in_names_never_reach_the_terminal(cli, tmp_path):
    path = write(tmp_path, '[network]\nlayers = [2, 2]\n'
                           '[[claim]]\nname = "BP1\\u001b[2J\\rholds"\n'
                           'formula = "delta[L] = (a[L] - y) * sigma_prime(z[L])"\n'
                           'source = "x\\u001b[8m\\u202e"\n'
                           '[[claim]]\nname = "bad\\r"\nformula = "delta[L] = a[L] \\u001b"\n')
    status, out, err = cli("verify", path)
    assert status == 2
    for text in (out, err):
        assert not any(char in text for char in "\x1b\r\u202e")
    assert "BP1\\x1b[2J\\rholds" in out and "x\\x1b[8m\\u202e" in out
    status, _, err = cli("graph", "f = x\x1b[2K", "--at", "x=1")
    assert status == 2 and "\x1b" not in err and one_sentence(err)


def test_no_writable_temporary_folder(cli, tmp_path, monkeypatch):
    # a read-only /tmp: Hypothesis's scratch storage goes nowhere, the run goes on
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    monkeypatch.chdir(tmp_path)
    status, out, err = cli("verify", "--formula", "delta[L] = (a[L] - y) * sigma_prime(z[L])",
                           "--layers", "2,2", "--random", "2")
    assert (status, err) == (0, "") and "holds" in out or "proved" in out
    status, out, err = cli("grade", GRADE_EXAMPLE, "--layers", "3,4,2", "--random", "2")
    assert (status, err) == (0, ""), out
    assert not (tmp_path / ".hypothesis").exists()


# -- a structure-aware fuzz of claims files ------------------------------------------

def toml_value(value) -> str:
    """A value as TOML (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


names = st.text(max_size=12)       # every Unicode category, control characters included
scalars = st.one_of(
    st.integers(0, 4), st.integers(-2**70, 2**70), st.booleans(), names,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["sigmoid", "relu", "softmax", "identity", "cce", "bce", "l1", "row",
                     "sum", "proved", "holds", "refuted"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=3)), max_leaves=8)
# a value nested n deep, beyond what a parser's recursion allows when n is large
nested = st.integers(1, 1500).map(lambda n: "[" * n + "]" * n)
formulas = st.integers(0, 4).flatmap(lambda k: names if k == 4 else st.sampled_from([
    "delta[L] = a[L] - y", "dW[l] = delta[l] @ a[l-1].T", "db[L] = sum(delta[L], axis=1)",
    "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])", "delta[L] = a[L] -",
    "delta[L] = a[L]\x1b - y", "dW[1] = W[7]"]))
# right networks come from a few, so that their derivations are cached across examples
right_networks = st.fixed_dictionaries(
    {"layers": st.sampled_from([[1, 1], [2, 2], [2, 3, 1]])},
    optional={"hidden": st.sampled_from(["tanh", "relu"]), "loss": st.just("sse"),
              "output": st.sampled_from(["sigmoid", "softmax", "identity"]),
              "batch": st.integers(1, 2), "layout": st.just("row"), "bias": st.booleans()})
right_claims = st.fixed_dictionaries({"formula": formulas}, optional={
    "name": names, "source": names, "expect": st.sampled_from(["proved", "holds", "refuted"]),
    "network": right_networks})


def spoiled(table: dict, allowed: dict):
    """``table`` with one key's value replaced by any value, or a key added."""
    return st.tuples(st.one_of(st.sampled_from(sorted(allowed)), names), values).map(
        lambda pair: {**table, pair[0]: pair[1]})


def tables(right, allowed: dict):
    """Mostly ``right``; one in four with a wrong key or value."""
    return st.integers(0, 3).flatmap(
        lambda k: right.flatmap(lambda table: spoiled(table, allowed)) if k == 3 else right)


networks = tables(right_networks, NETWORK_KEYS)
claims = tables(right_claims, CLAIM_KEYS)
documents = tables(st.fixed_dictionaries(
    {"network": networks, "claim": st.lists(claims, min_size=1, max_size=2)},
    optional={"title": names}), {"title": str, "network": dict, "claim": list})
# sometimes a title nested deeper than a parser's recursion allows
deep_titles = st.integers(0, 5).flatmap(
    lambda k: st.integers(1, 1500).map(lambda n: "[" * n + "]" * n) if k == 5 else st.none())


def render(document, deep) -> str:
    """The document as TOML; ``deep`` (a deeply nested array) replaces its title."""
    lines = [f"{toml_value(k)} = {toml_value(v)}" for k, v in document.items() if k != "title"]
    if deep is not None or "title" in document:
        lines.insert(0, "title = " + (deep or toml_value(document["title"])))
    return "\n".join(lines)


@settings(max_examples=60, suppress_health_check=list(HealthCheck))
@given(documents, deep_titles, st.integers(0, 20))
def test_random_claims_files_get_verdicts_or_one_sentence(document, deep, cut):
    from symbp.cli.main import main
    text = render(document, deep)
    if cut == 20:
        text = text[: len(text) // 2]     # a file cut short
    with tempfile.TemporaryDirectory() as folder:
        import io
        out, err = io.StringIO(), io.StringIO()
        status = main(["verify", write(folder, text)], stdout=out, stderr=err)
    assert status in (0, 1, 2)
    assert "Traceback" not in err.getvalue()
    if status == 2:
        assert len(err.getvalue().strip().splitlines()) == 1
    assert not any(char in out.getvalue() + err.getvalue() for char in "\x1b\r")
