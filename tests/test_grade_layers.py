"""``symbp grade-layers``, ``symbp.grade_layers`` and ``symbp.testing.assert_layer``.

The graded files are the shipped examples (examples/layers/, written by
hand without symbp) and small files written here, each with one slip;
verdicts and diagnoses are asserted on the key where the slip is.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings

import symbp
import symbp.grading.in_process
from symbp.strategies import layer_configs
from symbp.testing import assert_layer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples", "layers")
CS231N = os.path.join(EXAMPLES, "cs231n_style.py")
DLFS = os.path.join(EXAMPLES, "dlfs_style.py")
BUGS = os.path.join(EXAMPLES, "classic_bugs.py")
RNN = os.path.join(EXAMPLES, "cs231n_rnn_style.py")
CNN_RNN_BUGS = os.path.join(EXAMPLES, "classic_bugs_cnn_rnn.py")


def graded(path, **options):
    return {r.found.name: r for r in symbp.grade_layers(path, **options).layers}


def keyed(report):
    return {k.key: k for k in report.keys}


def user_file(tmp_path, *sources, name="layers.py"):
    path = tmp_path / name
    path.write_text("import numpy as np\n\n" + "".join(textwrap.dedent(s) for s in sources))
    return path


# -- the shipped examples ----------------------------------------------------------------

@pytest.fixture(scope="module")
def bugs():
    return graded(BUGS)


@pytest.mark.parametrize("name,key,kind,factor", [
    ("affine_backward", "db", "factor", "1/N"),
    ("relu_backward", "cache", "mutates", None),
    ("softmax_loss", "dx", "factor", "N"),
    ("batchnorm_backward", "dx", "axis", None),
    ("dropout_backward", "dx", "factor", "p^2")])
def test_every_classic_bug_is_wrong_with_its_diagnosis_on_its_key(bugs, name, key, kind, factor):
    report = bugs[name]
    assert report.verdict == "wrong"
    wrong = [k.key for k in report.keys if not k.ok]
    assert wrong == [key]
    diagnosis = keyed(report)[key].diagnosis
    assert diagnosis["kind"] == kind
    if factor:
        assert diagnosis["factor"] == factor


def test_classic_bugs_shrink_to_the_smallest_configuration(bugs):
    assert bugs["affine_backward"].config == {"N": 2, "d": (1,), "M": 1}
    assert bugs["relu_backward"].config == {"N": 1, "D": 1}
    assert bugs["batchnorm_backward"].config["N"] == 2
    assert "d" not in bugs["batchnorm_backward"].config
    assert keyed(bugs["batchnorm_backward"])["dx"].diagnosis["quantity"] == "mu"


@pytest.fixture(scope="module")
def cnn_rnn_bugs():
    return graded(CNN_RNN_BUGS)


@pytest.mark.parametrize("name,key,kind", [
    ("max_pool_backward_naive", "dx", "overwrite"),
    ("conv_backward_naive", "dx", "config"),
    ("Convolution", "dx", "config"),
    ("conv_backward_im2col", "dw", "flip"),
    ("lstm_backward", "dWx", "factor")])
def test_every_classic_cnn_and_rnn_bug_is_wrong_with_its_diagnosis(cnn_rnn_bugs, name, key, kind):
    report = cnn_rnn_bugs[name]
    assert report.verdict == "wrong"
    assert keyed(report)[key].diagnosis["kind"] == kind
    assert [k.key for k in report.keys if not k.ok] == \
        (["dWx", "dWh", "db"] if name == "lstm_backward" else [key])


def test_classic_cnn_and_rnn_bugs_shrink_to_a_configuration_that_shows_them(cnn_rnn_bugs):
    pool = cnn_rnn_bugs["max_pool_backward_naive"].config
    assert pool["stride"] == 1 and max(pool["pool_height"], pool["pool_width"]) == 2
    overlap = keyed(cnn_rnn_bugs["max_pool_backward_naive"])["dx"].diagnosis["text"]
    assert "do not overlap" in overlap
    hard_coded = cnn_rnn_bugs["conv_backward_naive"]
    assert hard_coded.config["pad"] in (0, 2)
    assert keyed(hard_coded)["dx"].diagnosis["right"] == {"pad": [1]}
    assert "right only when pad = 1, wrong at pad = 0 or 2" in str(hard_coded)
    empty_slice = cnn_rnn_bugs["Convolution"]
    assert empty_slice.config["pad"] == 0
    assert keyed(empty_slice)["dx"].diagnosis["right"] == {"pad": [1, 2]}
    assert "rotated 180 degrees" in str(cnn_rnn_bugs["conv_backward_im2col"])
    lstm = cnn_rnn_bugs["lstm_backward"]
    assert lstm.config["T"] == 2 and keyed(lstm)["db"].diagnosis["factor"] == "1/T"


def test_random_0_grades_the_first_configuration_only():
    reports = graded(BUGS, random=0)
    assert {r.verdict for r in reports.values()} == {"wrong"}
    assert {r.configs_tried for r in reports.values()} == {1}


@pytest.mark.parametrize("path,count", [(CS231N, 15), (DLFS, 11), (RNN, 7)])
def test_the_right_examples_are_ok_everywhere(path, count):
    reports = graded(path, random=25, seed=5)
    assert len(reports) == count
    assert {name: r.verdict for name, r in reports.items()} == dict.fromkeys(reports, "ok")
    assert all(r.configs_tried == 26 for r in reports.values())


def test_dlfs_conventions_are_read_back_and_noted():
    reports = graded(DLFS, random=3, only=["BatchNormalization", "Dropout", "SoftmaxWithLoss"])
    assert reports["BatchNormalization"].notes == ["eps read back from the forward: 1e-06"]
    assert "not scaled in training" in reports["Dropout"].notes[0]
    assert reports["SoftmaxWithLoss"].verdict == "ok"


def test_a_softmax_with_loss_for_one_hot_targets_only_gets_them(tmp_path):
    path = user_file(tmp_path, """
        class SoftmaxWithLoss:
            def forward(self, x, t):
                self.t = t
                self.y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
                return -np.sum(t * np.log(self.y)) / len(x)

            def backward(self, dout=1):
                return (self.y - self.t) / len(self.t)
        """)
    assert graded(path, random=5)["SoftmaxWithLoss"].verdict == "ok"


def test_only_takes_catalogue_names_too():
    reports = graded(CS231N, random=2, only=["batchnorm"])
    assert sorted(reports) == ["batchnorm_backward", "batchnorm_backward_alt"]


def test_dlfs_batchnorm_at_a_batch_of_one_is_untested(cli):
    status, out, err = cli("grade-layers", DLFS, "--only", "BatchNormalization",
                           "--config", "N=1", "--random", "5")
    assert status == 0 and err == ""
    assert "BatchNormalization (batchnorm, dlfs): UNTESTED at N = 1" in out
    assert "dx, dgamma were all zeros" in out and "N = 1" in out
    with pytest.raises(AssertionError, match="is untested"):
        sys.path.insert(0, EXAMPLES)
        try:
            from dlfs_style import BatchNormalization
        finally:
            sys.path.remove(EXAMPLES)
        assert_layer(BatchNormalization, layer="batchnorm", config={"N": 1, "D": 3})


# -- forward_wrong, unimplemented, error -----------------------------------------------------

BATCHNORM_BACKWARD = """
def batchnorm_backward(dout, cache):
    xhat, std, gamma = cache
    n = dout.shape[0]
    dx = gamma / (n * std) * (n * dout - dout.sum(0) - xhat * (dout * xhat).sum(0))
    return dx, (dout * xhat).sum(0), dout.sum(0)
