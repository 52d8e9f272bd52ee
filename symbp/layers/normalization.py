"""Batch normalisation (train mode) and layer normalisation.

Both normalise ``x`` (N x D) with the biased variance (ddof = 0) and
``eps`` inside the square root, then scale and shift per feature:
``out = gamma * (x - mu) / sqrt(var + eps) + beta``.  Batch norm takes mu
and var over the batch (axis 0, so with N = 1 the output is beta whatever x
and gamma are: dx and dgamma are identically zero); layer norm takes them
over each sample's features (axis 1; identically zero with D = 1).
"""

from __future__ import annotations

import numpy as np

from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Parameter, Size

EPS = Parameter("eps", (1e-5, 1e-3, 0.1), 1e-5, "eps")
_INFORMATIVE = 1e-3   # |xhat| and |gamma| below this say little about eps


def _define(axis: int):
    def define(ops, x, gamma, beta, eps):
        # Kratzert's computational graph, one named node per step (layer
        # formulas and derivations speak of each: contract section 12)
        mu = ops.stage("mu", x.mean(axis=axis))
        xmu = ops.stage("xmu", x - mu)
        sq = ops.stage("sq", xmu ** 2)
        var = ops.stage("var", sq.mean(axis=axis))
        sqrtvar = ops.stage("sqrtvar", ops.sqrt(var + eps))
        ivar = ops.stage("ivar", 1 / sqrtvar)
        xhat = ops.stage("xhat", xmu * ivar)
        gammax = ops.stage("gammax", gamma * xhat)
        return {"out": gammax + beta}
    return define


def normalise(arrays, config, axis: int, ddof: int = 0, eps_outside: bool = False):
    """symbp's NumPy forward (and, with ``ddof``/``eps_outside``, the slips
    a user's forward is compared with)."""
    x, eps = arrays["x"], config["eps"]
    xc = x - x.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (xc ** 2).sum(axis=axis, keepdims=True) / (x.shape[axis] - ddof)
        xhat = xc / (np.sqrt(var) + eps) if eps_outside else xc / np.sqrt(var + eps)
    return arrays["gamma"] * xhat + arrays["beta"]


def _backward(axis: int):
    def backward(arrays, config, dout):
        x, gamma = arrays["x"], arrays["gamma"]
        count = x.shape[axis]
        xc = x - x.mean(axis=axis, keepdims=True)
        std = np.sqrt((xc ** 2).mean(axis=axis, keepdims=True) + config["eps"])
        xhat = xc / std
        dxhat = dout * gamma
        dx = (count * dxhat - dxhat.sum(axis=axis, keepdims=True)
              - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True)) / (count * std)
        return {"dx": dx, "dgamma": (dout * xhat).sum(axis=0), "dbeta": dout.sum(axis=0)}
    return backward


def _read_eps(axis: int):
    def read_back(arrays, out, _config) -> dict:
        """eps from the output: sqrt(var + eps) = (x - mu) / xhat entry by entry."""
        x, gamma = np.asarray(arrays["x"], float), np.asarray(arrays["gamma"], float)
        out = np.asarray(out, dtype=float)
        if out.shape != x.shape:
            return {}
        xc = x - x.mean(axis=axis, keepdims=True)
        var = np.broadcast_to((xc ** 2).mean(axis=axis, keepdims=True), x.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            xhat = (out - arrays["beta"]) / gamma
            usable = (np.abs(xhat) > _INFORMATIVE) & (np.abs(xc) > 1e-6) & \
                (np.abs(np.broadcast_to(gamma, x.shape)) > _INFORMATIVE)
            if not usable.any():
                return {}
            eps = float(np.median((xc[usable] / xhat[usable]) ** 2 - var[usable]))
        return {"eps": float(f"{eps:.3g}")} if np.isfinite(eps) else {}
    return read_back


def _vector(size: str, grad: str, name: str) -> Operand:
    return Operand(name, lambda c: (c[size],), lambda c: (1, c[size]), grad)


def _operands():
    return (Operand("x", lambda c: (c["N"], c["D"]), lambda c: (c["N"], c["D"]), "dx"),
            _vector("D", "dgamma", "gamma"), _vector("D", "dbeta", "beta"))


def _param_args(**fixed):
    """The forward's arguments: the arrays and a parameter dict (bn_param, ln_param)."""
    return lambda a, c: (a["x"], a["gamma"], a["beta"], {**fixed, "eps": c["eps"]})


_AXES = ("axis 0 (the batch)", "axis 1 (each sample's features)")


def _normalisation(name: str, title: str, axis: int, sizes: tuple, **conventions) -> Layer:
    """Batch norm (axis 0) or layer norm (axis 1): one definition, two axes."""
    kind, other = ("batch norm", "layer norm")[axis], 1 - axis
    alone = sizes[axis].name    # with one entry along the axis, x - mu is 0
    return Layer(
        name, title, operands=_operands(), sizes=sizes, parameters=(EPS,),
        define=_define(axis), forward=lambda a, c: normalise(a, c, axis),
        backward=_backward(axis),
        vacuous=lambda c: frozenset({"dx", "dgamma"}) if c[alone] == 1 else frozenset(),
        read_back=_read_eps(axis),
        forward_slips=(
            ((f"the variance with ddof=1 (unbiased) where {kind} uses the biased variance "
             "(ddof=0)"), lambda a, c: normalise(a, c, axis, ddof=1)),
            (f"x normalised over {_AXES[other]} where {kind} normalises over {_AXES[axis]}",
             lambda a, c: normalise(a, c, other)),
            ("eps added outside the square root: (x - mu) / (sqrt(var) + eps)",
             lambda a, c: normalise(a, c, axis, eps_outside=True))),
        **conventions)


BATCHNORM = _normalisation(
    "batchnorm", "batch normalisation, train mode (biased variance)", 0,
    (Size("N", 2, 5), Size("D", 1, 4)),
    cs231n=Cs231n("batchnorm_forward", ("batchnorm_backward", "batchnorm_backward_alt"),
                  _param_args(mode="train", momentum=0.9), ("dx", "dgamma", "dbeta")),
    dlfs=Dlfs("BatchNormalization", init=lambda a, _c: (a["gamma"], a["beta"]),
              forward=lambda a, _c: (a["x"],), returns=("dx",),
              attributes={"dgamma": "dgamma", "dbeta": "dbeta"}, reads={"eps": None}))

LAYERNORM = _normalisation(
    "layernorm", "layer normalisation (biased variance)", 1,
    (Size("N", 1, 4), Size("D", 2, 5)),
    cs231n=Cs231n("layernorm_forward", ("layernorm_backward",), _param_args(),
                  ("dx", "dgamma", "dbeta")))
