"""``symbp grade-layers`` on classes written the way *Neural Networks from
Scratch in Python* (nnfs.io) writes them: ``Layer_Dense``, ``Activation_*``,
``Loss_*``, the softmax classifier, ``Layer_Dropout``.

Every file here is written for these tests in the book's style (none is
copied); the truths are symbp's own (SymEngine's derivatives of the
catalogue's definitions), and the book's new losses are also checked
against numbers worked by hand.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import symbp
from symbp.layers import LAYERS
from symbp.layers.symbolic import truth_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RIGHT = os.path.join(ROOT, "examples", "layers", "nnfs_style.py")
BUGS = os.path.join(ROOT, "examples", "layers", "nnfs_bugs.py")

EXPECTED = {"Layer_Dense": "affine", "Activation_ReLU": "relu",
            "Activation_Sigmoid": "sigmoid", "Activation_Softmax": "softmax",
            "Activation_Linear": "identity", "Layer_Dropout": "dropout",
            "Activation_Softmax_Loss_CategoricalCrossentropy": "softmax_loss",
            "Loss_CategoricalCrossentropy": "categorical_crossentropy",
            "Loss_BinaryCrossentropy": "binary_crossentropy",
            "Loss_MeanSquaredError": "mse", "Loss_MeanAbsoluteError": "mae"}


def graded(path, **options):
    return {r.found.name: r for r in symbp.grade_layers(path, **options).layers}


def keyed(report):
    return {k.key: k for k in report.keys}


def user_file(tmp_path, source, name="layers.py"):
    path = tmp_path / name
    path.write_text("import numpy as np\n\n" + textwrap.dedent(source))
    return path


# -- a right file -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def right():
    return graded(RIGHT, random=5)


def test_every_class_of_the_book_is_found_as_its_catalogue_layer_and_is_ok(right):
    assert {name: r.found.layer for name, r in right.items()} == EXPECTED
    assert {r.found.style for r in right.values()} == {"nnfs"}
    assert {name: r.verdict for name, r in right.items()} == dict.fromkeys(EXPECTED, "ok")
    # every gradient the book sets was read and tested, dweights and dbiases included
    assert {k.key for k in right["Layer_Dense"].keys} == {"dx", "dw", "db"}
    assert all(k.tested for r in right.values() for k in r.keys)


def test_the_dense_layers_regularisers_are_graded_at_zero_and_said_so(right):
    note, = right["Layer_Dense"].notes
    assert "weight_regularizer_l2" in note and "at 0" in note


def test_the_command_line_in_process_and_a_real_subprocess(cli):
    status, out, err = cli("grade-layers", RIGHT, "--random", 3)
    assert status == 0 and err == "", err
    assert "Layer_Dense (affine, nnfs): ok" in out and "summary: 11 ok" in out
    done = subprocess.run([sys.executable, "-m", "symbp", "grade-layers", "nnfs_style.py",
                           "--random", "2", "--json"], cwd=os.path.dirname(RIGHT),
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr
    layers = {layer["name"]: layer for layer in json.loads(done.stdout)["layers"]}
    assert {name: layer["layer"] for name, layer in layers.items()} == EXPECTED
    assert layers["Loss_BinaryCrossentropy"]["style"] == "nnfs"


# -- planted slips ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bugs():
    return graded(BUGS, random=10)


@pytest.mark.parametrize("name,key,kind", [
    ("Layer_Dense", "dw", "transpose"),
    ("Activation_Sigmoid", "dx", "at_output"),
    ("Activation_Softmax_Loss_CategoricalCrossentropy", "dx", "factor"),
    ("Layer_Dropout", "dx", None)])
def test_every_planted_slip_is_wrong_with_its_diagnosis(bugs, name, key, kind):
    report = bugs[name]
    assert report.verdict == "wrong"
    wrong = [k.key for k in report.keys if not k.ok]
    assert wrong == [key], report.lines()
    if kind is not None:
        assert keyed(report)[key].diagnosis["kind"] == kind, report.lines()


def test_a_dropout_mask_not_applied_in_the_backward_is_said_where_units_are_dropped():
    # with one unit (where Hypothesis shrinks to) the mask keeps it, and the slip is
    # also "p times the truth"; with twelve, some are dropped and only the mask says it
    report = graded(BUGS, only=["Layer_Dropout"], random=3, config={"N": 3, "D": 4})
    dx = keyed(report["Layer_Dropout"])["dx"]
    assert report["Layer_Dropout"].verdict == "wrong" and not dx.ok
    assert dx.diagnosis["kind"] == "unmasked", report["Layer_Dropout"].lines()
    assert "mask not applied, nor scaled" in dx.diagnosis["text"]


def test_the_softmax_classifier_divided_twice_is_one_over_n(bugs):
    report = bugs["Activation_Softmax_Loss_CategoricalCrossentropy"]
    assert keyed(report)["dx"].diagnosis["factor"] == "1/N"
    assert report.config["N"] >= 2          # at N = 1 the slip is invisible
    # the book's final class has no forward: graded on its backward, and said so
    assert any("no forward" in note for note in report.notes)


def test_the_transposed_weights_gradient_on_a_square_layer_has_the_right_shape():
    square = graded(BUGS, only=["Layer_Dense"], random=3, config={"d": 3, "M": 3})
    dw = keyed(square["Layer_Dense"])["dw"]
    assert not dw.ok and dw.message is None         # a value slip, not a shape
    assert dw.diagnosis["kind"] == "transpose"
    assert "dw is the truth transposed" in str(square["Layer_Dense"])


def test_biases_summed_over_the_features_are_diagnosed(tmp_path):
    path = user_file(tmp_path, """
        class Layer_Dense:
            def __init__(self, n_inputs, n_neurons):
                self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
                self.biases = np.zeros((1, n_neurons))

            def forward(self, inputs):
                self.inputs = inputs
                self.output = np.dot(inputs, self.weights) + self.biases

            def backward(self, dvalues):
                self.dweights = np.dot(self.inputs.T, dvalues)
                self.dbiases = np.sum(dvalues, axis=1, keepdims=True)
                self.dinputs = np.dot(dvalues, self.weights.T)
        """)
    report = graded(path, random=3)["Layer_Dense"]
    db = keyed(report)["db"]
    assert report.verdict == "wrong" and not db.ok
    assert db.diagnosis["kind"] == "axis" and "axis 1" in db.diagnosis["text"]
    assert keyed(report)["dw"].ok and keyed(report)["dx"].ok


def test_the_books_mean_absolute_error_backward_has_its_sign_flipped(tmp_path):
    # the book's own Loss_MeanAbsoluteError.backward is sign(y_true - dvalues): the
    # gradient of mean|y - x| with respect to x is sign(x - y)
    path = user_file(tmp_path, """
        class Loss_MeanAbsoluteError:
            def forward(self, y_pred, y_true):
                return np.mean(np.abs(y_true - y_pred), axis=-1)

            def backward(self, dvalues, y_true):
                samples, outputs = len(dvalues), len(dvalues[0])
                self.dinputs = np.sign(y_true - dvalues) / outputs / samples
        """)
    report = graded(path, random=3)["Loss_MeanAbsoluteError"]
    dx = keyed(report)["dx"]
    assert report.verdict == "wrong" and dx.diagnosis["factor"] == "-1"


def test_a_class_setting_no_output_is_unimplemented_and_a_gradient_kept_elsewhere_said(tmp_path):
    path = user_file(tmp_path, """
        class Activation_ReLU:
            def forward(self, inputs):
                self.inputs = inputs

            def backward(self, dvalues):
                pass

        class Activation_Linear:
            def forward(self, inputs):
                self.output = inputs

            def backward(self, dvalues):
                self.dvalues = dvalues
        """)
    reports = graded(path, random=2)
    assert reports["Activation_ReLU"].verdict == "unimplemented"
    assert "set no self.output" in reports["Activation_ReLU"].message
    # the identity's gradient is dvalues itself: kept under another name, which is said
    assert reports["Activation_Linear"].verdict == "wrong"
    assert "self.dvalues holds it" in keyed(reports["Activation_Linear"])["dx"].message


def test_a_dropout_that_keeps_units_with_the_rate_it_drops_is_forward_wrong(tmp_path):
    path = user_file(tmp_path, """
        class Layer_Dropout:
            def __init__(self, rate):
                self.rate = rate            # the probability of dropping, kept as is

            def forward(self, inputs):
                kept = np.random.binomial(1, self.rate, size=inputs.shape)
                self.binary_mask = kept / (1 - self.rate)
                self.output = inputs * self.binary_mask

            def backward(self, dvalues):
                self.dinputs = dvalues * self.binary_mask
        """)
    report = graded(path, random=2)["Layer_Dropout"]
    assert report.verdict == "forward_wrong", report.lines()
    assert "rate" in report.message


# -- the book's losses against numbers worked by hand -----------------------------------------

@pytest.mark.parametrize("name,arrays,loss,dx", [
    # -(log 0.8 + log 0.6) / 2; d/dx = -(y/x - (1 - y)/(1 - x)) / 2
    ("binary_crossentropy", {"x": [[0.8, 0.4]], "y": [[1.0, 0.0]]},
     -(np.log(0.8) + np.log(0.6)) / 2, [[-0.625, 1 / 1.2]]),
    # mean over N = 2 of -log of the right class's probability
    ("categorical_crossentropy", {"x": [[0.2, 0.8], [0.5, 0.5]], "y": [1, 0]},
     -(np.log(0.8) + np.log(0.5)) / 2, [[0.0, -1 / 1.6], [-1.0, 0.0]]),
    ("mse", {"x": [[1.0, 2.0]], "y": [[0.0, 0.0]]}, 2.5, [[1.0, 2.0]]),
    ("mae", {"x": [[1.0, -2.0]], "y": [[0.0, 0.0]]}, 1.5, [[0.5, -0.5]])])
def test_the_books_losses_match_hand_worked_numbers(name, arrays, loss, dx):
    layer = LAYERS[name]
    arrays = {k: np.array(v) for k, v in arrays.items()}
    n, d = arrays["x"].shape
    config = {"N": n, "C": d} if name == "categorical_crossentropy" else {"N": n, "D": d}
    out, grads = truth_for(layer, config)(arrays, config, 1.0)
    assert np.isclose(float(np.ravel(out)[0]), loss)
    assert np.allclose(grads["dx"], dx)


NNFS_INIT = '''
    import numpy as np


    def init(dot_precision_workaround=True, default_dtype="float32", random_seed=0):
        # the nnfs package's init(): np.dot computes in float64 but returns float32
        np.random.seed(random_seed)
        float64_dot = np.dot

        def dot(*args, **kwargs):
            return float64_dot(*[np.asarray(a, "float64") for a in args], **kwargs).astype(
                default_dtype)
        np.dot = dot
'''


def test_nnfs_init_replacing_numpy_dot_is_undone_and_said(tmp_path):
    # nnfs.init() at the top of a file: right layers would be off by float32's rounding
    (tmp_path / "nnfs").mkdir()
    (tmp_path / "nnfs" / "__init__.py").write_text(textwrap.dedent(NNFS_INIT))
    with open(RIGHT) as right_file:
        source = "import nnfs\nnnfs.init()\n" + right_file.read()
    path = tmp_path / "chapter.py"
    path.write_text(source)
    report = symbp.grade_layers(path, random=3, only=["Layer_Dense", "Activation_Softmax"])
    assert [r.verdict for r in report.layers] == ["ok", "ok"]
    assert "the file replaced numpy.dot as it was imported (nnfs.init() does): graded with " \
           "NumPy's own" in report.notes


def test_a_file_calling_nnfs_init_where_nnfs_is_not_installed(tmp_path):
    import importlib.util
    if importlib.util.find_spec("nnfs") is not None:
        pytest.skip("nnfs is installed here: no stand-in is given")
    folder = tmp_path / "chapter" / "code"   # no folder named nnfs on the way up
    folder.mkdir(parents=True)
    with open(RIGHT) as right_file:
        source = "import nnfs\nfrom nnfs.datasets import spiral_data\nnnfs.init()\n" + \
            right_file.read()
    (folder / "ch19.py").write_text(source)
    report = symbp.grade_layers(folder / "ch19.py", random=2, only=["Layer_Dense"])
    assert [r.verdict for r in report.layers] == ["ok"]
    said = ("nnfs is not installed: nnfs.init() was given as doing nothing (symbp grades "
            "with NumPy's own float64 dot); its other names import, calling one raises")
    assert report.notes == [said]
