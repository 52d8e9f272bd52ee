"""Benchmark of the symbolic truth (issue 9): times, ratios, and each target.

Run ``python scripts/bench.py`` (under 5 minutes on 2 cores).  It prints the
machine's core count, a table per network and batch (derive, make evaluable,
one truth evaluation, one NumPy backprop, one finite-difference gradient and
their ratios), then every issue-9 target beside its measured figure.  These
are printed measurements, never assertions: timings vary between machines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import timeit

import numpy as np
import sympy
from sympy.core.cache import clear_cache as clear_sympy_cache

import symbp
from symbp.network import Network
from symbp.truth.codegen import engine
from symbp.truth.exact import truth
from symbp.truth.pieces import derive
from symbp.truth.program import Program, clear_cache

TABLE = [[2, 4, 3, 2], [8, 16, 8], [32, 64, 32]]
GROWTH = [[8, 16, 8], [16, 32, 16], [32, 64, 32], [64, 128, 64]]


def _fresh():
    """Forget every cached derivation, ours and SymPy's, so timings start cold."""
    clear_cache()
    clear_sympy_cache()


def _best(fn, repeat=5):
    """Best wall time of one call of fn over a few repeats (a steadier figure)."""
    runs = max(1, min(50, int(0.2 / max(_once(fn), 1e-6))))
    return min(timeit.repeat(fn, number=runs, repeat=repeat)) / runs


