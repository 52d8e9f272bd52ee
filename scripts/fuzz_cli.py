"""Fuzz symbp's command line and Python API as a hostile or careless user would.

Run ``python scripts/fuzz_cli.py --cases 600`` (``--seed S``, ``--only
check,verify``, ``--jobs 2``, ``--limit 90``, ``--show 3``).  Each case is a
random argv for one subcommand (options drawn from
:mod:`fuzz_inputs`'s pools of good and hostile values, sometimes repeated),
a random claims file, a random user file for ``grade``/``grade-layers``, or
a Python API call with hostile arguments.  Each runs in a process of its own
(forked from this one once symbp is imported, so a case costs its own work,
not the start-up; ``--subprocess F`` runs a share F of the command-line
cases as real ``python -m symbp`` processes instead), in a folder of its
own, with at most ``--memory`` GiB of address space.

Bad outcomes, counted by class:

* ``traceback``: an exception other than SymbpError escaped (command line:
  out of ``main``, or "Traceback" on stderr; API: any non-SymbpError);
* ``exit``: a status outside {0, 1, 2, 130};
* ``hang``: still running after ``--limit`` seconds;
* ``sentence``: exit 2 without exactly one line on stderr;
* ``noise``: exit 0 or 1 with something on stderr (a warning leaking);
* ``stray``: a process the run started (users' code forking) outlived it.

It prints the counts and, for each class, the first ``--show`` cases (argv
and stderr's head) to reproduce them.  A measurement, not a test: the suite
has regression tests for each class of bug found (tests/test_hostile_cli.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, ROOT)

import fuzz_inputs as pools

COMMANDS = ["check", "check-layer", "verify-formula", "verify-layer", "verify-file", "derive",
            "derive-layer", "graph", "grade", "grade-layers", "api"]
OK_STATUSES = {0, 1, 2, 130}


# -- drawing cases ---------------------------------------------------------------------

def _maybe(rng, probability=0.5) -> bool:
    return rng.random() < probability


def _value(rng, pool, hostile=pools.NUMBERS, share=0.25):
    return rng.choice(hostile) if _maybe(rng, share) else rng.choice(pool)


def _network_options(rng) -> list[str]:
    argv = ["--layers", _value(rng, ["2,2", "2,3,2", "3,4,2", "1,1", "2,2,2"],
                               pools.LAYER_LISTS, 0.4)]
    for option in ("--hidden", "--output", "--loss", "--reduction", "--layout", "--targets"):
        if _maybe(rng, 0.3):
            argv += [option, rng.choice(pools.WORDS)]
    if _maybe(rng, 0.4):
        argv += ["--batch", _value(rng, ["1", "2", "3"], pools.BATCHES, 0.5)]
    if _maybe(rng, 0.15):
        argv += ["--l2", _value(rng, ["0", "0.1"])]
    if _maybe(rng, 0.1):
        argv.append("--no-bias")
    return argv


def _layer_config(rng, layer) -> str:
    names = sorted(layer.config_names()) + ["seed", "zz", "d"]
    parts = []
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        value = _value(rng, ["1", "2", "3", "4", "16", "17", "0.5", "1e-5", "2x3"], share=0.4)
        parts.append(f"{rng.choice(names)}={value}")
    return ",".join(parts)


def _layer_name(rng, names) -> str:
    return rng.choice(names) if _maybe(rng, 0.9) else rng.choice(pools.WORDS)


def _layer_options(rng) -> list[str]:
    from symbp.layers.formulas import FORMULA_LAYERS
    argv = ["--layer", _layer_name(rng, list(FORMULA_LAYERS))]
    for name in ("N", "D", "M", "C", "eps", "p", "lambda"):
        if _maybe(rng, 0.25):
            argv += [f"--{name}", _value(rng, ["1", "2", "3", "4", "0.5", "1e-5"], share=0.4)]
    return argv


_WRITTEN: dict[str, str] = {}   # the files the case being drawn wrote, for its report


def _write(folder, name, data: bytes) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(data)
    _WRITTEN[name] = data.decode("utf-8", "replace")[:400]
    return path


def _repeat(rng, argv: list[str]) -> list[str]:
    """Sometimes an option given twice (argparse keeps the last) or a stray word."""
    options = [i for i, word in enumerate(argv) if word.startswith("--") and i + 1 < len(argv)]
    if options and _maybe(rng, 0.1):
        i = rng.choice(options)
        argv = argv + [argv[i], rng.choice(pools.NUMBERS + pools.WORDS)]
    if _maybe(rng, 0.03):
        argv = argv + [rng.choice(["--", "-", "--json=1", "--bogus", "stray"])]
    return argv


def draw_case(rng, command: str, folder: str) -> dict:
    """One case: ``{"argv": [...]}`` for the command line or ``{"api": ...}``."""
    from symbp.layers import LAYERS
    _WRITTEN.clear()
    seed = ["--seed", _value(rng, ["0", "1"], pools.SEEDS, 0.3)] if _maybe(rng, 0.3) else []
    json_flag = ["--json"] if _maybe(rng, 0.3) else []
    if command == "check":
        argv = ["check", *_network_options(rng), *seed, *json_flag]
    elif command == "check-layer":
        name = _layer_name(rng, list(LAYERS))
        config = _layer_config(rng, LAYERS[name]) if name in LAYERS else "N=2"
        argv = ["check", "--layer", name, *(["--config", config] if config else []), *seed,
                *json_flag]
    elif command == "verify-formula":
        argv = ["verify", "--formula", rng.choice(pools.NETWORK_FORMULAS),
                *_network_options(rng), *seed, *json_flag]
        if _maybe(rng, 0.2):
            argv += ["--random", _value(rng, ["2", "3"], pools.NUMBERS, 0.5)]
    elif command == "verify-layer":
        argv = ["verify", "--formula", rng.choice(pools.LAYER_FORMULAS), *_layer_options(rng),
                *seed, *json_flag]
        if _maybe(rng, 0.2):
            argv += ["--random", _value(rng, ["2", "3"], pools.NUMBERS, 0.5)]
    elif command == "verify-file":
        path = _write(folder, rng.choice(["claims.toml", "my claims ñ.toml"]),
                      pools.claims_file(rng))
        argv = ["verify", path, *seed, *json_flag]
        if _maybe(rng, 0.2):
            argv += ["--random", _value(rng, ["2"], pools.NUMBERS, 0.5)]
    elif command in ("derive", "derive-layer"):
        options = _layer_options(rng) if command == "derive-layer" else _network_options(rng)
        argv = ["derive", *options]
        if _maybe(rng, 0.3):
            argv += ["--format", rng.choice(["latex", "markdown", "pdf", ""])]
        if _maybe(rng, 0.5):
            argv += ["-o", pools.output_target(rng, folder)]
        if _maybe(rng, 0.1):
            argv.append("--standalone")
    elif command == "graph":
        argv = ["graph", rng.choice(pools.GRAPH_EXPRESSIONS), "--at",
                rng.choice(pools.GRAPH_VALUES)]
        if _maybe(rng, 0.4):
            argv += ["--format", rng.choice(["text", "json", "dot", "latex", "svg"])]
    elif command == "grade":
        name = rng.choice(pools.FILE_NAMES)
        path = _write(folder, name, pools.user_file(rng, "grade"))
        target = rng.choice([path, name, os.path.splitext(name)[0]])
        function = rng.choice(["gradients"] * 6 + ["", "nope", "1bad", "gradients:x", "np"])
        argv = ["grade", f"{target}:{function}",
                *(_network_options(rng) if _maybe(rng, 0.3) else ["--layers", "2,3,2"]),
                *seed, *json_flag, "--timeout", _value(rng, ["5", "2"], share=0.2)]
        for option, values in (("--random", ["2"]), ("--rtol", ["1e-6"]), ("--lambd", ["0.1"]),
                               ("--returns", ["W1,b1,W2,b2"]), ("--names", ["W1=w1"]),
                               ("--grad-names", ["W1=dW1"]), ("--max-width", ["3"])):
            if _maybe(rng, 0.1):
                argv += [option, _value(rng, values, pools.NUMBERS + pools.WORDS, 0.5)]
        for flag in ("--labels", "--fixed-widths", "--vary-depth"):
            if _maybe(rng, 0.05):
                argv.append(flag)
    elif command == "grade-layers":
        name = rng.choice(pools.FILE_NAMES)
        path = _write(folder, name, pools.user_file(rng, "layers"))
        target = rng.choice([path, path, name, os.path.splitext(name)[0], folder, "/dev/null",
                             path + ":relu_backward"])
        if _maybe(rng, 0.05):
            fifo = os.path.join(folder, "fifo.py")
            os.mkfifo(fifo)
            target = fifo
        if _maybe(rng, 0.05):
            link = os.path.join(folder, "link.py")
            os.symlink(path, link)
            target = link
        argv = ["grade-layers", target, "--random", _value(rng, ["2", "3"], share=0.2), *seed,
                *json_flag]
        if _maybe(rng, 0.2):
            argv += ["--only", rng.choice(["relu", "affine", "relu_backward", "nope", ",", ""])]
        if _maybe(rng, 0.2):
            argv += ["--config", _layer_config(rng, LAYERS["affine"]) or "N=1"]
    else:
        return {"api": draw_api_call(rng)}
    return {"argv": _repeat(rng, argv), "files": dict(_WRITTEN)}


def every_body(folder_of) -> list:
    """``--bodies``: every body, top and mutation of :mod:`fuzz_inputs` once,
    for grade-layers (relu and affine) and grade: ``(command, case)`` pairs;
    ``folder_of()`` makes each case's folder."""
    rng = random.Random(0)
    cases = []
    parts = [("body", body) for body in pools.BODIES] + \
        [("top", top) for top in pools.TOPS if top] + \
        [("mutate", mutate) for mutate in pools._MUTATIONS if mutate]
    for what, text in parts:
        for kind in ("relu", "affine", "grade"):
            given = {"body": "return {right}", "top": "", "mutate": ""} | {what: text}
            folder = folder_of()
            _WRITTEN.clear()
            path = _write(folder, "user.py", pools.user_file(rng, kind, **given))
            argv = ["grade", f"{path}:gradients", "--layers", "2,3,2", "--timeout", "5"] \
                if kind == "grade" else ["grade-layers", path, "--random", "3"]
            cases.append((argv[0], folder, {"argv": argv, "files": dict(_WRITTEN)}))
    return cases


