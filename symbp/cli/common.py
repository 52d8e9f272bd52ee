"""What the subcommands share: network and random options, option parsing;
and, from their own modules, the output (:mod:`symbp.cli.output`) and files
written whole or not at all (:mod:`symbp.cli.files`)."""

from __future__ import annotations

import math

from symbp.cli.files import write_atomic
from symbp.cli.output import Output, Progress, escape_controls, printable
from symbp.errors import SymbpError, UsageError


def add_network_options(parser, layers_required: bool = False):
    """The network options of contract section 5; the names they accept and
    their defaults are read from the tables and from Network itself.

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_network_options(parser)
    >>> args = parser.parse_args(["--layers", "2,3,1", "--hidden", "relu"])
    >>> args.layers, args.hidden, args.batch
    ('2,3,1', 'relu', None)
    """
    import dataclasses

    from symbp.network import TARGETS, Network
    from symbp.tables import ACTIVATIONS, LAYOUTS, LOSSES, REDUCTIONS
    default = {f.name: f.default for f in dataclasses.fields(Network)}

    def listed(names, field):
        return ", ".join(f"{name} (default)" if name == default[field] else name
                         for name in names)

    hidden = [name for name, activation in ACTIVATIONS.items() if not activation.output_only]
    group = parser.add_argument_group("network")
    group.add_argument("--layers", required=layers_required, metavar="N0,N1,...",
                       help="layer sizes, input first, e.g. 2,4,3,2")
    group.add_argument("--hidden", help="activation of layers 1..L-1: " + listed(hidden, "hidden"))
    group.add_argument("--output", help="activation of layer L: " + listed(ACTIVATIONS, "output"))
    group.add_argument("--loss", help="the per-sample loss: " + listed(LOSSES, "loss"))
    group.add_argument("--batch", metavar="M",
                       help=f"number of samples m (default {default['batch']})")
    group.add_argument("--reduction", help="of the per-sample losses: "
                       + listed(REDUCTIONS, "reduction"))
    group.add_argument("--layout", help="column: samples are columns; row: samples are rows; "
                       + listed(LAYOUTS, "layout"))
    group.add_argument("--no-bias", dest="no_bias", action="store_true",
                       help="a network without biases")
    group.add_argument("--targets", help="soft: any targets in the loss's domain; onehot: "
                       "each sample's target is one class; " + listed(TARGETS, "targets"))
    group.add_argument("--l2", metavar="LAMBDA",
                       help="L2 weight decay: adds (LAMBDA/2) * sum ||W[l]||^2 to the total "
                            "loss (default 0; Ng's lambda/(2m) is --l2 lambda/m)")


