"""``symbp grade-layers`` on layer files as they are found in course
repositories: package imports, names imported from helper modules, the
conventions that changed between course years and between the two books,
template stubs, and diagnoses that name what the slip is.

Every file here is written for these tests, in the style of the code it
stands for (none is copied); each test starts from what a real file showed.
"""

import re
import textwrap

import numpy as np

import symbp
from symbp.grading.in_process import grade_layer_code

RELU = '''
def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * keep(cache)
'''


def write(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def graded(path, **options):
    return {r.found.name: r for r in symbp.grade_layers(path, **options).layers}


def keyed(report):
    return {k.key: k for k in report.keys}


def test_a_file_of_a_package_imports_its_package_absolutely_and_relatively(tmp_path):
    # cs231n's layer_utils.py: `from cs231n.layers import *` (until 2019), `from .layers
    # import *` (since); here both, from a helper module of a package `course`
    write(tmp_path / "course" / "__init__.py", "")
    write(tmp_path / "course" / "helpers.py", "def keep(x):\n    return x > 0\n")
    path = write(tmp_path / "course" / "layers.py", "import numpy as np\n"
                 "from course.helpers import keep\nfrom .helpers import keep as _same\n" + RELU)
    assert graded(path, random=2)["relu_backward"].verdict == "ok"


def test_a_folder_without_init_is_importable_by_its_name_and_imports_are_not_layers(tmp_path):
    # the book's common/layers.py: `from common.functions import *` brings a
    # softmax_loss(X, t) that returns the loss only: it is not cs231n's softmax_loss
    write(tmp_path / "common" / "functions.py", """
        import numpy as np

        def softmax_loss(X, t):
            shifted = X - X.max(axis=1, keepdims=True)
            return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[range(len(t)), t]))
        """)
    path = write(tmp_path / "common" / "layers.py", """
        import numpy as np
        from common.functions import *

        class Relu:
            def forward(self, x):
                self.mask = x <= 0
                return np.where(self.mask, 0.0, x)

            def backward(self, dout):
                return np.where(self.mask, 0.0, dout)
        """)
    report = graded(path, random=2)
    assert list(report) == ["Relu"] and report["Relu"].verdict == "ok"


def test_a_module_that_only_imports_its_layers_is_graded_on_them(tmp_path):
    write(tmp_path / "course" / "__init__.py", "")
    write(tmp_path / "course" / "layers.py", "import numpy as np\n\n"
          "def keep(x):\n    return x > 0\n" + RELU)
    path = write(tmp_path / "course" / "layer_utils.py", "from .layers import *\n")
    assert graded(path, random=2)["relu_backward"].verdict == "ok"


def _groupnorm_backward(dout, cache):
    xhat, gamma, std, G = cache
    n, c = dout.shape[:2]
    dxhat = (dout * gamma.reshape(1, c, 1, 1)).reshape(n, G, -1)
    flat = xhat.reshape(n, G, -1)
    count = flat.shape[-1]
    dx = (count * dxhat - dxhat.sum(-1, keepdims=True)
          - flat * (dxhat * flat).sum(-1, keepdims=True)) / (count * std)
    return (dx.reshape(dout.shape), (dout * xhat).sum(axis=(0, 2, 3)),
            dout.sum(axis=(0, 2, 3)))


def test_group_norm_that_takes_gamma_as_c_is_given_it_so():
    # cs231n 2022: a forward that expands gamma (C,) itself, which gamma of
    # shape (1, C, 1, 1) turns into a 7-dimensional output
    def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
        grouped = x.reshape(len(x), G, -1)
        std = np.sqrt(grouped.var(axis=-1, keepdims=True) + gn_param["eps"])
        xhat = ((grouped - grouped.mean(axis=-1, keepdims=True)) / std).reshape(x.shape)
        out = np.expand_dims(gamma, (0, -1, -2)) * xhat + np.expand_dims(beta, (0, -1, -2))
        return out, (xhat, gamma, std, G)

    report = grade_layer_code(spatial_groupnorm_forward, _groupnorm_backward,
                              "spatial_groupnorm", random=3)
    assert report.verdict == "ok"
    assert "gamma and beta given as (C,): the forward did not take them as (1, C, 1, 1)" \
        in report.notes


def test_a_template_stub_that_trips_on_its_none_is_unimplemented(tmp_path):
    # cs231n's dropout_forward template ends with `out.astype(...)` after a TODO `pass`;
    # 2017's lstm_step_backward returns names its TODO block was to define
    path = write(tmp_path / "layers.py", """
        import numpy as np

        def dropout_forward(x, dropout_param):
            out = None
            if dropout_param["mode"] == "train":
                pass
            return out.astype(x.dtype, copy=False), None

        def dropout_backward(dout, cache):
            return dout

        def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
            h = np.tanh(x @ Wx[:, :prev_h.shape[1]] + prev_h)
            return h, prev_c, None

        def lstm_step_backward(dnext_h, dnext_c, cache):
            dx, dh, dc, dWx, dWh, db = None, None, None, None, None, None
            pass
            return dx, dprev_h, dprev_c, dWx, dWh, db
        """)
    report = graded(path, random=2)
    assert report["dropout_backward"].verdict == "unimplemented"
    assert "dropout_forward is unfinished" in report["dropout_backward"].message
    assert report["lstm_step_backward"].verdict == "unimplemented"


def test_a_hard_coded_eps_is_named_not_a_coincidental_factor():
    def batchnorm_forward(x, gamma, beta, bn_param):
        xc = x - x.mean(axis=0)
        var = (xc ** 2).mean(axis=0)
        std = np.sqrt(var + bn_param["eps"])
        return gamma * xc / std + beta, (xc, var, std, gamma)

    def batchnorm_backward(dout, cache):
        xc, var, std, gamma = cache
        n = len(dout)
        dxhat = dout * gamma
        dvar = np.sum(dxhat * xc * -0.5 * (var + 1e-5) ** -1.5, axis=0)    # eps written in
        dmu = -dxhat.sum(axis=0) / std
        return (dxhat / std + dvar * 2 * xc / n + dmu / n, (dout * xc / std).sum(axis=0),
                dout.sum(axis=0))

    report = grade_layer_code(batchnorm_forward, batchnorm_backward, "batchnorm", random=10)
    diagnosis = keyed(report)["dx"].diagnosis
    assert report.verdict == "wrong"
    assert diagnosis["kind"] == "config" and diagnosis["right"] == {"eps": [1e-05]}
    assert "eps fixed in the code instead of the one given?" in diagnosis["text"]


def test_the_second_books_gradient_lists_are_read_and_not_mutations():
    # Deep Learning from Scratch 2: self.params = [W, b], self.grads = [dW, db],
    # written in place; its Affine takes x as N x D only
    class Affine:
        def __init__(self, W, b):
            self.params = [W, b]
            self.grads = [np.zeros_like(W), np.zeros_like(b)]

        def forward(self, x):
            self.x = x
            return x @ self.params[0] + self.params[1]

        def backward(self, dout):
            self.grads[0][...] = self.x.T @ dout
            self.grads[1][...] = dout.sum(axis=0)
            return dout @ self.params[0].T

    report = grade_layer_code(Affine, layer="affine", random=10)
    assert report.verdict == "ok" and not report.notes


def test_a_gradient_left_as_the_number_zero_is_said_so_and_a_forward_once():
    def layernorm_forward(x, *_parameters):
        return np.zeros((len(x) + 1, x.shape[1])), None        # one row too many

    def layernorm_backward(dout, _cache):
        return 0, dout.sum(axis=0), dout.sum(axis=0)

    report = grade_layer_code(layernorm_forward, layernorm_backward, "layernorm", random=0)
    assert report.verdict == "forward_wrong"
    line = str(report).splitlines()[-1]
    assert line.count("where (2, 2) is expected") == 1

    def layernorm_forward(x, gamma, beta, ln_param):  # now right
        xc = x - x.mean(axis=1, keepdims=True)
        return gamma * xc / np.sqrt((xc ** 2).mean(axis=1, keepdims=True) + ln_param["eps"]) \
            + beta, None

    report = grade_layer_code(layernorm_forward, layernorm_backward, "layernorm", random=0)
    assert keyed(report)["dx"].diagnosis["text"] == \
        "dx is the number 0 where the truth is not (not implemented yet?)."


def test_failures_of_the_environment_say_so():
    # cs231n's fast_layers.py without its Cython extension built; and int() of a
    # one-entry array, which NumPy 2 refuses where course code of NumPy 1 did it
    def relu_forward(x):
        return im2col_cython(x), x          # noqa: F821  (never defined, as when unbuilt)

    def relu_backward(dout, cache):
        return dout * (cache > 0)

    report = grade_layer_code(relu_forward, relu_backward, "relu", random=0)
    assert report.verdict == "error" and "Cython extension is not built" in report.message

    def relu_forward(x):
        return np.maximum(x, 0), x

    def relu_backward(dout, cache):
        scale = int(np.array([1.0]))         # a TypeError on NumPy 2
        return scale * dout * (cache > 0)

    report = grade_layer_code(relu_forward, relu_backward, "relu", random=0)
    if int(np.__version__.split(".")[0]) >= 2:
        assert report.verdict == "error" and ".item() or [0]" in report.message


def _dropout_backward(dout, cache):
    mask, scale = cache
    return dout * mask * scale


def test_a_dropout_mask_of_the_wrong_distribution_is_forward_wrong():
    # right for the mask it applied, so no gradient shows it: one mask for the whole
    # batch (cs231n 2019, np.random.rand(1, D)), or units dropped with the probability
    # of keeping them while the kept ones are scaled by 1/p
    def shared_forward(x, dropout_param):
        p = dropout_param["p"]
        np.random.seed(dropout_param["seed"])
        mask = np.random.rand(1, x.shape[1]) < p
        return x * mask / p, (mask, 1 / p)

    report = grade_layer_code(shared_forward, _dropout_backward, "dropout", random=2)
    assert report.verdict == "forward_wrong" and "every sample got the same mask" in report.message

    def inverted_forward(x, dropout_param):
        p = dropout_param["p"]
        np.random.seed(dropout_param["seed"])
        mask = np.random.rand(*x.shape) >= p          # keeps with probability 1 - p
        return x * mask / p, (mask, 1 / p)

    report = grade_layer_code(inverted_forward, _dropout_backward, "dropout", random=2)
    assert report.verdict == "forward_wrong"
    assert re.search(r"keeps [67]\d% of the units and multiplies them by 3.333, so its output is "
                     r"on average 2\.\d\d times x", report.message)

    def right_forward(x, dropout_param):
        p = dropout_param["p"]
        np.random.seed(dropout_param["seed"])
        mask = np.random.rand(*x.shape) < p
        return x * mask / p, (mask, 1 / p)

    assert grade_layer_code(right_forward, _dropout_backward, "dropout", random=2).verdict == "ok"


def test_book_classes_in_other_capitals_and_attributes_are_found(tmp_path):
    # ReLU for the book's Relu; self.dw for self.dW; and self.b = np.sum(dout, axis=0),
    # where self.db was meant, said as such rather than "not implemented"
    path = write(tmp_path / "layers.py", """
        import numpy as np

        class ReLU:
            def forward(self, x):
                self.positive = x > 0
                return x * self.positive

            def backward(self, dout):
                return dout * self.positive

        class Affine:
            def __init__(self, w, b):
                self.w, self.b = w, b
                self.dw = self.db = None

            def forward(self, x):
                self.x = x
                return x @ self.w + self.b

            def backward(self, dout):
                self.dw = self.x.T @ dout
                self.b = dout.sum(axis=0)
                return dout @ self.w.T
        """)
    report = graded(path, random=3)
    assert report["ReLU"].verdict == "ok"
    affine = report["Affine"]
    assert affine.verdict == "wrong" and keyed(affine)["dw"].ok
    assert keyed(affine)["db"].message == \
        "not set, but self.b holds it (assigned to self.b where its gradient is expected?)"


def test_a_small_delta_inside_the_log_of_a_loss_is_a_note():
    # the book's cross_entropy_error: -sum(log(y + 1e-7)) / N; its gradient is the exact one's
    def softmax_loss_with(delta):
        def softmax_loss(x, y):
            p = np.exp(x - x.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(p[np.arange(len(y)), y] + delta))
            dx = p.copy()
            dx[np.arange(len(y)), y] -= 1
            return loss, dx / len(y)
        return softmax_loss

    # (1e-5: as the book's 1e-7, but large enough to differ at every point drawn)
    report = grade_layer_code(softmax_loss_with(1e-5), layer="softmax_loss", random=5)
    assert report.verdict == "ok"
    assert report.notes == [("the loss adds 1e-05 inside the log (log(p + 1e-05), against "
                             "log 0): graded against the exact loss's gradient")]
    report = grade_layer_code(softmax_loss_with(1e-2), layer="softmax_loss", random=0)
    assert report.verdict == "forward_wrong"


def test_a_dx_left_in_the_flattened_shape_is_said_to_need_reshaping():
    def affine_forward(x, w, b):
        return x.reshape(len(x), -1) @ w + b, (x, w, b)

    def affine_backward(dout, cache):
        x, w, _ = cache
        x = x.reshape(len(x), -1)              # rebinds x: dx takes the flat shape below
        return (dout @ w.T).reshape(x.shape), x.T @ dout, dout.sum(axis=0)

    report = grade_layer_code(affine_forward, affine_backward, "affine", random=0)
    diagnosis = keyed(report)["dx"].diagnosis
    assert report.verdict == "wrong" and diagnosis["reshape"]
    assert "holds the right values in that shape (not reshaped back to (2, 2, 2)?)" in \
        diagnosis["text"]