def every_probe(folder_of) -> list:
    """``--probes``: each of :data:`fuzz_inputs.PROBES` once: ``(command, folder, case)``."""
    rng = random.Random(0)
    cases = []
    for argv, body in pools.PROBES:
        folder = folder_of()
        _WRITTEN.clear()
        grade = argv[0] == "grade"
        path = _write(folder, "user.py", pools.user_file(
            rng, "grade" if grade else "relu", body=body, top="", mutate="")) if body else None
        fifo = os.path.join(folder, "pipe.py")
        os.mkfifo(fifo)
        argv = [word.replace("{file}", path or "").replace("{fifo}", fifo) for word in argv]
        cases.append((argv[0], folder, {"argv": argv, "files": dict(_WRITTEN)}))
    return cases


def draw_api_call(rng) -> list:
    """``[function name, args]`` of a public API call with hostile arguments,
    kept as plain data (repr'd in the report)."""
    hostile = [None, -1, 0, 10**30, float("nan"), float("inf"), "x" * 100_000, [], {}, [2, 2],
               [2, -1], [10**6, 10**6], "2,2", 2.5, True, object, b"\xff", [[2]], (2, 2)]
    choice = rng.choice(["Network", "verify", "graph", "SizedLayer.of", "verify_layer",
                         "derive_layer", "derive", "load_claims", "backprop",
                         "finite_differences", "grade_layers", "sample", "gradient"])
    if choice == "Network":
        fields = {k: rng.choice(hostile + pools.WORDS[:6]) for k in rng.sample(
            ["layers", "hidden", "output", "loss", "batch", "reduction", "layout", "bias",
             "targets", "l2"], rng.randint(1, 4))}
        fields.setdefault("layers", rng.choice([[2, 2], [2, 3, 2]] + hostile))
        return [choice, fields]
    if choice in ("verify", "derive", "backprop", "finite_differences", "sample", "gradient"):
        return [choice, {"formula": rng.choice(pools.NETWORK_FORMULAS),
                         "layers": rng.choice([[2, 2], [2, 3, 2], [1, 1]] + hostile),
                         "seed": rng.choice([0, 1, -1, 2**70, None, float("nan"), "0"]),
                         "point": rng.choice(["good", "nan", "wrong_shape", "object", "empty",
                                              "int", "extra_key", None, "list"])}]
    if choice == "graph":
        return [choice, {"expression": rng.choice(pools.GRAPH_EXPRESSIONS),
                         "values": {"x": rng.choice([1.0, 0.5, float("nan"), 10**400 if False
                                                     else 1e300, "1", None, 10**30]),
                                    "y": rng.choice([2.0, 1e12, -1.0, 0])}}]
    if choice in ("SizedLayer.of", "verify_layer", "derive_layer"):
        from symbp.layers.formulas import FORMULA_LAYERS
        return [choice, {"name": rng.choice(list(FORMULA_LAYERS) + hostile[:8]),
                         "given": {rng.choice(["N", "D", "eps", "p", "C", "M", "lambda", "zz"]):
                                   rng.choice(hostile + [1, 2, 4, 1e-5]) for _ in
                                   range(rng.randint(0, 2))},
                         "formula": rng.choice(pools.LAYER_FORMULAS + hostile[:8])}]
    if choice == "load_claims":
        return [choice, {"text": pools.claims_file(rng).decode("utf-8", "replace"),
                         "path": rng.choice(["file", "/dev/null", "/", "/nonexistent", None, 3])}]
    return [choice, {"target": rng.choice(["/dev/null", "/", "", None, 3, "nonexistent.py",
                                           "os", "numpy", "symbp"]),
                     "random": rng.choice([1, -1, 10**12, float("nan"), "2", None])}]


