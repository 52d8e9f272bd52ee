"""``symbp grade`` on two more kinds of widely copied backprop code: Tariq
Rashid's *Make Your Own Neural Network* (``neuralNetwork.train`` updates its
weights in place) and Andrew Ng's *Machine Learning* exercise 4 in Python
(``nnCostFunction`` on Theta1 and Theta2 unrolled).

Every file here is written for these tests, in the style of the code it
stands for (none is copied); the truths are symbp's own (SymPy's).
"""

import importlib.util
import textwrap

import pytest

import symbp
from symbp.grading import stand_ins


def write(path, source):
    path.write_text(textwrap.dedent(source))
    return path


def imported(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wrong(doc):
    return {k["key"]: k for k in doc["report"]["keys"] if not k["ok"]}


# -- Rashid, Make Your Own Neural Network ------------------------------------------------

RASHID = '''
    import numpy
    import scipy.special


    class neuralNetwork:

        def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate):
            self.inodes, self.hnodes, self.onodes = inputnodes, hiddennodes, outputnodes
            self.wih = numpy.random.normal(0.0, pow(self.inodes, -0.5), (self.hnodes, self.inodes))
            self.who = numpy.random.normal(0.0, pow(self.hnodes, -0.5), (self.onodes, self.hnodes))
            self.lr = learningrate
            self.activation_function = lambda x: scipy.special.expit(x)

        def train(self, inputs_list, targets_list):
            inputs = numpy.array(inputs_list, ndmin=2).T
            targets = numpy.array(targets_list, ndmin=2).T
            hidden_outputs = self.activation_function(numpy.dot(self.wih, inputs))
            final_outputs = self.activation_function(numpy.dot(self.who, hidden_outputs))
            output_errors = targets - final_outputs
            output_deltas = output_errors * final_outputs * (1.0 - final_outputs)
            hidden_errors = numpy.dot(self.who.T, HIDDEN_FROM)
            self.who += self.lr * numpy.dot(output_deltas, numpy.transpose(hidden_outputs))
            self.wih += self.lr * numpy.dot(hidden_errors * hidden_outputs * (1.0 - hidden_outputs),
                                            numpy.transpose(inputs))

        def query(self, inputs_list):
            inputs = numpy.array(inputs_list, ndmin=2).T
            return self.activation_function(
                numpy.dot(self.who, self.activation_function(numpy.dot(self.wih, inputs))))
'''


def rashid(tmp_path, name="mynn.py", hidden_from="output_deltas", slip=None):
    source = RASHID.replace("HIDDEN_FROM", hidden_from)
    if slip is not None:
        source = source.replace(*slip)
    return write(tmp_path / name, source)


def test_rashids_network_is_built_and_graded_through_train(cli, tmp_path):
    path = rashid(tmp_path)
    for target in ("neuralNetwork", "neuralNetwork.train"):
        status, doc = cli.json("grade", f"{path}:{target}", "--layers", "3,4,2", "--layout", "row",
                               "--random", "3")
        network = doc["report"]["network"]
        assert status == 0, doc
        assert (network["layout"], network["loss"], network["bias"], network["reduction"]) == \
            ("column", "half_sse", False, "sum")
        assert doc["report"]["notes"][0].startswith("neuralNetwork built with the network's sizes")
        assert doc["random"]["ok"]
    # one sample at a time, the steps added up: any batch
    status, doc = cli.json("grade", f"{path}:neuralNetwork", "--layers", "2,3,2", "--batch", "4")
    assert status == 0 and doc["report"]["network"]["batch"] == 4


def test_the_books_own_hidden_errors_are_named_the_cross_entropys(cli, tmp_path):
    # the book sends t - o back without the output's sigmoid derivative: its W1 step
    # descends the cross-entropy, its W2 step the squared error
    path = rashid(tmp_path, hidden_from="output_errors")
    status, doc = cli.json("grade", f"{path}:neuralNetwork", "--layers", "3,4,2")
    assert status == 1 and set(wrong(doc)) == {"W1"}
    diagnosis = wrong(doc)["W1"]["diagnosis"]
    assert (diagnosis["kind"], diagnosis["loss"]) == ("other_loss", "bce")
    # and the same file through the Python API, on a network the test builds
    net = symbp.Network(layers=[2, 3, 2], loss="half_sse", reduction="sum", bias=False)
    report = symbp.grade(imported(path).neuralNetwork, net)
    assert [k.key for k in report.wrong] == ["W1"]
    assert report.wrong[0].diagnosis["kind"] == "other_loss"


@pytest.mark.parametrize("slip, wrong_keys", [
    # the hidden errors through who instead of who.T: hidden and output as wide
    (("numpy.dot(self.who.T, output_deltas)", "numpy.dot(self.who, output_deltas)"), {"W1"}),
    # sigma'(a) for sigma'(z): the sigmoid of the output again
    (("final_outputs * (1.0 - final_outputs)",
      "self.activation_function(final_outputs) * (1.0 - self.activation_function(final_outputs))"),
     {"W1", "W2"}),
])
def test_slips_in_rashids_train_are_caught(cli, tmp_path, slip, wrong_keys):
    path = rashid(tmp_path, slip=slip)
    status, doc = cli.json("grade", f"{path}:neuralNetwork", "--layers", "3,3,3")
    assert status == 1
    assert set(wrong(doc)) == wrong_keys
    assert all(k["diagnosis"] is None or k["diagnosis"]["kind"] != "other_loss"
               for k in wrong(doc).values())


def test_rashids_network_is_two_layers(cli, tmp_path):
    path = rashid(tmp_path)
    status, _, err = cli("grade", f"{path}:neuralNetwork", "--layers", "3,4,4,2")
    assert status == 2
    assert err.strip() == ("Rashid's neuralNetwork is a network of two layers: give --layers "
                           "with three sizes, e.g. --layers 3,4,2.")


def test_scipys_expit_stand_in_is_the_sigmoid(cli, tmp_path, monkeypatch):
    """Where scipy is not installed, ``scipy.special.expit`` is the logistic
    sigmoid: the book's code runs and is graded; the report says so."""
    import importlib.machinery
    import sys

    finder = importlib.machinery.PathFinder.find_spec.__func__

    def without_scipy(cls, fullname, path=None, target=None):
        return None if fullname.split(".")[0] == "scipy" else finder(cls, fullname, path, target)

    for name in [n for n in sys.modules if n.split(".")[0] == "scipy"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", classmethod(without_scipy))
    path = rashid(tmp_path)
    status, doc = cli.json("grade", f"{path}:neuralNetwork", "--layers", "3,4,2")
    assert status == 0, doc
    assert any("scipy.special.expit was given as the logistic sigmoid" in note
               for note in doc["report"]["notes"])
    said = ("scipy is not installed: scipy.special.expit was given as the logistic sigmoid "
            "1 / (1 + exp(-x)); its other names import, calling one raises")
    assert stand_ins.notes(["scipy"]) == [said]


# -- Ng's Machine Learning, exercise 4, in Python --------------------------------------------

# the Python ports' way: labels 0..K-1, NumPy's row-major unrolling, lambda_ defaulting to 0
EX4 = """
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def sigmoidGradient(z):
        g = sigmoid(z)
        return g * (1 - g)


    def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels,
                       X, y, lambda_=0.0):
        cut = hidden_layer_size * (input_layer_size + 1)
        Theta1 = np.reshape(nn_params[:cut], (hidden_layer_size, input_layer_size + 1))
        Theta2 = np.reshape(nn_params[cut:], (num_labels, hidden_layer_size + 1))
        m = y.size
        a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
        z2 = a1 @ Theta1.T
        a2 = np.concatenate([np.ones((m, 1)), sigmoid(z2)], axis=1)
        a3 = sigmoid(a2 @ Theta2.T)
        y_matrix = np.eye(num_labels)[y]
        penalty = np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2)
        J = (-np.sum(y_matrix * np.log(a3) + (1 - y_matrix) * np.log(1 - a3)) / m
             + lambda_ / (2 * m) * penalty)
        delta_3 = a3 - y_matrix
        delta_2 = (delta_3 @ Theta2)[:, 1:] * sigmoidGradient(z2)
        Theta1_grad = (delta_2.T @ a1) / m
        Theta2_grad = (delta_3.T @ a2) / m
        Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
        Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
        return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
"""

# Octave's way, kept by the faithful ports: labels 1..K, column-major unrolling, a loop
EX4_OCTAVE = """
    import numpy as np


    def sigmoid(z):
        return 1 / (1 + np.exp(-z))


    def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, Lambda):
        n1 = hidden_layer_size * (input_layer_size + 1)
        Theta1 = nn_params[:n1].reshape((hidden_layer_size, input_layer_size + 1), order='F')
        Theta2 = nn_params[n1:].reshape((num_labels, hidden_layer_size + 1), order='F')
        m = X.shape[0]
        J = 0.0
        Theta1_grad, Theta2_grad = np.zeros(Theta1.shape), np.zeros(Theta2.shape)
        for t in range(m):
            yk = (np.arange(1, num_labels + 1) == y[t]).astype(float)
            a1 = np.concatenate([[1.0], X[t]])
            z2 = Theta1 @ a1
            a2 = np.concatenate([[1.0], sigmoid(z2)])
            h = sigmoid(Theta2 @ a2)
            J += -np.sum(yk * np.log(h) + (1 - yk) * np.log(1 - h))
            d3 = h - yk
            d2 = (Theta2.T @ d3)[1:] * sigmoid(z2) * (1 - sigmoid(z2))
            Theta2_grad += np.outer(d3, a2)
            Theta1_grad += np.outer(d2, a1)
        J = J / m + Lambda / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
        Theta1_grad[:, 1:] += Lambda * Theta1[:, 1:]
        Theta2_grad[:, 1:] += Lambda * Theta2[:, 1:]
        return J, np.concatenate([(Theta1_grad / m).ravel(order='F'),
                                  (Theta2_grad / m).ravel(order='F')])
"""


@pytest.mark.parametrize("source", [EX4, EX4_OCTAVE], ids=["python port", "octave port"])
def test_exercise_4_is_graded_through_nn_cost_function(cli, tmp_path, source):
    path = write(tmp_path / "ex4.py", source)
    status, doc = cli.json("grade", f"{path}:nnCostFunction", "--layers", "3,4,3",
                           "--batch", "5", "--lambd", "1", "--random", "3")
    network = doc["report"]["network"]
    assert status == 0, doc
    assert (network["layout"], network["loss"], network["reduction"], network["targets"]) == \
        ("row", "bce", "mean", "onehot")
    assert network["l2"] == pytest.approx(1 / 5)
    assert doc["report"]["notes"][0].startswith("FUNC called as exercise 4 does")
    assert doc["random"]["ok"]


def test_exercise_4_through_the_python_api(tmp_path):
    module = imported(write(tmp_path / "ex4_api.py", EX4))
    net = symbp.Network(layers=[2, 3, 2], loss="bce", layout="row", batch=4, l2=0.5)
    assert symbp.grade(module.nnCostFunction, net, labels=True).ok
    # y as the one-hot matrix is not what exercise 4 takes: one sentence says so
    report = symbp.grade(module.nnCostFunction, net)
    assert not report.ok and "labels=True" in report.error


@pytest.mark.parametrize("slip, diagnoses", [
    # the bias column regularised too: the biases get a decay term
    (("Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]",
      "Theta1_grad += (lambda_ / m) * Theta1"), {"b1": ("bias_decay", None)}),
    # the 1/m left out of the gradient's data part (the decay's lambda/m kept)
    (("Theta1_grad = (delta_2.T @ a1) / m", "Theta1_grad = delta_2.T @ a1"),
     {"W1": ("decay", "m"), "b1": ("factor", "m")}),
])
def test_slips_in_exercise_4_are_caught_and_named(cli, tmp_path, slip, diagnoses):
    path = write(tmp_path / "ex4_slip.py", EX4.replace(*slip))
    status, doc = cli.json("grade", f"{path}:nnCostFunction", "--layers", "3,4,3",
                           "--batch", "5", "--lambd", "1")
    assert status == 1
    assert {key: (grade["diagnosis"]["kind"], grade["diagnosis"].get("factor"))
            for key, grade in wrong(doc).items()} == diagnoses


def test_exercise_4_is_two_layers(cli, tmp_path):
    path = write(tmp_path / "ex4.py", EX4)
    status, _, err = cli("grade", f"{path}:nnCostFunction", "--layers", "3,4,3",
                         "--vary-depth", "--random", "2")
    assert status == 2 and "exercise 4's nnCostFunction is a network of two layers" in err
