"""``symbp verify``: the verdict on every claim of a file, or on one formula."""

from __future__ import annotations

from symbp.cli.common import (
    add_layer_options,
    add_network_options,
    add_random_options,
    escape_controls,
    layer_from_args,
    network_fields,
    random_options,
)
from symbp.errors import UsageError

VERDICT_COLOURS = {"proved": "green", "holds": "green", "refuted": "red", "error": "red"}


HELP = "check formulas (a claims file, or one --formula) against the truth"
DESCRIPTION = ("Check every claim of a TOML claims file, or one formula given with "
               "--formula and the network options, against SymPy's derivation. "
               "Verdicts: proved, holds, refuted (with a counterexample and a "
               "diagnosis), error; and for every size (every width and batch size of "
               "networks like the claim's): proved, holds or refuted. Exit 0 every "
               "claim met, 1 a claim refuted or not meeting its expect (or "
               "expect_general), 2 invalid input or a verdict error. "
               "Formulas are written in symbp's notation (docs/contract.md section 2, "
               "docs/verify.md): quantities W[l], b[l], z[l], a[l], x, y, delta[l], da[l], "
               "dW[l], db[l], m, n[l], lambda; @ matrix product, * element-wise, ** power, "
               ".T transpose; sigma(z[l]), sigma_prime(z[l]), sum(X, axis=1), mean, log, exp. "
               'Example: --formula "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])". '
               "With --layer NAME and its sizes (contract section 12, docs/verify.md), the "
               "formula is about one layer of the catalogue: x, out, dout, dx, gamma, beta, "
               "mu, var, xhat, eps, N, D, ... (samples as rows), e.g. --layer dropout --N 4 "
               '--D 3 --p 0.5 --formula "dx = dout * mask / p".')


def add_arguments(p):
    """The options of ``symbp verify``: a claims file or ``--formula`` with a
    network's or a layer's options, and the random checks.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="symbp verify")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--formula", "dx = dout", "--layer", "add", "--N", "2"])
    >>> args.file, args.formula, args.layer, args.layer_N
    (None, 'dx = dout', 'add', '2')
    """
    p.add_argument("file", nargs="?", metavar="FILE.toml", help="a claims file")
    p.add_argument("--formula", metavar="F", help='one formula, e.g. "delta[L] = a[L] - y"')
    p.add_argument("--json", action="store_true", help="print one JSON document")
    add_random_options(p, "also check each claim on N networks drawn by Hypothesis",
                       "seed of the sampled points and of Hypothesis (default 0)")
    add_network_options(p)
    add_layer_options(p, "with --formula: check the formula on")


def _claims_from_args(args):
    from symbp.network import Network
    from symbp.verification.claims import Claim, Claims, load_claims
    fields = network_fields(args)
    if args.file and args.formula:
        raise UsageError("give a claims file or --formula, not both")
    layer = layer_from_args(args)
    if args.file:
        if fields or layer is not None:
            raise UsageError("the network and layer options go with --formula; a claims "
                             "file has its own [network] or [layer]")
        return load_claims(args.file)
    if args.formula is None:
        raise UsageError("nothing to verify: give a claims file or --formula \"F\"",
                         suggestion="see 'symbp verify --help'")
    if layer is not None:
        if args.vary_depth:
            raise UsageError("--vary-depth varies a network's depth; a layer has none")
        return Claims(None, (Claim(name=args.formula, formula=args.formula, network=None,
                                   layer=layer),))
    if "layers" not in fields:
        raise UsageError("--formula needs the network: --layers is required, e.g. "
                         "--layers 2,4,3,2")
    claim = Claim(name=args.formula, formula=args.formula, network=Network(**fields))
    return Claims(None, (claim,))


def run(args, io) -> int:
    """Print every claim's verdict; 0 every claim met, 1 one not, 2 an error.

    >>> from symbp.cli.main import main
    >>> main(["verify", "--layer", "add", "--N", "2", "--D", "2", "--formula", "dx = dout"])
    proved   dx = dout  (add (N = 2, D = 2))
             for every size: proved (every N and D)
    1 claim(s): 1 proved; 1 of 1 met.
    0
    """
    from symbp.verification.claims import check_claims
    random, seed = random_options(args)
    claims = _claims_from_args(args)
    step = io.progress(len(claims.claims) * (random + 1), "verify")
    results = check_claims(claims, seed=seed, random=random, vary_depth=args.vary_depth,
                           progress=step)
    if args.json:
        io.json({"claims": [r.to_json() for r in results]})
    else:
        _report(io, claims, results)
    errors = [r for r in results if r.result.verdict == "error"]
    if errors:
        # the report above lists every claim; stderr gets the one sentence
        # that says what is wrong and where (the first such claim)
        first = errors[0]
        more = f" ({len(errors) - 1} more claim(s) with errors)" if len(errors) > 1 else ""
        io.error(f"claim {first.claim.name!r}: {first.result.message}{more}")
        return 2
    return 0 if all(r.met for r in results) else 1


