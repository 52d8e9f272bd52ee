"""The symbolic truth against plain NumPy central differences computed here.

Nothing here uses symbp.backprop or symbp.sources.finite: the reference is a few
lines of NumPy on ``net.loss`` (and, for delta, on a forward pass restarted
from z[k]), so the truth is checked against an independent computation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy

from symbp.network import Network
from symbp.tables import ACTIVATIONS, LOSSES
from symbp.truth.codegen import engine
from symbp.truth.exact import truth
from symbp.truth.pieces import ActivationPiece, AffinePiece, LossPiece, derive
from symbp.truth.program import Program, program_for

HIDDEN = [name for name, act in ACTIVATIONS.items() if not act.output_only]


def _allowed_pairs():
    for output, loss in itertools.product(ACTIVATIONS, LOSSES):
        allowed = LOSSES[loss].outputs
        if allowed is None or output in allowed:
            yield output, loss


PAIRS = list(_allowed_pairs())


def central_differences(f, point, key, h=1e-6):
    """d f / d point[key], entry by entry, by central differences."""
    base = {k: np.array(v, dtype=float) for k, v in point.items()}
    grad = np.zeros_like(base[key])
    for index in np.ndindex(grad.shape):
        step = h * max(1.0, abs(base[key][index]))
        values = []
        for sign in (1, -1):
            moved = dict(base)
            moved[key] = base[key].copy()
            moved[key][index] += sign * step
            values.append(f(moved))
        grad[index] = (values[0] - values[1]) / (2 * step)
    return grad


def _loss_from(net, point, k, zk):
    """Per-sample losses of a forward pass restarted at z[k] = zk (NumPy only)."""
    axis = net.units_axis
    a = net.activation(k).numpy(zk, axis)
    for l in range(k + 1, net.depth + 1):
        W = point[f"W{l}"]
        z = W @ a if net.layout == "column" else a @ W
        z = z + point[f"b{l}"] if net.bias else z
        a = net.activation(l).numpy(z, axis)
    return LOSSES[net.loss].numpy(a, point["y"], axis)


def _assert_close(actual, expected, rtol=1e-5, name=""):
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert actual.shape == expected.shape, name
    assert np.max(np.abs(actual - expected)) <= rtol * scale, (name, actual, expected)


def check_against_differences(net, seed=0):
    point = net.sample(seed)
    t = truth(net)
    assert t.loss(point) == pytest.approx(net.loss(point), rel=1e-12)
    grads = t.gradient(point)
    assert sorted(grads) == sorted(net.param_keys())
    for key in net.param_keys():
        _assert_close(grads[key], central_differences(net.loss, point, key), name=key)
    per_sample = t.per_sample(point)
    # every sample's loss depends only on its own x, so the sum's gradient is da0
    da0 = central_differences(lambda p: net.per_sample_losses(p).sum(), point, "x")
    _assert_close(per_sample["da0"], da0, name="da0")
    zs, _ = net.forward(point)
    for k in range(1, net.depth + 1):
        delta = central_differences(lambda p, k=k: _loss_from(net, p, k, p["z"]).sum(),
                                    {**point, "z": zs[k]}, "z")
        _assert_close(per_sample[f"delta{k}"], delta, name=f"delta{k}")
        assert per_sample[f"da{k}"].shape == net.shape("a", k)


def test_seed_000_hand_worked_numbers():
    net = Network(layers=[2, 2, 1], hidden="relu", output="identity", loss="half_sse",
                  batch=1, bias=False)
    point = {"x": [[1], [2]], "W1": [[.5, .2], [.3, .7]], "W2": [[.6, .8]], "y": [[1.5]]}
    t = truth(net)
    assert t.loss(point) == pytest.approx(0.08, abs=1e-12)
    grads = t.gradient(point)
    np.testing.assert_allclose(grads["W1"], [[0.24, 0.48], [0.32, 0.64]], rtol=1e-12)
    np.testing.assert_allclose(grads["W2"], [[0.36, 0.68]], rtol=1e-12)
    assert net.gradient(point).keys() == grads.keys()


@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("layout", ["column", "row"])
def test_every_pairing_against_differences(output, loss, layout):
    # the hidden activation, the reduction and the bias turn over with the pairing
    i = PAIRS.index((output, loss)) + (layout == "row")
    net = Network(layers=[3, 4, 3], hidden=HIDDEN[i % len(HIDDEN)], output=output,
                  loss=loss, batch=2, layout=layout,
                  reduction=("sum", "mean")[i % 2], bias=(i // 2) % 2 == 0)
    check_against_differences(net, seed=i)


@pytest.mark.parametrize("layout,reduction,bias",
                         itertools.product(["column", "row"], ["sum", "mean"], [True, False]))
def test_layouts_reductions_bias(layout, reduction, bias):
    net = Network(layers=[2, 3, 2, 2], hidden="tanh", output="softmax", loss="cce",
                  batch=3, layout=layout, reduction=reduction, bias=bias)
    check_against_differences(net, seed=1)


@pytest.mark.parametrize("layers", [[1, 1], [1, 2], [3, 1], [2, 1, 1, 2]])
def test_small_widths(layers):
    check_against_differences(Network(layers=layers, hidden="softplus", batch=2), seed=3)


def test_a_width_32_layer():
    net = Network(layers=[4, 32, 3], hidden="sigmoid", output="sigmoid", batch=3,
                  layout="row")
    check_against_differences(net, seed=5)


def test_batch_sizes_share_one_derivation():
    one, many = Network(layers=[2, 3, 2]), Network(layers=[2, 3, 2], batch=64)
    assert program_for(one) is program_for(many)
    check_against_differences(many.replace(batch=5))


def test_engines_agree(monkeypatch):
    pytest.importorskip("symengine")  # without it both runs would be SymPy's
    net = Network(layers=[3, 5, 2], hidden="leaky_relu", output="identity", loss="l1",
                  batch=2, layout="row")
    point = net.sample(2)
    results = []
    for name in ("sympy", "symengine"):
        monkeypatch.setenv("SYMBP_ENGINE", name)
        program = Program(derive(net))
        results.append(program.run(net, net.check_point(point)).grads)
    for key in results[0]:
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-12)
    assert engine().__name__ in ("sympy", "symengine")


def _evaluate(matrix, values):
    return np.array(matrix.xreplace(values).evalf(30).tolist(), dtype=float)


@pytest.mark.parametrize("net", [
    Network(layers=[2, 3, 2], hidden="tanh", output="softmax", loss="cce", batch=2),
    Network(layers=[3, 2, 2], hidden="relu", output="sigmoid", loss="bce", batch=3,
            layout="row", reduction="sum"),
    Network(layers=[2, 2], output="identity", loss="mse", batch=2, bias=False),
], ids=str)
def test_symbolic_matrices_have_the_shapes_and_the_values(net):
    t = truth(net)
    s = t.symbolic()
    L = net.depth
    for name, k in [("x", None), ("y", None)] + [("z", k) for k in range(1, L + 1)]:
        assert s[(name, k)].shape == net.shape(name, k)
    for k in range(L + 1):
        assert s[("a", k)].shape == net.shape("a", k)
        assert s[("da", k)].shape == net.shape("a", k)
    for k in range(1, L + 1):
        assert s[("delta", k)].shape == net.shape("z", k)
        assert s[("W", k)].shape == s[("dW", k)].shape == net.shape("W", k)
        assert (("db", k) in s) == net.bias == (("b", k) in s)
    assert s[("m", None)] == sympy.Matrix([[net.batch]])
    assert t.symbolic(batch=1)[("x", None)].shape == net.replace(batch=1).shape("x")

    # substituting a point's numbers into the matrices gives the numeric truth
    point = net.sample(0)
    zs, _ = net.forward(point)
    values = {}
    for (name, k), matrix in s.items():
        source = {"x": point["x"], "y": point["y"], "W": point.get(f"W{k}"),
                  "b": point.get(f"b{k}"), "z": zs[k] if name == "z" else None}.get(name)
        if source is not None:
            values.update(zip(matrix, np.asarray(source).ravel(), strict=True))
    grads, per_sample = t.gradient(point), t.per_sample(point)
    for k in range(1, L + 1):
        np.testing.assert_allclose(_evaluate(s[("dW", k)], values), grads[f"W{k}"], rtol=1e-9)
        np.testing.assert_allclose(_evaluate(s[("delta", k)], values),
                                   per_sample[f"delta{k}"], rtol=1e-9)
        if net.bias:
            np.testing.assert_allclose(_evaluate(s[("db", k)], values), grads[f"b{k}"],
                                       rtol=1e-9)
    np.testing.assert_allclose(_evaluate(s[("da", 0)], values), per_sample["da0"], rtol=1e-9)


def test_assumptions():
    cce = truth(Network(layers=[2, 3], output="softmax", loss="cce", batch=2))
    assert len(cce.assumptions) == 2
    y = cce.symbolic()[("y", None)]
    for target, rest in cce.assumptions.items():
        assert target in y.free_symbols and rest.free_symbols <= y.free_symbols
    assert truth(Network(layers=[2, 3])).assumptions == {}


def test_symbolic_is_bounded_by_size_not_time():
    assert truth(Network(layers=[32, 64, 32], batch=8)).symbolic() is None


def _output_net(activation, loss="half_sse"):
    if LOSSES[loss].outputs and activation not in LOSSES[loss].outputs:
        loss = "half_sse"
    return Network(layers=[2, 3], output=activation, loss=loss)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_templates_equal_the_entry_by_entry_jacobian(name):
    from symbp.truth.codegen import sparse_jacobian
    piece = ActivationPiece(_output_net(name), 1)
    # every table entry fits a template differentiated once, not per entry
    assert piece.template is not None or piece.normalised is not None
    fast = piece.J if piece.normalised is None else piece.normalised.jacobian(piece.z)
    direct = sparse_jacobian(piece.exprs, piece.z)
    for key in set(fast) | set(direct):
        assert sympy.simplify(fast.get(key, 0) - direct.get(key, 0)) == 0, key


@pytest.mark.parametrize("loss", list(LOSSES))
def test_loss_templates_equal_the_term_by_term_gradient(loss):
    from symbp.truth.codegen import sparse_jacobian
    piece = LossPiece(_output_net("sigmoid", loss))
    assert piece.template
    direct = sparse_jacobian([piece.expr], piece.a)
    for j, entry in enumerate(piece.grad):
        assert sympy.simplify(entry - direct.get((0, j), 0)) == 0


def test_wide_softmax_output_is_vectorised():
    net = Network(layers=[3, 40, 34], hidden="relu", output="softmax", loss="cce", batch=2)
    check_against_differences(net, seed=2)


def test_entry_by_entry_fallbacks_agree_with_the_templates():
    net = Network(layers=[2, 4], output="softmax", loss="bce")
    rng = np.random.default_rng(0)
    z, up = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    fast, slow = ActivationPiece(net, 1), ActivationPiece(net, 1)
    slow.normalised = None
    fast.compile(), slow.compile()
    np.testing.assert_allclose(slow.forward(z), fast.forward(z), rtol=1e-12)
    np.testing.assert_allclose(slow.vjp(z, up), fast.vjp(z, up), rtol=1e-12)
    a, y = fast.forward(z), rng.uniform(0.1, 0.9, size=(4, 3))
    fast, slow = LossPiece(net), LossPiece(net)
    slow.template = None
    fast.compile(), slow.compile()
    np.testing.assert_allclose(slow.value(a, y), fast.value(a, y), rtol=1e-12)
    np.testing.assert_allclose(slow.gradient(a, y), fast.gradient(a, y), rtol=1e-12)


def test_affine_template_refuses_entries_that_are_not_a_matrix_product():
    from symbp.truth.codegen import affine_template
    piece = AffinePiece(Network(layers=[2, 2]), 1, sympy)
    args = (piece.z, piece.a, piece.W, piece.b, piece.J_a, piece.J_W, piece.J_b)
    assert affine_template(*args) is not None
    wrong = dict(piece.J_a)
    wrong[(0, 1)] = wrong[(0, 1)] * 2
    assert affine_template(piece.z, piece.a, piece.W, piece.b, wrong, piece.J_W, piece.J_b) is None
    bent = [piece.z[0] + piece.a[0] ** 2] + piece.z[1:]
    assert affine_template(bent, *args[1:]) is None