"""


@pytest.mark.parametrize("forward,words", [
    ("xhat = (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + bn_param['eps'])",
     "the variance with ddof=1"),
    ("xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)",
     "the forward uses eps = 1e-05 where"),
    ("xhat = x / np.sqrt(x.var(0) + bn_param['eps'])",
     "its output differs from symbp's definition by up to")])
def test_a_different_forward_is_forward_wrong_saying_what_differs(tmp_path, forward, words):
    path = user_file(tmp_path, f"""
        def batchnorm_forward(x, gamma, beta, bn_param):
            {forward}
            return gamma * xhat + beta, (xhat, np.sqrt(x.var(0) + bn_param["eps"]), gamma)
        """, BATCHNORM_BACKWARD)
    report = graded(path, random=10)["batchnorm_backward"]
    assert report.verdict == "forward_wrong"
    assert words in report.message


def test_a_loss_summed_over_the_batch_is_forward_wrong(tmp_path):
    path = user_file(tmp_path, """
        def softmax_loss(x, y):
            p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
            dx = p.copy()
            dx[np.arange(len(x)), y] -= 1
            return -np.log(p[np.arange(len(x)), y]).sum(), dx
        """)
    report = graded(path, random=10)["softmax_loss"]
    assert report.verdict == "forward_wrong" and report.config["N"] == 2
    assert "out is N (= " in report.message and "a sum over the batch" in report.message


def test_dropout_forward_scaled_by_p_is_forward_wrong(tmp_path):
    path = user_file(tmp_path, """
        def dropout_forward(x, dropout_param):
            np.random.seed(dropout_param["seed"])
            mask = np.random.rand(*x.shape) < dropout_param["p"]
            return x * mask * dropout_param["p"], mask * dropout_param["p"]

        def dropout_backward(dout, cache):
            return dout * cache
        """)
    report = graded(path, random=5)["dropout_backward"]
    assert report.verdict == "forward_wrong"
    assert "the factor on the kept units is 0.6 where 1.667 or 2.5 is expected" in report.message


def test_templates_and_not_implemented_are_unimplemented(tmp_path):
    path = user_file(tmp_path, """
        def relu_forward(x):
            out = None
            return out, x

        def relu_backward(dout, cache):
            return dout * (cache > 0)

        def affine_forward(x, w, b):
            return x.reshape(len(x), -1) @ w + b, (x, w, b)

        def affine_backward(dout, cache):
            dx, dw, db = None, None, None
            return dx, dw, db

        def sigmoid_forward(x):
            raise NotImplementedError("TODO")

        def sigmoid_backward(dout, cache):
            pass

        class Relu:
            def forward(self, x):
                self.x = x
                return np.maximum(x, 0)

            def backward(self, dout):
                pass
        """)
    reports = graded(path, random=5)
    assert {name: r.verdict for name, r in reports.items()} == dict.fromkeys(reports,
                                                                              "unimplemented")
    assert "returned None" in reports["relu_backward"].message
    assert "NotImplementedError: TODO" in reports["sigmoid_backward"].message


def test_a_backward_that_raises_is_error_with_the_users_line(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    path = user_file(tmp_path, """
        def tanh_forward(x):
            return np.tanh(x), x

        def tanh_backward(dout, cache):
            if cache.shape[1] > 2:
                raise ValueError("only two features")
            return dout * (1 - np.tanh(cache) ** 2)

        def svm_loss(x, y):
            return 0.0
        """)
    status, document = cli.json("grade-layers", path)
    assert status == 1
    reports = {r["name"]: r for r in document["layers"]}
    tanh = reports["tanh_backward"]
    assert tanh["verdict"] == "error" and tanh["config"]["D"] == 3
    assert tanh["message"] == "the backward raised ValueError: only two features at layers.py:9"
    assert reports["svm_loss"]["verdict"] == "error"
    assert "returned float where (loss, dx) is expected" in reports["svm_loss"]["message"]


def test_a_backward_without_its_forward_is_an_error(tmp_path):
    # an activation's cache is its input in cs231n's and Ng's courses alike: its
    # backward is graded with that (tests/test_course_files.py); a batch norm's is not
    path = user_file(tmp_path, """
        def batchnorm_backward(dout, cache):
            return dout, dout.sum(axis=0), dout.sum(axis=0)
        """)
    report = graded(path)["batchnorm_backward"]
    assert report.verdict == "error" and "batchnorm_forward" in report.message


# -- diagnoses ------------------------------------------------------------------------------

AFFINE_FORWARD = """
def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b, (x, w, b)
"""


@pytest.mark.parametrize("backward,key,kind", [
    ("dx = (dout @ w.T).reshape(x.shape); dw = dout.T @ x2; db = dout.sum(0)", "dw", "transpose"),
    ("dx = (dout @ w.T).reshape(x.shape); dw = x2.T @ dout; db = np.sum(dout)", "db", "axis"),
    ("dx = (dout @ w.T).reshape(x.shape); dw = x2.T @ dout; db = dout", "db", "axis"),
    ("dx = (dout @ w.T).reshape(x.shape); dw = -(x2.T @ dout); db = dout.sum(0)", "dw", "factor"),
    ("dx = dout @ w.T; dw = x2.T @ dout; db = dout.sum(0)", "dx", "shape")])
def test_affine_slips_are_named_on_their_key(tmp_path, backward, key, kind):
    path = user_file(tmp_path, AFFINE_FORWARD, f"""
