"""The whole table at once: every NumPy function and derivative against SymPy."""

import numpy as np
import pytest
import sympy

from symbp.tables import ACTIVATIONS, LOSSES

POINTS = np.array([-3.0, -1.2, -0.4, 0.3, 0.9, 2.5])


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.elementwise])
def test_elementwise_activation_matches_sympy(name):
    activation = ACTIVATIONS[name]
    z = sympy.Symbol("z", real=True)
    form = activation.sympy_scalar(z)
    f = sympy.lambdify(z, form, "numpy")
    f_prime = sympy.lambdify(z, sympy.diff(form, z), "numpy")
    expected = np.array([float(f(v)) for v in POINTS])
    expected_prime = np.array([float(f_prime(v)) for v in POINTS])
    np.testing.assert_allclose(activation.numpy(POINTS), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(activation.numpy_prime(POINTS), expected_prime,
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,at_zero", [("relu", 0.0), ("leaky_relu", 0.01)])
def test_kink_convention(name, at_zero):
    activation = ACTIVATIONS[name]
    assert activation.numpy_prime(np.array([0.0]))[0] == at_zero
    z = sympy.Symbol("z", real=True)
    assert sympy.diff(activation.sympy_scalar(z), z).subs(z, 0) == sympy.nsimplify(at_zero)


@pytest.mark.parametrize("layout_axis", [0, 1])
def test_softmax_matches_sympy_and_its_prime_is_the_jacobian_diagonal(layout_axis):
    zs = sympy.symbols("z0:3", real=True)
    forms = ACTIVATIONS["softmax"].sympy(list(zs))
    values = np.array([0.2, -1.0, 1.5])
    subs = dict(zip(zs, values, strict=True))
    expected = np.array([float(f.subs(subs)) for f in forms])
    diagonal = np.array([float(sympy.diff(forms[i], zs[i]).subs(subs)) for i in range(3)])
    column = values[:, None] if layout_axis == 0 else values[None, :]
    got = ACTIVATIONS["softmax"].numpy(column, layout_axis).ravel()
    got_prime = ACTIVATIONS["softmax"].numpy_prime(column, layout_axis).ravel()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got_prime, diagonal, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_and_its_gradient_match_sympy(name):
    loss = LOSSES[name]
    n = 3
    a = sympy.symbols(f"a0:{n}", real=True)
    y = sympy.symbols(f"y0:{n}", real=True)
    form = loss.sympy(list(a), list(y))
    a_values = np.array([0.2, 0.7, 0.45])
    y_values = {"real": np.array([0.9, -0.3, 0.1]), "unit": np.array([0.3, 0.6, 0.9]),
                "simplex": np.array([0.2, 0.5, 0.3])}[loss.domain]
    subs = {**dict(zip(a, a_values, strict=True)), **dict(zip(y, y_values, strict=True))}
    expected = float(form.subs(subs))
    expected_grad = np.array([float(sympy.diff(form, ai).subs(subs)) for ai in a])
    for axis, shape in ((0, (n, 1)), (1, (1, n))):
        got = loss.numpy(a_values.reshape(shape), y_values.reshape(shape), axis)
        got_grad = loss.numpy_grad(a_values.reshape(shape), y_values.reshape(shape), axis)
        np.testing.assert_allclose(got, [expected], rtol=1e-12)
        np.testing.assert_allclose(got_grad.ravel(), expected_grad, rtol=1e-12)
