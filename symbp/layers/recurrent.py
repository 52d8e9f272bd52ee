"""Recurrent layers, as cs231n's ``rnn_layers.py`` has them: a vanilla RNN
(tanh) and an LSTM, one time step and over a sequence.

* rnn step: ``next_h = tanh(x Wx + prev_h Wh + b)``, x N x D, prev_h N x H;
* rnn: that step over ``x`` of N x T x D from ``h0``, the output every hidden
  state, N x T x H;
* lstm step: ``a = x Wx + prev_h Wh + b`` (N x 4H) split into the gates i, f,
  o (sigmoid) and g (tanh) in that order; ``next_c = f * prev_c + i * g``,
  ``next_h = o * tanh(next_c)``.  The step has two outputs: the layer's
  output is ``next_h`` and ``next_c`` side by side (N x 2H), and the user's
  ``lstm_step_backward(dnext_h, dnext_c, cache)`` gets its ``dout`` split;
* lstm: that step over a sequence from ``h0`` with the cell state starting
  at zero, the output every hidden state (the cell states are internal).

*Deep Learning from Scratch 2*'s ``common/time_layers.py`` has them as
classes: ``RNN`` and ``LSTM`` (a step: ``forward(x, h_prev[, c_prev])``,
``backward(dh_next[, dc_next])``), ``TimeRNN`` and ``TimeLSTM`` (a sequence:
``forward(xs)``, from the state ``set_state(h0)`` gives; ``dh0`` in
``self.dh``), gradients in ``self.grads`` in the order of ``self.params =
[Wx, Wh, b]``.  The book's LSTM slices its gates f, g, i, o: it is given
its weights in that order (``Dlfs.gates``).

Every hidden and cell state is a named quantity (``h1``, ``c1``...): the
truth chains their derivatives time step by time step, so it stays small
however long the sequence (:mod:`symbp.layers.symbolic`).
"""

from __future__ import annotations

import numpy as np

from symbp.layers.grid import Grid
from symbp.layers.model import Cs231n, Dlfs, Layer, Operand, Size


def _operand(name: str, shape, grad: str | None = None, grid=None) -> Operand:
    return Operand(name, shape, grid or shape, grad or f"d{name}")


def _weights(gates: int) -> tuple:
    return (_operand("Wx", lambda c: (c["D"], gates * c["H"])),
            _operand("Wh", lambda c: (c["H"], gates * c["H"])),
            _operand("b", lambda c: (gates * c["H"],), grid=lambda c: (1, gates * c["H"])))


def _state(name: str) -> Operand:
    return _operand(name, lambda c: (c["N"], c["H"]))


_STEP_INPUT = _operand("x", lambda c: (c["N"], c["D"]))
_SEQUENCE_INPUT = _operand("x", lambda c: (c["N"], c["T"], c["D"]))
N, D, H = Size("N", 1, 4, default=2), Size("D", 1, 4, default=2), Size("H", 1, 4, default=2)
T = Size("T", 1, 4, default=3, path=True)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


_BOOK_GRADS = {"dWx": "dWx", "dWh": "dWh", "db": "db"}   # from self.grads, by self.params
_BOOK_GATES = (1, 3, 0, 2)   # the book's LSTM slices f, g, i, o: cs231n's blocks 1, 3, 0, 2


def _book_step(name: str, states: tuple, **extra) -> Dlfs:
    """The book 2's ``RNN`` or ``LSTM`` class: one step."""
    return Dlfs(name, init=lambda a, _c: (a["Wx"], a["Wh"], a["b"]),
                forward=lambda a, _c: (a["x"], *(a[s] for s in states)),
                returns=("dx", *(f"d{s}" for s in states)), attributes=_BOOK_GRADS, **extra)


def _book_sequence(name: str, **extra) -> Dlfs:
    """The book 2's ``TimeRNN`` or ``TimeLSTM``: stateful, so that
    ``set_state(h0)`` gives it h0 (the cell state starts at zero)."""
    return Dlfs(name, init=lambda a, _c: (a["Wx"], a["Wh"], a["b"], True),
                before=lambda instance, a: instance.set_state(a["h0"]),
                forward=lambda a, _c: (a["x"],), returns=("dx",),
                attributes={**_BOOK_GRADS, "dh": "dh0"}, **extra)


# -- the vanilla RNN ---------------------------------------------------------------------

def _rnn_step(ops, x, prev_h, Wx, Wh, b):
    return {"out": ops.tanh(x @ Wx + prev_h @ Wh + b)}


