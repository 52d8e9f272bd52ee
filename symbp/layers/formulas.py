"""Layers as formulas see them (contract section 12): which layers, at which
sizes, and their definitions run over symbols.

``FORMULA_LAYERS`` holds one entry per layer a formula may be about: a
catalogue layer with 2-D operands (samples as rows), and ``weight_decay``,
the affine layer whose objective also carries the catalogue's L2 penalty on
its weights (d2l's ``J = L + s``).  A :class:`SizedLayer` is such a layer at
given sizes and parameters, named as formulas name them (``N``, ``D``,
``eps``, ``p``, ``lambda``).

:func:`build` runs the catalogue's own definition of the layer over symbols:
concrete grids (SymEngine or SymPy) or index grids over symbolic sizes
(:mod:`symbp.layers.index_grid`).  It returns the layer's operands, named
quantities, output and objective (``sum(dout * out)``, the loss itself for a
loss layer, plus the penalty for ``weight_decay``), optionally with one named
quantity *held*: replaced by symbols of its own, so that the objective's
derivative with respect to them is that quantity's gradient, and its
derivative with respect to the inputs leaves out the paths through it.
Nothing here writes a derivative.

>>> sized = SizedLayer.of("batchnorm", N=4, D=3)
>>> str(sized), sized.catalogue("batchnorm")["eps"]
('batchnorm (N = 4, D = 3, eps = 1e-05)', 1e-05)
>>> list(build(sized, ConcreteSpace("symengine")).staged)
['mu', 'xmu', 'sq', 'var', 'sqrtvar', 'ivar', 'xhat', 'gammax']
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field

from symbp.errors import LayerError
from symbp.layers.catalogue import LAYERS
from symbp.layers.grid import Grid, Ops
from symbp.layers.index_grid import IndexGrid


@dataclass(frozen=True)
class FormulaLayer:
    """A layer formulas are written about: the catalogue layer ``base`` whose
    definition it is, and ``penalty``, a catalogue loss layer on the same
    weights ``w`` whose output is added to the objective.  ``renames`` maps
    the notation's names of parameters to the catalogue's.

    >>> decay = FORMULA_LAYERS["weight_decay"]
    >>> [part.name for part in decay.parts()], decay.sizes(), decay.parameters()
    (['affine', 'l2'], ['N', 'D', 'M'], ['lambda'])
    >>> decay.catalogue_name("lambda")
    'reg'
    """

    name: str
    base: str
    penalty: str | None = None
    renames: tuple = ()
    title: str = ""

    def parts(self) -> list:
        """The catalogue layers it is made of, base first."""
        return [LAYERS[self.base]] + ([LAYERS[self.penalty]] if self.penalty else [])

    def catalogue_name(self, name: str) -> str:
        return dict(self.renames).get(name, name)

    def notation_name(self, name: str) -> str:
        return {c: n for n, c in self.renames}.get(name, name)

    def sizes(self) -> list[str]:
        """The sizes of its configuration as formulas name them (``d`` is ``D``)."""
        found = []
        for part in self.parts():
            for size in part.sizes:
                name = "D" if size.dims else size.name
                if name not in found:
                    found.append(name)
        return found

    def parameters(self) -> list[str]:
        """The numbers of its configuration (eps, p, lambda), as formulas name them."""
        return [self.notation_name(p.name) for part in self.parts() for p in part.parameters
                if p.follows is None]

    @property
    def loss(self) -> bool:
        return LAYERS[self.base].loss


def _entry(name, title="", **fields) -> FormulaLayer:
    return FormulaLayer(name, fields.pop("base", name), title=title or LAYERS[
        fields.get("base", name)].title, **fields)


FORMULA_LAYERS: dict[str, FormulaLayer] = {f.name: f for f in [
    _entry("affine", "affine layer: out = x w + b (x is N x D)"),
    _entry("relu"), _entry("sigmoid"), _entry("tanh"), _entry("multiply"), _entry("add"),
    _entry("softmax_loss"), _entry("svm_loss"), _entry("batchnorm"), _entry("layernorm"),
    _entry("dropout"), _entry("softmax"), _entry("mse"), _entry("mae"),
    _entry("binary_crossentropy"), _entry("categorical_crossentropy"),
    _entry("l2", "L2 weight decay: loss = (lambda / 2) * sum(w ** 2)", renames=(("lambda", "reg"),)),
    FormulaLayer("weight_decay", "affine", penalty="l2", renames=(("lambda", "reg"),),
                 title="affine layer with L2 weight decay: objective sum(dout * (x w + b)) "
                       "+ (lambda / 2) * sum(w ** 2)"),
]}


def formula_layer(name: str) -> FormulaLayer:
    """The entry ``name``, or a LayerError that lists the names.

    >>> formula_layer("l2").parameters()
    ['lambda']
    >>> formula_layer("conv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.LayerError: 'conv' is not a layer formulas can be about; expected one of affine, ...
    """
    if not isinstance(name, str) or name not in FORMULA_LAYERS:
        raise LayerError(f"{name!r} is not a layer formulas can be about; expected one of "
                         f"{', '.join(FORMULA_LAYERS)}")
    return FORMULA_LAYERS[name]


@dataclass(frozen=True)
class SizedLayer:
    """A formula layer at given sizes and parameters (``settings``, named as
    formulas name them); every catalogue part's configuration is checked.

    >>> SizedLayer.of("dropout", N=3).to_dict()
    {'name': 'dropout', 'N': 3, 'D': 2, 'p': 0.6}
    >>> SizedLayer.of("relu", eps=0.1)
    Traceback (most recent call last):
    ...
    symbp.errors.LayerError: the relu layer has no eps; its sizes and parameters are N, D.
    """

    layer: FormulaLayer
    settings: tuple = field(default=())

    @classmethod
    def of(cls, name: str, **given) -> SizedLayer:
        """``name`` with the sizes and parameters ``given``; the others take the
        catalogue's defaults.  A LayerError names a key or a value at fault."""
        layer = formula_layer(name)
        known = layer.sizes() + layer.parameters()
        unknown = [key for key in given if key not in known]
        if unknown:
            raise LayerError(f"the {name} layer has no {', '.join(unknown)}; its sizes and "
                             f"parameters are {', '.join(known)}")
        settings = {}
        for part in layer.parts():
            default = part.default_config()
            for key in known:
                catalogue = "d" if key == "D" and "d" in default else layer.catalogue_name(key)
                if key not in settings and catalogue in default:
                    value = default[catalogue]
                    settings[key] = value[0] if catalogue == "d" else value
        settings.update(given)
        sized = cls(layer, tuple((key, settings[key]) for key in known))
        for part in layer.parts():
            sized.catalogue(part.name)
        return sized

    def __getitem__(self, key):
        return dict(self.settings)[key]

    def to_dict(self) -> dict:
        """``{"name": ..., "N": ..., ...}``: a ``[layer]`` table."""
        return {"name": self.layer.name, **dict(self.settings)}

    def replace(self, **changes) -> SizedLayer:
        return SizedLayer.of(self.layer.name, **{**dict(self.settings), **changes})

    def __str__(self):
        return f"{self.layer.name} ({', '.join(f'{k} = {v:g}' for k, v in self.settings)})"

    def catalogue(self, part: str) -> dict:
        """The configuration of catalogue layer ``part``, checked."""
        from symbp.layers.points import check_config
        return check_config(LAYERS[part], self.raw_catalogue(part, dict(self.settings)))

    def raw_catalogue(self, part: str, values: dict) -> dict:
        """``values`` (by the notation's names; sizes may be symbols) as catalogue
        layer ``part``'s configuration, unchecked."""
        layer = LAYERS[part]
        config = {}
        for size in layer.sizes:
            config[size.name] = (values["D"],) if size.dims else values[size.name]
        for p in layer.parameters:
            if p.follows is None:
                config[p.name] = values[self.layer.notation_name(p.name)]
        return layer.complete(config)

    def shape_key(self) -> tuple:
        return (self.layer.name,) + tuple(LAYERS[p].shape_key(self.catalogue(p))
                                          for p in self.part_names())

    def part_names(self) -> list[str]:
        return [part.name for part in self.layer.parts()]


# -- the definition over symbols ---------------------------------------------------------

class ConcreteSpace:
    """Grids of one symbol per entry (``engine`` is ``"sympy"`` or ``"symengine"``);
    SymPy's symbols are real and the parameters positive.

    >>> space = ConcreteSpace("sympy")
    >>> space.grid("x", (1, 2)).entries, space.number(1 / 0.6)
    ([x_0_0, x_0_1], 5/3)
    """

    def __init__(self, engine: str):
        if engine == "sympy":
            import sympy as module  # imported where used: the command line starts without it
        else:
            import symengine as module
        self.engine, self.name = module, engine
        self.assumptions = {"real": True} if engine == "sympy" else {}

    def grid(self, name: str, shape) -> Grid:
        return Grid.of_symbols(self.engine, name, *shape, **self.assumptions)

    def parameter(self, name: str):
        return self.engine.Symbol(name, positive=True) if self.name == "sympy" \
            else self.engine.Symbol(name)

    def number(self, value):
        """A derived parameter (dropout's scale 1/p): exact under SymPy."""
        if self.name == "sympy":
            return self.engine.nsimplify(value, rational=True)
        return value

    def total(self, grid):
        return self.engine.Add(*grid.entries)

    def sizes(self, sized: SizedLayer) -> dict:
        return dict(sized.settings)


class IndexSpace:
    """Index grids over symbolic sizes (every size a positive integer symbol).

    >>> sizes = IndexSpace().sizes(SizedLayer.of("batchnorm"))
    >>> sizes["N"], sizes["N"].is_integer, sizes["eps"]
    (N, True, 1e-05)
    """

    engine = None
    name = "index"

    def __init__(self):
        import sympy
        self.engine = sympy

    def grid(self, name: str, shape) -> IndexGrid:
        return IndexGrid.of_base(name, *shape)

    def parameter(self, name: str):
        return self.engine.Symbol(name, positive=True)

    def number(self, value):
        return self.engine.nsimplify(value, rational=True)

    def total(self, grid: IndexGrid):
        sympy = self.engine
        r, c = sympy.Dummy("r", integer=True), sympy.Dummy("c", integer=True)
        return sympy.Sum(grid.entry(r, c), (r, 0, grid.rows - 1), (c, 0, grid.cols - 1))

    def sizes(self, sized: SizedLayer) -> dict:
        symbols = {name: _size_symbol(name) for name in sized.layer.sizes()}
        return {**dict(sized.settings), **symbols}


def _size_symbol(name: str):
    """The size ``name`` (N, D, C, M) as a positive integer symbol."""
    import sympy
    return sympy.Symbol(name, integer=True, positive=True)


class _HoldingOps(Ops):
    """The catalogue's operations, recording every named quantity in order;
    the one named ``held`` is replaced by symbols of its own."""

    def __init__(self, engine, held: str | None, make_held):
        super().__init__(engine)
        self.staged = {}
        self.held, self.make_held, self.held_grid = held, make_held, None

    def stage(self, name, value):
        self.staged[name] = value
        if name != self.held:
            return value
        self.held_grid = self.make_held(f"held_{name}", value.shape)
        return self.held_grid


@dataclass
class Built:
    """A formula layer's definition run over symbols (see :func:`build`).

    >>> built = build(SizedLayer.of("multiply", N=1, D=1), ConcreteSpace("sympy"))
    >>> built.objective, built.held is None
    (dout_0_0*x_0_0*y_0_0, True)
    """

    grids: dict            # operand name -> grid of its symbols
    parameters: dict       # catalogue parameter name -> symbol (followers: their value),
                           # the penalty's too
    staged: dict           # named quantity -> grid (its value), in order
    out: object            # the output grid (1 x 1 for a loss)
    dout: object | None    # the upstream gradient's grid (None for a loss)
    objective: object      # sum(dout * out) (+ penalty), or the loss
    held: object | None    # the held quantity's symbols


def _call(define, ops, grids: dict, parameters: dict, config: dict):
    """``define`` given the grids, parameters and sizes its signature names."""
    taken = inspect.signature(define).parameters
    extra = {k: v for k, v in {**config, **parameters}.items() if k in taken}
    return define(ops, **{k: v for k, v in grids.items() if k in taken}, **extra)


def build(sized: SizedLayer, space, held: str | None = None) -> Built:
    """The layer's definition over ``space``'s symbols, ``held`` held (module doc).

    With batch norm's ``xhat`` held, the objective's derivative with
    respect to it is ``dxhat = dout * gamma``:

    >>> sized = SizedLayer.of("batchnorm", N=2, D=1)
    >>> built = build(sized, ConcreteSpace("sympy"), held="xhat")
    >>> built.objective.diff(built.held.entries[0])
    dout_0_0*gamma_0_0
    >>> build(SizedLayer.of("weight_decay", N=1, D=1, M=1), ConcreteSpace("sympy")).objective
    dout_0_0*(b_0_0 + w_0_0*x_0_0) + reg*w_0_0**2/2
    """
    base = LAYERS[sized.layer.base]
    values = space.sizes(sized)
    config = sized.raw_catalogue(base.name, values)
    grids = {op.name: space.grid(op.name, op.grid(config)) for op in base.operands}
    parameters = _parameters(base, config, space)
    ops = _HoldingOps(space.engine, held, space.grid)
    out = _call(base.define, ops, grids, parameters, config)["out"]
    if base.loss:
        dout, objective = None, out.entries[0]
    else:
        dout = space.grid("dout", out.shape)
        objective = space.total(dout * out)
    if sized.layer.penalty:
        penalty = LAYERS[sized.layer.penalty]
        own = sized.raw_catalogue(penalty.name, values)
        extra = _parameters(penalty, own, space)
        parameters.update({k: v for k, v in extra.items() if k not in parameters})
        value = _call(penalty.define, ops, {"w": grids["w"]}, extra, own)["out"]
        objective = objective + ops.stage("penalty", value).entries[0]
    return Built(grids, parameters, ops.staged, out, dout, objective, ops.held_grid)


def _parameters(layer, config: dict, space) -> dict:
    symbols = {p.name: space.parameter(p.name) for p in layer.parameters if p.follows is None}
    for p in layer.parameters:
        if p.follows is not None:
            symbols[p.name] = space.number(p.follows({**config, **symbols}))
    return symbols


def stage_names(sized: SizedLayer) -> list[str]:
    """The named quantities of the layer's definition, in order (and the
    penalty of ``weight_decay``).

    >>> stage_names(SizedLayer.of("softmax_loss")), stage_names(SizedLayer.of("weight_decay"))
    (['probs', 'lse', 'correct'], ['penalty'])
    """
    return list(build(sized, ConcreteSpace("symengine")).staged)


def as_sized_layer(sized) -> SizedLayer:
    """``sized`` as a :class:`SizedLayer`: one already, a layer's name (its
    default sizes), or a ``[layer]`` dict (``{"name": "batchnorm", "N": 4}``);
    a LayerError for anything else.

    >>> str(as_sized_layer({"name": "relu", "N": 3}))
    'relu (N = 3, D = 2)'
    """
    if isinstance(sized, SizedLayer):
        return sized
    if isinstance(sized, str):
        return SizedLayer.of(sized)
    if isinstance(sized, Mapping):
        fields = dict(sized)
        if "name" not in fields:
            raise LayerError("the layer has no name; give one, e.g. name = \"batchnorm\"")
        name = fields.pop("name")
        return SizedLayer.of(name, **fields)
    raise LayerError(f"a layer must be a symbp.SizedLayer, a layer's name or a dict of its "
                     f"name and sizes, not {type(sized).__name__}")