def affine_backward(dout, cache):
    x, w, b = cache
    x2 = x.reshape(len(x), -1)
    {backward}
    return dx, dw, db
""")
    report = graded(path, random=30)["affine_backward"]
    assert report.verdict == "wrong"
    assert [k.key for k in report.keys if not k.ok] == [key]
    assert keyed(report)[key].diagnosis["kind"] == kind


def test_batchnorm_without_the_path_through_mu_is_missing_term(tmp_path):
    path = user_file(tmp_path, """
        def batchnorm_forward(x, gamma, beta, bn_param):
            mu, var = x.mean(0), x.var(0)
            std = np.sqrt(var + bn_param["eps"])
            return gamma * (x - mu) / std + beta, (x - mu, std, gamma)

        def batchnorm_backward(dout, cache):
            xc, std, gamma = cache
            n = len(dout)
            dxhat = dout * gamma
            dvar = np.sum(dxhat * xc * -0.5 * std ** -3, axis=0)
            dx = dxhat / std + dvar * 2 * xc / n          # the dmu term is left out
            return dx, np.sum(dout * xc / std, axis=0), dout.sum(0)
        """)
    report = graded(path)["batchnorm_backward"]
    diagnosis = keyed(report)["dx"].diagnosis
    assert report.verdict == "wrong"
    assert diagnosis["kind"] == "missing_term" and diagnosis["path"] == "mu"


def test_the_books_relu_writes_into_dout(tmp_path):
    # Deep Learning from Scratch's own Relu.backward zeroes dout in place
    path = user_file(tmp_path, """
        class Relu:
            def forward(self, x):
                self.mask = x <= 0
                return np.where(self.mask, 0.0, x)

            def backward(self, dout):
                dout[self.mask] = 0
                return dout
        """)
    report = graded(path, random=5)["Relu"]
    # harmless in a sequential network: ok, with a note (never wrong for the book's own code)
    assert report.verdict == "ok"
    assert keyed(report)["dx"].ok
    assert keyed(report)["dout"].diagnosis["kind"] == "mutates"
    assert keyed(report)["dout"].diagnosis["harmless"]
    assert any("writes into its upstream gradient dout in place" in n for n in report.notes)


# -- the command line and the Python API ---------------------------------------------------

def test_json_document_as_the_contract_shows(cli):
    status, document = cli.json("grade-layers", BUGS, "--only", "batchnorm,relu")
    assert status == 1
    assert document["file"] == BUGS
    assert [r["name"] for r in document["layers"]] == ["relu_backward", "batchnorm_backward"]
    layer = document["layers"][1]
    assert {"name", "layer", "verdict", "configs_tried", "keys", "config", "message"} <= set(layer)
    dx = next(k for k in layer["keys"] if k["key"] == "dx")
    assert dx["ok"] is False and dx["max_abs_error"] > 0 and dx["diagnosis"]["kind"] == "axis"


def test_exit_0_for_a_right_file_and_the_human_report(cli):
    status, out, err = cli("grade-layers", CS231N, "--only", "affine,softmax_loss", "--random", "5")
    assert status == 0 and err == ""
    assert "affine_backward (affine, cs231n): ok on 6 configurations" in out
    assert out.rstrip().endswith("summary: 2 ok")


@pytest.mark.parametrize("argv,words", [
    (["no/such/file.py"], "no such file"),
    ([os.path.join(ROOT, "examples", "seed001.py")],
     "nothing recognisable in .*: symbp looks for affine_forward, affine_backward, Affine"),
    ([CS231N, "--only", "lstm_backward"], "lstm_backward is not among the layers"),
    ([CS231N, "--config", "Q=2"], "no layer graded has Q"),
    ([CS231N, "--random", "-1"], "--random -1 is negative")])
def test_invalid_input_is_exit_2_and_one_sentence(argv, words, cli):
    status, out, err = cli("grade-layers", *argv)
    assert status == 2 and out == "" and err.count("\n") == 1
    import re
    assert re.search(words, err), err


def test_a_real_subprocess_with_the_files_folder_on_the_path(tmp_path):
    (tmp_path / "helpers.py").write_text("def relu(x):\n    return x * (x > 0)\n")
    user_file(tmp_path, """
        from helpers import relu

        def relu_forward(x):
            return relu(x), x

        def relu_backward(dout, cache):
            return dout * (cache > 0)
        """)
    done = subprocess.run([sys.executable, "-m", "symbp", "grade-layers", "layers.py",
                           "--random", "3"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT}, check=False)
    assert done.returncode == 0, done.stderr
    assert "relu_backward (relu, cs231n): ok" in done.stdout and done.stderr == ""


def _layernorm_forward(x, gamma, beta, ln_param):
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + ln_param["eps"])
    return gamma * (x - mu) / std + beta, ((x - mu) / std, std, gamma)


def _layernorm_backward(dout, cache):
    xhat, std, gamma = cache
    d = dout.shape[1]
    dxhat = dout * gamma
    dx = (d * dxhat - dxhat.sum(1, keepdims=True)
          - xhat * (dxhat * xhat).sum(1, keepdims=True)) / (d * std)
    return dx, (dout * xhat).sum(0), dout.sum(0)


@settings(max_examples=10, deadline=None)
@given(layer_configs("layernorm"))
def test_assert_layer_in_a_users_own_hypothesis_test(config):
    assert_layer(_layernorm_forward, _layernorm_backward, "layernorm", config=config)


def test_assert_layer_names_the_wrong_key():
    def averaged(dout, cache):
        dx, dgamma, dbeta = _layernorm_backward(dout, cache)
        return dx, dgamma, dbeta / len(dout)
    with pytest.raises(AssertionError, match="dbeta: WRONG"):
        assert_layer(_layernorm_forward, averaged, "layernorm", random=10)


# -- the layers of images and sequences --------------------------------------------------

def test_word_embedding_that_does_not_add_repeated_words_is_overwrite(tmp_path):
    path = user_file(tmp_path, """
        def word_embedding_forward(x, W):
            return W[x], (x, W)

        def word_embedding_backward(dout, cache):
            x, W = cache
            dW = np.zeros_like(W)
            dW[x] += dout               # NumPy buffers it: a repeated word counts once
            return dW
        """)
    report = graded(path)["word_embedding_backward"]
    diagnosis = keyed(report)["dW"].diagnosis
    assert report.verdict == "wrong" and diagnosis["kind"] == "overwrite"
    assert "no word occurs twice" in diagnosis["text"]


def test_rnn_backward_without_the_gradient_from_the_next_step_is_right_only_at_t_1(tmp_path):
    path = user_file(tmp_path, """
        def rnn_forward(x, h0, Wx, Wh, b):
            h, hs = h0, []
            for t in range(x.shape[1]):
                h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
                hs.append(h)
            return np.stack(hs, axis=1), (x, h0, Wx, Wh, np.stack(hs, axis=1))

        def rnn_backward(dh, cache):
            x, h0, Wx, Wh, hs = cache
            dx, dWx, dWh = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh)
            db, dprev = np.zeros(Wh.shape[1]), np.zeros_like(h0)
            for t in reversed(range(x.shape[1])):
                da = dh[:, t] * (1 - hs[:, t] ** 2)        # slip: + dprev left out
                prev = hs[:, t - 1] if t else h0
                dx[:, t], dWx, dWh, db = da @ Wx.T, dWx + x[:, t].T @ da, dWh + prev.T @ da, \\
                    db + da.sum(0)
                dprev = da @ Wh.T
            return dx, dprev, dWx, dWh, db
        """)
    report = graded(path)["rnn_backward"]
    assert report.verdict == "wrong" and report.config["T"] == 2
    assert keyed(report)["dx"].diagnosis["right"] == {"T": [1]}
    assert "right only when T = 1, wrong at T = 2, 3 or 4" in str(report)


def test_an_lstm_step_that_adds_into_dnext_c_is_noted_by_that_name():
    sys.path.insert(0, EXAMPLES)
    try:
        import cs231n_rnn_style as right
    finally:
        sys.path.remove(EXAMPLES)

    def lstm_step_backward(dnext_h, dnext_c, cache):
        grads = right.lstm_step_backward(dnext_h, dnext_c.copy(), cache)
        _, _, _, _, _, _, _, o, _, next_c = cache
        dnext_c += dnext_h * o * (1 - np.tanh(next_c) ** 2)      # into the caller's array
        return grads

    report = symbp.grading.in_process.grade_layer_code(
        right.lstm_step_forward, lstm_step_backward, "lstm_step", random=3)
    assert report.verdict == "ok"     # an upstream gradient written into: a note
    assert keyed(report)["dnext_c"].diagnosis["kind"] == "mutates"
    assert "dnext_h" not in keyed(report)
    assert any("upstream gradient dnext_c in place" in n for n in report.notes)


def test_spatial_batchnorm_without_moving_the_channels_last_is_forward_wrong(tmp_path):
    path = user_file(tmp_path, """
        def spatial_batchnorm_forward(x, gamma, beta, bn_param):
            rows = x.reshape(-1, x.shape[1])                # slip: no transpose(0, 2, 3, 1)
            xhat = (rows - rows.mean(0)) / np.sqrt(rows.var(0) + bn_param["eps"])
            return (gamma * xhat + beta).reshape(x.shape), None

        def spatial_batchnorm_backward(dout, cache):
            return dout, dout.sum((0, 2, 3)), dout.sum((0, 2, 3))
        """)
    report = graded(path, random=0)["spatial_batchnorm_backward"]   # N = C = H = W = 2
    assert report.verdict == "forward_wrong"
    assert "without moving the channels last" in report.message


def test_a_conv_backward_that_ignores_the_stride_is_right_only_at_stride_1(tmp_path, cli):
    path = user_file(tmp_path, """
        def conv_forward_naive(x, w, b, conv_param):
            s, p = conv_param["stride"], conv_param["pad"]
            xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
            hh, ww = w.shape[2:]
            oh, ow = 1 + (xp.shape[2] - hh) // s, 1 + (xp.shape[3] - ww) // s
            out = np.array([[[[np.sum(xp[n, :, i*s:i*s+hh, j*s:j*s+ww] * w[f]) + b[f]
                               for j in range(ow)] for i in range(oh)]
                             for f in range(len(w))] for n in range(len(x))])
            return out, (x, w, b, conv_param)

        def conv_backward_naive(dout, cache):
            x, w, b, conv_param = cache
            p = conv_param["pad"]
            xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
            dxp, dw = np.zeros_like(xp), np.zeros_like(w)
            hh, ww = w.shape[2:]
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    # slip: windows taken one apart, whatever the stride
                    window = xp[:, :, i:i + hh, j:j + ww]
                    dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], window)
                    dxp[:, :, i:i + hh, j:j + ww] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
            return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, dout.sum((0, 2, 3))
        """)
    status, document = cli.json("grade-layers", str(path), "--random", "10")
    assert status == 1
    layer = document["layers"][0]
    assert layer["verdict"] == "wrong" and layer["config"]["stride"] > 1
    dw = next(k for k in layer["keys"] if k["key"] == "dw")
    assert dw["diagnosis"]["kind"] == "config" and dw["diagnosis"]["right"]["stride"] == [1]


@settings(max_examples=5, deadline=None)
@given(layer_configs("max_pool", stride=1))
def test_assert_layer_over_overlapping_pools(config):
    sys.path.insert(0, EXAMPLES)
    try:
        from cs231n_style import max_pool_backward_naive, max_pool_forward_naive
    finally:
        sys.path.remove(EXAMPLES)
    assert_layer(max_pool_forward_naive, max_pool_backward_naive, "max_pool", config=config)
