"""Benchmark of the truth (issues 9 and 16): every figure beside its target, in one run.

Run ``python scripts/bench.py`` (3-5 minutes on 2 cores).  It prints the
machine, a table per network, then every target beside its measured figure:
the truth's (issue 16), those of issue 9 that the design still has, and the
command line's start-up (issue 17).
These are printed measurements, never assertions: timings vary between
machines (and with whatever else the machine is running).

*Cold* is the first ``net.gradient(point)`` of a fresh process, with
``import symbp`` and NumPy's import and its first matrix product (BLAS
set-up) excluded; the best of a few processes.  Two kinds of cold:

* ``cached``: the truth's code cache (``symbp.truth.store``) holds the
  lemmas' code, as on every run after the first on a machine (the bench
  fills a folder of its own first);
* ``derive``: no cache (``SYMBP_CACHE_DIR=""``): SymPy is imported and
  derives every lemma in-process, as on the very first run.

*Warm* is the best time of one more ``net.gradient`` in the same process,
beside the hand-coded NumPy backprop (``symbp.backprop``) on the same point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import sympy

SEED001 = {"layers": [1000, 100, 10], "hidden": "relu", "output": "identity", "loss": "sse",
           "reduction": "sum", "layout": "row", "bias": False, "batch": 64}
NETWORKS = {
    "[2,3,2] m=1": {"layers": [2, 3, 2]},
    "seed 001 m=64": SEED001,
    "[784,800,10] m=128": {"layers": [784, 800, 10], "batch": 128},
    "[16,32,16] m=1": {"layers": [16, 32, 16]},
    "[16,32,16] m=4096": {"layers": [16, 32, 16], "batch": 4096},
    "[50000,1] m=1": {"layers": [50000, 1]},
    "[32,64,32] m=8": {"layers": [32, 64, 32], "batch": 8},
}

# one fresh process: a point of the right shapes (values do not matter for
# timing), NumPy's BLAS woken by an unrelated product, then the timed calls
CHILD = r"""
import json, sys, time, timeit
import numpy as np
import symbp
from symbp.network import Network
net = Network(**json.loads(sys.argv[1]))
rng = np.random.default_rng(0)
point = {k: rng.normal(0, 0.5, s) for k, s in net.point_shapes().items()}
point["y"] = rng.uniform(0.05, 0.95, net.shape("y"))
np.ones((64, 64)) @ np.ones((64, 64))
start = time.perf_counter()
net.gradient(point)
cold = time.perf_counter() - start
def best(fn):
    runs = max(1, min(50, int(0.1 / max(timeit.timeit(fn, number=1), 1e-6))))
    return min(timeit.repeat(fn, number=runs, repeat=5)) / runs
print(json.dumps({"cold": cold, "sympy": "sympy" in sys.modules,
                  "warm": best(lambda: net.gradient(point)),
                  "backprop": best(lambda: symbp.backprop(net, point))}))
