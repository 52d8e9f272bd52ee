"""``symbp grade MODULE:FUNC``: check a user's own backprop against the truth."""

from __future__ import annotations

from symbp.cli import common
from symbp.errors import UsageError

HELP = "check your own backprop function against the symbolic truth"
DESCRIPTION = ("Import FUNC from MODULE (a module in the current directory or on "
               "PYTHONPATH, or a path to a .py file), call FUNC(params, x, y) with the "
               "parameters {'W1': ..., 'b1': ...} of the network and a batch, and compare "
               "every gradient it returns with SymPy's. Exit 0 every gradient right, "
               "1 a wrong one, 2 invalid input.")


def add_arguments(parser):
    parser.add_argument("function", metavar="MODULE:FUNC",
                        help="e.g. my_backprop:gradients or path/to/file.py:gradients")
    common.add_network_options(parser)
    common.add_random_options(
        parser, "also grade N networks drawn by Hypothesis that keep the options' depth "
                "(unless --vary-depth), activations, loss, layout, reduction and bias",
        "seed of the point and of Hypothesis's draws (default 0)")
    parser.add_argument("--rtol", help="tolerance relative to each gradient's largest entry "
                                       "(default from the dtype returned and the network's size)")
    parser.add_argument("--atol", help="absolute tolerance (default a few rounding units of "
                                       "the largest of dL/da[L] and the gradients)")
    parser.add_argument("--names", metavar="W1=w1,...",
                        help="FUNC's names for symbp's keys, in the parameters and gradients")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args, io) -> int:
    net = common.network_from_args(args)
    count, seed = common.random_options(args)
    tolerances = {name: _tolerance(f"--{name}", getattr(args, name)) for name in ("rtol", "atol")}
    names = _names(args.names)
    from symbp.grading.grades import grade
    from symbp.grading.sandbox import UserProcess, split_function
    module, name = split_function(args.function)
    with UserProcess(module) as user:
        func = user.function(name)
        report = grade(func, net, seed=seed, names=names, **tolerances)
        found = None
        if count:
            # Hypothesis (~0.35 s to import) only when --random asks for it
            from symbp.grading.random_grade import grade_random
            found = grade_random(func, net, count, vary_depth=args.vary_depth, seed=seed,
                                 names=names, on_network=io.progress(count, "grade"),
                                 **tolerances)
    ok = report.ok and (found is None or found.ok)
    if args.json:
        io.json({"function": args.function, "ok": ok, "report": report.to_json(),
                 "random": None if found is None else dict(
                     found.to_json(), requested=count, vary_depth=args.vary_depth, seed=seed)})
        return 0 if ok else 1
    io.print(f"grading {args.function}")
    _print_report(io, report)
    if found is not None:
        _print_random(io, found, count, seed)
    wrong = [k.key for k in report.wrong] + [
        k.key for k in (found.failing.wrong if found and found.failing else []) if k.key not in
        [w.key for w in report.wrong]]
    io.print(io.paint("every gradient right", "green") if ok else
             io.paint(f"wrong: {', '.join(wrong)}", "red"))
    return 0 if ok else 1


def _print_report(io, report):
    lines = report.lines()
    for line in lines[:len(lines) - len(report.keys)]:
        io.print(line)
    for key in report.keys:
        io.print("  " + io.paint(key.line(), "green" if key.ok else "red"))


def _print_random(io, found, count, seed):
    if found.ok:
        io.print(f"random networks: {found.tried} drawn by Hypothesis (seed {seed}), "
                 "every gradient right on each")
        return
    io.print(f"random networks: a wrong gradient on network {found.tried} of up to {count}; "
             "the smallest failing network Hypothesis shrank to:")
    _print_report(io, found.failing)


def _tolerance(option: str, text):
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a number, e.g. {option} 1e-9") from None
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{option} {text!r} must be a finite number >= 0")
    return value


def _names(text) -> dict:
    return dict(common.key_values("--names", text, "KEY=NAME", "W1=w,b1=b")) if text else {}
