"""The layers around cs231n's recurrent networks, over sequences of T steps:
word embedding, temporal affine and the temporal softmax loss.

* word embedding: ``out[n, t] = W[x[n, t]]`` for integer words ``x`` (N x T)
  in a vocabulary of V, W of V x D.  Its definition sees ``x`` as one-hot
  (N x T x V), so ``out = x W`` and dW sums every occurrence of a word: a
  backward that assigns (``dW[x] = dout``, or ``dW[x] += dout``, which
  NumPy buffers) keeps one occurrence of a repeated word, where cs231n's
  ``np.add.at`` adds them all;
* temporal affine: ``out = x w + b`` at every step, x N x T x D;
* temporal softmax loss: the softmax loss of scores ``x`` (N x T x V) and
  integer labels ``y`` (N x T), summed over the steps where ``mask`` (N x T,
  booleans) is True and divided by N (not by the number of steps counted),
  as cs231n's ``temporal_softmax_loss(x, y, mask)``;
* the same averaged over the steps counted (*Deep Learning from Scratch
  2*'s ``TimeSoftmaxWithLoss``, whose uncounted steps have the label -1).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Size

N, T = Size("N", 1, 4, default=2), Size("T", 1, 4, default=3, path=True)


def _sequence(name: str, last: str, grad: str | None = "dx", kind: str = "real") -> Operand:
    shape = lambda c: (c["N"], c["T"], c[last])
    return Operand(name, shape, shape, grad, kind)


def _words(name: str, classes: str, kind: str = "labels", grid_last=None) -> Operand:
    """N x T integers (labels of ``classes``) or flags."""
    return Operand(name, lambda c: (c["N"], c["T"]),
                   lambda c: (c["N"], c["T"], grid_last(c) if grid_last else c[classes]),
                   None, kind)


# -- word embedding --------------------------------------------------------------------------

def _embedding_backward(arrays, _config, dout):
    dW = np.zeros_like(arrays["W"])
    np.add.at(dW, np.asarray(arrays["x"], dtype=int), dout)
    return {"dW": dW}


# Deep Learning from Scratch 2's common/layers.py: Embedding(W).forward(idx),
# backward(dout) returns None and leaves dW in self.grads[0] (or in self.dW); its
# time_layers.py's TimeEmbedding(W).forward(xs) is called alike
_BOOK_EMBEDDING = Dlfs("Embedding", init=lambda a, _c: (a["W"],),
                       forward=lambda a, _c: (a["x"],), returns=(), attributes={"dW": "dW"})

WORD_EMBEDDING = Layer(
    "word_embedding", "word embedding: out[n, t] = W[x[n, t]], dW adds every occurrence",
    operands=(_words("x", "V"),
              Operand("W", lambda c: (c["V"], c["D"]), lambda c: (c["V"], c["D"]), "dW")),
    sizes=(N, T, Size("V", 2, 5, default=3), Size("D", 1, 4, default=2)),
    define=lambda _ops, x, W: {"out": x @ W},
    forward=lambda a, _c: a["W"][np.asarray(a["x"], dtype=int)],
    backward=_embedding_backward,
    overwrite="right only when no word occurs twice (np.add.at adds every occurrence)",
    cs231n=Cs231n("word_embedding_forward", ("word_embedding_backward",),
                  lambda a, _c: (a["x"], a["W"]), ("dW",)),
    dlfs=_BOOK_EMBEDDING, dlfs_also=(replace(_BOOK_EMBEDDING, name="TimeEmbedding"),))


# -- temporal affine ---------------------------------------------------------------------------

TEMPORAL_AFFINE = Layer(
    "temporal_affine", "temporal affine: out = x w + b at every step",
    operands=(_sequence("x", "D"),
              Operand("w", lambda c: (c["D"], c["M"]), lambda c: (c["D"], c["M"]), "dw"),
              Operand("b", lambda c: (c["M"],), lambda c: (1, c["M"]), "db")),
    sizes=(N, T, Size("D", 1, 4, default=2), Size("M", 1, 4, default=2)),
    define=lambda _ops, x, w, b: {"out": x @ w + b},
    forward=lambda a, _c: a["x"] @ a["w"] + a["b"],
    backward=lambda a, _c, dout: {"dx": dout @ a["w"].T,
                                  "dw": np.einsum("ntd,ntm->dm", a["x"], dout),
                                  "db": dout.sum(axis=(0, 1))},
    overwrite="right only when N * T = 1 (every step adds to dw and db)",
    cs231n=Cs231n("temporal_affine_forward", ("temporal_affine_backward",),
                  lambda a, _c: (a["x"], a["w"], a["b"]), ("dx", "dw", "db")),
    dlfs=Dlfs("TimeAffine", init=lambda a, _c: (a["w"], a["b"]), forward=lambda a, _c: (a["x"],),
              returns=("dx",), attributes={"dW": "dw", "db": "db"}))


# -- temporal softmax loss -------------------------------------------------------------------

def _temporal_softmax(ops, x, y, mask):
    lse = ops.stage("lse", ops.log(ops.exp(x).sum(axis=2)))
    correct = ops.stage("correct", (x * y).sum(axis=2))
    return {"out": ((lse - correct) * mask).sum() / x.shape[0]}


def _log_probs(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _picked(arrays):
    """Each step's log-probability of its label (N x T)."""
    labels = np.asarray(arrays["y"], dtype=int)
    return np.take_along_axis(_log_probs(arrays["x"]), labels[..., None], axis=-1)[..., 0]


