"""``symbp grade-layers FILE.py|MODULE``: a layer-by-layer backprop (cs231n
functions, *Deep Learning from Scratch* and *Neural Networks from Scratch* classes)
graded against the exact truth."""

from __future__ import annotations

from symbp.cli import common

HELP = "grade the layers of a cs231n-, DLFS- or nnfs-style file against the exact truth"
DESCRIPTION = (
    "Find the layers FILE.py (or MODULE) defines by their conventional names "
    "(cs231n's affine_forward/affine_backward, batchnorm_backward_alt, softmax_loss...; "
    "Deep Learning from Scratch's Affine, Relu, BatchNormalization...; Neural Networks "
    "from Scratch's Layer_Dense, Activation_ReLU, Loss_CategoricalCrossentropy...), run "
    "each forward and backward in a separate process on configurations drawn by "
    "Hypothesis, and "
    "compare the forward with symbp's definition and every gradient with the exact "
    "vector-Jacobian product symbp derives symbolically from it. Exit 0 every graded "
    "layer right (unimplemented and untested ones are listed), 1 a layer wrong, "
    "forward_wrong or error, 2 invalid input.")

_VERDICT_COLOURS = {"ok": "green", "wrong": "red", "forward_wrong": "red", "error": "red",
                    "unimplemented": "yellow", "untested": "yellow"}


def add_arguments(parser):
    """The options of ``symbp grade-layers``: the file, which layers, how many draws.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="symbp grade-layers")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["cs231n/layers.py", "--only", "relu,affine", "--config", "N=1"])
    >>> args.target, args.only, args.random, args.config
    ('cs231n/layers.py', 'relu,affine', '20', 'N=1')
    """
    parser.add_argument("target", metavar="FILE.py|MODULE",
                        help="e.g. cs231n/layers.py or common.layers")
    parser.add_argument("--only", metavar="NAME,...",
                        help="grade only these layers: the file's names (batchnorm_backward_alt, "
                             "Affine) or catalogue names (batchnorm)")
    parser.add_argument("--random", metavar="N", default="20",
                        help="configurations drawn by Hypothesis per layer (default 20)")
    parser.add_argument("--seed", metavar="S", default="0",
                        help="seed of Hypothesis's draws (default 0)")
    common.add_layer_config_option(
        parser, "keep these configuration values in every draw, e.g. N=1 (code written for "
                "one size, or DLFS's batch-norm check at a batch of one)")
    from symbp.grading.sandbox import LAYER_TIMEOUT
    parser.add_argument("--timeout", metavar="SECONDS", default=f"{LAYER_TIMEOUT:g}",
                        help="time limit of each call of the file's code (default "
                             f"{LAYER_TIMEOUT:g} s; importing the file may take 60 s or this)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args, io) -> int:
    """Grade every layer found and print one block per layer; the report's exit code.

    >>> import pathlib, tempfile
    >>> from symbp.cli.main import main
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "layers.py"
    >>> _ = path.write_text("import numpy as np\\n"
    ...                     "def relu_forward(x):\\n    return np.maximum(x, 0), x\\n"
    ...                     "def relu_backward(dout, x):\\n    return dout * (x > 0)\\n")
    >>> main(["grade-layers", str(path), "--random", "3"])  # doctest: +ELLIPSIS
    grading ...layers.py: 1 layer(s) found (Hypothesis seed 0, 3 configurations each)
    relu_backward (relu, cs231n): ok on 4 configurations
    summary: 1 ok
    0
    """
    _check_not_module_func(args.target)
    count = common.parse_random(args.random)
    seed = common.parse_seed(args.seed)
    timeout = common.parse_seconds("--timeout", args.timeout)
    only = [name.strip() for name in args.only.split(",") if name.strip()] if args.only else None
    from symbp.grading.layers import grade_layers
    progress = {"step": None}

    def on_layer(found):
        progress["step"] = io.progress(count, found.name)

    report = grade_layers(args.target, only=only, random=count, seed=seed,
                          config=common.layer_config(args.config), timeout=timeout,
                          on_layer=on_layer,
                          on_draw=lambda done: progress["step"](done))
    if args.json:
        io.json(report.to_json())
        return report.exit_code
    io.print(f"grading {args.target}: {len(report.layers)} layer(s) found "
             f"(Hypothesis seed {seed}, {count} configurations each)")
    for note in report.notes:
        io.print(f"note: {note}")
    for layer in report.layers:
        _print_layer(io, layer)
        if layer.message and "(the time limit)" in layer.message:
            io.print(io.paint(f"  (--timeout {args.timeout} is the limit of each call; give "
                              "more seconds if the code needs them)", "yellow"))
    counts = {}
    for layer in report.layers:
        counts[layer.verdict] = counts.get(layer.verdict, 0) + 1
    summary = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    io.print(io.paint(f"summary: {summary}", "green" if report.ok else "red"))
    return report.exit_code


def _check_not_module_func(target: str):
    """``FILE.py:NAME`` is grade's form: here the layers are found by name."""
    import os
    module, sep, name = target.rpartition(":")
    if sep and name.isidentifier() and (module.endswith(".py") or os.path.exists(module) or
                                        all(p.isidentifier() for p in module.split("."))):
        from symbp.errors import UsageError
        raise UsageError(f"grade-layers takes a file or a module, not {target!r}: it finds "
                         "the layers by their names", suggestion=f"grade one of them with "
                                                                 f"{module} --only {name}")


def _print_layer(io, layer):
    colour = _VERDICT_COLOURS[layer.verdict]
    for number, line in enumerate(layer.lines()):
        io.print(io.paint(line, colour) if number == 0 else
                 io.paint(line, "red") if ": WRONG" in line else line)
