"""Backprop formulas as textbooks state them (examples/textbooks.toml): the
claims file meets every expectation, a formula pasted in a textbook's
typography gets one plain sentence (what is not supported, where, how to
write it), and the slips the texts warn about get a diagnosis that names them.
"""

import io
import json
import tomllib
from pathlib import Path

import pytest

import symbp
from symbp.cli.main import main
from symbp.errors import FormulaError
from symbp.network import Network
from symbp.notation.parser import parse_formula

TEXTBOOKS = Path(__file__).resolve().parent.parent / "examples" / "textbooks.toml"


@pytest.fixture(scope="module")
def textbooks():
    """``symbp verify examples/textbooks.toml --json`` on the real command
    line, in process (about 9 s on 2 cores; the whole file, since it is
    under the 20 s a test may take): (status, claims by name)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(["verify", str(TEXTBOOKS), "--json"], stdout=out, stderr=err)
    assert err.getvalue() == ""
    return status, {claim["name"]: claim for claim in json.loads(out.getvalue())["claims"]}


def test_every_textbook_claim_meets_its_expectations(textbooks):
    status, claims = textbooks
    stated = tomllib.loads(TEXTBOOKS.read_text(encoding="utf-8"))["claim"]
    assert [claim["name"] for claim in stated] == list(claims)
    assert status == 0 and [name for name, claim in claims.items() if not claim["met"]] == []
    # every claim says where it is from and what it should get, for its network and every size
    assert all(claim.get("source") and claim.get("expect") and claim.get("expect_general")
               for claim in stated)
    assert len(claims) >= 40


def test_the_texts_asked_for_are_all_there(textbooks):
    _, claims = textbooks
    texts = {name.split()[0].removesuffix("'s").removesuffix(":") for name in claims}
    assert {"GBC", "PRML", "Ng", "UFLDL", "cs231n", "d2l", "Zhou", "Qiu", "RHW", "PDP"} <= texts
    verdicts = {claim["verdict"] for claim in claims.values()}
    generals = {claim["general"]["verdict"] for claim in claims.values()}
    assert verdicts == generals == {"proved", "refuted"}


# the slips of the file and the diagnosis each gets, on its network and for every
# size; two slips need more than one edit and get none on their own network
SLIPS = {
    "GBC's f'(a(k)) read with symbp's a (notation clash)": "prime_at_a",
    "PRML (5.56) with w_jk for w_kj (a slip)": "transpose_slip",
    "PRML (5.66) with tanh' taken at a_j (a slip)": "quantity_slip",
    "Ng: g'(A[1]) for g'(Z[1]) (a slip)": "prime_at_a",
    "Ng: 1 - A1 @ A1 for 1 - A1 * A1 (a slip)": None,
    "Ng: dW2 for W2 in dZ1 (a slip)": "quantity_slip",
    "Ng: db without 1/m (a slip)": "factor",
    "Ng: 1/m twice (a slip)": "factor",
    "Ng: A[l-1] without its transpose (a slip)": "transpose_slip",
    "Ng: db summed over axis 0 (a slip)": "axis_slip",
    "Ng: lambd/m where symbp's lambda is meant (a slip)": "decay",
    "UFLDL: decay on the bias too (a slip)": "extra_term",
    "cs231n: a column-layout formula in row layout (a slip)": "layout",
    "cs231n: dscores not divided by N (a slip)": "factor",
    "cs231n: db2 summed over axis 1 (a slip)": "axis_slip",
    "cs231n: dscores (divided by N) taken for delta (a slip)": "factor",
    "cs231n: 0.5 * reg forgotten, dW += 2 * reg * W (a slip)": "decay",
    "d2l: the regularisation term forgotten (a slip)": "decay",
    "Zhou's g_j read as the gradient (a slip)": "factor",
    "squared error without the 1/2: delta = a - y (a slip)": "factor",
    "squared error with the 1/2: da = 2 (a - y) (a slip)": "factor",
    "mse: 2(a - y) without the 1/n (a slip)": "factor",
    "the activation derivative forgotten (a slip)": "missing_factor",
    "f' of the layer above (a slip)": None,
    "a[l] for a[l-1] in dW (a slip)": "quantity_slip",
    "sigma'(z) = z (1 - z) (a slip)": "quantity_slip",
    "BP1 with sigma' for a softmax output (a slip)": "softmax_jacobian",
    "delta with its sign flipped (a slip)": "factor",
    "the sigma' that the cross-entropy cancels, kept (a slip)": "extra_factor",
    "sigmoid's derivative on a tanh layer (a slip)": "derivative_slip",
    "relu's mask on a leaky relu layer (a slip)": "mask_activation",
}


def test_each_slip_of_the_file_gets_its_diagnosis(textbooks):
    _, claims = textbooks
    refuted = {name for name, claim in claims.items() if claim["verdict"] == "refuted"}
    assert refuted == set(SLIPS)
    for name, kind in SLIPS.items():
        found = claims[name]["diagnosis"]
        assert (found and found["kind"]) == kind, (name, found)
        if kind is not None:
            assert claims[name]["general"]["diagnosis"]["kind"] == kind, name


def test_the_per_example_formulas_say_they_are_off_by_m_over_a_batch(textbooks):
    _, claims = textbooks
    for name in ("Qiu (4.64): dL/dW(l) = delta(l) (a(l-1))^T",
                 "Zhou (5.11): Delta w_hj = eta g_j b_h",
                 "GBC alg. 6.4: grad_W(k) J = g h(k-1)^T + lambda grad_W Omega"):
        claim = claims[name]
        assert claim["verdict"] == "proved" and claim["general"]["verdict"] == "refuted"
        assert claim["general"]["diagnosis"]["factor"] == "m", name

# -- a textbook's typography: one sentence, the column, the notation's spelling ---


@pytest.mark.parametrize("formula,offender,hint", [
    ("delta[l] = sigma_prime(z[l]) ⊙ (W[l+1].T @ delta[l+1])", "⊙", "write * for the element-wise"),
    ("delta[l] = sigma_prime(z[l]) ∘ (W[l+1].T @ delta[l+1])", "∘", "write * for the element-wise"),
    ("dW[l] = dZ[l] · a[l-1].T", "·", "write @ for a matrix product"),
    ("delta[l] = Σ W[l+1] delta[l+1]", "Σ", "W[l+1].T @ delta[l+1]"),
    ("delta[l] = ∑ W[l+1] delta[l+1]", "∑", "sum(X, axis=0|1)"),
    ("dW[l] = delta[l] @ a[l-1]ᵀ", "ᵀ", "write X.T"),
    ("dW[l] = delta[l] @ a[l-1]ᵗ", "ᵗ", "write X.T"),   # Python would read it as "t"
    ("dW[l] = delta[l] .* a[l-1].T", ".*", "write * for the element-wise"),
    ("dW[l] = delta[l] @ a[l−1].T", "−", "ASCII minus"),
    ("δ[l] = da[l] * sigma_prime(z[l])", "δ", "write delta"),
    ("dW[l] = ∂L/∂W", "∂", "dW[l], db[l], delta[l]"),
    ("dW[l] += lambda * W[l]", "+=", "states the whole value"),
    ("g <- g * sigma_prime(z[1])", "<-", "LEFT = RIGHT"),
    ("dW[l] = dZ[l] a[l-1].T", "a[l-1]", "write @ for a matrix product"),
    ("dW[l] = 1/m dZ[l] @ a[l-1].T", "dZ[l]", "write @ for a matrix product"),
    ("dW[l] = (1/m)(dZ[l] @ a[l-1].T)", "(1/m)", "write @ for a matrix product"),
    ("dW[2] = np.dot(dZ[2], a[1].T)", "np.dot", "write A @ B"),
    ("db[2] = np.sum(dZ[2], axis=1, keepdims=True) / m", "np.sum", "write sum(X, axis=0|1)"),
    ("dW[2] = a[1].T.dot(dZ[2])", "a[1].T.dot", "write A @ B"),
    ("dZ[1] = dA[1] * (Z[1] > 0)", "Z[1] > 0", "step(z[l])"),
    ("dZ[1] = dA[1][Z[1] <= 0]", "Z[1] <= 0", "step(z[l])"),
    ("delta_j = sigma_prime(z[1]) * W[2].T @ delta[2]", "delta_j", "explicit indices"),
    ("delta[1] = sum_k(W[2] * delta[2])", "sum_k", "explicit indices"),
    ("W_l = W[l]", "W_l", "write W[l]"),
    ("dW[l] = delta(l) @ a[l-1].T", "delta(l)", "write delta[l]"),
    ("dW[l] = delta^{(l)} @ a[l-1].T", "^", "delta[l]"),
    ("db[l] = sum(dZ[l], axis=1, keepdims=False) / m", "False", "keep the reduced axis"),
])
def test_a_textbooks_typography_gets_the_notations_spelling(formula, offender, hint):
    with pytest.raises(FormulaError) as raised:
        parse_formula(formula)
    error = raised.value
    assert formula[error.column - 1:].startswith(offender), (error.column, str(error))
    assert hint in str(error)
    assert "syntax error" not in str(error) and "expected one of" not in str(error)


def test_typography_is_one_sentence_and_exit_2_on_the_command_line(cli):
    status, _, err = cli("verify", "--formula", "delta[l] = da[l] ⊙ sigma_prime(z[l])",
                           "--layers", "2,3,2")
    assert status == 2 and "Traceback" not in err
    assert "column 18: '⊙' is not part of the notation; write * for the element-wise" in err


@pytest.mark.parametrize("formula", [
    "dW[l] = (1/m) * dZ[l] @ A[l-1].T",               # Ng's capitals, as dZ and dA already are
    "dZ[L] = A[L] - Y",
    "dW[1] = (1/m) * dZ[1] @ X.T",
    "dZ[l] = dA[l] * sigma_prime(Z[l])",
    "db[l] = (1/m) * sum(dZ[l], axis=1, keepdims=True)",  # NumPy's keepdims, which sum keeps
])
def test_ngs_spelling_is_read_as_the_notation(formula):
    net = Network(layers=[3, 4, 1], hidden="tanh", output="sigmoid", loss="bce", batch=3)
    assert symbp.verify(formula, net).verdict == "proved"


# -- the slips the texts warn about: the diagnosis names them --------------------

SIGMOID = Network(layers=[3, 4, 2], hidden="sigmoid", output="sigmoid", loss="half_sse", batch=3)
TANH_BCE = Network(layers=[2, 4, 1], hidden="tanh", output="sigmoid", loss="bce", batch=5)


@pytest.mark.parametrize("formula,network,kind,words", [
    # np.sum(dZ, axis=0): over the units, not the samples
    ("db[l] = (1/m) * sum(dZ[l], axis=0)", SIGMOID, "axis_slip", "with sum(..., axis=1)"),
    # Bishop's tanh' = 1 - z_j^2 read with symbp's z (his z is symbp's a)
    ("delta[1] = (1 - z[1]**2) * (W[2].T @ delta[2])", SIGMOID.replace(hidden="tanh"),
     "quantity_slip", "has z[1] (column 17); with a[1] the formula holds"),
    # sigma (1 - sigma) written with the argument, in both places
    ("sigma_prime(z[l]) = z[l] * (1 - z[l])", SIGMOID, "quantity_slip",
     "has z[l] (columns 21, 33); with a[l] there"),
    ("dW[l] = (1/m) * delta[l] @ a[l].T", SIGMOID, "quantity_slip", "with a[l-1] the formula"),
    # the course forums' "W2 or dW2?"
    ("dZ[1] = dW[2].T @ dZ[2] * (1 - a[1]**2)", TANH_BCE, "quantity_slip", "with W[2]"),
    # np.dot where an element-wise product is meant
    ("dZ[1] = (W[2].T @ dZ[2]) @ (1 - a[1]**2)", TANH_BCE, "operator_slip",
     "is meant as an element-wise one (*)"),
    ("dW[l] = (1/m) * delta[l] * a[l-1].T", SIGMOID, "operator_slip",
     "is meant as a matrix product (@)"),
    ("delta[l] = W[l+1].T @ delta[l+1]", SIGMOID, "missing_factor",
     "with * sigma_prime(z[l]) the formula holds"),
    # Nielsen ch. 3: with the cross-entropy the sigma' cancels
    ("delta[L] = (a[L] - y) * sigma_prime(z[L])", SIGMOID.replace(loss="bce"), "extra_factor",
     "has the factor sigma_prime(z[L])"),
    ("db[l] = (1/m) * sum(delta[l], axis=1) + lambda * b[l]", SIGMOID.replace(l2=0.1),
     "extra_term", "has the term lambda * b[l]"),
    # sigmoid's derivative copied onto a tanh layer
    ("delta[l] = (W[l+1].T @ delta[l+1]) * a[l] * (1 - a[l])", SIGMOID.replace(hidden="tanh"),
     "derivative_slip", "a[l] * (1 - a[l]) (column 38) where the layer's derivative is meant"),
    ("delta[l] = (W[l+1].T @ delta[l+1]) * step(z[l])",
     SIGMOID.replace(hidden="leaky_relu", output="identity"), "mask_activation",
     "relu's derivative, on a leaky_relu layer; with leaky_relu_prime(z[l])"),
    # the transpose found although the shapes refuse the formula first
    ("delta[l] = sigma_prime(z[l]) * (W[l+1] @ delta[l+1])", SIGMOID, "transpose_slip",
     "with W[l+1].T the formula holds"),
])
def test_a_slip_is_named_by_the_one_edit_that_undoes_it(formula, network, kind, words):
    result = symbp.verify(formula, network)
    assert result.verdict == "refuted"
    assert result.diagnosis["kind"] == kind, result.diagnosis
    assert words in result.diagnosis["text"]


def test_an_element_wise_product_of_a_1_x_1_matrix_is_no_repair():
    # at width 1, W.T * delta broadcasts where W.T @ delta fails: not the slip
    net = Network(layers=[1, 1, 1, 1], batch=2, layout="row")
    result = symbp.verify("delta[l] = W[l+1].T @ delta[l+1] * sigma_prime(z[l])", net)
    assert result.verdict == "refuted" and result.diagnosis["kind"] != "operator_slip"


DECAYED = Network(layers=[3, 4, 2], hidden="relu", output="softmax", loss="cce", batch=3,
                  l2=0.1)


@pytest.mark.parametrize("formula,network,text", [
    ("dW[1] = delta[1] @ x.T / m", DECAYED,
     "the right side has no decay term: the weight decay lambda * W is missing."),
    ("dW[1] = delta[1] @ x.T / m + lambda / m * W[1]", DECAYED,
     "the decay term is 1/m of what it should be (lambda/m where lambda is meant"),
    ("dW[1] = delta[1] @ x.T / m + 2 * lambda * W[1]", DECAYED,
     "the decay term is 2 times what it should be (a penalty reg * sum(W**2)"),
    # Goodfellow's and d2l's per-example g h^T + lambda W over a batch
    ("dW[1] = delta[1] @ x.T + lambda * W[1]", DECAYED,
     "apart from its decay term, the right side is m times the truth"),
])
def test_a_slip_in_one_part_of_a_decayed_gradient_is_named(formula, network, text):
    result = symbp.verify(formula, network)
    assert result.verdict == "refuted" and result.diagnosis["kind"] == "decay"
    assert result.diagnosis["text"].startswith(text), result.diagnosis["text"]


def test_a_per_example_decayed_formula_is_off_by_m_for_every_size():
    net = Network(layers=[3, 4, 2], hidden="relu", output="softmax", loss="cce", l2=0.1)
    result = symbp.verify("dW[2] = delta[2] @ a[1].T + lambda * W[2]", net)
    assert result.verdict == "proved" and result.general.verdict == "refuted"
    assert result.general.diagnosis["factor"] == "m"     # settled at m = 3, not "2"
    assert "at m = 2 apart from its decay term, the right side is m times" in \
        result.general.warning


@pytest.mark.parametrize("layers,batch", [([4, 5, 3], 4), ([3, 3, 3], 3)])
def test_a_column_layout_formula_on_rows_is_said_to_hold_in_column_layout(layers, batch):
    # cs231n stacks samples as rows: Ng's dZ A^T there, shapes broken or not
    net = Network(layers=layers, hidden="relu", output="softmax", loss="cce", batch=batch,
                  layout="row")
    result = symbp.verify("dW[2] = (1/m) * dZ[2] @ a[1].T", net)
    assert result.verdict == "refuted" and result.diagnosis["kind"] == "layout"
    assert result.diagnosis["holds_in"] == "column"
    assert "holds in column layout (samples as columns)" in result.diagnosis["text"]


def test_a_per_sample_gradient_over_a_batch_says_the_samples_are_not_summed():
    result = symbp.verify("db[l] = delta[l]", SIGMOID)
    assert result.diagnosis["kind"] == "shape"
    assert result.diagnosis["text"].endswith(
        "(one column per sample where the gradient sums over the batch: "
        "(1/m) * sum(..., axis=1)?).")


def test_sigma_prime_of_a_softmax_output_is_said_to_be_the_jacobians_diagonal():
    net = Network(layers=[3, 4, 3], hidden="tanh", output="softmax", loss="cce", batch=2)
    result = symbp.verify("delta[L] = da[L] * sigma_prime(z[L])", net)
    assert result.diagnosis["kind"] == "softmax_jacobian"
    assert "only the diagonal of its Jacobian" in result.diagnosis["text"]
    assert "delta[L] = a[L] - y" in result.diagnosis["text"]


@pytest.mark.parametrize("formula,words", [
    # cs231n's dscores /= N pasted as symbp's per-sample delta
    ("dZ[2] = (a[2] - y) / m", "delta[k] and da[k] are per sample"),
    # Zhou's g_j, the negative gradient, pasted as the gradient
    ("delta[2] = y - a[2]", "an error term defined as the negative"),
])
def test_a_factor_says_which_convention_it_comes_from(formula, words):
    result = symbp.verify(formula, SIGMOID.replace(loss="bce"))
    assert result.diagnosis["kind"] == "factor" and words in result.diagnosis["text"]


def test_a_one_unit_softmax_is_no_counterexample_for_every_size():
    # every gradient of a one-unit softmax is 0: d2l's slip is refuted on a
    # network that shows it, not diagnosed as "all zeros" on one that cannot
    net = Network(layers=[3, 4, 2], hidden="relu", output="softmax", loss="cce", l2=0.1,
                  bias=False)
    general = symbp.verify("dW[1] = delta[1] @ x.T", net).general
    assert general.verdict == "refuted"
    assert general.counterexample["network"]["layers"][-1] >= 2
    assert general.diagnosis["kind"] == "decay"


def test_the_generated_page_lists_every_textbook_claim_with_its_verdict(textbooks):
    # docs/textbooks.md is written by scripts/textbooks_report.py: a claim added
    # or a verdict changed without regenerating the page shows here
    _, claims = textbooks
    page = (TEXTBOOKS.parent.parent / "docs" / "textbooks.md").read_text(encoding="utf-8")
    assert "Do not edit the page by hand" in page
    rows = {line.split(" | ")[0].lstrip("| ").replace("\\", ""): line
            for line in page.splitlines() if line.startswith("| ") and " | `" in line}
    for name, claim in claims.items():
        assert f"**{claim['verdict']}**" in rows[name].split(" | ")[3], name
