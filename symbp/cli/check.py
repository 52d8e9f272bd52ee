"""``symbp check``: symbolic truth vs NumPy backprop vs finite differences."""

from __future__ import annotations

from symbp.cli import common

HELP = "compare the symbolic gradient, NumPy backprop and finite differences"
DESCRIPTION = ("For one network, derive every dL/dW[l], dL/db[l] with SymPy (the truth) "
               "and compare the hand-coded NumPy backprop and central finite differences "
               "with it at a sampled point. Exit 0 all agree, 1 a disagreement, "
               "2 invalid input.")


def add_arguments(parser):
    common.add_network_options(parser)
    parser.add_argument("--seed", default="0", help="seed of the sampled point (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args, io) -> int:
    net = common.network_from_args(args)
    seed = common.parse_seed(args.seed)
    from symbp.sources.check import (
        BACKPROP_TOLERANCE,
        FINITE_TOLERANCE,
        compare_gradients,
        finite_difference_count,
    )
    report = compare_gradients(net, seed=seed, progress=io.progress(
        finite_difference_count(net), "finite differences"))
    if args.json:
        io.json(report.to_json())
        return 0 if report.agree else 1
    io.print(f"network: {net}")
    io.print(f"point: seed {seed}, loss {report.loss:.12g}")
    io.print(f"{'param':<6} {'backprop abs':>13} {'rel':>10}   {'finite-diff abs':>15} {'rel':>10}")
    for p in report.parameters:
        mark = io.paint("ok", "green") if p.agree else io.paint("DIFFERS", "red")
        io.print(f"{p.key:<6} {p.backprop_abs:>13.3e} {p.backprop_rel:>10.2e}   "
                 f"{p.finite_abs:>15.3e} {p.finite_rel:>10.2e}  {mark}")
    if report.sampled:
        sampled = [p for p in report.parameters if p.entries < p.size]
        io.print(f"finite differences: {net.parameter_count:,} parameters, so "
                 + "; ".join(f"{p.key} at {p.entries} of its {p.size:,} entries and along "
                             f"{p.directions} random directions" for p in sampled)
                 + " (the other parameters at every entry)")
    if report.agree:
        io.print(io.paint("all agree", "green") + f": backprop within {BACKPROP_TOLERANCE:g} and "
                 f"finite differences within {FINITE_TOLERANCE:g} of each gradient's largest "
                 f"entry (or, where it vanishes, within rounding: {report.floor:.1e} for "
                 "finite differences)")
        return 0
    bad = ", ".join(p.key for p in report.parameters if not p.agree)
    io.print(io.paint("disagreement", "red") + f" on {bad}")
    return 1
