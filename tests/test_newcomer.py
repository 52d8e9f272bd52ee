"""derive and the notation as a newcomer meets them (issue 17): sentences that
read right, identities printed once, maths-style typos answered with the
notation's spelling, help that points to the notation, and derivations that
render in a real notebook.
"""

import os

import pytest

import symbp
from symbp.errors import FormulaError
from symbp.network import Network
from symbp.notation.parser import parse_formula


def markdown(cli, *options):
    status, out, err = cli("derive", *options, "--format", "markdown")
    assert status == 0, err
    return out


def test_the_reduction_sentence_reads_right_for_one_sample(cli):
    since = [line for line in markdown(cli, "--layers", "2,2,1").splitlines()
             if line.startswith("Since")]
    assert len(since) == 1
    assert "reduced by with" not in since[0]
    assert "with $m = 1$ the mean over the samples is that one sample's gradient" in since[0]


def test_without_biases_the_gradients_are_linear_in_w_only(cli):
    text = markdown(cli, "--layers", "2,2,1", "--no-bias")
    assert r"linear in $W^{[l]}$," in text and "b^{[l]}" not in text


@pytest.mark.parametrize("hidden,identity", [
    ("tanh", r"\tanh'(z) = 1 - \tanh\left(z\right)^{2}"),
    ("sigmoid", (r"\sigma'(z) = \frac{e^{- z}}{\left(1 + e^{- z}\right)^{2}} = "
                 r"\sigma(z) \left(1 - \sigma(z)\right)")),
])
def test_identities_are_printed_once(cli, hidden, identity):
    lines = [line for line in markdown(cli, "--layers", "2,2,1", "--hidden", hidden).splitlines()
             if line.startswith(identity.split("=")[0])]
    assert lines and all(line == identity for line in lines), lines


def test_the_chain_rule_product_is_not_repeated(cli):
    text = markdown(cli, "--layers", "2,1")
    line = next(line for line in text.splitlines() if line.startswith(r"\delta_j ="))
    parts = [part.strip() for part in line.split(" = ")]
    assert len(parts) == len(set(parts))


@pytest.mark.parametrize("formula,hint", [
    ("delta[L] = da[L] * sigmoid'(z[L])", "write sigmoid_prime(...) for the derivative"),
    ("delta[L] = da[L] * sigma'(z[L])", "write sigma_prime(...)"),
    ("dW[2] = delta[2] @ a[1]^T", "write X.T for the transpose"),
    ("delta[2] = a[2]^2", "write ** for a power"),
    ("dW[2] = dW2", "write dW[2]"),
    ("dW[l] = delta[l] @ al.T", "write a[l]"),
])
def test_maths_habits_get_the_notations_spelling(formula, hint):
    with pytest.raises(FormulaError) as raised:
        parse_formula(formula)
    message = str(raised.value)
    assert hint in message
    assert "unterminated" not in message and "syntax error" not in message


def test_a_typo_is_one_sentence_on_the_command_line(cli):
    status, _, err = cli("verify", "--formula", "delta[L] = da[L] * sigmoid'(z[L])",
                         "--layers", "2,2")
    assert status == 2 and "sigmoid_prime" in err and "Traceback" not in err


def test_lambda_is_the_weight_decay_in_formulas():
    net = Network(layers=[2, 2], l2=0.5)
    assert symbp.verify("dW[1] = delta[1] @ x.T + lambda * W[1]", net).verdict == "proved"
    assert symbp.verify("dW[1] = delta[1] @ x.T", net).verdict == "refuted"
    assert symbp.verify("dW[1] = delta[1] @ x.T", net.replace(l2=0.0)).verdict == "proved"


def test_verify_help_points_to_the_notation(cli):
    status, out, _ = cli("verify", "--help")
    out = " ".join(out.split())   # argparse wraps the lines
    assert status == 0
    assert "notation" in out and "docs/contract.md section 2" in out and ".T" in out


def test_derive_output_with_a_file_name_says_which_option(cli):
    status, out, err = cli("derive", "--layers", "2,2", "--output", "d.tex")
    assert status == 2 and out == ""
    assert "-o d.tex" in err and "not an activation" not in err


NOTEBOOK_CELLS = [
    "import symbp\nnet = symbp.Network(layers=[1, 1], output='identity')",
    "symbp.derive(net)",
    "symbp.derive(net, standalone=True)",
]


def test_derivations_render_in_a_real_notebook(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    exporters = pytest.importorskip("nbconvert")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS])
    from nbclient import NotebookClient
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # the kernel imports this checkout's symbp
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get(
        "PYTHONPATH")])))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in notebook.cells[1:]:
        data = cell.outputs[0]["data"]
        # every derivation, the standalone article included, has a rich display
        assert "text/markdown" in data and "text/latex" in data
        for text in (data["text/markdown"], data["text/latex"]):
            assert "\\section" not in text and "tabular" not in text and "\\textbf" not in text
    html, _ = exporters.HTMLExporter().from_notebook_node(notebook)
    # the HTML shows the Markdown rendering: headings, and $$ maths for MathJax
    assert 'id="Forward-pass"' in html or ">Forward pass</h2>" in html
    assert "$$" in html and "\\section*" not in html


class FakeTerminal:
    """A stream that says it is a terminal, as stderr is in an interactive shell."""

    def __init__(self):
        import io
        self.buffer = io.StringIO()

    def isatty(self):
        return True

    def write(self, text):
        return self.buffer.write(text)

    def flush(self):
        pass


def test_progress_is_drawn_on_a_terminal_only():
    import io

    from symbp.cli.common import Output
    terminal = FakeTerminal()
    with Output(io.StringIO(), terminal).progress(3, "grade") as step:
        for done in (1, 2, 3):
            step(done)
    assert "grade" in terminal.buffer.getvalue() and "3/3" in terminal.buffer.getvalue()
    piped = io.StringIO()
    with Output(io.StringIO(), piped).progress(3, "grade") as step:
        step(1)
    assert piped.getvalue() == ""