def network_fields(args) -> dict:
    """The network fields given on the command line (only those given).

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_network_options(parser)
    >>> network_fields(parser.parse_args(["--layers", "2,3,1", "--hidden", "relu", "--no-bias"]))
    {'layers': [2, 3, 1], 'hidden': 'relu', 'bias': False}
    """
    fields = {}
    if args.layers is not None:
        fields["layers"] = _parse_int_list("--layers", args.layers)
    for name in ("hidden", "output", "loss", "reduction", "layout", "targets"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.batch is not None:
        fields["batch"] = parse_int("--batch", args.batch)
    if args.no_bias:
        fields["bias"] = False
    if args.l2 is not None:
        fields["l2"] = parse_number("--l2", args.l2)
    return fields


def network_from_args(args):
    """A Network from the command-line options (``--layers`` required).

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_network_options(parser)
    >>> print(network_from_args(parser.parse_args(["--layers", "2,1", "--batch", "4"])))
    layers=[2, 1] hidden=sigmoid output=sigmoid loss=half_sse batch=4 reduction=mean layout=column
    >>> network_from_args(parser.parse_args(["--batch", "4"]))
    Traceback (most recent call last):
    ...
    symbp.errors.UsageError: --layers is required, e.g. --layers 2,4,3,2.
    """
    from symbp.network import Network
    fields = network_fields(args)
    if "layers" not in fields:
        raise UsageError("--layers is required, e.g. --layers 2,4,3,2")
    return Network(**fields)


def _layer_settings():
    """The sizes and numbers of layer formulas (N, D, ..., eps, p, lambda), from
    the notation's table."""
    from symbp.notation.quantities import LAYER_QUANTITIES
    return [q for q in LAYER_QUANTITIES.values() if q.scalar]


def add_layer_options(parser, what: str):
    """``--layer NAME`` and the layer's sizes and numbers as options
    (``--N 4 --D 3 --eps 1e-5``): contract section 12.

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_layer_options(parser, "check")
    >>> args = parser.parse_args(["--layer", "dropout", "--N", "4", "--p", "0.5"])
    >>> args.layer, args.layer_N, args.layer_p
    ('dropout', '4', '0.5')
    """
    group = parser.add_argument_group("layer (instead of a network)")
    group.add_argument("--layer", metavar="NAME", help=f"{what} one layer: affine, relu, "
                       "sigmoid, tanh, multiply, add, softmax_loss, svm_loss, batchnorm, "
                       "layernorm, dropout, l2, weight_decay")
    for q in _layer_settings():
        group.add_argument(f"--{q.name}", dest=f"layer_{q.name}", metavar="INT" if q.size
                           else "NUMBER", help=f"with --layer: {q.meaning}")


def layer_from_args(args):
    """The SizedLayer of ``--layer`` and its options, or None without ``--layer``
    (a layer option without it is a UsageError).

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_network_options(parser)
    >>> add_layer_options(parser, "check")
    >>> print(layer_from_args(parser.parse_args(["--layer", "dropout", "--N", "4", "--p", "0.5"])))
    dropout (N = 4, D = 2, p = 0.5)
    >>> layer_from_args(parser.parse_args(["--layers", "2,2"])) is None
    True
    """
    given = {q.name: getattr(args, f"layer_{q.name}") for q in _layer_settings()
             if getattr(args, f"layer_{q.name}", None) is not None}
    if args.layer is None:
        if given:
            raise UsageError(f"--{next(iter(given))} is a layer's size or number; give "
                             "--layer NAME too")
        return None
    network = [f"--{name.replace('_', '-')}" for name in network_fields(args)]
    if network:
        raise UsageError(f"--layer is about one layer; {', '.join(network)} "
                         f"{'is a network option' if len(network) == 1 else 'are network options'}")
    from symbp.layers.formulas import SizedLayer
    from symbp.notation.quantities import LAYER_QUANTITIES
    values = {name: parse_int(f"--{name}", text) if LAYER_QUANTITIES[name].size
              else parse_number(f"--{name}", text) for name, text in given.items()}
    return SizedLayer.of(args.layer, **values)


def add_random_options(parser, random_help: str, seed_help: str):
    """``--random N [--vary-depth] [--seed S]`` of verify and grade.

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_random_options(parser, "networks to draw", "seed of the draws")
    >>> args = parser.parse_args(["--random", "5", "--seed", "3"])
    >>> args.random, args.vary_depth, args.seed
    ('5', False, '3')
    """
    parser.add_argument("--random", metavar="N", default="0", help=random_help)
    parser.add_argument("--vary-depth", dest="vary_depth", action="store_true",
                        help="with --random: vary the depth too")
    parser.add_argument("--seed", metavar="S", default="0", help=seed_help)


def random_options(args) -> tuple[int, int]:
    """(count of random networks, seed) from ``add_random_options``'s options.

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_random_options(parser, "networks to draw", "seed of the draws")
    >>> random_options(parser.parse_args(["--random", "5", "--seed", "3"]))
    (5, 3)
    >>> random_options(parser.parse_args(["--vary-depth"]))
    Traceback (most recent call last):
    ...
    symbp.errors.UsageError: --vary-depth varies the random networks; give --random N too.
    """
    count = parse_random(args.random)
    seed = parse_seed(args.seed)
    if args.vary_depth and not count:
        raise UsageError("--vary-depth varies the random networks; give --random N too")
    return count, seed


def key_values(option: str, text: str, form: str, example: str) -> list[tuple[str, str]]:
    """``KEY=VALUE,KEY=VALUE`` as a list of (key, value) pairs; a part that is
    not ``form`` is a UsageError.

    >>> key_values("--names", "W1=w1, b1=bias", "KEY=NAME", "W1=w1")
    [('W1', 'w1'), ('b1', 'bias')]
    >>> key_values("--names", "W1=w1,b1", "KEY=NAME", "W1=w1")
    Traceback (most recent call last):
    ...
    symbp.errors.UsageError: --names 'b1' is not KEY=NAME; write e.g. --names W1=w1.
    """
    pairs = []
    for part in text.split(","):
        key, sep, value = (piece.strip() for piece in part.partition("="))
        if not sep or not key or not value:
            raise UsageError(f"{option} '{part.strip()}' is not {form}",
                             suggestion=f"write e.g. {option} {example}")
        pairs.append((key, value))
    return pairs


def add_layer_config_option(parser, help_text: str):
    """``--config KEY=VALUE,...``: a layer's sizes and numbers, read by :func:`layer_config`.

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_layer_config_option(parser, "the layer's sizes, e.g. N=4,D=3")
    >>> layer_config(parser.parse_args(["--config", "N=4,eps=1e-3"]).config)
    {'N': 4, 'eps': 0.001}
    """
    parser.add_argument("--config", metavar="KEY=VALUE,...", help=help_text)


def layer_config(text) -> dict:
    """``--config N=4,D=3,eps=1e-3,d=2x3`` as a dict: integers, floats, and
    ``AxB`` for a tuple of sizes (affine's trailing dimensions ``d``).

    >>> layer_config("N=4,D=3,eps=1e-3,d=2x3")
    {'N': 4, 'D': 3, 'eps': 0.001, 'd': (2, 3)}
    >>> layer_config("N=four")
    Traceback (most recent call last):
    ...
    symbp.errors.UsageError: --config N=four: 'four' is not a number (or sizes such as 2x3).
    """
    config = {}
    for key, value in key_values("--config", text, "KEY=VALUE", "N=4,D=3,eps=1e-3") \
            if text else ():
        try:
            if "x" in value:
                config[key] = tuple(int(part) for part in value.split("x"))
            else:
                config[key] = int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            raise UsageError(f"--config {key}={value}: {value!r} is not a number "
                             "(or sizes such as 2x3)") from None
    return config


def parse_int(option: str, text: str) -> int:
    """An integer option's value; anything else is a UsageError naming the option.

    >>> parse_int("--batch", "8")
    8
    >>> parse_int("--batch", "eight")
    Traceback (most recent call last):
    ...
    symbp.errors.UsageError: --batch 'eight' is not an integer.
    """
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an integer") from None


def parse_number(option: str, text: str) -> float:
    """A finite decimal number (``1e-3``, ``0.5``, or a fraction such as ``0.7/4``).

    >>> parse_number("--l2", "0.7/4")
    0.175
    """
    try:
        numerator, _, denominator = text.partition("/")
        value = float(numerator) / (float(denominator) if denominator else 1.0)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"{option} {text!r} is not a number, e.g. {option} 0.01") from None
    if not math.isfinite(value):
        raise UsageError(f"{option} {text!r} is not a finite number")
    return value


