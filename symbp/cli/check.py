"""``symbp check``: symbolic truth vs NumPy backprop vs finite differences."""

from __future__ import annotations

from symbp.cli import common
from symbp.errors import UsageError

HELP = "compare the symbolic gradient, NumPy backprop and finite differences"
DESCRIPTION = ("For one network (or, with --layer, one layer of the catalogue), derive every "
               "gradient with SymPy (the truth) and compare symbp's hand-coded NumPy "
               "backprop and central finite differences with it at a sampled point. Exit 0 "
               "all agree, 1 a disagreement, 2 invalid input.")


def add_arguments(parser):
    """The options of ``symbp check``: a network's, or ``--layer`` and ``--config``.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="symbp check")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--layer", "batchnorm", "--config", "N=4,D=3"])
    >>> args.layer, args.config, args.seed, args.json
    ('batchnorm', 'N=4,D=3', '0', False)
    """
    common.add_network_options(parser)
    group = parser.add_argument_group("layer")
    group.add_argument("--layer", metavar="NAME",
                       help="check a layer of the catalogue instead of a network: "
                            "affine, relu, batchnorm, softmax_loss, ...")
    common.add_layer_config_option(group, "with --layer: its sizes and parameters, e.g. "
                                          "N=4,D=3,eps=1e-3 (default: small sizes)")
    parser.add_argument("--seed", default="0", help="seed of the sampled point (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args, io) -> int:
    """Compare the three gradients; 0 when they agree, 1 when they do not.

    >>> from symbp.cli.main import main
    >>> main(["check", "--layers", "2,1", "--output", "identity", "--loss", "half_sse"])
    ... # doctest: +ELLIPSIS
    network: layers=[2, 1] hidden=sigmoid output=identity loss=half_sse batch=1 ...
    point: seed 0, loss 0.000161648497063
    param    backprop abs        rel   finite-diff abs        rel
    W1 ... ok
    b1 ... ok
    all agree: backprop within 1e-09 and finite differences within 1e-05 of each ...
    0
    """
    if args.layer is not None:
        return _run_layer(args, io)
    if args.config is not None:
        raise UsageError("--config sets a layer's sizes; give --layer NAME too")
    net = common.network_from_args(args)
    seed = common.parse_seed(args.seed)
    from symbp.sources.check import compare_gradients, finite_difference_count
    report = compare_gradients(net, seed=seed, progress=io.progress(
        finite_difference_count(net), "finite differences"))
    if args.json:
        io.json(report.to_json())
        return 0 if report.agree else 1
    io.print(f"network: {net}")
    io.print(f"point: seed {seed}, loss {report.loss:.12g}")
    notes = []
    if report.sampled:
        sampled = [p for p in report.parameters if p.entries < p.size]
        notes.append(f"finite differences: {net.parameter_count:,} parameters, so "
                     + "; ".join(f"{p.key} at {p.entries} of its {p.size:,} entries and along "
                                 f"{p.directions} random directions" for p in sampled)
                     + " (the other parameters at every entry)")
    if _table(io, report.parameters, "param", "backprop", report.agree, notes,
              f" (or, where it vanishes, within rounding: {report.floor:.1e} for finite "
              "differences)"):
        return 0
    bad = ", ".join(p.key for p in report.parameters if not p.agree)
    io.print(io.paint("disagreement", "red") + f" on {bad}")
    return 1


def _run_layer(args, io) -> int:
    given = [f"--{name.replace('_', '-')}" for name, value in common.network_fields(args).items()
             if value is not None]
    if given:
        raise UsageError(f"--layer checks one layer; {', '.join(given)} "
                         f"{'is a network option' if len(given) == 1 else 'are network options'}")
    seed = common.parse_seed(args.seed)
    from symbp.layers import layer_named
    from symbp.layers.check import compare_layer, entry_count
    from symbp.layers.points import check_config
    from symbp.sources.check import BACKPROP_TOLERANCE
    layer = layer_named(args.layer)
    # checked before anything is counted or allocated (a size 0x10 is (0, 10))
    config = check_config(layer, layer.default_config(common.layer_config(args.config)))
    report = compare_layer(layer, config, seed=seed,
                           progress=io.progress(entry_count(layer, config), "finite differences"))
    if args.json:
        io.json(report.to_json())
        return 0 if report.agree else 1
    sizes = ", ".join(f"{k} = {v}" for k, v in report.config.items())
    io.print(f"layer: {layer.name}, {layer.title}")
    io.print(f"configuration: {sizes}; point: seed {seed}")
    mark = io.paint("ok", "green") if report.forward_rel <= BACKPROP_TOLERANCE else \
        io.paint("DIFFERS", "red")
    io.print(f"forward: symbp's NumPy vs the definition {report.forward_abs:.3e} "
             f"({report.forward_rel:.2e} relative)  {mark}")
    if _table(io, report.keys, "grad", "backward", report.agree):
        return 0
    io.print(io.paint("disagreement", "red"))
    return 1


def _table(io, rows, label: str, second: str, agree: bool, notes=(), floor: str = "") -> bool:
    """One line per gradient (the second source's and finite differences'
    distance from the truth), the ``notes``, then "all agree" when they do
    (with ``floor``, the absolute allowance, appended); returns ``agree``."""
    from symbp.sources.check import BACKPROP_TOLERANCE, FINITE_TOLERANCE
    io.print(f"{label:<7} {second + ' abs':>13} {'rel':>10}   {'finite-diff abs':>15} {'rel':>10}")
    for row in rows:
        mark = io.paint("ok", "green") if row.agree else io.paint("DIFFERS", "red")
        io.print(f"{row.key:<7} {row.backprop_abs:>13.3e} {row.backprop_rel:>10.2e}   "
                 f"{row.finite_abs:>15.3e} {row.finite_rel:>10.2e}  {mark}")
    for note in notes:
        io.print(note)
    if agree:
        io.print(io.paint("all agree", "green") + f": {second} within {BACKPROP_TOLERANCE:g} "
                 f"and finite differences within {FINITE_TOLERANCE:g} of each gradient's "
                 f"largest entry{floor}")
    return agree
