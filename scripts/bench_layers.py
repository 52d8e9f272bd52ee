"""Benchmark of the layer truth and of ``symbp grade-layers`` (issue 13).

Run ``python scripts/bench_layers.py`` (about half a minute on 2 cores;
``--random-200`` adds the examples graded on 200 configurations per layer,
about a minute more).  It prints the machine's core count, then each figure
beside its target.  Measurements, never assertions: timings vary between
machines.

* ``symbp grade-layers examples/layers/cs231n_style.py`` (every layer of the
  issue, ``--random 20``) in a fresh process, cold: the whole command,
  start-up included (target: under 5 s on 2 cores);
* the batch-norm truth derived cold for every N <= 8 and D <= 4 (32 shapes):
  all together and the slowest one (target, ours: under 1 s for a shape);
* the truth of the largest shape of each layer symbp accepts (its limits);
* with ``--random-200``: the verdicts of the shipped examples on 200
  configurations per layer (the right files: every layer ok; the bugs: every
  layer wrong).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples", "layers")


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _command(*argv) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time, CPU time (the command and the user-code process it forks) and the result."""
    start, cpu = time.perf_counter(), _cpu_of_children()
    done = subprocess.run([sys.executable, "-m", "symbp", *argv], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT},
                          check=False)
    return time.perf_counter() - start, _cpu_of_children() - cpu, done


def grade_file_cold(runs: int = 3):
    # wall time is what a user waits; CPU time says how much of it a busy
    # machine (other processes on the two cores) added
    times = []
    for _ in range(runs):
        times.append(_command("grade-layers", os.path.join(EXAMPLES, "cs231n_style.py"),
                              "--random", "20"))
    best = min(times, key=lambda t: t[0])
    last = best[2].stdout.strip().splitlines()[-1]
    print(f"grade-layers cs231n_style.py --random 20, cold process: best {best[0]:.2f} s wall "
          f"({best[1]:.2f} s CPU), worst {max(t[0] for t in times):.2f} s of {runs} "
          f"(target < 5 s)  [{last}]")
    print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def batchnorm_truth_cold():
    import symengine  # noqa: F401  (imported first: the figure is the derivations, not the import)

    from symbp.layers import LAYERS
    from symbp.layers.symbolic import clear_cache, truth_for
    layer = LAYERS["batchnorm"]
    clear_cache()
    each = {}
    start, cpu = time.perf_counter(), time.process_time()
    for n in range(1, 9):
        for d in range(1, 5):
            begin = time.perf_counter()
            truth_for(layer, {"N": n, "D": d, "eps": 1e-5})
            each[(n, d)] = time.perf_counter() - begin
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    slowest = max(each, key=each.get)
    print(f"batch-norm truth, cold, every N <= 8 and D <= 4 ({len(each)} shapes): "
          f"{total:.2f} s wall ({cpu:.2f} s CPU) in all; slowest N = {slowest[0]}, "
          f"D = {slowest[1]}: {each[slowest] * 1000:.0f} ms (target < 1 s a shape)")


def largest_shapes():
    from symbp.layers import LAYERS
    from symbp.layers.symbolic import clear_cache, truth_for
    clear_cache()
    for name, sizes in [("batchnorm", {"N": 16, "D": 16}), ("layernorm", {"N": 16, "D": 16}),
                        ("affine", {"N": 16, "d": (16,), "M": 16}),
                        ("svm_loss", {"N": 16, "C": 16})]:
        layer = LAYERS[name]
        config = layer.complete({**layer.default_config(), **sizes})
        start, cpu = time.perf_counter(), time.process_time()
        truth_for(layer, config)
        print(f"  largest accepted {name} ({', '.join(f'{k} = {v}' for k, v in sizes.items())}):"
              f" truth derived in {time.perf_counter() - start:.2f} s "
              f"({time.process_time() - cpu:.2f} s CPU)")


def examples_at_200():
    for name, expected in [("cs231n_style.py", "ok"), ("dlfs_style.py", "ok"),
                           ("classic_bugs.py", "wrong")]:
        seconds, _, done = _command("grade-layers", os.path.join(EXAMPLES, name),
                                    "--random", "200", "--json")
        verdicts = [layer["verdict"] for layer in json.loads(done.stdout)["layers"]]
        every = all(v == expected for v in verdicts)
        print(f"{name} --random 200: {len(verdicts)} layers, verdicts "
              f"{sorted(set(verdicts))}, every one {expected}: {every} ({seconds:.1f} s, "
              f"exit {done.returncode})")


def main():
    print(f"cores: {os.cpu_count()}")
    grade_file_cold()
    batchnorm_truth_cold()
    largest_shapes()
    if "--random-200" in sys.argv[1:]:
        examples_at_200()


if __name__ == "__main__":
    main()