def parse_random(text: str) -> int:
    """``--random N``: an integer from 0 to ``symbp.limits.MAX_RANDOM``.

    >>> parse_random("3")
    3
    """
    from symbp.limits import check_random
    return check_random(parse_int("--random", text), "--random")


def parse_seconds(option: str, text: str) -> float:
    """A time limit: a finite number of seconds > 0.

    >>> parse_seconds("--timeout", "2.5")
    2.5
    """
    value = parse_number(option, text)
    if value <= 0:
        raise UsageError(f"{option} {text!r} must be a number of seconds > 0")
    return value


def parse_seed(text: str) -> int:
    """``--seed S``: an integer >= 0 (NumPy's and Hypothesis's seeds are).

    >>> parse_seed("7")
    7
    """
    seed = parse_int("--seed", text)
    if seed < 0:
        raise UsageError(f"--seed {seed} is negative; give an integer >= 0")
    return seed


def _parse_int_list(option: str, text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a comma-separated list of integers, "
                         "e.g. 2,4,3,2") from None


__all__ = [
    "Output",
    "Progress",
    "SymbpError",
    "add_layer_config_option",
    "add_layer_options",
    "add_network_options",
    "add_random_options",
    "escape_controls",
    "key_values",
    "layer_config",
    "layer_from_args",
    "network_fields",
    "network_from_args",
    "parse_int",
    "parse_number",
    "parse_random",
    "parse_seconds",
    "parse_seed",
    "printable",
    "random_options",
    "write_atomic",
]
