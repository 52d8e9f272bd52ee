"""``symbp grade-layers``: a user's layer-by-layer backprop graded against
the exact truth (contract section 11).

:func:`grade_layers` imports the user's file or module in a child process
(:mod:`symbp.grading.sandbox`), finds the layers it defines by their
conventional names (:mod:`symbp.grading.discovery`) and grades each one:
first at a small configuration (which also settles how a DLFS class takes
its targets), then on ``random`` configurations drawn by Hypothesis
(:func:`symbp.strategies.layer_configs`), the first failure shrunk to the
smallest configuration that still fails.  Verdicts: ``ok``, ``wrong``,
``forward_wrong``, ``error``, ``unimplemented``, and ``untested`` when some
gradient was all zeros at every configuration tried (batch norm at N = 1),
so that nothing was learnt about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symbp.errors import LayerError
from symbp.grading.discovery import Found, discover, looked_for, select
from symbp.grading.layer_config import attach, config_diagnosis, needs, with_seed
from symbp.grading.layer_draws import FAILING, Draw, KeyResult, grade_draw
from symbp.grading.layer_probes import mask_probe
from symbp.layers import LAYERS
from symbp.layers.model import Try
from symbp.layers.points import check_config
from symbp.limits import check_random

DEFAULT_RANDOM = 20


@dataclass
class LayerReport:
    """The grade of one layer of the user's.

    >>> found = Found("relu_backward", "relu", "cs231n", "relu_forward")
    >>> print(LayerReport(found, "ok", 20))
    relu_backward (relu, cs231n): ok on 20 configurations
    >>> print(LayerReport(found, "wrong", 3, [KeyResult("dx", False, 0.5)], {"N": 2, "D": 3}, 7))
    relu_backward (relu, cs231n): WRONG at N = 2, D = 3 (point seed 7)
      dx: WRONG, off by up to 0.5
    """

    found: Found
    verdict: str
    configs_tried: int
    keys: list = field(default_factory=list)
    config: dict | None = None
    seed: int | None = None
    message: str | None = None
    notes: list = field(default_factory=list)

    def lines(self) -> list[str]:
        """The human report: a head line, the message, one line per key, the notes."""
        head = f"{self.found.name} ({self.found.layer}, {self.found.style}): "
        if self.verdict == "ok":
            return [f"{head}ok on {self.configs_tried} configurations"] + \
                [f"  note: {note}" for note in self.notes]
        # a random layer's mask seed is the point's seed: said once
        shown = {k: v for k, v in (self.config or {}).items()
                 if not (k == "seed" and v == self.seed)}
        where = f" at {_config_text(shown)} (point seed {self.seed})" if self.config else ""
        lines = [f"{head}{self.verdict.upper()}{where}"]
        lines += [f"  {self.message}"] if self.message else []
        # a forward's key says what its message already said: once is enough
        lines += [f"  {key.line()}" for key in self.keys
                  if not (key.key == "out" and self.message and key.message and
                          self.message.endswith(key.message) and
                          (key.diagnosis or {}).get("kind") != "config")]
        return lines + [f"  note: {note}" for note in self.notes]

    def __str__(self):
        return "\n".join(self.lines())

    def to_json(self) -> dict:
        return {"name": self.found.name, "layer": self.found.layer, "style": self.found.style,
                "verdict": self.verdict, "configs_tried": self.configs_tried,
                "keys": [k.to_json() for k in self.keys], "config": self.config,
                "seed": self.seed, "message": self.message, "notes": self.notes}


@dataclass
class LayersReport:
    """Every layer graded in one file; ``exit_code`` as the contract says.

    >>> found = Found("relu_backward", "relu", "cs231n", "relu_forward")
    >>> untested = LayersReport("layers.py", [LayerReport(found, "untested", 20)])
    >>> wrong = LayersReport("layers.py", [LayerReport(found, "wrong", 3)])
    >>> untested.exit_code, wrong.exit_code
    (0, 1)
    """

    file: str
    layers: list
    notes: list = field(default_factory=list)   # about the file (packages given stand-ins)

    @property
    def ok(self) -> bool:
        return not any(r.verdict in FAILING for r in self.layers)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict:
        return {"file": self.file, "layers": [r.to_json() for r in self.layers],
                "notes": self.notes}


def _config_text(config: dict) -> str:
    """``N = 2, d = 2x3, eps = 1e-05``."""
    def value(v):
        return "x".join(map(str, v)) if isinstance(v, (tuple, list)) else f"{v:g}"
    return ", ".join(f"{k} = {value(v)}" for k, v in config.items())


class _Failed(Exception):
    """Raised inside the Hypothesis test so that it shrinks the failing configuration."""

    def __init__(self, draw: Draw):
        super().__init__(draw.message or draw.verdict)
        self.draw = draw


class _Ended(BaseException):
    """Raised inside the Hypothesis test when the user's code ran past its
    time limit or ended its process: a BaseException, which Hypothesis does
    not shrink, since every smaller configuration would cost the whole time
    limit again (two layers that loop took eight minutes)."""

    def __init__(self, draw: Draw):
        super().__init__(draw.message or draw.verdict)
        self.draw = draw


def _fixed_for(layer, fixed: dict) -> dict:
    """The values of ``fixed`` that are ``layer``'s; a size of several
    dimensions given as one number (``--config d=3``) as a tuple of one."""
    names = layer.config_names()
    dims = {size.name for size in layer.sizes if size.dims}
    return {k: (v,) if k in dims and not isinstance(v, (tuple, list)) else v
            for k, v in fixed.items() if k in names}


def _check_fixed(fixed: dict, found: list) -> None:
    """Every fixed value belongs to some layer graded; a LayerError otherwise."""
    known = set()
    for one in found:
        layer = LAYERS[one.layer]
        known |= layer.config_names()
    unknown = sorted(set(fixed) - known)
    if unknown:
        raise LayerError(f"no layer graded has {', '.join(unknown)}; their configurations "
                         f"have {', '.join(sorted(known))}")


def _report(found, draw: Draw, tried: int, note: str = "") -> LayerReport:
    layer = LAYERS[found.layer]
    # the layer's own order (sizes, parameters), not the way of calling (targets=onehot)
    order = [s.name for s in layer.sizes] + [p.name for p in layer.parameters] + ["seed"]
    config = {k: draw.config[k] for k in order if k in draw.config}
    return LayerReport(found, draw.verdict, tried, draw.keys, config, draw.seed,
                       draw.message, [note] * bool(note) + draw.notes)


def _first_draw(user, found, layer, fixed) -> tuple[Draw, Try]:
    """The draw at the layer's default configuration, and the way of calling
    (the convention's ``tries``) that the user's forward accepts."""
    convention = layer.convention(found.style, found.name)
    config = layer.default_config(fixed)
    config.update({name: (int(np.prod(config[name])),) for name in convention.flat
                   if name not in fixed})
    config = check_config(layer, config)
    first = None
    for way in convention.tries:
        draw = grade_draw(user, found, layer, with_seed(layer, {**config, **way.values}, 0), 0)
        first = first or (draw, way)
        if draw.verdict not in ("error", "forward_wrong"):
            return draw, way
    return first


def grade_found(user, found: Found, count: int = DEFAULT_RANDOM, *, seed: int = 0,
                fixed: dict | None = None, on_draw=None) -> LayerReport:
    """Grade one layer of the user's (see the module doc); ``fixed`` keeps
    configuration values (``{"N": 1}``); ``on_draw(done)`` follows the draws.

    A backward twice the truth, shrunk by Hypothesis to the smallest configuration:

    >>> from symbp.grading.in_process import LocalCode
    >>> code = LocalCode({"relu_forward": lambda x: (np.maximum(x, 0), x),
    ...                   "relu_backward": lambda dout, x: 2 * dout * (x > 0)})
    >>> report = grade_found(code, Found("relu_backward", "relu", "cs231n", "relu_forward"), 3)
    >>> report.verdict, report.config, report.keys[0].diagnosis["text"]
    ('wrong', {'N': 1, 'D': 1}, 'dx is 2 times the truth.')
    """
    layer = LAYERS[found.layer]
    if found.forward and found.forward not in user.names() and not found.cache_is_input:
        return LayerReport(found, "error", 0, message=(
            f"{found.name} needs the cache of {found.forward}, which is not defined"))
    fixed = _fixed_for(layer, fixed or {})
    draw, way = _first_draw(user, found, layer, fixed)
    extra = way.values
    if draw.verdict == "unimplemented" or draw.problem == "process":
        return _report(found, draw, 1)    # a time limit or an ended process: once is enough
    probe = mask_probe(user, found, layer, extra) if draw.verdict not in FAILING else None
    if probe is not None:   # a dropout mask of the wrong distribution: no draw shows it
        return _report(found, probe, 2, way.note)
    tally = _Tally(draw)
    tally.notes.update([way.note] * bool(way.note))
    # Hypothesis's smallest failure; else the first configuration's, if it failed there
    failing = (_search(user, found, layer, count, seed, fixed, extra, tally, on_draw)
               if count else None) or (draw if draw.verdict in FAILING else None)
    if failing is not None:
        if needs(failing):
            diagnosis = config_diagnosis(user, found, layer, failing, extra, fixed)
            if diagnosis is not None:
                attach(failing, diagnosis)
        return _report(found, failing, tally.tried, way.note)
    if tally.untested:
        last = tally.last
        return LayerReport(found, "untested", tally.tried, last.keys, last.config, last.seed,
                           _untested(layer, tally.untested, fixed), sorted(tally.notes))
    verdict = "unimplemented" if tally.unimplemented else "ok"
    return LayerReport(found, verdict, tally.tried, tally.summary(),
                       message=tally.last.message if tally.unimplemented else None,
                       notes=sorted(tally.notes))


def _untested(layer, keys: list, fixed: dict) -> str:
    one = len(keys) == 1
    at = _config_text(fixed)
    why = (f"as they are for every point of {layer.name} at {at}" if at and
           set(keys) <= layer.vacuous(layer.default_config(fixed))
           else "at every point drawn")
    return (f"{', '.join(keys)} {'was' if one else 'were'} all zeros at every configuration "
            f"tried ({why}), so a zero from the code cannot be told from a right answer: "
            f"nothing was tested for {'it' if one else 'them'}")


class _Tally:
    """What the draws so far tested: gradients seen non-zero, largest errors."""

    def __init__(self, first: Draw):
        self.tried, self.tested, self.largest = 0, set(), {}
        self.keys, self.notes, self.unimplemented, self.last = [], set(), False, first
        self.add(first)

    def add(self, draw: Draw):
        self.tried += 1
        self.last = draw
        self.notes.update(draw.notes)
        self.unimplemented |= draw.verdict == "unimplemented"
        for key in draw.keys:
            if key.key not in self.largest:
                self.keys.append(key.key)
                self.largest[key.key] = key
            if key.tested:
                self.tested.add(key.key)
            if (key.max_abs_error or 0) > (self.largest[key.key].max_abs_error or 0):
                self.largest[key.key] = key

    @property
    def untested(self) -> list:
        return [key for key in self.keys if key not in self.tested]

    def summary(self) -> list[KeyResult]:
        return [self.largest[key] for key in self.keys]


def _search(user, found, layer, count, seed, fixed, extra, tally, on_draw) -> Draw | None:
    """Hypothesis's draws; the smallest failing one, or None."""
    from hypothesis import given, reject
    from hypothesis import strategies as st

    from symbp.strategies import layer_configs
    from symbp.verification.search import isolated, scratch_storage
    failures = []
    convention = layer.convention(found.style, found.name)
    flat = {size.name: st.tuples(st.integers(size.low, size.high)) for size in layer.sizes
            if size.name in convention.flat and size.name not in fixed}

    @isolated(count, seed)
    @given(layer_configs(layer, **fixed, **flat), st.integers(0, 2**31 - 1))
    def attempt(config, point_seed):
        try:
            draw = grade_draw(user, found, layer, with_seed(layer, {**config, **extra},
                                                             point_seed), point_seed)
        except LayerError:
            reject()   # no point away from the kinks here: not a counterexample
        if not failures:
            tally.add(draw)
            if on_draw is not None:
                on_draw(min(tally.tried, count))
        if draw.verdict in FAILING:
            failures.append(draw)
            raise (_Ended if draw.problem == "process" else _Failed)(draw)

    try:
        with scratch_storage():
            attempt()
    except (_Failed, _Ended) as failed:
        return failed.draw
    except Exception:
        if not failures:
            raise
        # a flaky layer (right then wrong at one configuration): the smallest failure seen
        return min(failures, key=lambda d: sum(int(np.prod(d.config[s.name]))
                                               for s in layer.sizes))
    return None


def grade_layers(path_or_module, *, only=None, random: int = DEFAULT_RANDOM, seed: int = 0,
                 config: dict | None = None, timeout: float | None = None,
                 on_layer=None, on_draw=None) -> LayersReport:
    """Grade every catalogue layer the user's file or module defines.

    ``only`` names the layers to grade (the user's names or catalogue
    names); ``random`` configurations per layer from Hypothesis (seeded by
    ``seed``); ``config`` fixes configuration values for every layer that has
    them (``{"N": 1}``); ``timeout`` is each call's time limit in seconds
    (default ``symbp.grading.sandbox.LAYER_TIMEOUT``); ``on_layer(found)`` and ``on_draw(done)``
    follow the work.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "layers.py").write_text(
    ...     "import numpy as np\\n"
    ...     "def relu_forward(x):\\n    return np.maximum(x, 0), x\\n"
    ...     "def relu_backward(dout, x):\\n    return dout * (x > 0)\\n")
    >>> report = grade_layers(folder / "layers.py", random=5)
    >>> [(r.found.name, r.verdict) for r in report.layers]
    [('relu_backward', 'ok')]
    """
    from symbp.grading.sandbox import LAYER_TIMEOUT, UserProcess
    check_random(random)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LayerError(f"seed={seed!r} is not a seed; expected an integer >= 0")
    if config is not None and not isinstance(config, dict):
        raise LayerError(f"config={config!r} is not a dict of configuration values, e.g. "
                         "{'N': 1}")
    with UserProcess(path_or_module, timeout=LAYER_TIMEOUT if timeout is None
                     else timeout) as user:
        found = select(discover(user.names()), only)
        if not found:
            raise LayerError(f"nothing recognisable in {path_or_module}: symbp looks for "
                             f"{', '.join(looked_for())}")
        _check_fixed(config or {}, found)
        reports = []
        for one in found:
            if on_layer is not None:
                on_layer(one)
            reports.append(grade_found(user, one, random, seed=seed, fixed=config,
                                       on_draw=on_draw))
    return LayersReport(str(path_or_module), reports, user.import_notes)