"""


def child(fields, cache_dir, repeat=3) -> dict:
    """The best cold time (and the warm ones) over ``repeat`` fresh processes."""
    env = {**os.environ, "SYMBP_CACHE_DIR": cache_dir}
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(fields)], env=env,
                              capture_output=True, text=True, timeout=600, check=True)
        runs.append(json.loads(done.stdout))
    best = min(runs, key=lambda r: r["cold"])
    return {**best, "warm": min(r["warm"] for r in runs),
            "backprop": min(r["backprop"] for r in runs)}


def target(label, value, limit, unit="s"):
    met = value <= limit
    print(f"  {'met    ' if met else 'NOT MET'}  {label}: {value:.3g} {unit} "
          f"(target <= {limit:g} {unit})")


def truth_table(cache_dir) -> dict:
    print(f"{'network':>20} {'cold cached':>12} {'cold derive':>12} {'one-time':>9} "
          f"{'warm':>9} {'backprop':>9} {'warm/bp':>8}")
    rows = {}
    for name, fields in NETWORKS.items():
        cached = child(fields, cache_dir)
        derive = child(fields, "", repeat=2)
        rows[name] = (cached, derive)
        assert not cached["sympy"] and derive["sympy"], "the cache is not what the bench assumes"
        print(f"{name:>20} {cached['cold'] * 1e3:10.1f}ms {derive['cold']:11.2f}s "
              f"{(cached['cold'] - cached['warm']) * 1e3:7.1f}ms "
              f"{cached['warm'] * 1e3:7.2f}ms {cached['backprop'] * 1e3:7.2f}ms "
              f"{cached['warm'] / cached['backprop']:8.2f}")
    print("cold cached: no SymPy import; cold derive: SymPy imported and every lemma derived;\n"
          "one-time: cold cached minus warm (loading the cached code, NumPy's first calls)")
    return rows


def truth_targets(rows):
    print("\nissue 16: the truth's cost depends on no width and no batch size")
    tiny = rows["[2,3,2] m=1"][0]["cold"]
    for name in ("seed 001 m=64", "[784,800,10] m=128"):
        cold = rows[name][0]["cold"]
        target(f"cold net.gradient, {name} / [2,3,2] m=1 ({cold * 1e3:.1f} ms / "
               f"{tiny * 1e3:.1f} ms)", cold / tiny, 3, unit="x")
        target(f"cold net.gradient, {name}", cold, 1.0)
        derive = rows[name][1]["cold"]
        print(f"  (first run ever, SymPy deriving: {derive:.2f} s; [2,3,2]: "
              f"{rows['[2,3,2] m=1'][1]['cold']:.2f} s)")
    one, many = rows["[16,32,16] m=1"], rows["[16,32,16] m=4096"]
    target(f"cold net.gradient, [16,32,16] m=4096 / m=1 ({many[0]['cold'] * 1e3:.1f} ms / "
           f"{one[0]['cold'] * 1e3:.1f} ms)", many[0]["cold"] / one[0]["cold"], 1.2, unit="x")
    target(f"the same, SymPy deriving ({many[1]['cold']:.2f} s / {one[1]['cold']:.2f} s)",
           many[1]["cold"] / one[1]["cold"], 1.2, unit="x")
    once = [r[0]["cold"] - r[0]["warm"] for r in (many, one)]
    target(f"the same, one-time cost only (cold minus warm: {once[0] * 1e3:.1f} ms / "
           f"{once[1] * 1e3:.1f} ms; evaluating 4096 samples is NumPy's own "
           f"{many[0]['warm'] * 1e3:.1f} ms, backprop's {many[0]['backprop'] * 1e3:.1f} ms)",
           once[0] / once[1], 1.2, unit="x")
    fan_in = rows["[50000,1] m=1"]
    target("fan-in 50000 (--layers 50000,1): cold net.gradient", fan_in[0]["cold"], 1.0)
    target("  the same, SymPy deriving every lemma (once per machine)", fan_in[1]["cold"], 1.0)
    for name in ("[32,64,32] m=8", "seed 001 m=64"):
        cached = rows[name][0]
        target(f"warm truth / hand-coded NumPy backprop, {name} ({cached['warm'] * 1e3:.2f} ms"
               f" / {cached['backprop'] * 1e3:.2f} ms)", cached["warm"] / cached["backprop"],
               1.5, unit="x")
    print("\nissue 9 (kept where the design still has them)")
    first = rows["[32,64,32] m=8"][1]["cold"]
    target("truth for [32,64,32] batch 8, first run ever (SymPy import, derive, evaluate)",
           first, 2.0)
    target("  stretch: the same", first, 1.0)


def _symbp_command():
    exe = shutil.which("symbp")
    return [exe] if exe else [sys.executable, "-m", "symbp"]


def _run(args, timeout=600):
    start = time.perf_counter()
    try:
        done = subprocess.run(_symbp_command() + args, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, done


def cli_targets():
    wall = min(_run(["--help"])[0] for _ in range(3))
    target("`symbp --help` wall time", wall, 0.3)
    small = min(_run(["check", "--layers", "2,3,2"])[0] for _ in range(3))
    print(f"  (`symbp check --layers 2,3,2`, wall, code cached: {small:.2f} s)")
    # a child of a child, so that RUSAGE_CHILDREN sees this run alone
    probe = ("import resource, subprocess, sys; "
             "done = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe] + _symbp_command() +
                         ["check", "--layers", "64,128,64", "--batch", "8"],
                         capture_output=True, text=True, timeout=600, check=False).stdout.split()
    took = time.perf_counter() - start
    target(f"peak memory of `symbp check --layers 64,128,64 --batch 8` "
           f"(exit {out[0]}, {took:.1f} s)", int(out[1]) / 1024, 1024, unit="MiB")
    limit = 120
    took, done = _run(["check", "--layers", "256,512,256", "--batch", "8"], timeout=limit)
    if done is None:
        print(f"  NOT MET  `symbp check --layers 256,512,256 --batch 8`: stopped after "
              f"{limit} s (target <= 30 s; its finite differences are issue 18's)")
    else:
        target(f"`symbp check --layers 256,512,256 --batch 8` (exit {done.returncode})",
               took, 30)


CLAIMS = [
    ("BP1", "delta[L] = da[L] * sigma_prime(z[L])"),
    ("BP2", "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])"),
    ("BP3", "db[l] = mean(delta[l], axis=1)"),
    ("BP4", "dW[l] = delta[l] @ a[l-1].T / m"),
    ("slip", "dW[l] = delta[l] @ a[l-1].T"),
]
CLAIM_NETWORKS = [
    'layers = [2, 3, 2]',
    'layers = [3, 4, 3, 2]\nbatch = 3',
    'layers = [2, 5, 2]\nhidden = "tanh"',
    'layers = [4, 4, 4]\nbatch = 2',
    'layers = [2, 3, 3, 2]\nhidden = "relu"\nbatch = 2',
    'layers = [3, 2, 3]\nhidden = "softplus"',
    'layers = [2, 6, 2]\nbatch = 4',
]


def _claims_file(folder, count):
    lines = ['title = "bench"', "[network]", CLAIM_NETWORKS[0]]
    for i in range(count):
        name, formula = CLAIMS[i % len(CLAIMS)]
        lines += ["[[claim]]", f'name = "{name} {i}"', f'formula = "{formula}"']
        if count > 1:
            lines += ["[claim.network]", CLAIM_NETWORKS[i % len(CLAIM_NETWORKS)]]
    path = os.path.join(folder, f"claims{count}.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def verify_targets():
    with tempfile.TemporaryDirectory() as folder:
        many, done = _run(["verify", _claims_file(folder, 200)])
        summary = (done.stdout.strip().splitlines() or ["no output"])[-1]
        target(f"`symbp verify` of 200 claims over 7 networks, wall (exit {done.returncode}: "
               f"{summary})", many, 30)


# -- start-up of the command line (issue 17) --------------------------------------------
# Run alone with: python -c "import sys; sys.path.insert(0, 'scripts'); import bench;
# bench.startup_targets()" (the truth's code then comes from your own cache folder)

STARTUP_TARGET = 0.8   # seconds of wall time for a small grade and a one-claim verify


def _best_wall(argv, repeat=3):
    """Best wall time of a command over a few runs, and its last result."""
    times, done = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        times.append(time.perf_counter() - start)
    return min(times), done


def _import_share(argv, module):
    """Seconds of ``module``'s import (cumulative) in one run of ``argv``."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True,
                          text=True, timeout=600, check=False)
    for line in done.stderr.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6
    return 0.0


