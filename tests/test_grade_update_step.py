"""``symbp grade`` on the from-scratch class most often written in blogs and
GitHub: ``NeuralNetwork(input_size, hidden_size, output_size,
learning_rate)`` with ``forward(X)`` and a ``backward(X, y, output)`` that
updates its weights in place; the gradients are read off the step.

Every file here is written for these tests, in the style of that code (none
is copied); the truths are symbp's own (SymPy's).
"""

import textwrap

import pytest

# the commonest: (y - output) * s'(output), summed, added to the weights
SQUARED_ERROR = '''
    import numpy as np


    class NeuralNetwork:
        def __init__(self, input_size, hidden_size, output_size, learning_rate=0.1):
            self.W1 = np.random.randn(input_size, hidden_size)
            self.b1 = np.zeros((1, hidden_size))
            self.W2 = np.random.randn(hidden_size, output_size)
            self.b2 = np.zeros((1, output_size))
            self.learning_rate = learning_rate

        def sigmoid(self, z):
            return 1 / (1 + np.exp(-z))

        def sigmoid_derivative(self, a):
            return a * (1 - a)

        def forward(self, X):
            self.z1 = np.dot(X, self.W1) + self.b1
            self.a1 = self.sigmoid(self.z1)
            self.z2 = np.dot(self.a1, self.W2) + self.b2
            self.a2 = self.sigmoid(self.z2)
            return self.a2

        def backward(self, X, y, output):
            output_delta = (y - output) * self.sigmoid_derivative(output)
            hidden_delta = np.dot(output_delta, self.W2.T) * self.sigmoid_derivative(self.a1)
            self.W2 += self.learning_rate * np.dot(self.a1.T, output_delta)
            self.b2 += self.learning_rate * np.sum(output_delta, axis=0, keepdims=True)
            self.W1 += self.learning_rate * np.dot(X.T, hidden_delta)
            self.b1 += self.learning_rate * np.sum(hidden_delta, axis=0, keepdims=True)

        def train(self, X, y, epochs=1000):
            for _ in range(epochs):
                self.backward(X, y, self.forward(X))
'''

# the other kind: output - y over m (the cross-entropy of sigmoid outputs), other names,
# (n,) biases, the rate an attribute the constructor sets
CROSS_ENTROPY = '''
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    class NeuralNetwork:
        def __init__(self, n_input, n_hidden, n_output):
            self.weights_input_hidden = np.random.randn(n_input, n_hidden) * 0.1
            self.bias_hidden = np.zeros(n_hidden)
            self.weights_hidden_output = np.random.randn(n_hidden, n_output) * 0.1
            self.bias_output = np.zeros(n_output)
            self.lr = 0.05

        def forward(self, X):
            self.hidden = sigmoid(X @ self.weights_input_hidden + self.bias_hidden)
            return sigmoid(self.hidden @ self.weights_hidden_output + self.bias_output)

        def backward(self, X, y, output):
            m = X.shape[0]
            d_output = output - y
            d_hidden = (d_output @ self.weights_hidden_output.T) * self.hidden * (1 - self.hidden)
            self.weights_hidden_output -= self.lr * (self.hidden.T @ d_output) / m
            self.bias_output -= self.lr * d_output.sum(axis=0) / m
            self.weights_input_hidden -= self.lr * (X.T @ d_hidden) / m
            self.bias_hidden -= self.lr * d_hidden.sum(axis=0) / m
'''


# any depth: lists of weights and biases, built from the layer sizes
LISTS = '''
    import numpy as np


    def sigmoid(x):
        return 1 / (1 + np.exp(-x))


    class NeuralNetwork:
        def __init__(self, layer_sizes, learning_rate=0.1):
            pairs = zip(layer_sizes[:-1], layer_sizes[1:])
            self.weights = [np.random.randn(n_in, n_out) for n_in, n_out in pairs]
            self.biases = [np.zeros((1, n_out)) for n_out in layer_sizes[1:]]
            self.learning_rate = learning_rate

        def forward(self, X):
            self.activations = [X]
            for W, b in zip(self.weights, self.biases):
                self.activations.append(sigmoid(self.activations[-1] @ W + b))
            return self.activations[-1]

        def backward(self, X, y, output):
            delta = (y - output) * output * (1 - output)
            for i in reversed(range(len(self.weights))):
                below = delta @ self.weights[i].T
                self.weights[i] += self.learning_rate * self.activations[i].T @ delta
                self.biases[i] += self.learning_rate * delta.sum(axis=0, keepdims=True)
                delta = below * self.activations[i] * (1 - self.activations[i])
'''


def write(tmp_path, source, slip=None, name="network.py"):
    source = textwrap.dedent(source)
    if slip is not None:
        assert slip[0] in source
        source = source.replace(*slip)
    path = tmp_path / name
    path.write_text(source)
    return path


def wrong(doc):
    return {k["key"]: k for k in doc["report"]["keys"] if not k["ok"]}


def test_the_squared_error_class_is_graded_through_its_step(cli, tmp_path):
    path = write(tmp_path, SQUARED_ERROR)
    for target in ("NeuralNetwork", "NeuralNetwork.backward"):
        status, doc = cli.json("grade", f"{path}:{target}", "--layers", "3,4,2", "--random", "3")
        assert status == 0, doc
        network = doc["report"]["network"]
        assert (network["layout"], network["loss"], network["reduction"], network["batch"]) == \
            ("row", "half_sse", "sum", 4)
        assert doc["report"]["notes"][0].startswith("NeuralNetwork built with the network's "
                                                    "sizes and learning rate 1024")
        assert doc["random"]["ok"] and doc["random"]["networks_checked"] == 3


