"""The computational graph of each layer a derivation is written for, and its
compact forms.

One entry per formula layer: the forward pass as nodes ``q = expression``
(one operation each where the literature has one: batch norm as Kratzert's
nine), and the compact forms the literature states, each with its source.
Every line is a claim: ``symbp derive --layer`` checks the nodes against the
layer's definition, the backward steps it builds from them
(:mod:`symbp.derivation.layer_backward`) and the compact forms against the
truth, before anything is written.  Adding a layer's derivation is one entry.

>>> GRAPHS["batchnorm"].nodes[1]
'xmu = x - mu'
"""

from __future__ import annotations

from dataclasses import dataclass

KRATZERT = ("Frederik Kratzert, \"Understanding the backward pass through Batch "
            "Normalization Layer\" (2016): the nine-node graph and its steps")


@dataclass(frozen=True)
class LayerGraph:
    """``nodes``: the forward pass, one ``q = expression`` a node, the last
    one ``out``; ``compact``: ``(formula, where it comes from)`` pairs;
    ``about``: a sentence on the layer for the document's introduction.

    >>> relu = GRAPHS["relu"]
    >>> relu.nodes, relu.compact[0][0]
    (('out = relu(x)',), 'dx = dout * step(x)')
    """
    nodes: tuple
    compact: tuple = ()
    about: str = ""


def _normalisation(axis: int, count: str, kind: str, source: str) -> LayerGraph:
    return LayerGraph(
        nodes=(f"mu = mean(x, axis={axis})", "xmu = x - mu", "sq = xmu**2",
               f"var = mean(sq, axis={axis})", "sqrtvar = sqrt(var + eps)",
               "ivar = 1 / sqrtvar", "xhat = xmu * ivar", "gammax = gamma * xhat",
               "out = gammax + beta"),
        compact=(
            ((f"dx = (1/{count}) * ivar * ({count}*dxhat - sum(dxhat, axis={axis}) "
             f"- xhat * sum(dxhat*xhat, axis={axis}))"),
             ("the steps substituted into each other: the mean path, the variance path and "
             "the direct path, over one factor ivar")),
            (f"dx = (1/{count}) * gamma / sqrt(var + eps) * ({count}*dout "
             f"- sum(dout, axis={axis}) - xhat * sum(dout*xhat, axis={axis}))"
             if axis == 0 else
             f"dx = (1/{count}) * ivar * ({count}*dout*gamma - sum(dout*gamma, axis={axis}) "
             f"- xhat * sum(dout*gamma*xhat, axis={axis}))", source),
            ("dgamma = sum(dout * xhat, axis=0)", "step 8 with dgammax = dout"),
            ("dbeta = sum(dout, axis=0)", "step 9")),
        about=(f"{kind} normalises {('each feature over the batch', 'each sample over its features')[axis]}"
               f" (mean and biased variance over axis {axis}), then scales by gamma and "
               "shifts by beta, per feature."))