def _temporal_softmax_backward(arrays, _config, _dout):
    x, mask = arrays["x"], np.asarray(arrays["mask"], dtype=float)
    labels = np.eye(x.shape[-1])[np.asarray(arrays["y"], dtype=int)]
    return {"dx": (np.exp(_log_probs(x)) - labels) * mask[..., None] / len(x)}


TEMPORAL_SOFTMAX_LOSS = Layer(
    "temporal_softmax_loss", "softmax loss at every step where mask is True, summed, "
                             "divided by N",
    operands=(_sequence("x", "V"), _words("y", "V"),
              _words("mask", "V", kind="flags", grid_last=lambda _c: 1)),
    sizes=(N, T, Size("V", 2, 5, default=3)), loss=True,
    define=_temporal_softmax,
    forward=lambda a, _c: float(-np.sum(_picked(a) * a["mask"]) / len(a["x"])),
    backward=_temporal_softmax_backward,
    cs231n=Cs231n(None, ("temporal_softmax_loss",), lambda a, _c: (a["x"], a["y"], a["mask"]),
                  ("loss", "dx")))


# -- the book 2's TimeSoftmaxWithLoss: a mean over the steps counted -------------------------

def _counted_softmax(ops, x, y, mask):
    lse = ops.stage("lse", ops.log(ops.exp(x).sum(axis=2)))
    correct = ops.stage("correct", (x * y).sum(axis=2))
    return {"out": ((lse - correct) * mask).sum() / mask.sum()}


def _counted_backward(arrays, config, dout):
    dx = _temporal_softmax_backward(arrays, config, dout)["dx"]
    return {"dx": dx * len(arrays["x"]) / np.sum(arrays["mask"])}


TIME_SOFTMAX_LOSS = Layer(
    "time_softmax_loss", "softmax loss at every step where mask is True, averaged over those "
                         "steps (Deep Learning from Scratch 2)",
    operands=TEMPORAL_SOFTMAX_LOSS.operands, sizes=TEMPORAL_SOFTMAX_LOSS.sizes, loss=True,
    define=_counted_softmax,
    forward=lambda a, _c: float(-np.sum(_picked(a) * a["mask"]) / np.sum(a["mask"])),
    backward=_counted_backward,
    # TimeSoftmaxWithLoss().forward(xs, ts): the steps not counted have the label -1
    # (its ignore_label); backward(dout=1)
    dlfs=Dlfs("TimeSoftmaxWithLoss", init=lambda _a, _c: (),
              forward=lambda a, _c: (a["x"], np.where(a["mask"], a["y"], -1)),
              returns=("dx",)))