def test_a_backward_of_x_and_y_reads_the_output_its_forward_kept(cli, tmp_path):
    path = write(tmp_path, SQUARED_ERROR.replace("def backward(self, X, y, output):",
                                                 "def backward(self, X, y):\n"
                                                 "            output = self.a2"))
    status, doc = cli.json("grade", f"{path}:NeuralNetwork", "--layers", "3,4,2")
    assert status == 0, doc
    assert "graded through output = forward(X), backward(X, y), each" in \
        doc["report"]["notes"][0]
    # the same class with the step's sign turned: every key -1 times the truth
    turned = write(tmp_path, SQUARED_ERROR.replace("def backward(self, X, y, output):",
                                                   "def backward(self, X, y):\n"
                                                   "            output = self.a2").replace(
        "(y - output)", "(output - y)"), name="turned.py")
    status, doc = cli.json("grade", f"{turned}:NeuralNetwork", "--layers", "3,4,2")
    assert status == 1 and set(wrong(doc)) == {"W1", "b1", "W2", "b2"}


def test_its_training_loop_named_is_sent_to_the_class(cli, tmp_path):
    path = write(tmp_path, SQUARED_ERROR)
    status, out, err = cli("grade", f"{path}:NeuralNetwork.train", "--layers", "3,4,2")
    assert (status, out) == (2, "")
    assert err.strip() == ("NeuralNetwork.train is not one step: symbp grades the class "
                           "itself, through its forward and backward (NeuralNetwork without "
                           ".train).")


def test_a_class_of_lists_is_graded_at_any_depth(cli, tmp_path):
    path = write(tmp_path, LISTS)
    status, doc = cli.json("grade", f"{path}:NeuralNetwork", "--layers", "3,4,5,2", "--random",
                           "2", "--vary-depth")
    assert status == 0, doc
    assert [k["key"] for k in doc["report"]["keys"]] == ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_a_deeper_network_than_the_class_is_one_sentence(cli, tmp_path):
    path = write(tmp_path, SQUARED_ERROR)
    status, out, err = cli("grade", f"{path}:NeuralNetwork", "--layers", "3,4,4,2")
    assert (status, out) == (2, "")
    assert err.strip() == ("NeuralNetwork, built with one hidden size, is a network of two "
                           "layers: give --layers with three sizes, e.g. --layers 3,4,2.")


def test_the_cross_entropy_class_is_right_for_bce_and_named_so_otherwise(cli, tmp_path):
    path = write(tmp_path, CROSS_ENTROPY)
    status, doc = cli.json("grade", f"{path}:NeuralNetwork", "--layers", "3,4,2", "--loss", "bce")
    assert status == 0, doc
    assert doc["report"]["network"]["reduction"] == "mean"
    # graded against the network's own loss, never silently against the code's
    status, doc = cli.json("grade", f"{path}:NeuralNetwork", "--layers", "3,4,2")
    assert status == 1
    assert doc["report"]["network"]["loss"] == "half_sse"
    assert set(wrong(doc)) == {"W1", "b1", "W2", "b2"}
    for key in wrong(doc).values():
        assert (key["diagnosis"]["kind"], key["diagnosis"]["loss"],
                key["diagnosis"]["reduction"]) == ("other_loss", "bce", "mean")
    status, out, _ = cli("grade", f"{path}:NeuralNetwork", "--layers", "3,4,2")
    assert "W1's step is the gradient of the binary cross-entropy averaged over the batch " \
           "(bce, mean)" in out


@pytest.mark.parametrize("slip, wrong_keys, diagnosis", [
    # the hidden errors through W2 for W2.T: runs on a square W2
    (("np.dot(output_delta, self.W2.T)", "np.dot(output_delta, self.W2)"), {"W1", "b1"}, None),
    # the derivative a (1 - a) taken at z, where the code stored a
    (("self.sigmoid_derivative(self.a1)", "self.sigmoid_derivative(self.z1)"), {"W1", "b1"},
     None),
    # the bias step averaged where the weights' is summed: b2 alone is (half_sse, mean)'s,
    # named a slip, not another loss
    (("np.sum(output_delta, axis=0, keepdims=True)",
      "np.mean(output_delta, axis=0, keepdims=True)"), {"b2"}, "bias_reduction"),
])
def test_slips_in_the_step_are_caught(cli, tmp_path, slip, wrong_keys, diagnosis):
    path = write(tmp_path, SQUARED_ERROR, slip)
    status, doc = cli.json("grade", f"{path}:NeuralNetwork", "--layers", "3,3,3")
    assert status == 1
    assert set(wrong(doc)) == wrong_keys
    # a slip is no other loss's gradient
    assert all(k["diagnosis"] is None or k["diagnosis"]["kind"] != "other_loss"
               for k in wrong(doc).values())
    if diagnosis is not None:
        assert {k["diagnosis"]["kind"] for k in wrong(doc).values()} == {diagnosis}


def test_a_class_without_a_learning_rate_is_one_sentence(cli, tmp_path):
    # the rate a module constant: symbp cannot set it, so cannot read the step
    source = SQUARED_ERROR.replace("self.learning_rate = learning_rate", "pass") \
        .replace(", learning_rate=0.1", "").replace("self.learning_rate", "LEARNING_RATE") \
        .replace("import numpy as np", "import numpy as np\n    LEARNING_RATE = 0.1")
    path = write(tmp_path, source)
    status, out, err = cli("grade", f"{path}:NeuralNetwork", "--layers", "3,4,2")
    assert (status, out) == (2, "")
    assert err.strip() == (
        "NeuralNetwork has no learning rate symbp can set (a constructor argument or attribute "
        "learning_rate, lr, eta, learningrate or alpha): its backward's step cannot be read as a "
        "gradient; keep the rate in self.learning_rate.")
