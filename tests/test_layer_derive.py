"""symbp derive --layer: a layer's backward pass step by step, every line
checked, LaTeX compiled by the real pdflatex, Markdown, notebook reprs."""

from __future__ import annotations

import re
import subprocess

import pytest

from symbp.derivation.layer_derive import derive_layer
from symbp.derivation.layer_graphs import GRAPHS, LayerGraph
from symbp.layers.formulas import SizedLayer

KRATZERT_NODES = ["mu", "xmu", "sq", "var", "sqrtvar", "ivar", "xhat", "gammax", "out"]


def test_batchnorm_latex_compiles_with_pdflatex(cli, tmp_path, require_tool):
    require_tool("pdflatex", "texlive-latex-base")
    tex = tmp_path / "batchnorm.tex"
    code, out, err = cli("derive", "--layer", "batchnorm", "--format", "latex",
                         "--standalone", "-o", tex)
    assert (code, out, err) == (0, "", "")
    source = tex.read_text()
    assert source.startswith("\\documentclass") and source.rstrip().endswith("\\end{document}")
    done = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", tex.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "batchnorm.pdf").stat().st_size > 1000


def test_batchnorm_is_kratzerts_nine_nodes_then_his_steps_then_the_compact_form():
    d = derive_layer(SizedLayer.of("batchnorm", N=4, D=3), format="markdown")
    formulas = [eq.formula for eq in d.equations]
    assert [f.split(" =")[0] for f in formulas[:9]] == KRATZERT_NODES
    steps = [re.sub(r"^step (\d+): ", r"\1 ", eq.name) for eq in d.equations[9:]]
    assert steps[:3] == ["9 dgammax", "9 dbeta", "8 dgamma"]
    assert "dsq = ones(N, D) * dvar / N" in formulas
    assert "dxmu = dxhat * ivar + 2 * xmu * dsq" in formulas      # both paths into xmu
    assert "dx = dxmu + ones(N, D) * dmu / N" in formulas
    assert any(f.startswith("dx = (1/N) * gamma / sqrt(var + eps)") for f in formulas)
    assert all(eq.verdict == "proved for every N and D" for eq in d.equations)
    assert "### Step 5: sqrtvar" in d.text and r"\frac{\partial \mathit{sqrtvar}}" in d.text
    assert d.text.count("| $") >= len(formulas) - 9   # the summary table


# lines SymPy cannot reduce to 0 over symbolic entries, so they hold (at sampled points):
# the categorical cross-entropy's compact dx is true because y is one-hot (x * onehot(y)
# summed over a row is the label's entry); |y - x| and its sign stay unreduced
HOLDS_ONLY = {"categorical_crossentropy": ("compact",), "mae": ("node", "step", "compact")}


@pytest.mark.parametrize("name", sorted(set(GRAPHS) - {"batchnorm"}))
def test_every_layer_with_a_graph_derives_with_every_line_checked(name):
    d = derive_layer(SizedLayer.of(name), format="markdown")
    assert d.equations
    for eq in d.equations:
        holds = eq.name.startswith(HOLDS_ONLY.get(name, ()))
        assert eq.verdict.startswith("holds" if holds else "proved"), (eq.name, eq.verdict)
    grads = {f"d{op}" for op in ("x", "w", "b", "gamma", "beta", "y", "scores")}
    assert {eq.formula.split(" =")[0] for eq in d.equations} & grads


def test_a_line_that_fails_its_check_stops_the_derivation_and_nothing_is_written(
        cli, tmp_path, monkeypatch):
    monkeypatch.setitem(GRAPHS, "dropout", LayerGraph(("out = x * mask * p",)))
    target = tmp_path / "dropout.md"
    code, out, err = cli("derive", "--layer", "dropout", "--format", "markdown", "-o", target)
    assert code == 1 and out == "" and not target.exists()
    assert "the node 1 equation 'out = x * mask * p' is refuted" in err


@pytest.mark.parametrize("argv,words", [
    (["--layer", "batchnorm", "--expand"], "--expand"),
    (["--layer", "conv"], "'conv' is not a layer"),
    (["--layer", "batchnorm", "--p", "0.5"], "has no p"),
])
def test_bad_layer_derive_options_are_exit_2(cli, argv, words):
    code, out, err = cli("derive", *argv)
    assert code == 2 and out == "" and words in err


def test_notebook_reprs_show_the_checked_equations():
    d = derive_layer(SizedLayer.of("softmax_loss", N=2, C=3))
    assert d._repr_markdown_().startswith("# Backpropagation through softmax_loss")
    latex = d._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and r"\operatorname{onehot}(y)" in latex
    assert latex.count("\\\\") == len(d.equations) - 1
