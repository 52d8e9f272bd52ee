"""``symbp grade MODULE:FUNC``: check a user's own backprop against the truth."""

from __future__ import annotations

from symbp.cli import common
from symbp.errors import UsageError

HELP = "check your own backprop function against the symbolic truth"
DESCRIPTION = ("Import FUNC from MODULE (a module in the current directory or on "
               "PYTHONPATH, or a path to a .py file) in a process of its own, call "
               "FUNC(params, x, y) with the parameters {'W1': ..., 'b1': ...} of the "
               "network and a batch, and compare every gradient it returns with SymPy's. "
               "Gradient keys W1, dW1, dw1, grad_W1 and w1 are recognised; a tuple is read "
               "in the order W1, b1, W2, ... (or --returns). Course code is called as its "
               "course calls it: Ng's backward passes, cs231n's and the book's model classes, "
               "Nielsen's Network.backprop, Rashid's neuralNetwork.train, a "
               "NeuralNetwork whose backward(X, y, output) updates it, exercise 4's "
               "nnCostFunction (docs/grade.md). Exit 0 every gradient right, "
               "1 a wrong one (or FUNC failed), 2 invalid input.")
OUTPUT_SHOWN = 20   # lines of FUNC's own output shown in the human report
OUTPUT_WIDTH = 300  # characters of each
NG_LAMBD = 0.7      # Ng's own lambd in his regularisation exercise: FUNC taking lambd, none given


