"""Batch normalisation (train mode), layer normalisation, and their spatial
forms over images: spatial batch norm and spatial group norm.

Each normalises ``x`` with the biased variance (ddof = 0) and ``eps``
inside the square root, then scales and shifts per feature (per channel for
images): ``out = gamma * (x - mu) / sqrt(var + eps) + beta``.  They differ
in what mu and var are taken over (a :class:`_Scheme`):

* batch norm: over the batch (axis 0 of N x D), so with N = 1 the output is
  beta whatever x and gamma are (dx and dgamma are identically zero);
* layer norm: over each sample's features (axis 1; identically zero with D = 1);
* spatial batch norm: each channel over the batch and the image (axes 0, 2
  and 3 of N x C x H x W), as cs231n's ``spatial_batchnorm_forward``;
* spatial group norm: each sample's channels split into G contiguous
  groups, each group over its channels and the image (``x.reshape(N, G,
  C // G, H, W)``, axes 2, 3, 4), as ``spatial_groupnorm_forward``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Parameter, Size, Try

EPS = Parameter("eps", (1e-5, 1e-3, 0.1), 1e-5, "eps")
_INFORMATIVE = 1e-3   # |xhat| and |gamma| below this say little about eps


@dataclass(frozen=True)
class _Scheme:
    """What a normalisation reduces over: ``axes`` of ``x`` (of its grouped
    view ``N x G x C/G x H x W`` when ``grouped``); ``words`` says so."""

    axes: tuple
    words: str
    grouped: bool = False

    def view(self, x, config):
        """``x`` (an array or a Grid) as the statistics see it."""
        if not self.grouped:
            return x
        n, c, h, w = x.shape
        return x.reshape(n, config["G"], c // config["G"], h, w)

    def count(self, config: dict, shape: tuple) -> int:
        """How many entries each mean is over."""
        viewed = (shape[0], config["G"], shape[1] // config["G"], *shape[2:]) \
            if self.grouped else shape
        return prod(viewed[a] for a in self.axes)


BATCH = _Scheme((0,), "axis 0 (the batch)")
LAYER = _Scheme((1,), "axis 1 (each sample's features)")
SPATIAL = _Scheme((0, 2, 3), "each channel over the batch and the image (axes 0, 2, 3)")
GROUPED = _Scheme((2, 3, 4), "each group of channels of a sample and its image", grouped=True)


def _define(scheme: _Scheme):
    def define(ops, x, gamma, beta, eps, G=None):
        # Kratzert's computational graph, one named node per step (layer
        # formulas and derivations speak of each: contract section 12)
        viewed = scheme.view(x, {"G": G})
        mu = ops.stage("mu", viewed.mean(axis=scheme.axes))
        xmu = ops.stage("xmu", viewed - mu)
        sq = ops.stage("sq", xmu ** 2)
        var = ops.stage("var", sq.mean(axis=scheme.axes))
        sqrtvar = ops.stage("sqrtvar", ops.sqrt(var + eps))
        ivar = ops.stage("ivar", 1 / sqrtvar)
        xhat = ops.stage("xhat", (xmu * ivar).reshape(*x.shape))
        gammax = ops.stage("gammax", gamma * xhat)
        return {"out": gammax + beta}
    return define


def _normalise(arrays, config, scheme: _Scheme, ddof: int = 0, eps_outside: bool = False):
    """symbp's NumPy forward (and, with ``ddof``/``eps_outside``, the slips
    a user's forward is compared with)."""
    x, eps = arrays["x"], config["eps"]
    viewed = scheme.view(x, config)
    xc = viewed - viewed.mean(axis=scheme.axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (xc ** 2).sum(axis=scheme.axes, keepdims=True) / \
            (scheme.count(config, x.shape) - ddof)
        xhat = xc / (np.sqrt(var) + eps) if eps_outside else xc / np.sqrt(var + eps)
    return _per_feature(arrays["gamma"], x) * xhat.reshape(x.shape) + _per_feature(arrays["beta"], x)


def _per_feature(vector, x):
    """gamma or beta shaped to broadcast along x's axis 1 (D, or the channels C)."""
    return np.reshape(vector, (1, -1) + (1,) * (x.ndim - 2))


def _backward(scheme: _Scheme):
    def backward(arrays, config, dout):
        x, gamma = arrays["x"], arrays["gamma"]
        count, axes = scheme.count(config, x.shape), scheme.axes
        viewed = scheme.view(x, config)
        xc = viewed - viewed.mean(axis=axes, keepdims=True)
        std = np.sqrt((xc ** 2).mean(axis=axes, keepdims=True) + config["eps"])
        xhat = xc / std
        dxhat = scheme.view(dout * _per_feature(gamma, x), config)
        dx = (count * dxhat - dxhat.sum(axis=axes, keepdims=True)
              - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True)) / (count * std)
        others = tuple(a for a in range(x.ndim) if a != 1)   # all but D, or C
        xhat = xhat.reshape(x.shape)
        return {"dx": dx.reshape(x.shape),
                "dgamma": (dout * xhat).sum(axis=others).reshape(gamma.shape),
                "dbeta": dout.sum(axis=others).reshape(gamma.shape)}
    return backward


