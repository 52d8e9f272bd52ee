"""Benchmark of ``symbp verify`` and its proofs: every figure beside its target.

Run ``python scripts/bench_verify.py`` (about a minute on 2 cores).  Printed
measurements, never assertions: timings vary between machines and with
whatever else the machine runs, so the command-line figures are the CPU time
of the child process (user + system), which load changes least.

1. 50 claims over 5 networks, in this process: cold (the first pass: every
   network derived, every point sampled, every proof built) and cached.
2. The verdicts for every size (contract section 9) of the shipped claims
   files: how many are proved, and for which scope.
3. Proofs do not grow with the batch (issue 16): ``symbp derive --layers
   8,16,8`` at batch 1 and 32, each equation's verdict, and the ratio beside
   the 1.5x target.
4. Symbolic work bounded by size (issue 18): the cases that ran for minutes,
   each beside "seconds" (a target of 10 s CPU).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from symbp.verification.claims import Claims, check_claims, claims_from_dict, load_claims

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = [
    {"layers": [2, 4, 3, 2], "hidden": "sigmoid", "output": "sigmoid", "loss": "half_sse"},
    {"layers": [3, 3, 3, 3], "hidden": "tanh", "output": "identity", "loss": "mse", "batch": 2},
    {"layers": [2, 4, 3], "hidden": "relu", "output": "softmax", "loss": "cce", "batch": 3,
     "layout": "row"},
    {"layers": [4, 3, 2, 2, 1], "hidden": "softplus", "output": "sigmoid", "loss": "bce",
     "batch": 2, "reduction": "sum"},
    {"layers": [2, 5, 3], "hidden": "leaky_relu", "output": "sigmoid", "loss": "sse", "batch": 4},
]
COLUMN = [
    "delta[L] = da[L] * sigma_prime(z[L])",
    "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])",
    "dW[l] = {scale}delta[l] @ a[l-1].T",
    "db[l] = {scale}sum(delta[l], axis=1)",
    "z[l] = W[l] @ a[l-1] + b[l]",
    "da[l-1] = W[l].T @ delta[l]",
    "delta[l] = (W[l+1] @ delta[l+1]) * sigma_prime(z[l])",
    "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(a[l])",
    "dW[l] = 2 * {scale}delta[l] @ a[l-1].T",
    "db[l] = {scale}mean(delta[l], axis=0)",
]
ROW = [
    "delta[L] = a[L] - y",
    "delta[l] = (delta[l+1] @ W[l+1].T) * sigma_prime(z[l])",
    "dW[l] = {scale}a[l-1].T @ delta[l]",
    "db[l] = {scale}sum(delta[l], axis=0)",
    "z[l] = a[l-1] @ W[l] + b[l]",
    "da[l-1] = delta[l] @ W[l].T",
    "delta[l] = (delta[l+1] @ W[l+1]) * sigma_prime(z[l])",
    "delta[L] = da[L] * sigma_prime(z[L])",
    "dW[l] = -{scale}a[l-1].T @ delta[l]",
    "db[l] = {scale}mean(delta[l], axis=1)",
]
# issue 18: each of these ran for minutes before the proofs for every size
BOUNDED = [
    ["derive", "--layers", "2,4,4,4,4,2", "--hidden", "relu"],
    ["derive", "--layers", "3,2,3,4,1", "--hidden", "leaky_relu", "--output", "softmax",
     "--loss", "mse"],
    ["verify", "--formula", "z[L] = W[L] @ a[L-1] + b[L]", "--layers", "2,2,2,2,2",
     "--hidden", "leaky_relu"],
    ["verify", "--formula", "z[L] = W[L] @ a[L-1] + b[L]", "--layers", "2,2,2,2,2,2",
     "--hidden", "leaky_relu"],
    ["verify", "--formula", "x = x + 0*sum(ones(4096,4096))", "--layers", "1,1"],
    ["verify", "--formula", "x = x + 0*sum(ones(m,m))", "--layers", "1,1", "--batch", "100000"],
    ["verify", "--formula", "dW[2] = dZ[2] @ a[1].T", "--layers", "2,4,1", "--hidden", "tanh",
     "--loss", "bce"],
]
SECONDS = 10.0
# derive's equations and their verdicts, from a fresh process
DERIVE_CHILD = r"""
import json, sys
from symbp.derivation.checked import derive
from symbp.network import Network
d = derive(Network(**json.loads(sys.argv[1])))
print(json.dumps([e.verdict for e in d.equations]))
"""


def claims() -> Claims:
    entries = []
    for number, network in enumerate(NETWORKS):
        scale = "" if network.get("reduction") == "sum" else "(1/m) * "
        formulas = ROW if network.get("layout") == "row" else COLUMN
        for index, formula in enumerate(formulas):
            entries.append({"name": f"net{number}-{index}",
                            "formula": formula.format(scale=scale), "network": network})
    return claims_from_dict({"claim": entries})


def child_cpu(argv) -> tuple[float, str]:
    """The CPU time (user + system) of one fresh process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=900, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.stdout


def counts(items) -> dict:
    found = {}
    for item in items:
        found[item] = found.get(item, 0) + 1
    return found


def passes():
    file = claims()
    for label in ("cold", "cached"):
        start = time.perf_counter()
        results = check_claims(file)
        elapsed = time.perf_counter() - start
        verdicts = counts(r.result.verdict for r in results)
        general = counts(r.result.general.verdict for r in results)
        print(f"  {label:7} {len(results)} claims over {len(NETWORKS)} networks: "
              f"{elapsed:.2f} s  verdicts {verdicts}  for every size {general}")


def shipped():
    for name in ("nielsen.toml", "seeds.toml"):
        results = check_claims(load_claims(ROOT / "examples" / name))
        scopes = counts(r.result.general.scope for r in results
                        if r.result.general.verdict == "proved")
        general = counts(r.result.general.verdict for r in results)
        warned = sum(bool(r.result.general.warning) for r in results)
        met = sum(r.met for r in results)
        print(f"  {name:13} {len(results)} claims, {met} met; for every size {general}; "
              f"proved for {scopes}; {warned} warning(s) 'holds on this network only'")


def batch_independence():
    cpu = {}
    for batch in (1, 32):
        fields = {"layers": [8, 16, 8], "batch": batch}
        cpu[batch], out = child_cpu(["-c", DERIVE_CHILD, json.dumps(fields)])
        verdicts = counts(json.loads(out)) if out.strip() else "failed"
        print(f"  derive --layers 8,16,8 --batch {batch:<3} {cpu[batch]:6.2f} s CPU  "
              f"equations {verdicts}")
    print(f"  batch 32 / batch 1: {cpu[32] / cpu[1]:.2f}x   (target: within 1.5x; before the "
          "proofs for every size 37 s at m = 8, 176 s at m = 32)")


def bounded():
    for argv in BOUNDED:
        cpu, out = child_cpu(["-m", "symbp", *argv])
        first = out.splitlines()[0] if out else "(no output)"
        shown = " ".join(a if " " not in a else f'"{a}"' for a in argv)
        print(f"  {cpu:6.2f} s CPU  (target: under {SECONDS:.0f} s)  symbp {shown}")
        print(f"           {first[:100]}")


def main():
    print("1. verify, in process")
    passes()
    print("2. the shipped claims files")
    shipped()
    print("3. proofs and the batch (fresh processes)")
    batch_independence()
    print("4. symbolic work bounded by size (fresh processes)")
    bounded()


if __name__ == "__main__":
    main()
