"""A second round of ``symbp grade-layers`` and ``symbp grade`` on course
files as they are found: packages imported only to plot or load data, cs231n's
linear classifiers (``softmax.py``, ``linear_svm.py``), code written for
Python 2.

Every file here is written for these tests, in the style of the code it
stands for (none is copied); the truths are symbp's own.
"""

import importlib.util
import textwrap

import numpy as np
import pytest

import symbp
from symbp.grading.in_process import grade_layer_code
from symbp.layers import LAYERS
from symbp.layers.check import compare_layer


def write(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def graded(path, **options):
    report = symbp.grade_layers(path, **options)
    return report, {r.found.name: r for r in report.layers}


def keyed(report):
    return {k.key: k for k in report.keys}


# -- packages a course file imports but never needs for a gradient -------------------------

SOFTMAX = textwrap.dedent('''
    def softmax_loss_vectorized(W, X, y, reg):
        num_train = X.shape[0]
        scores = X.dot(W)
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(num_train), y]).sum() / num_train
        loss += {half}reg * np.sum(W * W)
        dscores = probs.copy()
        dscores[np.arange(num_train), y] -= 1
        dW = X.T.dot(dscores) / num_train + {twice}reg * W
        return loss, dW
''')


def test_plotting_and_python_2_packages_that_are_missing_get_stand_ins(tmp_path):
    # cs231n's softmax.py (2017-2021) imports past.builtins.xrange (the future package);
    # notebooks exported as .py import matplotlib, cv2... at their top
    missing = [name for name in ("past", "matplotlib", "cv2", "skimage", "seaborn")
               if importlib.util.find_spec(name) is None]
    if "past" not in missing or len(missing) < 2:
        pytest.skip("the packages this test stands in for are installed here")
    plots = missing[1]
    path = write(tmp_path / "softmax.py", "from builtins import range\n"
                 f"import numpy as np\nimport {plots}.pyplot as plt\n"
                 "from past.builtins import xrange\n" + SOFTMAX.format(half="", twice="2 * ")
                 .replace("num_train = X.shape[0]", "num_train = len(list(xrange(len(X))))"))
    report, layers = graded(path, random=3)
    assert layers["softmax_loss_vectorized"].verdict == "ok"
    assert report.notes == [
        ("past (the future package) is not installed: Python 2's xrange was given as Python "
         "3's range"),
        (f"{plots} is not installed: the file was imported with a stand-in for it (its names "
         "import; calling one raises)")]
    # a file that calls the missing package when imported says so
    path.write_text(path.read_text().replace("as plt\n", "as plt\nplt.figure(1)\n"))
    with pytest.raises(symbp.errors.SymbpError, match=f"{plots} is not installed: "
                                                      f"{plots}.pyplot.figure was called"):
        symbp.grade_layers(path, random=0)


# -- cs231n's linear classifiers ----------------------------------------------------------

def test_linear_classifiers_are_found_by_their_names_and_the_two_decays_are_read(tmp_path):
    # 2017 on: loss += reg * np.sum(W * W), dW += 2 * reg * W; 2016: 0.5 * reg and reg * W
    path = write(tmp_path / "softmax.py", "import numpy as np\n"
                 + SOFTMAX.format(half="", twice="2 * ")
                 + SOFTMAX.format(half="0.5 * ", twice="").replace("vectorized", "naive"))
    _, layers = graded(path, random=5)
    assert [(r.found.layer, r.verdict) for r in layers.values()] == \
        [("linear_softmax", "ok"), ("linear_softmax", "ok")]
    assert layers["softmax_loss_naive"].notes == [
        ("the loss adds 0.5 * reg * sum(W * W) (cs231n's templates before 2017), so dW adds "
         "reg * W")]


def _svm(decay_factor=2.0, data_divisor="N", batch_mean=True):
    """cs231n's svm_loss_vectorized, with the slips of the tests below."""
    def svm_loss_vectorized(W, X, y, reg):
        N = len(X)
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / (N if data_divisor == "N" else W.shape[1]) + reg * np.sum(W * W)
        above = (margins > 0).astype(float)
        above[np.arange(N), y] = -above.sum(axis=1)
        dW = X.T @ above / (N if batch_mean else 1) + decay_factor * reg * W
        return loss, dW
    return svm_loss_vectorized


@pytest.mark.parametrize("slip,verdict", [
    ({}, "ok"),
    ({"decay_factor": 1.0}, "wrong"),          # reg * W where the loss has reg * sum(W * W)
    ({"batch_mean": False}, "wrong"),          # dW summed over the batch
    ({"data_divisor": "C"}, "forward_wrong")])
def test_slips_in_a_linear_svm(slip, verdict):
    report = grade_layer_code(_svm(**slip), layer="linear_svm", random=5)
    assert report.verdict == verdict
    if verdict == "wrong":
        assert not keyed(report)["dW"].ok
    if verdict == "forward_wrong":
        assert report.message == ("the forward differs: the data loss divided by C (the "
                                  "classes) where it is averaged over N (the samples)")


def test_the_linear_classifiers_three_sources_agree():
    # the definition (SymEngine), symbp's NumPy backward and finite differences
    for name in ("linear_softmax", "linear_svm"):
        layer = LAYERS[name]
        config = layer.default_config({"N": 4, "C": 4, "reg": 2.5, "coefficient": 0.5})
        assert compare_layer(layer, config, seed=1).agree


# -- code written for Python 2 ------------------------------------------------------------

def test_python_2_idioms_get_a_hint():
    def svm_loss_naive(W, X, _y, reg):
        loss = 0.0
        for _ in xrange(len(X)):   # noqa: F821  (Python 2's range)
            loss += reg
        return loss, 2 * reg * W

    report = grade_layer_code(svm_loss_naive, layer="linear_svm", random=0)
    assert report.verdict == "error"
    assert "(Python 2's xrange: the code was written for Python 2; in Python 3 it is range)" \
        in report.message

    def max_pool_forward_naive(x, pool_param):
        H_out = 1 + (x.shape[2] - pool_param["pool_height"]) / pool_param["stride"]
        return np.zeros((len(x), x.shape[1], H_out, H_out)), x

    def max_pool_backward_naive(_dout, cache):
        return np.zeros_like(cache)

    report = grade_layer_code(max_pool_forward_naive, max_pool_backward_naive, "max_pool",
                              random=0)
    assert report.verdict == "error" and "// is)" in report.message


# -- symbp grade: FUNC called the way its course calls it ----------------------------------

NG_DEEP = '''
    import numpy as np


    def sigmoid(Z):
        return 1 / (1 + np.exp(-Z)), Z


    def relu(Z):
        return np.maximum(0, Z), Z


    def L_model_forward(X, parameters):
        caches, A = [], X
        L = len(parameters) // 2
        for l in range(1, L + 1):
            W, b = parameters["W" + str(l)], parameters["b" + str(l)]
            A_prev, Z = A, W @ A + b
            A, activation_cache = relu(Z) if l < L else sigmoid(Z)
            caches.append(((A_prev, W, b), {kept}))
        return A, caches


    def L_model_backward(AL, Y, caches):
        grads, L, m = {{}}, len(caches), AL.shape[1]
        dA = -(Y / AL - (1 - Y) / (1 - AL))
        for l in reversed(range(L)):
            (A_prev, W, b), Z = caches[l]
            s = 1 / (1 + np.exp(-Z))
            dZ = dA * s * (1 - s) if l == L - 1 else dA * (Z > 0)
            grads["dW" + str(l + 1)] = dZ @ A_prev.T / m
            grads["db" + str(l + 1)] = dZ.sum(axis=1, keepdims=True) / m
            grads["dA" + str(l)] = dA = W.T @ dZ
        return grads
'''
NG_NET = ["--layers", "3,4,2,1", "--hidden", "relu", "--output", "sigmoid", "--loss", "bce",
          "--batch", "3"]


@pytest.mark.parametrize("kept,ok", [("activation_cache", True), ("A", False)])
def test_ngs_l_model_backward_is_given_the_caches_of_l_model_forward(cli, tmp_path, kept, ok):
    # a classic slip of the course: the activation cache holding A where Z is expected
    # (right for relu, whose A > 0 exactly where Z > 0; wrong for the sigmoid)
    path = write(tmp_path / "deep.py", NG_DEEP.format(kept=kept))
    status, doc = cli.json("grade", f"{path}:L_model_backward", *NG_NET)
    assert status == (0 if ok else 1)
    assert ("FUNC called as the course does: L_model_forward gives the cache, then "
            "L_model_backward(AL, Y, caches)") in doc["report"]["notes"]
    if not ok:   # every gradient is off by a ratio no slip names: no factor is claimed
        assert all(not k["ok"] and k["diagnosis"] is None for k in doc["report"]["keys"])


NG_REGULARIZED = '''
    import numpy as np


    def forward_propagation(X, parameters):
        W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
        Z1 = np.dot(W1, X) + b1
        A1 = np.maximum(0, Z1)
        A2 = 1 / (1 + np.exp(-(np.dot(W2, A1) + b2)))
        return A2, (Z1, A1, W1, b1, A2, W2, b2)


    def backward_propagation_with_regularization(X, Y, cache, lambd):
        m = X.shape[1]
        Z1, A1, W1, b1, A2, W2, b2 = cache
        dZ2 = A2 - Y
        dW2 = 1. / m * np.dot(dZ2, A1.T) + lambd * W2 / {divisor}
        dZ1 = np.dot(W2.T, dZ2) * (A1 > 0)
        dW1 = 1. / m * np.dot(dZ1, X.T) + lambd * W1 / {divisor}
        return {{"dZ2": dZ2, "dW2": dW2, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
                "dZ1": dZ1, "dW1": dW1, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}}
'''


def test_ngs_regularised_backward_gets_the_cache_and_a_lambd(cli, tmp_path):
    path = write(tmp_path / "reg.py", NG_REGULARIZED.format(divisor="m"))
    net = ["--layers", "3,4,1", "--hidden", "relu", "--output", "sigmoid", "--loss", "bce",
           "--batch", "3"]
    status, doc = cli.json("grade", f"{path}:backward_propagation_with_regularization", *net)
    assert status == 0 and doc["report"]["network"]["l2"] == pytest.approx(0.7 / 3)
    assert "FUNC takes lambd: graded with lambd = 0.7 (--lambd sets another)" in \
        doc["report"]["notes"]
    path.write_text(path.read_text().replace("lambd * W1 / m", "lambd * W1"))
    status, doc = cli.json("grade", f"{path}:backward_propagation_with_regularization", *net,
                           "--lambd", "0.5")
    keys = {k["key"]: k for k in doc["report"]["keys"]}
    assert status == 1 and keys["W2"]["ok"] and not keys["W1"]["ok"]
    assert keys["W1"]["diagnosis"]["kind"] == "decay"


CS231N_MODEL = '''
    import numpy as np


    class TwoLayerNet(object):
        def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10,
                     weight_scale=1e-3, reg=0.0):
            self.reg = reg
            self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim),
                           "b1": np.zeros(hidden_dim),
                           "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
                           "b2": np.zeros(num_classes)}

        def loss(self, X, y=None):
            W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
            hidden = np.maximum(0, X @ W1 + b1)
            scores = hidden @ W2 + b2
            if y is None:
                return scores
            probs = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            N = len(X)
            loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * self.reg * (
                np.sum(W1 * W1) + np.sum(W2 * W2))
            dscores = probs.copy()
            dscores[np.arange(N), y] -= 1
            dscores /= N
            dhidden = dscores @ W2.T * (hidden > 0)
            grads = {"W2": hidden.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0),
                     "W1": X.T @ dhidden + self.reg * W1, "b1": dhidden.sum(axis=0)}
            return loss, grads
'''


def test_a_cs231n_model_class_is_built_and_given_the_points_parameters(cli, tmp_path):
    path = write(tmp_path / "fc_net.py", CS231N_MODEL)
    net = ["--layers", "4,5,3", "--hidden", "relu", "--output", "softmax", "--batch", "4"]
    status, doc = cli.json("grade", f"{path}:TwoLayerNet", *net, "--l2", "0.3")
    notes = doc["report"]["notes"]
    assert status == 0 and doc["report"]["network"]["layout"] == "row"
    assert notes[0].startswith("TwoLayerNet built with the network's sizes (input_dim, "
                               "hidden_dim, num_classes, reg)")
    assert "its loss(X, y) takes integer class labels: graded with --labels" in notes
    # its scores through a relu (affine_relu_forward where affine_forward is meant)
    path.write_text(path.read_text().replace("scores = hidden @ W2 + b2",
                                             "scores = np.maximum(0, hidden @ W2 + b2)"))
    assert cli.json("grade", f"{path}:TwoLayerNet", *net)[0] == 1


# -- Deep Learning from Scratch 2's time layers --------------------------------------------

def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class LSTM:
    """The book 2's LSTM step: gates sliced f, g, i, o; gradients in self.grads."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        A = x @ Wx + h_prev @ Wh + b
        f, g, i, o = (A[:, k * H:(k + 1) * H] for k in range(4))
        f, g, i, o = _sigmoid(f), np.tanh(g), _sigmoid(i), _sigmoid(o)
        c_next = f * c_prev + g * i
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return o * np.tanh(c_next), c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        ds = dc_next + dh_next * o * (1 - np.tanh(c_next) ** 2)
        dA = np.hstack((ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2),
                        ds * g * i * (1 - i), dh_next * np.tanh(c_next) * o * (1 - o)))
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, ds * f


def test_the_second_books_lstm_is_given_its_gates_in_its_own_order():
    # cs231n's gates are i, f, o, g; the book's f, g, i, o: the same layer
    assert grade_layer_code(LSTM, layer="lstm_step", random=4).verdict == "ok"


TIME_LAYERS = '''
    import numpy as np


    class TimeRNN:
        def __init__(self, Wx, Wh, b, stateful=False):
            self.params = [Wx, Wh, b]
            self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
            self.h, self.stateful = None, stateful

        def set_state(self, h):
            self.h = h

        def forward(self, xs):
            Wx, Wh, b = self.params
            N, T, _ = xs.shape
            if not self.stateful or self.h is None:
                self.h = np.zeros((N, Wh.shape[0]), dtype='f')
            self.xs, self.hs, self.h0 = xs, [], self.h
            for t in range(T):
                self.h = np.tanh(xs[:, t] @ Wx + self.h @ Wh + b)
                self.hs.append(self.h)
            return np.stack(self.hs, axis=1).astype('f')

        def backward(self, dhs):
            Wx, Wh, b = self.params
            dxs, dh = np.empty(self.xs.shape, dtype='f'), 0
            grads = [0, 0, 0]
            for t in reversed(range(dhs.shape[1])):
                dt = (dhs[:, t] + dh) * (1 - self.hs[t] ** 2)
                previous = self.hs[t - 1] if t else self.h0
                for k, g in enumerate((self.xs[:, t].T @ dt, previous.T @ dt, dt.sum(axis=0))):
                    grads[k] += g
                dxs[:, t], dh = dt @ Wx.T, dt @ Wh.T
            for k, g in enumerate(grads):
                self.grads[k][...] = g
            self.dh = dh
            return dxs


    class TimeSoftmaxWithLoss:
        def forward(self, xs, ts):
            N, T, V = xs.shape
            self.mask = (ts != -1).reshape(N * T)
            ys = np.exp(xs.reshape(N * T, V))
            ys /= ys.sum(axis=1, keepdims=True)
            self.ts, self.ys, self.shape = ts.reshape(N * T), ys, xs.shape
            return -np.sum(np.log(ys[np.arange(N * T), self.ts]) * self.mask) / self.mask.sum()

        def backward(self, dout=1):
            dx = self.ys                       # the book's: its own cache, changed in place
            dx[np.arange(len(dx)), self.ts] -= 1
            return (dx * dout / self.mask.sum() * self.mask[:, None]).reshape(self.shape)


    class TimeDropout:
        def __init__(self, dropout_ratio=0.5):
            self.dropout_ratio, self.train_flg = dropout_ratio, True

        def forward(self, xs):
            flg = np.random.rand(*xs.shape) > self.dropout_ratio
            self.mask = flg.astype(np.float32) * (1 / (1.0 - self.dropout_ratio))
            return xs * self.mask

        def backward(self, dout):
            return dout * self.mask
'''


def test_the_second_books_time_layers_are_found_and_graded_as_it_calls_them(tmp_path):
    # TimeRNN from set_state(h0), in float32; a loss averaged over the steps counted
    # (labels -1 uncounted), which writes into its own cache; TimeDropout's float32 mask
    path = write(tmp_path / "common" / "time_layers.py", TIME_LAYERS)
    _, layers = graded(path, random=3)
    assert {name: (r.found.layer, r.verdict) for name, r in layers.items()} == {
        "TimeDropout": ("dropout", "ok"), "TimeRNN": ("rnn", "ok"),
        "TimeSoftmaxWithLoss": ("time_softmax_loss", "ok")}
    assert layers["TimeSoftmaxWithLoss"].notes[0].startswith(
        "TimeSoftmaxWithLoss changes self.ys in place, an array its forward made")


# -- Andrew Ng's course's layers -------------------------------------------------------------

NG_LAYERS = '''
    import numpy as np


    def sigmoid(Z):
        return 1 / (1 + np.exp(-Z))            # the output alone (dnn_utils returns A, Z)


    def sigmoid_backward(dA, cache):
        s = sigmoid(cache)
        return dA * s * (1 - s)


    def relu_backward(dA, cache):
        dZ = np.array(dA, copy=True)
        dZ[cache <= 0] = 0
        return dZ


    def linear_forward(A, W, b):
        return np.dot(W, A) + b, (A, W, b)


    def linear_backward(dZ, cache):
        A_prev, W, b = cache
        m = A_prev.shape[1]
        return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True){db}


    def linear_activation_forward(A_prev, W, b, activation):
        Z, linear_cache = linear_forward(A_prev, W, b)
        A = sigmoid(Z) if activation == "sigmoid" else np.maximum(0, Z)
        return A, (linear_cache, Z)


    def linear_activation_backward(dA, cache, activation):
        linear_cache, Z = cache
        dZ = sigmoid_backward(dA, Z) if activation == "sigmoid" else relu_backward(dA, Z)
        return linear_backward(dZ, linear_cache)
'''


def test_ngs_layers_are_graded_with_his_conventions(tmp_path):
    # columns are samples; dW and db are the cost's (1/m of the product), dA_prev is not
    path = write(tmp_path / "dnn.py", NG_LAYERS.format(db=" / m"))
    report, layers = graded(path, random=3)
    assert {(r.found.layer, r.found.style, r.verdict) for r in report.layers} == {
        ("sigmoid", "ng", "ok"), ("relu", "cs231n", "ok"), ("linear", "ng", "ok"),
        ("linear_relu", "ng", "ok"), ("linear_sigmoid", "ng", "ok")}
    assert layers["relu_backward"].notes == [
        ("no relu_forward in the file: relu_backward was given its input as the cache, as "
        "cs231n's and Ng's forwards cache it")]
    assert layers["sigmoid_backward"].notes == [
        ("sigmoid returned its output alone: its input was given to the backward as the cache "
        "(Ng's activation cache is Z)")]
    path.write_text(path.read_text().replace("keepdims=True) / m", "keepdims=True)"))
    report = symbp.grade_layers(path, random=3, only=["linear_backward"]).layers[0]
    diagnosis = keyed(report)["db"].diagnosis
    assert report.verdict == "wrong" and diagnosis["kind"] == "factor"
    assert diagnosis["factor"] == "m" and keyed(report)["dW"].ok


class MatMul:
    """The book 2's MatMul: no bias; dW written into self.grads."""

    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        return dout @ self.params[0].T


class Softmax:
    def forward(self, x):
        self.out = np.exp(x - x.max(axis=1, keepdims=True))
        self.out /= self.out.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        dx -= self.out * dx.sum(axis=1, keepdims=True)
        return dx


class SigmoidWithLoss:
    def forward(self, x, t):
        self.t, self.y = t, 1 / (1 + np.exp(-x))
        picked = np.where(t == 1, self.y, 1 - self.y)
        return -np.mean(np.log(picked + 1e-7))      # the book's cross_entropy_error's delta

    def backward(self, dout=1):
        return (self.y - self.t) * dout / len(self.t)


@pytest.mark.parametrize("cls,layer", [(MatMul, "matmul"), (Softmax, "softmax"),
                                       (SigmoidWithLoss, "sigmoid_loss")])
def test_the_second_books_other_layers(cls, layer):
    assert grade_layer_code(cls, layer=layer, random=3).verdict == "ok"


def test_a_layers_backward_given_to_grade_is_sent_to_grade_layers(cli, tmp_path):
    path = write(tmp_path / "dnn.py", NG_LAYERS.format(db=" / m"))
    status, _, err = cli("grade", f"{path}:linear_activation_backward", "--layers", "3,2,1")
    assert status == 2
    assert err.startswith("linear_activation_backward is the backward of a layer (the "
                          "catalogue's linear_relu), not of a whole network: symbp "
                          "grade-layers FILE grades it")


BOOK_MODEL = '''
    import numpy as np


    class MultiLayerNet:
        def __init__(self, input_size, hidden_size_list, output_size, weight_decay_lambda=0):
            sizes = [input_size] + hidden_size_list + [output_size]
            self.params, self.decay = {{}}, weight_decay_lambda
            for i in range(1, len(sizes)):
                self.params["W" + str(i)] = np.random.randn(sizes[i - 1], sizes[i])
                self.params["b" + str(i)] = np.zeros(sizes[i])
            self.depth = len(sizes) - 1

        def gradient(self, x, t):
            outs = [x]
            for i in range(1, self.depth + 1):
                z = outs[-1] @ self.params["W" + str(i)] + self.params["b" + str(i)]
                outs.append(np.maximum(z, 0) if i < self.depth else z)
            y = np.exp(outs[-1] - outs[-1].max(axis=1, keepdims=True))
            y /= y.sum(axis=1, keepdims=True)
            dout, grads = (y - t) / len(x), {{}}
            for i in range(self.depth, 0, -1):
                grads["W" + str(i)] = outs[i - 1].T @ dout{decay}
                grads["b" + str(i)] = dout.sum(axis=0)
                dout = dout @ self.params["W" + str(i)].T * (outs[i - 1] > 0)
            return grads
'''


def test_a_book_model_class_is_graded_through_its_gradient_method(cli, tmp_path):
    # the book's MultiLayerNet of 2016 left the weight decay out of gradient()
    net = ["--layers", "3,4,2,3", "--hidden", "relu", "--output", "softmax", "--loss", "cce",
           "--batch", "4", "--l2", "0.2"]
    path = write(tmp_path / "multi_layer_net.py",
                 BOOK_MODEL.format(decay=' + self.decay * self.params["W" + str(i)]'))
    status, doc = cli.json("grade", f"{path}:MultiLayerNet", *net)
    assert status == 0 and doc["report"]["network"]["targets"] == "onehot"
    path.write_text(path.read_text().replace(' + self.decay * self.params["W" + str(i)]', ""))
    status, doc = cli.json("grade", f"{path}:MultiLayerNet", *net)
    keys = {k["key"]: k for k in doc["report"]["keys"]}
    assert status == 1 and keys["b1"]["ok"]
    assert keys["W1"]["diagnosis"]["kind"] == "decay" and keys["W1"]["diagnosis"]["factor"] == "0"


# -- Nielsen's Neural Networks and Deep Learning: network.py, network2.py --------------------

NIELSEN = '''
    import numpy as np


    class CrossEntropyCost:
        @staticmethod
        def delta(z, a, y):
            return a - y


    class QuadraticCost:
        @staticmethod
        def delta(z, a, y):
            return (a - y) * sigmoid_prime(z)


    class Network:
        def __init__(self, sizes, cost=COST):
            self.num_layers = len(sizes)
            self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
            self.weights = [np.random.randn(n, k) for k, n in zip(sizes[:-1], sizes[1:])]
            self.cost = cost

        def backprop(self, x, y):
            nabla_b = [np.zeros(b.shape) for b in self.biases]
            nabla_w = [np.zeros(w.shape) for w in self.weights]
            activations, zs = [x], []
            for b, w in zip(self.biases, self.weights):
                zs.append(np.dot(w, activations[-1]) + b)
                activations.append(sigmoid(zs[-1]))
            delta = self.cost.delta(zs[-1], activations[-1], y)
            nabla_b[-1] = delta
            nabla_w[-1] = np.dot(delta, activations[-2].transpose())
            for l in range(2, self.num_layers):
                delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
                nabla_b[-l] = delta
                nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
            return (nabla_b, nabla_w)


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def sigmoid_prime(z):
        return sigmoid(z) * (1 - sigmoid(z))
'''


@pytest.mark.parametrize("cost, loss", [("QuadraticCost", "half_sse"),
                                        ("CrossEntropyCost", "bce")])
def test_nielsens_network_is_built_and_graded_through_backprop(cli, tmp_path, cost, loss):
    path = write(tmp_path / "network2.py", NIELSEN.replace("COST", cost))
    for target in ("Network", "Network.backprop"):
        status, doc = cli.json("grade", f"{path}:{target}", "--layers", "3,4,2",
                               "--layout", "row", "--random", "5")
        network = doc["report"]["network"]
        assert status == 0, doc
        assert (network["layout"], network["loss"], network["batch"]) == ("column", loss, 1)
        assert doc["report"]["notes"][0].startswith("Network built with the network's sizes")
        assert doc["random"]["ok"]
    # sigma'(a) for sigma'(z) in the hidden layers' recursion: wrong W1 and b1 only
    slipped = write(tmp_path / "slipped.py", NIELSEN.replace("COST", cost).replace(
        "sigmoid_prime(zs[-l])", "sigmoid_prime(activations[-l])"))
    status, doc = cli.json("grade", f"{slipped}:Network.backprop", "--layers", "3,4,2")
    assert status == 1
    assert {k["key"] for k in doc["report"]["keys"] if not k["ok"]} == {"W1", "b1"}


def test_a_method_that_is_not_there_is_one_sentence(cli, tmp_path):
    path = write(tmp_path / "network.py", NIELSEN.replace("COST", "QuadraticCost"))
    status, _, err = cli("grade", f"{path}:Network.backprob", "--layers", "2,2")
    assert status == 2
    assert err.strip() == "the class Network has no 'backprob'; check the method's name."
    status, _, err = cli("grade", f"{path}:sigmoid.x", "--layers", "2,2")
    assert status == 2 and "'sigmoid' is not a class" in err
    # a method that is not a backward pass is never called with (x, y)
    status, _, err = cli("grade", f"{path}:Network.__init__", "--layers", "2,2")
    assert status == 2 and err.startswith("Network.__init__ does not compute gradients by its "
                                          "name: give the class's backprop(x, y)")
    # weights kept under another name: never graded at the class's own random ones
    renamed = write(tmp_path / "renamed.py", NIELSEN.replace("COST", "QuadraticCost").replace(
        "self.weights", "self.W"))
    status, doc = cli.json("grade", f"{renamed}:Network", "--layers", "2,2")
    assert status == 1 and doc["report"]["error"].startswith(
        "TypeError: Network keeps no weights list: symbp cannot give it the point's parameters")


def test_a_python_2_file_is_one_sentence_with_the_way_out(cli, tmp_path):
    # Nielsen's network.py as he wrote it: Python 2's print statement
    path = write(tmp_path / "network.py", textwrap.dedent(NIELSEN).replace(
        "COST", "QuadraticCost") + '\n\ndef report(j):\n    print "Epoch {0} complete".format(j)\n')
    status, out, err = cli("grade", f"{path}:Network", "--layers", "2,2")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.strip().endswith("the code is Python 2 (a print statement): 2to3 -w FILE "
                                "converts it.")