def _read_eps(arrays, out, _config) -> dict:
    """Batch norm's eps from the output: sqrt(var + eps) = (x - mu) / xhat
    entry by entry (for a DLFS class, which fixes eps itself)."""
    x, gamma = np.asarray(arrays["x"], float), np.asarray(arrays["gamma"], float)
    out = np.asarray(out, dtype=float)
    if out.shape != x.shape:
        return {}
    xc = x - x.mean(axis=0, keepdims=True)
    var = np.broadcast_to((xc ** 2).mean(axis=0, keepdims=True), x.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        xhat = (out - arrays["beta"]) / gamma
        usable = (np.abs(xhat) > _INFORMATIVE) & (np.abs(xc) > 1e-6) & \
            (np.abs(np.broadcast_to(gamma, x.shape)) > _INFORMATIVE)
        if not usable.any():
            return {}
        eps = float(np.median((xc[usable] / xhat[usable]) ** 2 - var[usable]))
    return {"eps": float(f"{eps:.3g}")} if np.isfinite(eps) else {}


def _operands(x_shape, vector_shape, vector_grid):
    return (Operand("x", x_shape, x_shape, "dx"),
            Operand("gamma", vector_shape, vector_grid, "dgamma"),
            Operand("beta", vector_shape, vector_grid, "dbeta"))


def _param_args(*extra, **fixed):
    """The forward's arguments: the arrays, sizes ``extra`` (group norm's G)
    and a parameter dict (bn_param, ln_param, gn_param)."""
    return lambda a, c: (a["x"], a["gamma"], a["beta"], *(c[e] for e in extra),
                         {**fixed, "eps": c["eps"]})


def _groupnorm_args(arrays, config):
    """``spatial_groupnorm_forward``'s arguments; gamma and beta as ``(C,)``
    when the configuration says so (the try for forwards that do not take
    the ``(1, C, 1, 1)`` of cs231n's 2019-2021 notebooks, e.g. one that
    expands ``(C,)`` itself with ``np.expand_dims(gamma, (0, -1, -2))``)."""
    x, gamma, beta, G, param = _param_args("G")(arrays, config)
    if config.get("channels") == "vector":
        gamma, beta = gamma.reshape(-1), beta.reshape(-1)
    return x, gamma, beta, G, param


def _slips(kind: str, scheme: _Scheme, other: _Scheme | None) -> tuple:
    """The forwards a user's is compared with when it differs: the usual slips."""
    slips = [((f"the variance with ddof=1 (unbiased) where {kind} uses the biased variance "
               "(ddof=0)"), lambda a, c: _normalise(a, c, scheme, ddof=1)),
             ("eps added outside the square root: (x - mu) / (sqrt(var) + eps)",
              lambda a, c: _normalise(a, c, scheme, eps_outside=True))]
    if other is not None:
        what = f"x normalised over {other.words} where {kind} normalises over {scheme.words}"
        slips.insert(1, (what, lambda a, c: _normalise(a, c, other)))
    return tuple(slips)


_NOT_MOVED = ("x.reshape(-1, C) normalised without moving the channels last first "
              "(transpose(0, 2, 3, 1)): each column mixes channels and pixels")


def _channels_not_moved_last(arrays, config):
    """Spatial batch norm of ``x.reshape(-1, C)`` without ``transpose(0, 2, 3, 1)``
    first: each column mixes channels and pixels."""
    x = arrays["x"]
    rows = _normalise({**arrays, "x": x.reshape(-1, x.shape[1])}, config, BATCH)
    return rows.reshape(x.shape)


def _normalisation(name: str, kind: str, title: str, scheme: _Scheme, other: _Scheme | None,
                   sizes: tuple, operands: tuple, alone, slips=(), **conventions) -> Layer:
    """One normalisation layer; ``alone(config)``: mu is over one entry (x - mu is 0)."""
    return Layer(
        name, title, operands=operands, sizes=sizes, parameters=(EPS,),
        define=_define(scheme), forward=lambda a, c: _normalise(a, c, scheme),
        backward=_backward(scheme),
        vacuous=lambda c: frozenset({"dx", "dgamma"}) if alone(c) else frozenset(),
        forward_slips=_slips(kind, scheme, other) + slips, **conventions)


def _matrix(c):
    return (c["N"], c["D"])


def _vector(c):
    return (c["D"],)


def _row(c):
    return (1, c["D"])


def _image(c):
    return (c["N"], c["C"], c["H"], c["W"])


def _channels(c):
    return (1, c["C"], 1, 1)


BATCHNORM = _normalisation(
    "batchnorm", "batch norm", "batch normalisation, train mode (biased variance)", BATCH, LAYER,
    (Size("N", 2, 5), Size("D", 1, 4)), _operands(_matrix, _vector, _row),
    lambda c: c["N"] == 1, read_back=_read_eps,
    cs231n=Cs231n("batchnorm_forward", ("batchnorm_backward", "batchnorm_backward_alt"),
                  _param_args(mode="train", momentum=0.9), ("dx", "dgamma", "dbeta")),
    dlfs=Dlfs("BatchNormalization", init=lambda a, _c: (a["gamma"], a["beta"]),
              forward=lambda a, _c: (a["x"],), returns=("dx",),
              attributes={"dgamma": "dgamma", "dbeta": "dbeta"}, reads={"eps": None}))

LAYERNORM = _normalisation(
    "layernorm", "layer norm", "layer normalisation (biased variance)", LAYER, BATCH,
    (Size("N", 1, 4), Size("D", 2, 5)), _operands(_matrix, _vector, _row),
    lambda c: c["D"] == 1,
    cs231n=Cs231n("layernorm_forward", ("layernorm_backward",), _param_args(),
                  ("dx", "dgamma", "dbeta")))

_IMAGE_SIZES = (Size("N", 1, 4, default=2), Size("C", 1, 3, default=2),
                Size("H", 1, 3, default=2), Size("W", 1, 3, default=2))

SPATIAL_BATCHNORM = _normalisation(
    "spatial_batchnorm", "spatial batch norm",
    "spatial batch normalisation, train mode: each channel over N, H, W",
    SPATIAL, _Scheme((0,), "the batch only, per channel and pixel (batch norm of "
                          "x.reshape(N, -1))"),
    _IMAGE_SIZES, _operands(_image, lambda c: (c["C"],), _channels),
    lambda c: c["N"] * c["H"] * c["W"] == 1,
    slips=((_NOT_MOVED, _channels_not_moved_last),),
    cs231n=Cs231n("spatial_batchnorm_forward", ("spatial_batchnorm_backward",),
                  _param_args(mode="train", momentum=0.9), ("dx", "dgamma", "dbeta")))

SPATIAL_GROUPNORM = _normalisation(
    "spatial_groupnorm", "group norm",
    "spatial group normalisation: G groups of channels per sample",
    GROUPED, None,
    (Size("N", 1, 4, default=2), Size("G", 1, 3, default=2, path=True),
     Size("C", 1, 6, default=4, fits=lambda value, c: value % c["G"] == 0,
          rule="C must be a multiple of G (each group has C / G channels)"),
     Size("H", 1, 3, default=2), Size("W", 1, 3, default=2)),
    _operands(_image, _channels, _channels),
    lambda c: c["C"] // c["G"] * c["H"] * c["W"] == 1,
    cs231n=Cs231n("spatial_groupnorm_forward", ("spatial_groupnorm_backward",),
                  _groupnorm_args, ("dx", "dgamma", "dbeta"),
                  tries=(Try(), Try({"channels": "vector"},
                                    "gamma and beta given as (C,): the forward did not take "
                                    "them as (1, C, 1, 1)"))))