def startup_targets():
    """Wall time of ``symbp grade`` on a small network and of ``symbp verify``
    of a one-claim file (best of 3), beside the 0.8 s target, with what the
    interpreter, NumPy and SymPy alone cost on this machine to read them by."""
    python = [sys.executable]
    print("\nstart-up (issue 17): best of 3 wall times")
    bare, _ = _best_wall(python + ["-c", "pass"])
    numpy_only, _ = _best_wall(python + ["-c", "import numpy"])
    sympy_only, _ = _best_wall(python + ["-c", "import sympy"])
    print(f"  reference: python alone {bare:.2f} s, import numpy {numpy_only:.2f} s, "
          f"import sympy {sympy_only:.2f} s")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as folder:
        backprop = os.path.join(root, "examples", "grade", "two_layer_sigmoid.py")
        grade = python + ["-m", "symbp", "grade", f"{backprop}:gradients", "--layers", "3,4,2",
                          "--batch", "3"]
        wall, done = _best_wall(grade)
        share = _import_share(grade[1:], "sympy")
        target(f"`symbp grade` of a [3, 4, 2] network, wall (exit {done.returncode}; "
               f"importing SymPy {share:.2f} s of it)", wall, STARTUP_TARGET)
        verify = python + ["-m", "symbp", "verify", _claims_file(folder, 1)]
        wall, done = _best_wall(verify)
        share = _import_share(verify[1:], "sympy")
        target(f"`symbp verify` of a one-claim file, wall (exit {done.returncode}; "
               f"importing SymPy {share:.2f} s of it)", wall, STARTUP_TARGET)
        helps, _ = _best_wall(python + ["-m", "symbp", "grade", "--help"])
        target("`symbp grade --help`, wall", helps, STARTUP_TARGET)


def main():
    start = time.perf_counter()
    print(f"symbp truth benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SymPy {sympy.__version__}, NumPy {np.__version__}, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    cache_dir = tempfile.mkdtemp(prefix="symbp-bench-")
    os.environ["SYMBP_CACHE_DIR"] = cache_dir  # every command below: code cached
    try:
        for fields in NETWORKS.values():  # fill the cache: every lemma these networks use
            child(fields, cache_dir, repeat=1)
        rows = truth_table(cache_dir)
        truth_targets(rows)
        cli_targets()
        verify_targets()
        startup_targets()
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"\nbenchmark took {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
