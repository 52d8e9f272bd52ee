"""symbp derive: checked derivations as LaTeX (compiled with the real pdflatex)
and Markdown, through the public API and the real command line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

import symbp
from symbp.network import Network

REQUIRE_TOOLS = os.environ.get("SYMBP_REQUIRE_TOOLS") == "1"


def needs_pdflatex():
    if shutil.which("pdflatex") is None:
        if REQUIRE_TOOLS:
            pytest.fail("pdflatex is missing but SYMBP_REQUIRE_TOOLS=1")
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-base)")


# the networks issue 5 names, plus the loss/activation pairs that cancel
COMPILED = {
    "sigmoid-half_sse-column": ["--layers", "2,3,2"],
    "relu-softmax-cce": ["--layers", "2,4,3,2", "--hidden", "relu", "--output", "softmax",
                         "--loss", "cce"],
    "row-sse-sum-batch2": ["--layers", "3,2,2", "--layout", "row", "--loss", "sse",
                           "--reduction", "sum", "--batch", "2"],
    "tanh-identity-batch4-mean": ["--layers", "2,3,2", "--hidden", "tanh", "--output",
                                  "identity", "--batch", "4", "--reduction", "mean"],
}


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_standalone_latex_compiles_with_pdflatex(cli, name, tmp_path):
    needs_pdflatex()
    tex = tmp_path / "derivation.tex"
    code, out, err = cli("derive", *COMPILED[name], "--standalone", "-o", str(tex))
    assert (code, err) == (0, "")
    assert out == ""
    source = tex.read_text()
    assert source.startswith("\\documentclass") and source.rstrip().endswith("\\end{document}")
    assert "mathtools" not in source and "{standalone}" not in source
    done = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode",
                           tex.name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "derivation.pdf").stat().st_size > 1000


SPREAD = [
    Network(layers=[2, 3, 1]),
    Network(layers=[2, 4, 3, 2], hidden="relu", output="softmax", loss="cce"),
    Network(layers=[3, 2, 2], layout="row", loss="sse", reduction="sum", batch=2),
    Network(layers=[2, 3, 2], hidden="tanh", output="identity", batch=4),
    Network(layers=[2, 2, 1], loss="bce"),
    Network(layers=[2, 3, 3], hidden="leaky_relu", output="softmax", loss="half_sse",
            batch=3, layout="row"),
    Network(layers=[3, 2, 2], hidden="softplus", output="tanh", loss="l1", bias=False),
    Network(layers=[2, 2], output="sigmoid", loss="cce", batch=2, reduction="sum"),
    Network(layers=[1, 2, 2, 1], hidden="sigmoid", output="identity", loss="mse"),
]


@pytest.fixture(scope="module")
def derivations():
    return [(net, symbp.derive(net, format="latex")) for net in SPREAD]


def test_every_equation_printed_is_proved_or_holds(derivations):
    for net, derivation in derivations:
        assert derivation.equations, net
        for equation in derivation.equations:
            # verify again, from the formula alone, as a user would
            result = symbp.verify(equation.formula, net)
            assert result.verdict in ("proved", "holds"), (str(net), equation.formula)
            assert equation.latex in derivation.text, equation.formula


def test_the_document_derives_every_gradient_of_the_network(derivations):
    for net, derivation in derivations:
        lefts = {e.formula.split("=")[0].strip() for e in derivation.equations}
        for l in range(1, net.depth + 1):
            assert {f"delta[{l}]", f"dW[{l}]"} <= lefts, str(net)
            assert (f"db[{l}]" in lefts) == net.bias
        assert "\\section*{Summary}" in derivation.text


def test_batch_reduction_and_layout_transposes():
    mean = symbp.derive(Network(layers=[2, 3, 2], batch=4, reduction="mean"))
    formulas = [e.formula for e in mean.equations]
    assert "dW[1] = (1/m) * delta[1] @ x.T" in formulas
    assert "db[2] = (1/m) * sum(delta[2], axis=1)" in formulas
    row = symbp.derive(Network(layers=[2, 3, 2], batch=2, reduction="sum", layout="row"))
    formulas = [e.formula for e in row.equations]
    assert "dW[2] = a[1].T @ delta[2]" in formulas
    assert "da[1] = delta[2] @ W[2].T" in formulas
    assert "db[1] = sum(delta[1], axis=0)" in formulas


@pytest.mark.parametrize("fields", [{"output": "softmax", "loss": "cce"},
                                    {"output": "sigmoid", "loss": "bce"}])
def test_cancellation_to_a_minus_y(fields):
    net = Network(layers=[2, 3, 2], **fields)
    derivation = symbp.derive(net, format="markdown")
    assert "delta[2] = a[2] - y" in [e.formula for e in derivation.equations]
    assert "\\delta^{[2]} = a^{[2]} - y" in derivation.text
    # the scalar chain rule, simplified by SymPy, ends in the same cancellation
    assert re.search(r"\\delta_j = (.*= )?a_j - y_j$", derivation.text, flags=re.MULTILINE)


def test_softmax_explains_the_full_jacobian():
    text = symbp.derive(Network(layers=[2, 3], output="softmax", loss="half_sse")).text
    assert "Jacobian" in text
    assert "\\operatorname{diag}(s) - s s^{\\top}" in text


def test_no_cancellation_is_claimed_where_there_is_none():
    derivation = symbp.derive(Network(layers=[2, 2], output="sigmoid", loss="half_sse"))
    assert "delta[1] = a[1] - y" not in [e.formula for e in derivation.equations]
    assert "cancels" not in derivation.text


def test_activation_derivatives_are_written_out():
    sigmoid = symbp.derive(Network(layers=[1, 2, 1], hidden="sigmoid")).text
    assert "\\sigma(z) \\left(1 - \\sigma(z)\\right)" in sigmoid
    tanh = symbp.derive(Network(layers=[1, 2, 1], hidden="tanh", output="identity"))
    assert "delta[1] = (W[2].T @ delta[2]) * (1 - a[1]**2)" in [e.formula for e in tanh.equations]
    relu = symbp.derive(Network(layers=[1, 2, 1], hidden="relu", output="identity"))
    assert "\\operatorname{step}" in relu.text
    softplus = symbp.derive(Network(layers=[1, 2, 1], hidden="softplus", output="identity"))
    assert "delta[1] = (W[2].T @ delta[2]) * sigmoid(z[1])" in [
        e.formula for e in softplus.equations]


def test_markdown_uses_display_blocks_and_katex_commands(cli):
    code, out, err = cli("derive", "--layers", "2,3,2", "--format", "markdown",
                         "--output", "softmax", "--loss", "cce")
    assert (code, err) == (0, "")
    assert out.startswith("# ")
    blocks = re.findall(r"^\$\$\n(.*?)\n\$\$$", out, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 10
    assert out.count("$$") == 2 * len(blocks)
    for command in ("\\documentclass", "\\bm", "\\section", "\\begin{align*}", "\\tag"):
        assert command not in out
    assert "| quantity | equation | shape | check |" in out


def test_latex_fragment_by_default_and_jupyter_reprs(cli):
    code, out, _err = cli("derive", "--layers", "2,2")
    assert code == 0 and "\\documentclass" not in out and "\\section*{" in out
    derivation = symbp.derive(Network(layers=[2, 2]))
    assert str(derivation) == derivation.text
    # notebooks: Markdown of the whole document, and the equations in MathJax's LaTeX
    assert derivation._repr_markdown_().startswith("# Backpropagation")
    assert "\\section" not in derivation._repr_latex_()
    assert symbp.derive(Network(layers=[2, 2]), format="markdown")._repr_markdown_()


def test_expand_has_one_checked_line_per_weight():
    net = Network(layers=[3, 2, 2], batch=2, layout="row")
    text = symbp.derive(net, format="markdown", expand=True).text
    for l in (1, 2):
        rows, cols = net.shape("W", l)
        weights = re.findall(rf"\\partial W\^\{{\[{l}\]\}}_\{{\d\d\}}", text)
        assert len(weights) == rows * cols
    assert "\\begin{bmatrix}" in text


def test_expand_refuses_wide_networks(cli):
    code, out, err = cli("derive", "--layers", "2,5,1", "--expand")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "4" in err


def test_o_writes_the_whole_file(cli, tmp_path):
    target = tmp_path / "d.md"
    code, out, err = cli("derive", "--layers", "2,2,1", "--format", "markdown",
                         "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text() == symbp.derive(Network(layers=[2, 2, 1]),
                                              format="markdown").text
    assert [p.name for p in tmp_path.iterdir()] == ["d.md"]


def test_a_failed_check_writes_nothing_and_names_the_equation(cli, tmp_path, monkeypatch):
    import symbp.derivation.checked

    real = symbp.derivation.checked.verify

    def refute_bias_gradients(formula, net, *args, **kwargs):
        result = real(formula, net, *args, **kwargs)
        if formula.startswith("db[1]"):
            result.verdict = "refuted"
        return result
    monkeypatch.setattr(symbp.derivation.checked, "verify", refute_bias_gradients)
    target = tmp_path / "d.tex"
    target.write_text("old")
    code, out, err = cli("derive", "--layers", "2,2,1", "-o", str(target))
    assert code == 1 and out == ""
    assert "db[1] = delta[1]" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["d.tex"]
    with pytest.raises(symbp.SymbpError) as raised:
        symbp.derive(Network(layers=[2, 2, 1]))
    assert raised.value.exit_code == 1


@pytest.mark.parametrize("argv", [
    ["--layers", "2,2", "--format", "html"],
    ["--layers", "2"],
    ["--layers", "2,2", "--hidden", "cosine"],
    ["--layers", "2,2", "--format", "markdown", "--standalone"],
    ["--layers", "2,2", "--output", "identity", "--loss", "cce"],
    ["--format", "latex"],
])
def test_invalid_options_exit_2_with_one_sentence(cli, argv, tmp_path):
    target = tmp_path / "never.tex"
    code, out, err = cli("derive", *argv, "-o", str(target))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not target.exists()


def test_real_command_line():
    done = subprocess.run([sys.executable, "-m", "symbp", "derive", "--layers", "2,2,1",
                           "--loss", "bce", "--format", "markdown"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "a^{[2]} - y" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "symbp", "derive", "--layers", "2,0"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_wide_networks_and_large_batches_are_proved_for_every_size():
    # the proofs for every size cost the same at every width and batch
    from symbp.derivation.checked import PROOF_MAX_PARAMETERS
    wide = symbp.derive(Network(layers=[12, 20, 6], batch=32))
    assert (12 * 20 + 20 + 20 * 6 + 6) * 32 > PROOF_MAX_PARAMETERS
    assert {e.verdict for e in wide.equations} == {"proved"}
    small = symbp.derive(Network(layers=[2, 3, 1]))
    assert {e.verdict for e in small.equations} == {"proved"}


def test_an_equation_true_for_this_size_only_is_proved_with_its_sizes_at_any_batch():
    # mse over one output unit: da[L] = 2 (a - y), true for n[L] = 1 only: no
    # proof for every size, but one with the network's own sizes, whose cost
    # does not grow with the batch either
    from symbp.verification.verdicts import verify
    for batch in (1, 64):
        narrow = Network(layers=[3, 2, 1], output="identity", loss="mse", batch=batch)
        equations = [e for e in symbp.derive(narrow).equations if e.formula.startswith("da[2]")]
        assert [e.formula for e in equations] == ["da[2] = 2*(a[2] - y)"]
        assert equations[0].verdict == "proved"
        assert verify(equations[0].formula, narrow).general.verdict == "refuted"