def _rnn(ops, x, h0, Wx, Wh, b):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = ops.stage(f"h{t + 1}", ops.tanh(x[:, t, :] @ Wx + h @ Wh + b))
        states.append(h)
    return {"out": Grid.stack(states, axis=1)}


def _rnn_forward(arrays, _config):
    x, h = arrays["x"], arrays["h0"]
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ arrays["Wx"] + h @ arrays["Wh"] + arrays["b"])
        states.append(h)
    return np.stack(states, axis=1)


def _rnn_backward(arrays, config, dout):
    x, Wx, Wh = arrays["x"], arrays["Wx"], arrays["Wh"]
    states = _rnn_forward(arrays, config)
    grads = {"dx": np.zeros_like(x), "dWx": np.zeros_like(Wx), "dWh": np.zeros_like(Wh),
             "db": np.zeros_like(arrays["b"])}
    carried = np.zeros_like(arrays["h0"])
    for t in reversed(range(x.shape[1])):
        previous = states[:, t - 1] if t else arrays["h0"]
        dz = (dout[:, t] + carried) * (1 - states[:, t] ** 2)
        grads["dx"][:, t] = dz @ Wx.T
        grads["dWx"] += x[:, t].T @ dz
        grads["dWh"] += previous.T @ dz
        grads["db"] += dz.sum(axis=0)
        carried = dz @ Wh.T
    return {**grads, "dh0": carried}


def _step_arrays(arrays):
    """A step's arrays as a sequence of one: x N x 1 x D, h0 = prev_h."""
    return {**arrays, "x": arrays["x"][:, None], "h0": arrays["prev_h"]}


def _step_grads(grads: dict) -> dict:
    """A sequence of one's gradients as a step's: dx N x D, dh0 as dprev_h."""
    grads = dict(grads, dx=grads["dx"][:, 0])
    grads["dprev_h"] = grads.pop("dh0")
    return grads


RNN_STEP = Layer(
    "rnn_step", "vanilla RNN, one time step: next_h = tanh(x Wx + prev_h Wh + b)",
    operands=(_STEP_INPUT, _state("prev_h"), *_weights(1)), sizes=(N, D, H),
    define=_rnn_step, forward=lambda a, c: _rnn_forward(_step_arrays(a), c)[:, 0],
    backward=lambda a, c, dout: _step_grads(_rnn_backward(_step_arrays(a), c, dout[:, None])),
    cs231n=Cs231n("rnn_step_forward", ("rnn_step_backward",),
                  lambda a, _c: (a["x"], a["prev_h"], a["Wx"], a["Wh"], a["b"]),
                  ("dx", "dprev_h", "dWx", "dWh", "db")),
    dlfs=_book_step("RNN", ("prev_h",)))


def _over_a_sequence(kind: str, title: str, gates: int, define, forward, backward,
                     dlfs: Dlfs) -> Layer:
    """An RNN or LSTM over T steps from h0: ``kind_forward(x, h0, Wx, Wh, b)``."""
    return Layer(
        kind, title, operands=(_SEQUENCE_INPUT, _state("h0"), *_weights(gates)),
        sizes=(N, T, D, H), define=define, forward=forward, backward=backward,
        cs231n=Cs231n(f"{kind}_forward", (f"{kind}_backward",),
                      lambda a, _c: (a["x"], a["h0"], a["Wx"], a["Wh"], a["b"]),
                      ("dx", "dh0", "dWx", "dWh", "db")), dlfs=dlfs)


RNN = _over_a_sequence("rnn", "vanilla RNN over a sequence of T steps from h0 (every hidden "
                              "state out)", 1, _rnn, _rnn_forward, _rnn_backward,
                     _book_sequence("TimeRNN"))


# -- the LSTM ------------------------------------------------------------------------------

def _cell(ops, x, prev_h, prev_c, Wx, Wh, b, name: str):
    """One LSTM step: ``(next_h, next_c)``, the cell state named ``name``."""
    size = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = (ops.sigmoid(a[:, k * size:(k + 1) * size]) for k in range(3))
    g = ops.tanh(a[:, 3 * size:])
    next_c = ops.stage(name, i * g if prev_c is None else f * prev_c + i * g)
    return o * ops.tanh(next_c), next_c