def _layers_text(result) -> str:
    if result.result.verdict == "error":
        return "not checked"
    if result.claim.layer is not None:
        text = str(result.claim.layer)
        count = result.networks_checked
        return text + (f"; {count} configurations" if count > 1 else "")
    layers = result.result.layers_checked
    text = f"l = {', '.join(map(str, layers))}" if layers else "no free index"
    if result.networks_checked > 1:
        text += f"; {result.networks_checked} networks"
    return text


def _report(io, claims, results):
    if claims.title:
        io.print(io.paint(claims.title, "bold"))
    # names come from the user's file: escaped, so they cannot drive the terminal
    names = [escape_controls(r.claim.name) for r in results]
    width = max(len(name) for name in names)
    for name, r in zip(names, results, strict=True):
        verdict = r.result.verdict
        colour = VERDICT_COLOURS[verdict] if r.met or verdict == "error" else "red"
        if r.claim.expect == "refuted" and verdict == "refuted":
            colour = "green"
        expect = ""
        if r.claim.expect:
            expect = f"  expected {r.claim.expect}: " + ("met" if r.met else "NOT met")
        io.print(f"{io.paint(f'{verdict:8}', colour)} {name:{width}}  "
                 + io.paint(f"({_layers_text(r)})", "dim") + expect)
        _details(io, r)
    met = sum(r.met for r in results)
    counts = {}
    for r in results:
        counts[r.result.verdict] = counts.get(r.result.verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    line = f"{len(results)} claim(s): {summary}; {met} of {len(results)} met."
    io.print(io.paint(line, "green" if met == len(results) else "red"))


def _general_lines(io, r, indent):
    """``for every size: ...`` (contract section 9), and the warning when the
    claim holds on its network only."""
    general = r.result.general
    if general is None:
        return
    colour = {"proved": "green", "holds": "green", "refuted": "yellow"}.get(general.verdict, "red")
    if general.verdict == "proved":
        detail = f" ({general.scope})"
    elif general.verdict == "refuted" and general.counterexample:
        what = general.diagnosis["text"] if general.diagnosis else general.message
        detail = f" {_where(general.counterexample)}: {what}"
    else:
        detail = f" ({general.message})" if general.message else ""
    expect = ""
    if r.claim.expect_general:
        expect = f"  expected {r.claim.expect_general}: " + ("met" if r.general_met else "NOT met")
    io.print(f"{indent}{io.paint('for every size: ' + general.verdict, colour)}{detail}{expect}")
    if general.warning:
        io.print(f"{indent}{io.paint('warning: ' + general.warning, 'yellow')}")


def _where(example: dict) -> str:
    """Where a counterexample for every size is: a network's widths and batch,
    or a layer's sizes."""
    if "layer" in example:
        from symbp.layers.formulas import formula_layer
        sizes = formula_layer(example["layer"]["name"]).sizes()
        return "at " + ", ".join(f"{k} = {example['layer'][k]:g}" for k in sizes)
    from symbp.network import Network
    where = Network(**example["network"])
    return f"on layers={list(where.layers)} batch={where.batch}"


def _on(example: dict) -> str:
    if "layer" in example:
        from symbp.layers.formulas import SizedLayer
        fields = dict(example["layer"])
        return str(SizedLayer.of(fields.pop("name"), **fields))
    from symbp.network import Network
    return str(Network(**example["network"]))


def _details(io, r):
    import numpy as np
    result, indent = r.result, " " * 9
    if r.claim.source:
        io.print(io.paint(f"{indent}source: {r.claim.source}", "dim"))
    if result.verdict == "error":
        io.print(f"{indent}{result.message}")
        if result.general is not None and result.general.verdict != "error":
            _general_lines(io, r, indent)  # too large here, checked on smaller networks
        return
    if result.verdict != "refuted":
        _general_lines(io, r, indent)
        if result.message:
            io.print(io.paint(f"{indent}{result.message}", "dim"))
        return
    if result.diagnosis:
        io.print(f"{indent}diagnosis ({result.diagnosis['kind']}): {result.diagnosis['text']}")
    io.print(f"{indent}{result.message}")
    example = result.counterexample
    if example:
        where = "" if example["l"] is None else f"l = {example['l']}, "
        io.print(f"{indent}counterexample: {where}seed {example['seed']}, {_on(example)}")
        for side in ("left", "right"):
            if example[side] is not None:
                # six significant digits: a vanishing gradient (1e-11) is not "0."
                values = np.asarray(example[side], dtype=float)
                text = np.array2string(values, max_line_width=90,
                                       formatter={"float_kind": lambda v: f"{v:.6g}"})
                text = text.replace("\n", "\n" + indent + " " * 9)
                io.print(f"{indent}  {side + ':':7}{text}")
    _general_lines(io, r, indent)
