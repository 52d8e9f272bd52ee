"""The truth derived once for every size (``symbp.truth.lemmas`` composed by
``symbp.truth.chain``) against three independent references: the
element-wise derivation (one symbol per weight, ``symbp.truth.pieces``), the
hand-coded NumPy backprop and finite differences.  Then its lemmas at
concrete widths against SymPy's derivative of the tables' list forms, its
cached code, and the size limits that refuse a network before anything is
allocated."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import sympy
from hypothesis import given, settings

import symbp
from symbp.errors import NetworkError
from symbp.network import Network
from symbp.sources.backprop import backprop_per_sample
from symbp.strategies import HIDDEN, networks
from symbp.tables import ACTIVATIONS, LOSSES, REDUCTION_FORMS
from symbp.truth import lemmas, store
from symbp.truth.exact import truth
from symbp.truth.pieces import derive
from symbp.truth.program import Program
from symbp.truth.vectorise import NotVectorisable, source


def assert_close(reference: dict, other: dict, tolerance: float, what: str, floor: float = 1e-14):
    for key, expected in reference.items():
        assert other[key].shape == expected.shape, (what, key)
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
        error = float(np.max(np.abs(expected - other[key]))) if expected.size else 0.0
        assert error <= tolerance * scale + floor, f"{what} {key}: off by {error:.3e}"


def element_wise(net: Network, point) -> tuple[dict, dict]:
    """Gradient and per-sample errors from the element-wise route (units first
    there: row-layout arrays come back transposed)."""
    run = Program(derive(net.replace(batch=1))).run(net, net.check_point(point))
    back = (lambda A: A) if net.layout == "column" else (lambda A: A.T)
    per_sample = {f"delta{k}": back(run.delta[k]) for k in range(1, net.depth + 1)}
    per_sample.update({f"da{k}": back(run.da[k]) for k in range(net.depth + 1)})
    return run.grads, per_sample


@settings(max_examples=25)
@given(networks(max_depth=3, max_width=4, max_batch=3))
def test_both_symbolic_routes_backprop_and_finite_differences_agree(net):
    point = net.sample(seed=5)
    t = truth(net)
    gradient, per_sample = t.gradient(point), t.per_sample(point)
    routed_gradient, routed_per_sample = element_wise(net, point)
    assert_close(gradient, routed_gradient, 1e-9, "element-wise route")
    assert_close(per_sample, routed_per_sample, 1e-9, "element-wise route")
    assert_close(gradient, symbp.backprop(net, point), 1e-9, "backprop")
    assert_close(per_sample, backprop_per_sample(net, point), 1e-9, "backprop")
    assert_close(gradient, symbp.finite_differences(net, point), 1e-5, "finite", 1e-9)
    assert t.loss(point) == pytest.approx(net.loss(point), rel=1e-12)


def _pairs():
    for output, loss in itertools.product(ACTIVATIONS, LOSSES):
        if LOSSES[loss].outputs is None or output in LOSSES[loss].outputs:
            yield output, loss


@pytest.mark.parametrize("output,loss", list(_pairs()))
def test_every_activation_loss_layout_reduction_and_bias_against_backprop(output, loss):
    combos = itertools.product(["column", "row"], REDUCTION_FORMS, [True, False])
    for i, (layout, reduction, bias) in enumerate(combos):
        net = Network(layers=[3, 4, 3], hidden=HIDDEN[i % len(HIDDEN)], output=output,
                      loss=loss, batch=3, layout=layout, reduction=reduction, bias=bias)
        point = net.sample(seed=i)
        t = truth(net)
        assert_close(t.gradient(point), symbp.backprop(net, point), 1e-9, str(net))
        assert_close(t.per_sample(point), backprop_per_sample(net, point), 1e-9, str(net))
        assert t.loss(point) == pytest.approx(net.loss(point), rel=1e-12)


def _sampled_central_differences(net, point, key, entries, h=1e-6):
    out = []
    for index in entries:
        moved = {k: v.copy() for k, v in point.items()}
        moved[key][index] += h
        up = net.loss(moved)
        moved[key][index] -= 2 * h
        out.append((up - net.loss(moved)) / (2 * h))
    return np.array(out)


@pytest.mark.parametrize("net", [
    Network(layers=[300, 700, 40], hidden="tanh", output="softmax", loss="half_sse", batch=5,
            layout="row", reduction="sum"),
    Network(layers=[50000, 1], hidden="relu", output="identity", loss="sse", batch=2),
], ids=["wide softmax", "fan-in 50000"])
def test_wide_networks_beyond_the_element_wise_route(net):
    point = net.sample(seed=0)
    gradient = net.gradient(point)
    assert_close(gradient, symbp.backprop(net, point), 1e-9, "backprop")
    rng = np.random.default_rng(0)
    for key in ("W1", f"b{net.depth}"):
        entries = [tuple(rng.integers(0, s) for s in gradient[key].shape) for _ in range(4)]
        expected = _sampled_central_differences(net, point, key, entries)
        got = np.array([gradient[key][e] for e in entries])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)


# -- the lemmas at concrete widths, against SymPy on the tables' list forms ----

def _at(expr, values: dict):
    return float(expr.xreplace({k: sympy.Float(v, 30) for k, v in values.items()}).evalf(30))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("width", [1, 2, 3])
def test_activation_lemma_is_the_full_jacobian_product_at_each_width(name, width):
    z = sympy.symbols(f"z0:{width}", real=True)
    g = sympy.symbols(f"g0:{width}", real=True)
    outputs = ACTIVATIONS[name].sympy(list(z))
    lemma = lemmas.activation(name).functions["vjp"][1]
    rng = np.random.default_rng(width)
    values = dict(zip(z + g, rng.normal(size=2 * width), strict=True))
    Z, G = lemmas.IndexedBase("Z", real=True), lemmas.IndexedBase("G", real=True)
    indexed = {**{Z[k]: values[z[k]] for k in range(width)},
               **{G[k]: values[g[k]] for k in range(width)}}
    for unit in range(width):
        expected = sum(g[i] * sympy.diff(outputs[i], z[unit]) for i in range(width))
        got = lemma.subs({lemmas.n: width, lemmas.p: unit}).doit()
        assert _at(got, indexed) == pytest.approx(_at(expected, values), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("width", [1, 2, 3])
def test_loss_lemma_is_the_gradient_of_the_list_form_at_each_width(name, width):
    a = sympy.symbols(f"a0:{width}", real=True)
    y = sympy.symbols(f"y0:{width}", real=True)
    form = LOSSES[name].sympy(list(a), list(y))
    lemma = lemmas.loss(name).functions
    rng = np.random.default_rng(width)
    values = dict(zip(a + y, rng.uniform(0.1, 0.9, size=2 * width), strict=True))
    A, Y = lemmas.IndexedBase("A", real=True), lemmas.IndexedBase("Y", real=True)
    indexed = {**{A[k]: values[a[k]] for k in range(width)},
               **{Y[k]: values[y[k]] for k in range(width)}}
    value = lemma["value"][1].subs(lemmas.n, width).doit()
    assert _at(value, indexed) == pytest.approx(_at(form, values), rel=1e-12)
    for unit in range(width):
        got = lemma["gradient"][1].subs({lemmas.n: width, lemmas.p: unit}).doit()
        expected = sympy.diff(form, a[unit])
        assert _at(got, indexed) == pytest.approx(_at(expected, values), rel=1e-12)


@pytest.mark.parametrize("name", list(REDUCTION_FORMS))
def test_reduction_weights_are_the_derivative_at_each_batch_size(name):
    weight = lemmas.reduction(name).functions["weights"][1]
    for m in (1, 2, 5):
        losses = sympy.symbols(f"l0:{m}")
        base = sympy.IndexedBase("l")
        total = REDUCTION_FORMS[name](base, m).doit().xreplace(
            {base[s]: losses[s] for s in range(m)})
        for s in range(m):
            assert weight.subs({lemmas.m: m, lemmas.p: s}) == sympy.diff(total, losses[s])


def test_affine_lemmas_are_matrix_products_for_every_size():
    column, row = lemmas.affine("column", True).functions, lemmas.affine("row", False).functions
    assert str(column["vjp_W"][1]) == "G*A.T" and str(column["vjp_A"][1]) == "W.T*G"
    assert str(row["vjp_W"][1]) == "A.T*G" and str(row["vjp_A"][1]) == "G*W.T"
    assert column["vjp_W"][1].shape == (lemmas.n, lemmas.n_prev)  # sizes stay symbols


def test_the_vectoriser_refuses_what_it_cannot_emit():
    Z = lemmas.IndexedBase("Z", real=True)
    i = sympy.Symbol("i", integer=True)
    mixed = lemmas.IndexLemma(lemmas.n, {"f": (("Z",), sympy.Sum(Z[i] * Z[lemmas.p] ** i,
                                                                (i, 0, lemmas.n - 1)))})
    shifted = lemmas.IndexLemma(lemmas.n, {"f": (("Z",), Z[lemmas.p + 1])})
    for lemma in (mixed, shifted):
        with pytest.raises(NotVectorisable):
            source(lemma)


# -- the code cache ------------------------------------------------------------

_GRADIENT = """
import json, sys
import numpy as np
from symbp.network import Network
net = Network(layers=[3, 5, 2], hidden="softplus", output="softmax", loss="cce", batch=2)
gradient = net.gradient(net.sample(0))
print(json.dumps({"sympy": "sympy" in sys.modules, "W1": gradient["W1"].tolist()}))
"""


def _fresh_process(cache_dir):
    env = {**os.environ, "SYMBP_CACHE_DIR": str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", _GRADIENT], capture_output=True, text=True,
                          env=env, timeout=120, check=True)
    return json.loads(done.stdout)


def test_cached_code_runs_without_sympy_and_gives_the_same_gradient(tmp_path):
    first = _fresh_process(tmp_path)
    assert first["sympy"] is True  # nothing cached: SymPy derives
    names = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.iterdir())
    assert names == ["activation-softmax", "activation-softplus", "affine-column-True",
                     "loss-cce", "reduction-mean"]
    second = _fresh_process(tmp_path)
    assert second["sympy"] is False and second["W1"] == first["W1"]


@pytest.fixture
def cache_at(monkeypatch):
    def use(folder):
        monkeypatch.setenv("SYMBP_CACHE_DIR", str(folder))
        store.clear()
    yield use
    monkeypatch.undo()
    store.clear()


def test_an_unusable_folder_means_deriving_in_process(tmp_path, cache_at):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    net = Network(layers=[2, 3, 2], hidden="tanh", batch=2)
    point = net.sample(0)
    expected = symbp.backprop(net, point)
    for folder in (blocker / "cache", ""):  # cannot be made; no folder at all
        cache_at(folder)
        assert_close(net.gradient(point), expected, 1e-9, f"folder {folder!r}")
    assert blocker.read_text() == "not a folder"


def test_a_damaged_file_is_derived_again_and_rewritten(tmp_path, cache_at):
    cache_at(tmp_path)
    f = store.functions("activation", "tanh")
    (path,) = tmp_path.glob("activation-tanh-*.py")
    intact = path.read_text()
    path.write_text(intact[: len(intact) // 2])  # a half-written file
    store.clear()
    again = store.functions("activation", "tanh")
    z = np.linspace(-2, 2, 6).reshape(3, 2)
    np.testing.assert_allclose(again.vjp(z, np.ones_like(z), 0), f.vjp(z, np.ones_like(z), 0))
    assert path.read_text() == intact


# -- sizes are refused before anything is allocated -----------------------------

@pytest.mark.parametrize("fields,fragment", [
    ({"layers": [100000, 100000]}, "needs about 149 GiB for one gradient"),
    ({"layers": [2, 3, 2], "batch": 1_000_000_000}, "1,000,000,000 samples"),
    ({"layers": [2, 3, 2], "batch": 10_000_000}, "needs about 2.2 GiB"),
    ({"layers": [9223372036854775807, 3]}, "27,670,116,110,564,327,424 parameters"),
    ({"layers": [1] * 1002}, "1001 layers after the input; symbp takes networks of at most 1000"),
])
def test_sizes_beyond_the_limits_are_one_sentence_before_any_allocation(fields, fragment):
    tracemalloc.start()
    try:
        with pytest.raises(NetworkError) as refused:
            Network(**fields)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert fragment in str(refused.value) and str(refused.value).count("\n") == 0
    assert peak < 1_000_000


def test_a_network_within_the_limits_is_described_without_allocating():
    tracemalloc.start()
    try:
        net = Network(layers=[2, 3, 2], batch=4_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert net.memory_needed > 0.8 * 1024 ** 3 and peak < 1_000_000


def test_a_claims_file_with_a_huge_layer_is_exit_2(cli, tmp_path):
    claims = tmp_path / "huge.toml"
    claims.write_text('title = "huge"\n[network]\nlayers = [9223372036854775807, 3]\n'
                      '[[claim]]\nname = "BP1"\nformula = "delta[L] = da[L]"\n')
    status, _out, err = cli("verify", claims)
    assert status == 2 and "symbp takes networks that need at most 1 GiB" in err
    assert len(err.strip().splitlines()) == 1