def _once(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def truth_phases(net, point):
    """Cold derive, make-evaluable and first evaluation times of the truth."""
    _fresh()
    start = time.perf_counter()
    pieces = derive(net.replace(batch=1))
    derived = time.perf_counter()
    program = Program(pieces)
    compiled = time.perf_counter()
    program.run(net, net.check_point(point))
    evaluated = time.perf_counter()
    return derived - start, compiled - derived, evaluated - compiled


def parameters(layers):
    return sum(layers[k] * layers[k - 1] + layers[k] for k in range(1, len(layers)))


def table():
    print(f"{'network':>14} {'m':>3} {'derive':>8} {'evaluable':>9} {'truth':>9} "
          f"{'backprop':>9} {'finite':>9} {'truth/bp':>8} {'derive/fd':>9}")
    rows = {}
    for layers in TABLE:
        for batch in (1, 8):
            net = Network(layers=layers, batch=batch)
            point = net.sample(0)
            d, c, _ = truth_phases(net, point)
            t = truth(net)
            ev = _best(lambda t=t, point=point: t.gradient(point))
            bp = _best(lambda net=net, point=point: symbp.backprop(net, point))
            fd = _best(lambda net=net, point=point: symbp.finite_differences(net, point),
                       repeat=2)
            rows[(tuple(layers), batch)] = (d, c, ev, bp, fd)
            print(f"{layers!s:>14} {batch:>3} {d:8.3f} {c:9.3f} {ev * 1e3:7.2f}ms "
                  f"{bp * 1e3:7.2f}ms {fd * 1e3:7.1f}ms {ev / bp:8.2f} {d / fd:9.2f}")
    print("times in seconds unless marked; truth = one gradient evaluation of the "
          "derived truth (checks the point, runs forward and backward)")
    return rows


def target(label, value, limit, unit="s", lower_is_better=True):
    met = value <= limit if lower_is_better else value >= limit
    print(f"  {'met    ' if met else 'NOT MET'}  {label}: {value:.3g} {unit} (target <= {limit:g} {unit})")


def _total_truth_time(layers, batch):
    net = Network(layers=layers, batch=batch)
    point = net.sample(0)
    return sum(truth_phases(net, point))


def _derive_time(layers, batch, repeat=3):
    # the full cost of the first truth(net).gradient for this batch, cold
    times = []
    for _ in range(repeat):
        net = Network(layers=layers, batch=batch)
        _fresh()
        times.append(_once(lambda net=net: truth(net)))
    return sorted(times)[len(times) // 2]


def _slope(xs, ys):
    lx, ly = np.log(xs), np.log(ys)
    return float(np.polyfit(lx, ly, 1)[0])


def _symbp_command():
    exe = shutil.which("symbp")
    return [exe] if exe else [sys.executable, "-m", "symbp"]


def _run(args, timeout=600):
    start = time.perf_counter()
    done = subprocess.run(_symbp_command() + args, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return time.perf_counter() - start, done


def _has_command(name):
    _, done = _run(["--help"])
    return f" {name} " in done.stdout or f"{{{name}" in done.stdout or f",{name}" in done.stdout


def cli_targets():
    wall = min(_run(["--help"])[0] for _ in range(3))
    target("`symbp --help` wall time", wall, 0.3)
    if not _has_command("check"):
        print("  skipped  peak memory of `symbp check`: the command is not there yet")
        return
    # a child of a child, so that RUSAGE_CHILDREN sees this run alone
    probe = ("import resource, subprocess, sys; "
             "done = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe] + _symbp_command() +
                         ["check", "--layers", "64,128,64", "--batch", "8"],
                         capture_output=True, text=True, timeout=600, check=False).stdout.split()
    took = time.perf_counter() - start
    code, kib = int(out[0]), int(out[1])
    target(f"peak memory of `symbp check --layers 64,128,64 --batch 8` "
           f"(exit {code}, {took:.1f} s)", kib / 1024, 1024, unit="MiB")


CLAIMS = [
    ("BP1", "delta[L] = da[L] * sigma_prime(z[L])"),
    ("BP2", "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])"),
    ("BP3", "db[l] = mean(delta[l], axis=1)"),
    ("BP4", "dW[l] = delta[l] @ a[l-1].T / m"),
    ("slip", "dW[l] = delta[l] @ a[l-1].T"),
]
NETWORKS = [
    'layers = [2, 3, 2]',
    'layers = [3, 4, 3, 2]\nbatch = 3',
    'layers = [2, 5, 2]\nhidden = "tanh"',
    'layers = [4, 4, 4]\nbatch = 2',
    'layers = [2, 3, 3, 2]\nhidden = "relu"\nbatch = 2',
    'layers = [3, 2, 3]\nhidden = "softplus"',
    'layers = [2, 6, 2]\nbatch = 4',
]


def _claims_file(folder, count):
    lines = ['title = "bench"', "[network]", NETWORKS[0]]
    for i in range(count):
        name, formula = CLAIMS[i % len(CLAIMS)]
        lines += ["[[claim]]", f'name = "{name} {i}"', f'formula = "{formula}"']
        if count > 1:
            lines += ["[claim.network]", NETWORKS[i % len(NETWORKS)]]
    path = os.path.join(folder, f"claims{count}.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def verify_targets():
    try:
        from symbp.verification.verdicts import verify  # noqa: F401  (only timed if it exists)
    except ImportError:
        print("  skipped  verify timings: symbp.verify is not there yet")
        return
    if not _has_command("verify"):
        net = Network(layers=[2, 3, 2])
        took = _once(lambda: symbp.verify(CLAIMS[1][1], net))
        print(f"  (in process) symbp.verify of one claim on a cold [2, 3, 2]: {took:.2f} s")
        print("  skipped  `symbp verify` wall times: the command is not there yet")
        return
    with tempfile.TemporaryDirectory() as folder:
        one, done = _run(["verify", _claims_file(folder, 1)])
        target(f"`symbp verify` of a one-claim file, wall (exit {done.returncode})", one, 1.5)
        many, done = _run(["verify", _claims_file(folder, 200)])
        summary = (done.stdout.strip().splitlines() or ["no output"])[-1]
        target(f"`symbp verify` of 200 claims over 7 networks, wall (exit {done.returncode}: "
               f"{summary})", many, 30)


def main():
    start = time.perf_counter()
    print(f"symbp truth benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SymPy {sympy.__version__}, engine for the affine maps: {engine().__name__}")
    print("sigmoid hidden and output, half_sse, mean, column layout\n")
    rows = table()

    print("\nissue 9 targets")
    total = sum(truth_phases(Network(layers=[32, 64, 32], batch=8),
                             Network(layers=[32, 64, 32], batch=8).sample(0)))
    target("truth for [32, 64, 32] batch 8 (derive + evaluable + one eval)", total, 2.0)
    target("  stretch: the same", total, 1.0)
    big = _total_truth_time([128, 256, 128], 8)
    target("  stretch: truth for [128, 256, 128] batch 8", big, 30.0)
    one, many = _derive_time([32, 64, 32], 1), _derive_time([32, 64, 32], 64)
    target(f"derivation at batch 64 / batch 1, [32, 64, 32] ({many:.3f} s / {one:.3f} s)",
           many / one, 1.2, unit="x")
    _d, _c, ev, bp, _fd = rows[((32, 64, 32), 8)]
    target(f"truth evaluation / NumPy backprop, [32, 64, 32] batch 8 "
           f"({ev * 1e3:.2f} ms / {bp * 1e3:.2f} ms)", ev / bp, 3.0, unit="x")
    counts, times = [], []
    for layers in GROWTH:
        counts.append(parameters(layers))
        times.append(_total_truth_time(layers, 8))
    pairs = ", ".join(f"{p}: {t:.2f} s" for p, t in zip(counts, times, strict=True))
    target(f"log-log slope of truth time vs parameters over [8,16,8]..[64,128,64] ({pairs})",
           _slope(counts, times), 1.2, unit="")
    cli_targets()
    verify_targets()
    print(f"\nbenchmark took {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()


# -- start-up of the command line (issue 17) --------------------------------------------
# Run alone with: python -c "import sys; sys.path.insert(0, 'scripts'); import bench;
# bench.startup_targets()"

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


if __name__ == "__main__":
    startup_targets()