def _lstm_step(ops, x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c = _cell(ops, x, prev_h, prev_c, Wx, Wh, b, "next_c")
    return {"out": Grid.concatenate([next_h, next_c], axis=1)}


def _lstm(ops, x, h0, Wx, Wh, b):
    h, c, states = h0, None, []
    for t in range(x.shape[1]):
        h, c = _cell(ops, x[:, t, :], h, c, Wx, Wh, b, f"c{t + 1}")
        h = ops.stage(f"h{t + 1}", h)
        states.append(h)
    return {"out": Grid.stack(states, axis=1)}


def _lstm_run(arrays, c0):
    """Every step's gates and states, from ``h0`` and cell state ``c0``."""
    x, h, c = arrays["x"], arrays["h0"], c0
    size, steps = h.shape[1], []
    for t in range(x.shape[1]):
        a = x[:, t] @ arrays["Wx"] + h @ arrays["Wh"] + arrays["b"]
        i, f, o = (_sigmoid(a[:, k * size:(k + 1) * size]) for k in range(3))
        g = np.tanh(a[:, 3 * size:])
        previous_h, previous_c = h, c
        c = f * c + i * g
        h = o * np.tanh(c)
        steps.append((i, f, o, g, previous_h, previous_c, c, h))
    return steps


def _lstm_backward(arrays, dout, c0, dout_c=None):
    """Gradients of the sequence's hidden states (and, for a step, of its
    cell state: ``dout_c``), the carried ``dh0`` and ``dc0``."""
    x, Wx, Wh = arrays["x"], arrays["Wx"], arrays["Wh"]
    grads = {"dx": np.zeros_like(x), "dWx": np.zeros_like(Wx), "dWh": np.zeros_like(Wh),
             "db": np.zeros_like(arrays["b"])}
    carried_h = np.zeros_like(arrays["h0"])
    carried_c = np.zeros_like(carried_h) if dout_c is None else dout_c
    steps = _lstm_run(arrays, c0)
    for t in reversed(range(x.shape[1])):
        i, f, o, g, previous_h, previous_c, c, _ = steps[t]
        dh = dout[:, t] + carried_h
        dc = carried_c + dh * o * (1 - np.tanh(c) ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * previous_c * f * (1 - f),
                             dh * np.tanh(c) * o * (1 - o), dc * i * (1 - g ** 2)], axis=1)
        grads["dx"][:, t] = da @ Wx.T
        grads["dWx"] += x[:, t].T @ da
        grads["dWh"] += previous_h.T @ da
        grads["db"] += da.sum(axis=0)
        carried_h, carried_c = da @ Wh.T, dc * f
    return {**grads, "dh0": carried_h, "dc0": carried_c}


def _lstm_step_forward(arrays, _config):
    *_, c, h = _lstm_run(_step_arrays(arrays), arrays["prev_c"])[0]
    return np.concatenate([h, c], axis=1)


def _lstm_step_backward(arrays, _config, dout):
    size = arrays["prev_h"].shape[1]
    grads = _lstm_backward(_step_arrays(arrays), dout[:, None, :size], arrays["prev_c"],
                           dout[:, size:])
    grads = _step_grads(grads)
    grads["dprev_c"] = grads.pop("dc0")
    return grads


def _lstm_forward(arrays, _config):
    steps = _lstm_run(arrays, np.zeros_like(arrays["h0"]))
    return np.stack([step[-1] for step in steps], axis=1)


def _lstm_sequence_backward(arrays, _config, dout):
    grads = _lstm_backward(arrays, dout, np.zeros_like(arrays["h0"]))
    grads.pop("dc0")
    return grads


LSTM_STEP = Layer(
    "lstm_step", "LSTM, one time step: gates i, f, o, g from x Wx + prev_h Wh + b; "
                 "out = next_h and next_c side by side",
    operands=(_STEP_INPUT, _state("prev_h"), _state("prev_c"), *_weights(4)),
    sizes=(N, D, H), define=_lstm_step, forward=_lstm_step_forward,
    backward=_lstm_step_backward,
    cs231n=Cs231n("lstm_step_forward", ("lstm_step_backward",),
                  lambda a, _c: (a["x"], a["prev_h"], a["prev_c"], a["Wx"], a["Wh"], a["b"]),
                  ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
                  outputs=("next_h", "next_c")),
    dlfs=_book_step("LSTM", ("prev_h", "prev_c"), outputs=("h_next", "c_next"),
                    gates=_BOOK_GATES))

LSTM = _over_a_sequence("lstm", "LSTM over a sequence of T steps from h0, cell state from 0 "
                                "(every hidden state out)", 4, _lstm, _lstm_forward,
                        _lstm_sequence_backward, _book_sequence("TimeLSTM", gates=_BOOK_GATES))