def add_arguments(parser):
    """The options of ``symbp grade``: FUNC, the network, the random networks,
    the names and order of FUNC's answer, the tolerances and time limit.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="symbp grade")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["my_backprop:gradients", "--layers", "2,3,1", "--random", "5"])
    >>> args.function, args.layers, args.random, args.timeout
    ('my_backprop:gradients', '2,3,1', '5', '60.0')
    """
    from symbp.grading.sandbox import DEFAULT_TIMEOUT
    parser.add_argument("function", metavar="MODULE:FUNC",
                        help="e.g. my_backprop:gradients, path/to/file.py:gradients or "
                             "network.py:Network.backprop")
    common.add_network_options(parser)
    common.add_random_options(
        parser, "also grade N networks drawn by Hypothesis that keep the options' depth "
                "(unless --vary-depth) and configuration, with other widths and batches",
        "seed of the point and of Hypothesis's draws (default 0)")
    parser.add_argument("--fixed-widths", dest="fixed_widths", action="store_true",
                        help="with --random: keep every width of --layers (code written for "
                             "one size); only the batch varies")
    parser.add_argument("--max-width", dest="max_width", metavar="K",
                        help="with --random: widths from 1 to K (default: the range --random "
                             "draws from, docs/grade.md)")
    parser.add_argument("--rtol", help="tolerance relative to each gradient's largest entry "
                                       "(default from the dtype returned and the network's size)")
    parser.add_argument("--atol", help="absolute tolerance (default a few rounding units of "
                                       "the largest of dL/da[L] and the gradients)")
    parser.add_argument("--names", metavar="W1=w1,...",
                        help="FUNC's names for symbp's parameter keys (in params)")
    parser.add_argument("--grad-names", dest="grad_names", metavar="W1=dW1,...",
                        help="FUNC's keys for the gradients it returns (default: W1, dW1, dw1, "
                             "grad_W1 or w1, recognised by themselves)")
    parser.add_argument("--returns", metavar="dW1,db1,...",
                        help="the order of the gradients in a tuple or list FUNC returns "
                             "(default W1, b1, W2, b2, ...)")
    parser.add_argument("--lambd", metavar="LAMBDA",
                        help="Ng's regularisation strength: the decay (lambd / 2m) * "
                             "sum ||W||^2, that is --l2 lambd/m on every network graded "
                             "(the batches --random draws too); not with --l2")
    parser.add_argument("--labels", action="store_true",
                        help="pass FUNC integer class indices of shape (m,) instead of y "
                             "(one-hot targets; the truth uses their one-hot matrix)")
    parser.add_argument("--timeout", metavar="SECONDS", default=str(DEFAULT_TIMEOUT),
                        help=f"time limit of each call of FUNC (default {DEFAULT_TIMEOUT:g} s)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def _checked_options(args):
    count, seed = common.random_options(args)
    for flag, given in (("--fixed-widths", args.fixed_widths), ("--max-width", args.max_width)):
        if given and not count:
            raise UsageError(f"{flag} shapes the random networks; give --random N too")
    if args.fixed_widths and (args.vary_depth or args.max_width):
        raise UsageError("--fixed-widths keeps every width; it cannot go with "
                         + ("--vary-depth" if args.vary_depth else "--max-width"))
    if args.returns and args.vary_depth:
        raise UsageError("--returns fixes how many gradients FUNC returns; it cannot go with "
                         "--vary-depth")
    max_width = None
    if args.max_width:
        from symbp.limits import check_max_width
        max_width = check_max_width(common.parse_int("--max-width", args.max_width),
                                    "--max-width")
    timeout = common.parse_seconds("--timeout", args.timeout)
    options = {"names": _map("--names", args.names), "labels": args.labels,
               "grad_names": _map("--grad-names", args.grad_names),
               "returns": _order(args.returns) if args.returns else None,
               **{name: _tolerance(f"--{name}", getattr(args, name)) for name in ("rtol", "atol")}}
    shape = {"vary_depth": args.vary_depth, "fixed_widths": args.fixed_widths,
             **({"max_width": max_width} if max_width else {})}
    return count, seed, timeout, options, shape


def run(args, io) -> int:
    """Grade FUNC and print the report; 0 every gradient right, 1 a wrong one.

    A backprop that averages the bias gradient where the loss is a sum:

    >>> import pathlib, tempfile
    >>> from symbp.cli.main import main
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.py"
    >>> _ = path.write_text("def grads(params, x, y):\\n"
    ...                     "    delta = params['W1'] @ x + params['b1'] - y\\n"
    ...                     "    return {'dW1': delta @ x.T, 'db1': delta.mean(axis=1, keepdims=True)}\\n")
    >>> main(["grade", f"{path}:grads", "--layers", "2,1", "--output", "identity",
    ...       "--loss", "half_sse", "--reduction", "sum", "--batch", "3"])  # doctest: +ELLIPSIS
    grading ...mine.py:grads
    on layers=[2, 1] hidden=sigmoid output=identity loss=half_sse batch=3 reduction=sum ...
      W1 (dW1): ok, max error ... (tolerance 2.8e-14)
      b1 (db1): WRONG, off by up to 1.77 ...; b1 is 1/m times the truth while W1 is right: ...
      note: gradient keys read by the dW1 convention (dW1 is W1, db1 is b1, ...)
    wrong: b1 on layers [2, 1]
    1
    """
    net = common.network_from_args(args)
    count, seed, timeout, options, shape = _checked_options(args)
    if args.lambd is not None:
        if args.l2 is not None:
            raise UsageError("--lambd is Ng's lambd, the decay's strength over the batch; "
                             "give it or --l2, not both")
        lambd = common.parse_number("--lambd", args.lambd)
        if not lambd >= 0:
            raise UsageError(f"--lambd {args.lambd!r} must be a number >= 0")
        net = net.replace(l2=lambd / net.batch)
        shape = {**shape, "l2_per_batch": lambd}
    from symbp.grading.grades import grade
    from symbp.grading.sandbox import UserProcess, split_function
    module, name = split_function(args.function)
    with UserProcess(module, timeout=timeout) as user:
        func = user.function(name)
        net, said = _by_convention(func.convention, net, args, options, shape)
        report = grade(func, net, seed=seed, **options)
        report.notes += said + user.import_notes
        found = None
        if count:
            # Hypothesis (~0.35 s to import) only when --random asks for it
            from symbp.grading.random_grade import grade_random
            with io.progress(count, "grade") as step:
                found = grade_random(func, net, count, seed=seed, on_network=step,
                                     **shape, **options)
    output = "".join(func.output)
    ok = report.ok and (found is None or found.ok)
    if args.json:
        io.json({"function": args.function, "ok": ok, "report": report.to_json(),
                 "random": None if found is None else dict(
                     found.to_json(), requested=count, seed=seed, **shape),
                 "output": output})
        return 0 if ok else 1
    io.print(f"grading {args.function}")
    _print_report(io, report, args)
    if found is not None:
        _print_random(io, found, count, seed, args)
    _print_output(io, output)
    io.print(io.paint("every gradient right", "green") if ok else
             io.paint("wrong: " + common.printable(_wrong_line(report, found)), "red"))
    return 0 if ok else 1


def _by_convention(convention: dict, net, args, options: dict, shape: dict):
    """The network and options adjusted to how FUNC's course calls it
    (:mod:`symbp.grading.conventions`), and the notes saying so."""
    if convention["kind"] == "unknown":
        from symbp.grading.user_code import UserCodeError
        raise UserCodeError(convention["problem"])
    said = []
    if convention["kind"] == "model":
        if net.layout != "row":
            net = net.replace(layout="row")
            said.append("a model class keeps samples as rows: graded with --layout row")
        if convention["labels"] and args.loss is None:
            net = net.replace(loss="cce", **{"output": "softmax"} if args.output is None else {})
            said.append("its loss(X, y) takes class labels: graded with the softmax "
                        "cross-entropy loss (--output and --loss set others)")
        if convention["labels"] and net.loss == "cce" and not options["labels"]:
            options["labels"] = True
            said.append("its loss(X, y) takes integer class labels: graded with --labels")
        elif net.loss == "cce" and net.targets == "soft" and args.targets is None:
            net = net.replace(targets="onehot")   # the book's models learn one-hot t or labels
            said.append("a model class learns one-hot targets: graded with --targets onehot")
        if "reg" in convention["takes"] and args.l2 is None:
            said.append("built with reg = 0: give --l2 REG to grade its weight decay")
    if convention["kind"] in _COURSE_NETWORKS:
        net, said = _course_network(convention, net, args, options, said)
    if convention["kind"] == "nielsen":
        # backprop(x, y) takes one sample (a matrix of them only if written so): --random
        # draws other widths, never another batch size
        shape["fixed_batch"] = True
    if "lambd" in convention["takes"] and args.l2 is None and args.lambd is None:
        net = net.replace(l2=NG_LAMBD / net.batch)
        shape["l2_per_batch"] = NG_LAMBD
        said.append(f"FUNC takes lambd: graded with lambd = {NG_LAMBD} (--lambd sets another)")
    return net, said


# each course's network: (field, value, why); the layout and the biases are the code's
# own, whatever the options say; the rest hold unless an option sets another.  A value
# None is the convention's own (Nielsen's loss is his cost class's); a function gives
# it from the network so far (its loss).
_COURSE_NETWORKS = {
    "nielsen": [("layout", "column", "Nielsen's network keeps one sample as a column"),
                ("loss", None, "its cost is {value}"),
                # C_x of one sample; over a batch, update_mini_batch adds them up
                ("reduction", "sum", None)],
    "rashid": [("layout", "column", "Rashid's network keeps one sample as a column"),
               ("bias", False, "Rashid's network has no biases"),
               ("hidden", "sigmoid", None), ("output", "sigmoid", None),
               ("loss", "half_sse", "its train() steps down 1/2 ||t - o||^2"),
               ("reduction", "sum", None)],
    # the blogs' NeuralNetwork whose backward(X, y, output) updates its parameters: the
    # commonest writes (y - output) * s'(output) summed, 1/2 ||y - o||^2's step
    "update_step": [("layout", "row", "this NeuralNetwork keeps the samples as rows"),
                    ("hidden", "sigmoid", None), ("output", "sigmoid", None),
                    ("loss", "half_sse", "its backward is graded as a step down 1/2 ||y - o||^2"),
                    # the cross-entropies' (output - y) / m, the squared error's sum
                    ("reduction", lambda net: "sum" if net.loss == "half_sse" else "mean",
                     "its step is graded as the {value} over the batch"),
                    # a batch of one tells neither the reduction nor a sum over the wrong axis
                    ("batch", 4, "its backward takes a batch of rows")],
    "ex4": [("layout", "row", "exercise 4 keeps the samples as rows"),
            ("hidden", "sigmoid", None), ("output", "sigmoid", None),
            ("loss", "bce", "its J is the cross-entropy of sigmoid outputs"),
            ("reduction", "mean", None)],
}
_CODES_OWN = ("layout", "bias")
# the courses whose code is written for a network of two layers, by name
_TWO_LAYERS = {"rashid": "Rashid's neuralNetwork", "ex4": "exercise 4's nnCostFunction"}


def _course_network(convention: dict, net, args, options: dict, said: list):
    """The network of a course whose code fixes it (Nielsen's, Rashid's,
    exercise 4's): the course's layout, activations and loss unless the
    options say otherwise; Rashid's and exercise 4's have two layers."""
    kind = convention["kind"]
    two_layers = _TWO_LAYERS.get(kind) or convention.get("two_layers") and \
        f"{convention['name']}, built with one hidden size,"
    if two_layers and (net.depth != 2 or args.vary_depth):
        raise UsageError(f"{two_layers} is a network of two layers: give --layers with "
                         "three sizes, e.g. --layers 3,4,2" + (", without --vary-depth"
                                                              if args.vary_depth else ""))
    for field, value, why in _COURSE_NETWORKS[kind]:
        value = convention[field] if value is None else value(net) if callable(value) else value
        given = field not in _CODES_OWN and getattr(args, field) is not None
        if not given and getattr(net, field) != value:
            net = net.replace(**{field: value})
            if why:
                flag = "--no-bias" if field == "bias" else f"--{field} {value}"
                said.append(f"{why.format(value=value)}: graded with {flag}")
    if kind == "ex4":
        if not options["labels"]:
            options["labels"] = True
            said.append("its y is the samples' class labels: graded with --labels")
        if "lambda_" in convention["takes"] and not net.l2:
            said.append("called with lambda_ = 0: --lambd LAMBDA grades its regularisation")
    return net, said


def _wrong_line(report, found) -> str:
    """The wrong keys of each network graded, each with its own network."""
    parts = []
    if not report.ok:
        parts.append(f"{', '.join(k.key for k in report.wrong)} on layers "
                     f"{list(report.network.layers)}")
    if found is not None and found.failing is not None:
        failing = found.failing
        parts.append(f"{', '.join(k.key for k in failing.wrong)} on the smallest random "
                     f"network, layers {list(failing.network.layers)} batch "
                     f"{failing.network.batch}")
    return "; ".join(parts)


# what to try, in flags, for each possible cause the library names
_CAUSE_FLAGS = {"onehot_targets": "try --targets onehot, or --labels if FUNC takes class "
                                  "indices",
                "output_width": "--fixed-widths keeps every width of --layers and varies the "
                                "batch",
                "decay_per_batch": "--lambd LAMBDA grades Ng's lambd: l2 = lambd/m on every "
                                   "network",
                "param_names": "--names W1=w1,W2=w2,... passes the parameters under FUNC's "
                               "names"}


def _print_report(io, report, args):
    # the lines echo FUNC's keys and messages: control characters are escaped
    for line in report.heading():
        io.print(common.printable(line))
    for key in report.keys:
        io.print("  " + io.paint(common.printable(key.line()), "green" if key.ok else "red"))
    for line in report.remarks():
        io.print("  " + io.paint(common.printable(line), "yellow"))
    if report.order_assumed and not args.returns:
        io.print("  " + io.paint("note: --returns dW1,db1,... gives another order", "yellow"))
    for cause in report.causes if not report.ok else []:
        io.print("  " + io.paint(f"({_CAUSE_FLAGS[cause]})", "yellow"))
    if report.error and "time limit" in report.error:
        io.print("  " + io.paint(f"(--timeout {args.timeout} is the limit; give more "
                                 "seconds if FUNC needs them)", "yellow"))


def _print_random(io, found, count, seed, args):
    if found.ok:
        io.print(f"random networks: {found.tried} drawn by Hypothesis (seed {seed}), "
                 "every gradient right on each")
        return
    io.print(f"random networks: a wrong gradient on network {found.tried} of up to {count}; "
             "the smallest failing network Hypothesis shrank to:")
    _print_report(io, found.failing, args)


def _print_output(io, output: str):
    if not output:
        return
    lines = output.splitlines()
    io.print(f"FUNC printed {len(lines)} line(s)"
             + (f", the first {OUTPUT_SHOWN}:" if len(lines) > OUTPUT_SHOWN else ":"))
    for line in lines[:OUTPUT_SHOWN]:
        if len(line) > OUTPUT_WIDTH:     # --json keeps the whole line
            line = f"{line[:OUTPUT_WIDTH]}[... {len(line) - OUTPUT_WIDTH:,} more characters]"
        io.print(io.paint(f"  | {common.printable(line)}", "dim"))


def _number(option: str, text) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option} {text!r} is not a number, e.g. {option} 1e-9") from None
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{option} {text!r} must be a finite number >= 0")
    return value


def _tolerance(option: str, text):
    return None if text is None else _number(option, text)


def _map(option: str, text) -> dict:
    return dict(common.key_values(option, text, "KEY=NAME", "W1=dW1,b1=db1")) if text else {}


def _order(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names) or len(set(names)) != len(names):
        raise UsageError(f"--returns {text!r} is not a list of distinct names, e.g. "
                         "--returns dW1,db1,dW2,db2")
    return names