GRAPHS: dict[str, LayerGraph] = {
    "affine": LayerGraph(("out = x @ w + b",),
                         about="The affine layer maps each sample (a row of x) by w and adds b."),
    "relu": LayerGraph(("out = relu(x)",), (("dx = dout * step(x)",
                                            "cs231n relu_backward: dout where x > 0"),)),
    "sigmoid": LayerGraph(("out = sigmoid(x)",), (("dx = dout * out * (1 - out)",
                                                  "the derivative in the output"),)),
    "tanh": LayerGraph(("out = tanh(x)",), (("dx = dout * (1 - out**2)",
                                            "the derivative in the output"),)),
    "multiply": LayerGraph(("out = x * y",), about="Seed 001's multiply node, entry by entry."),
    "add": LayerGraph(("out = x + y",), about="Seed 001's add node, entry by entry."),
    "softmax_loss": LayerGraph(
        ("lse = log(sum(exp(scores), axis=1))", "correct = sum(scores * onehot(y), axis=1)",
         "out = mean(lse - correct)"),
        (("dscores = softmax(scores) * dlse + onehot(y) * dcorrect",
          "the two steps' contributions: exp(scores) / sum(exp(scores)) is the softmax"),
         ("dscores = (softmax(scores) - onehot(y)) / N",
          "cs231n softmax_loss and DLFS SoftmaxWithLoss: (probabilities - one-hot) / N")),
        about=("The softmax loss of integer labels y, the mean over the N samples of "
               "log sum exp of the scores minus the score of the label (cs231n's form).")),
    "svm_loss": LayerGraph(
        ("correct = sum(scores * onehot(y), axis=1)", "margins = scores - correct + 1",
         "out = sum((1 - onehot(y)) * relu(margins)) / N"),
        ((("dscores = (step(margins) * (1 - onehot(y)) "
          "- onehot(y) * sum(step(margins) * (1 - onehot(y)), axis=1)) / N"),
          ("cs231n svm_loss: each positive margin adds 1/N to its class's score and "
          "subtracts 1/N from the label's")),),
        about=("The multiclass SVM loss with margin 1, the mean over the N samples of the "
               "positive margins of the classes other than the label.")),
    "batchnorm": _normalisation(0, "N", "Batch normalisation (train mode)",
                                "the compact form (Kratzert; cs231n batchnorm_backward_alt)"),
    "layernorm": _normalisation(1, "D", "Layer normalisation",
                                "the layer-norm analogue of the compact batch-norm dx"),
    "dropout": LayerGraph(("out = x * mask / p",),
                          about="Inverted dropout (train mode) keeps each unit with "
                                "probability p and scales the kept ones by 1/p (cs231n)."),
    "softmax": LayerGraph(
        ("out = softmax(x)",),
        (("dx = out * (dout - sum(dout * out, axis=1, keepdims=True))",
          ("the softmax Jacobian diag(s) - s s^T applied to each row's dout (the nnfs book's "
          "Activation_Softmax builds it sample by sample)")),),
        about="The softmax normalises each row (sample) of x to probabilities."),
    "mse": LayerGraph(
        ("out = mean((y - x)**2)",),
        (("dx = -2 * (y - x) / D / N",
          "the nnfs book's Loss_MeanSquaredError: -2 (y_true - dvalues) / outputs / samples"),),
        about=("The mean squared error of the nnfs book: the mean over the D outputs and the "
               "N samples of (y - x)^2, x the predictions.")),
    "mae": LayerGraph(
        ("out = mean(abs(y - x))",),
        (("dx = sign(x - y) / D / N",
          ("the derivative of |y - x| in x is sign(x - y) (the nnfs book's "
          "Loss_MeanAbsoluteError writes sign(y_true - dvalues): the opposite sign)")),),
        about=("The mean absolute error of the nnfs book: the mean over the D outputs and the "
               "N samples of |y - x|, x the predictions.")),
    "binary_crossentropy": LayerGraph(
        ("out = -mean(y * log(x) + (1 - y) * log(1 - x))",),
        (("dx = -(y / x - (1 - y) / (1 - x)) / D / N",
          "the nnfs book's Loss_BinaryCrossentropy (its clipping aside)"),),
        about=("The binary cross-entropy of the nnfs book: the mean over the D outputs and "
               "the N samples, x the predicted probabilities.")),
    "categorical_crossentropy": LayerGraph(
        ("out = -mean(log(sum(x * onehot(y), axis=1)))",),
        (("dx = -onehot(y) / x / N",
          "the nnfs book's Loss_CategoricalCrossentropy: -y_true / dvalues / samples"),),
        about=("The categorical cross-entropy of the nnfs book on probabilities x (not "
               "scores): the mean over the N samples of -log of the label's probability.")),
    "l2": LayerGraph(("out = lambda / 2 * sum(w**2)",),
                     (("dw = lambda * w", r"the derivative of $(\lambda / 2)\, w^2$"),)),
    "weight_decay": LayerGraph(
        ("penalty = lambda / 2 * sum(w**2)", "out = x @ w + b"),
        (("dw = x.T @ dout + lambda * w",
          (r"d2l (Dive into Deep Learning) 5.3: $\partial J / \partial W = G h^\top + "
           r"\lambda W$, in cs231n's layout (samples as rows, w is D x M)")),),
        about=("The affine layer with L2 weight decay: the objective is sum(dout * out) "
               "plus the penalty (lambda / 2) * sum(w**2), d2l's J = L + s.")),
}
