"""Backprop formulas as textbooks state them (examples/textbooks.toml): the
claims file meets every expectation, a formula pasted in a textbook's
typography gets one plain sentence (what is not supported, where, how to
write it), and the slips the texts warn about get a diagnosis that names them.
"""

import pytest

import symbp
from symbp.errors import FormulaError
from symbp.network import Network
from symbp.notation.parser import parse_formula

# -- a textbook's typography: one sentence, the column, the notation's spelling ---


@pytest.mark.parametrize("formula,offender,hint", [
    ("delta[l] = sigma_prime(z[l]) ⊙ (W[l+1].T @ delta[l+1])", "⊙", "write * for the element-wise"),
    ("delta[l] = sigma_prime(z[l]) ∘ (W[l+1].T @ delta[l+1])", "∘", "write * for the element-wise"),
    ("dW[l] = dZ[l] · a[l-1].T", "·", "write @ for a matrix product"),
    ("delta[l] = Σ W[l+1] delta[l+1]", "Σ", "W[l+1].T @ delta[l+1]"),
    ("delta[l] = ∑ W[l+1] delta[l+1]", "∑", "sum(X, axis=0|1)"),
    ("dW[l] = delta[l] @ a[l-1]ᵀ", "ᵀ", "write X.T"),
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
