"""A second round of ``symbp grade-layers`` and ``symbp grade`` on course
files as they are found: packages imported only to plot or load data, cs231n's
linear classifiers (``softmax.py``, ``linear_svm.py``), code written for
Python 2.

Every file here is written for these tests, in the style of the code it
stands for (none is copied); the truths are symbp's own.
"""

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
    # notebooks exported as .py import matplotlib at their top.  Neither is installed here.
    pytest.importorskip("numpy")
    for package in ("past", "matplotlib"):
        try:
            __import__(package)
            pytest.skip(f"{package} is installed here")
        except ImportError:
            pass
    path = write(tmp_path / "softmax.py", "from builtins import range\n"
                 "import numpy as np\nimport matplotlib.pyplot as plt\n"
                 "from past.builtins import xrange\n" + SOFTMAX.format(half="", twice="2 * ")
                 .replace("num_train = X.shape[0]", "num_train = len(list(xrange(len(X))))"))
    report, layers = graded(path, random=3)
    assert layers["softmax_loss_vectorized"].verdict == "ok"
    assert report.notes[0].startswith("past (the future package) is not installed: Python 2's "
                                      "xrange was given as Python 3's range")
    assert report.notes[1].startswith("matplotlib is not installed: the file was imported "
                                      "with a stand-in")
    # a file that calls the missing package when imported says so
    path.write_text(path.read_text().replace("import matplotlib.pyplot as plt\n",
                                             "import matplotlib.pyplot as plt\nplt.figure(1)\n"))
    with pytest.raises(symbp.errors.SymbpError, match="matplotlib is not installed: "
                                                      "matplotlib.pyplot.figure was called"):
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
        "the loss adds 0.5 * reg * sum(W * W) (cs231n's templates before 2017), so dW adds "
        "reg * W"]


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
    def svm_loss_naive(W, X, y, reg):
        loss = 0.0
        for i in xrange(len(X)):   # noqa: F821  (Python 2's range)
            loss += reg
        return loss, 2 * reg * W

    report = grade_layer_code(svm_loss_naive, layer="linear_svm", random=0)
    assert report.verdict == "error"
    assert "(Python 2's xrange: the code was written for Python 2; in Python 3 it is range)" \
        in report.message

    def max_pool_forward_naive(x, pool_param):
        H_out = 1 + (x.shape[2] - pool_param["pool_height"]) / pool_param["stride"]
        return np.zeros((len(x), x.shape[1], H_out, H_out)), x

    def max_pool_backward_naive(dout, cache):
        return np.zeros_like(cache)

    report = grade_layer_code(max_pool_forward_naive, max_pool_backward_naive, "max_pool",
                              random=0)
    assert report.verdict == "error" and "// is)" in report.message