def run_api_call(call, folder: str):
    """Make the call ``draw_api_call`` described (in the case's process)."""
    import numpy as np

    import symbp
    name, spec = call
    if name == "Network":
        return symbp.Network(**spec)
    if name in ("verify", "derive", "backprop", "finite_differences", "sample", "gradient"):
        net = symbp.Network(layers=spec["layers"])
        if name == "verify":
            return symbp.verify(spec["formula"], net)
        if name == "derive":
            return symbp.derive(net)
        if name == "sample":
            return net.sample(seed=spec["seed"])
        point = net.sample(seed=0)
        kind = spec["point"]
        if kind == "nan":
            point["x"] = np.full_like(point["x"], np.nan)
        elif kind == "wrong_shape":
            point["W1"] = np.zeros((7, 7))
        elif kind == "object":
            point["x"] = point["x"].astype(object)
        elif kind == "empty":
            point = {}
        elif kind == "int":
            point["x"] = point["x"].astype(int)
        elif kind == "extra_key":
            point["Q"] = 1
        elif kind == "list":
            point = {k: v.tolist() for k, v in point.items()}
        elif kind is None:
            point = None
        if name == "gradient":
            return net.gradient(point)
        function = {"backprop": symbp.backprop, "finite_differences": symbp.finite_differences}
        return function[name](net, point)
    if name == "graph":
        return symbp.graph(spec["expression"], **spec["values"])
    if name in ("SizedLayer.of", "verify_layer", "derive_layer"):
        sized = symbp.SizedLayer.of(spec["name"], **spec["given"])
        if name == "verify_layer":
            return symbp.verify_layer(spec["formula"], sized)
        if name == "derive_layer":
            return symbp.derive_layer(sized)
        return sized
    if name == "load_claims":
        path = spec["path"]
        if path == "file":
            path = os.path.join(folder, "claims.toml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(spec["text"])
        return symbp.load_claims(path)
    return symbp.grade_layers(spec["target"], random=spec["random"])


# -- running cases ---------------------------------------------------------------------

def _in_child(case, folder, memory_gib, result_path):
    """The case's own process: run it, write ``{status, stderr, error}``."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_gib * 1024**3, memory_gib * 1024**3))
    os.chdir(folder)
    record = {"status": None, "stderr": "", "error": None}
    out, err = io.StringIO(), io.StringIO()
    try:
        if "api" in case:
            from symbp.errors import SymbpError
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    run_api_call(case["api"], folder)
                record["status"] = 0
            except SymbpError as error:
                record["status"] = 2
                err.write(str(error) + "\n")
        else:
            from symbp.cli.main import main
            record["status"] = main(case["argv"], stdout=out, stderr=err)
    except BaseException as raised:  # noqa: BLE001  (what the fuzz looks for)
        record["error"] = "".join(traceback.format_exception(raised))[-3000:]
    record["stderr"] = err.getvalue()[-3000:]
    with open(result_path, "w") as handle:
        json.dump(record, handle)
    os._exit(0)


def run_case(case, folder, limit, memory_gib, subprocess_run: bool) -> dict:
    # an argument over the kernel's 128 KiB per argument cannot start a process
    if subprocess_run and "argv" in case and max(map(len, case["argv"])) < 100_000:
        return _run_subprocess(case, folder, limit, memory_gib)
    result_path = os.path.join(folder, ".fuzz-result.json")
    start = time.monotonic()
    child = os.fork()
    if child == 0:
        try:
            os.setsid()      # the case and whatever it starts: one session to find
            _in_child(case, folder, memory_gib, result_path)
        finally:
            os._exit(99)
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > limit:
            _kill_session(child)
            os.waitpid(child, 0)
            return {"class": "hang", "seconds": limit}
        time.sleep(0.05)
    seconds = time.monotonic() - start
    time.sleep(0.1)
    if _kill_session(child):     # something the case started outlived it
        return {"class": "stray", "detail": "a process the run started outlived it",
                "seconds": seconds}
    try:
        with open(result_path) as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {"class": "exit", "detail": f"the case's process ended ({status}) with no result",
                "seconds": seconds}
    return dict(_judge(record["status"], record["stderr"], record["error"]), seconds=seconds)


def _kill_session(session: int) -> int:
    """Kill every live process of ``session`` (zombies no init reaps are
    dead already); how many there were."""
    alive = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":      # fields: state, ppid, pgrp, session
            alive += 1
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)
    return alive


def _run_subprocess(case, folder, limit, memory_gib) -> dict:
    start = time.monotonic()
    env = dict(os.environ, PYTHONPATH=ROOT)
    # -P: the working directory is not put on sys.path, as for the `symbp`
    # command (`python -m symbp` in a folder holding a user's symbp.py runs it)
    process = subprocess.Popen([sys.executable, "-P", "-m", "symbp", *case["argv"]], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    with contextlib.suppress(OSError):
        resource.prlimit(process.pid, resource.RLIMIT_AS, (memory_gib * 1024**3,) * 2)
    try:
        _, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_session(process.pid)
        process.communicate()
        return {"class": "hang", "seconds": limit}
    seconds = time.monotonic() - start
    time.sleep(0.1)
    if _kill_session(process.pid):
        return {"class": "stray", "detail": "a process the run started outlived it",
                "seconds": seconds}
    stderr = err.decode("utf-8", "replace")
    return dict(_judge(process.returncode, stderr, None), seconds=seconds)


def _judge(status, stderr, error) -> dict:
    if error is not None or "Traceback (most recent call last)" in stderr:
        return {"class": "traceback", "detail": error or stderr}
    if status not in OK_STATUSES:
        return {"class": "exit", "detail": f"exit status {status}: {stderr[-500:]}"}
    lines = stderr.strip().splitlines()
    if status == 2 and len(lines) != 1:
        return {"class": "sentence", "detail": stderr[-1000:]}
    if status in (0, 1) and lines:
        return {"class": "noise", "detail": stderr[-1000:]}
    return {"class": "ok", "status": status}


def _short(case) -> str:
    text = repr(case.get("argv") or case.get("api"))
    return text if len(text) < 600 else text[:300] + " ... " + text[-200:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="comma-separated: " + ",".join(COMMANDS))
    parser.add_argument("--limit", type=float, default=90.0, help="seconds per case")
    parser.add_argument("--memory", type=int, default=6, help="GiB of address space per case")
    parser.add_argument("--subprocess", type=float, default=0.03,
                        help="share of command-line cases run as real processes")
    parser.add_argument("--show", type=int, default=3)
    parser.add_argument("--json", help="write every bad case to this file")
    parser.add_argument("--bodies", action="store_true",
                        help="instead of random cases: every user-code body once (grade, "
                             "grade-layers)")
    parser.add_argument("--probes", action="store_true",
                        help="instead of random cases: each hostile input tried by hand once")
    options = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("SYMBP_CACHE_DIR", tempfile.mkdtemp(prefix="symbp-fuzz-cache-"))
    # symbp's own imports happen here, once: every case forks from this process
    import numpy  # noqa: F401
    import sympy  # noqa: F401

    import symbp.cli.main
    import symbp.layers
    import symbp.layers.formulas  # noqa: F401
    commands = options.only.split(",") if options.only else COMMANDS
    rng = random.Random(options.seed)
    counts: dict[str, int] = {}
    bad: dict[str, list] = {}
    started = time.monotonic()
    def make_folder():
        return tempfile.mkdtemp(prefix="symbp-fuzz-")
    listed = every_body(make_folder) if options.bodies else \
        every_probe(make_folder) if options.probes else None
    total = len(listed) if listed else options.cases
    for number in range(total):
        if listed:
            command, folder, case = listed[number]
        else:
            command = rng.choice(commands)
            folder = tempfile.mkdtemp(prefix="symbp-fuzz-")
            case = draw_case(rng, command, folder)
        # users' code may take the import's own limit (60 s) before a call's
        limit = options.limit + (60 if command.startswith("grade") else 0)
        outcome = run_case(case, folder, limit, options.memory,
                           rng.random() < options.subprocess)
        for root, dirs, _ in os.walk(folder):     # read-only folders the case made
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(folder, ignore_errors=True)
        kind = outcome["class"]
        counts[kind] = counts.get(kind, 0) + 1
        if kind != "ok":
            bad.setdefault(kind, []).append({"case": _short(case), "command": command,
                                             "files": case.get("files", {}),
                                             "detail": outcome.get("detail", ""),
                                             "seconds": outcome.get("seconds")})
            print(f"[{number}] {kind} ({command}, {outcome.get('seconds', 0):.1f} s): "
                  f"{_short(case)[:200]}", file=sys.stderr, flush=True)
    what = "every user-code body" if options.bodies else "every probe" if options.probes \
        else f"seed {options.seed}, commands " + ",".join(commands)
    print(f"{total} cases in {time.monotonic() - started:.0f} s ({what})")
    for kind in sorted(counts):
        print(f"  {kind}: {counts[kind]}")
    for kind, cases in bad.items():
        print(f"\n== {kind} ({len(cases)})")
        for item in cases[:options.show]:
            print(f"- {item['command']}: {item['case']}\n  {item['detail'][-800:]}")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump(bad, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
