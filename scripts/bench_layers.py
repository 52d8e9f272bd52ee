"""Benchmark of the layer truth and of ``symbp grade-layers`` (issues 13, 14).

Run ``python scripts/bench_layers.py`` (about a minute on 2 cores;
``--random-200`` adds the examples graded on 200 configurations per layer,
a few minutes more).  It prints the machine's core count and load, then
each figure beside its target, wall and CPU time (other processes share the
cores: CPU time says what the command itself cost).  Measurements, never
assertions: timings vary between machines.

* a full cs231n ``layers.py`` + ``rnn_layers.py`` pair
  (``examples/layers/cs231n_style.py``: 15 layers, and
  ``examples/layers/cs231n_rnn_style.py``: 7), each graded by a cold
  ``symbp grade-layers ... --random 20`` process, start-up included (target:
  under 60 s for the pair on 2 cores);
* the issue-13 layers alone (``--only`` them, target under 5 s);
* the conv truth derived cold for N = 2, C = 3, H = W = 7, F = 3, HH = WW = 3
  at stride 1 and pad 0, 1, 2 (target: under 2 s each);
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


ISSUE_13 = "affine,relu,sigmoid,tanh,softmax_loss,svm_loss,batchnorm,layernorm,dropout,l2"


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _graded(name: str, *extra) -> tuple[float, float, str]:
    """The best of two cold runs: wall, CPU, the summary line."""
    runs = [_command("grade-layers", os.path.join(EXAMPLES, name), "--random", "20", *extra)
            for _ in range(2)]
    wall, cpu, done = min(runs, key=lambda run: run[0])
    return wall, cpu, done.stdout.strip().splitlines()[-1]


def grade_pair_cold():
    # wall time is what a user waits; CPU time says how much of it a busy
    # machine (other processes on the two cores) added
    print(f"before: {_load()}")
    total_wall = total_cpu = 0.0
    for name in ("cs231n_style.py", "cs231n_rnn_style.py"):
        wall, cpu, summary = _graded(name)
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(f"  grade-layers {name} --random 20, cold process: {wall:.1f} s wall "
              f"({cpu:.1f} s CPU)  [{summary}]")
    print(f"the cs231n layers.py + rnn_layers.py pair, cold: {total_wall:.1f} s wall "
          f"({total_cpu:.1f} s CPU) (target < 60 s on 2 cores)")
    wall, cpu, summary = _graded("cs231n_style.py", "--only", ISSUE_13)
    print(f"the issue-13 layers alone (cs231n_style.py --only them): {wall:.1f} s wall "
          f"({cpu:.1f} s CPU) (target < 5 s)  [{summary}]")
    print(f"after: {_load()}")


def conv_truth_cold():
    import symengine  # noqa: F401  (imported first: the figure is the derivations, not the import)

    from symbp.layers import LAYERS
    from symbp.layers.symbolic import clear_cache, truth_for
    layer = LAYERS["conv"]
    for pad in (0, 1, 2):
        config = layer.default_config({"N": 2, "C": 3, "H": 7, "W": 7, "F": 3, "HH": 3, "WW": 3,
                                       "stride": 1, "pad": pad})
        clear_cache()
        start, cpu = time.perf_counter(), time.process_time()
        truth_for(layer, config)
        print(f"conv truth, cold, N = 2, C = 3, H = W = 7, F = 3, HH = WW = 3, stride 1, "
              f"pad {pad}: {time.perf_counter() - start:.2f} s wall "
              f"({time.process_time() - cpu:.2f} s CPU) (target < 2 s)")


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
                        ("svm_loss", {"N": 16, "C": 16}),
                        ("conv", {"N": 1, "C": 2, "H": 12, "W": 12, "F": 16, "HH": 3, "WW": 3,
                                  "stride": 1, "pad": 2}),
                        ("max_pool", {"N": 2, "C": 2, "H": 12, "W": 12, "pool_height": 3,
                                      "pool_width": 3, "stride": 1}),
                        ("lstm", {"N": 4, "T": 16, "D": 4, "H": 6})]:
        layer = LAYERS[name]
        config = layer.default_config(sizes)
        start, cpu = time.perf_counter(), time.process_time()
        truth_for(layer, config)
        print(f"  largest accepted {name} ({', '.join(f'{k} = {v}' for k, v in sizes.items())}):"
              f" truth derived in {time.perf_counter() - start:.2f} s "
              f"({time.process_time() - cpu:.2f} s CPU)")


def examples_at_200():
    for name, expected in [("cs231n_style.py", "ok"), ("cs231n_rnn_style.py", "ok"),
                           ("dlfs_style.py", "ok"), ("classic_bugs.py", "wrong"),
                           ("classic_bugs_cnn_rnn.py", "wrong")]:
        seconds, _, done = _command("grade-layers", os.path.join(EXAMPLES, name),
                                    "--random", "200", "--json")
        verdicts = [layer["verdict"] for layer in json.loads(done.stdout)["layers"]]
        every = all(v == expected for v in verdicts)
        print(f"{name} --random 200: {len(verdicts)} layers, verdicts "
              f"{sorted(set(verdicts))}, every one {expected}: {every} ({seconds:.1f} s, "
              f"exit {done.returncode})")


def main():
    print(f"cores: {os.cpu_count()}")
    grade_pair_cold()
    conv_truth_cold()
    batchnorm_truth_cold()
    largest_shapes()
    if "--random-200" in sys.argv[1:]:
        examples_at_200()


if __name__ == "__main__":
    main()
