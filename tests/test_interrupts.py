"""Ctrl-C ends any run within a second with one line and exit 130, even
inside a native call that Python's own signal handling cannot interrupt; a
process that dies of a signal is one sentence (real subprocesses)."""

import signal
import subprocess
import sys
import time

import pytest

# `symbp check` whose work is a SymEngine expansion of a minute or more:
# native code that holds the interpreter and never looks at signals
NATIVE = """
import sys
import symengine
import symbp.cli.check

def expand_for_minutes(_args, _io):
    names = symengine.symbols("x0:12")
    symengine.expand(sum(names) ** 14)
    return 0

symbp.cli.check.run = expand_for_minutes
sys.argv = ["symbp", "check", "--layers", "2,2"]
from symbp.cli.main import console_main
console_main()
"""


def interrupt_after(command, seconds):
    """Start ``command``, send SIGINT after ``seconds``; (status, stderr, time to exit)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(seconds)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    return process.returncode, err, time.monotonic() - sent


def test_ctrl_c_inside_a_native_call_ends_the_run_within_a_second():
    status, err, took = interrupt_after([sys.executable, "-c", NATIVE], 2.0)
    assert (status, err) == (130, "interrupted.\n")
    assert took < 1.5


def test_ctrl_c_during_a_real_run_is_one_line_and_exit_130():
    status, err, took = interrupt_after(
        [sys.executable, "-m", "symbp", "verify", "--formula",
         "delta[L] = da[L] * sigma_prime(z[L])",
         "--layers", "2,3,2", "--random", "1000"], 2.5)
    assert (status, err) == (130, "interrupted.\n")
    assert took < 1.5


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(") ", 1)[1][0] != "Z"    # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_work_ends_when_symbp_is_killed():
    # a test runner's timeout kills symbp with SIGKILL: its worker must not run on
    process = subprocess.Popen([sys.executable, "-c", NATIVE])
    time.sleep(1.5)
    with open(f"/proc/{process.pid}/task/{process.pid}/children") as listing:
        (worker,) = map(int, listing.read().split())
    assert running(worker)
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(worker)


def test_a_worker_killed_by_a_signal_is_one_sentence():
    script = ("import os, signal, sys\n"
              "from symbp.cli.supervisor import run_supervised\n"
              "sys.exit(run_supervised(lambda: os.kill(os.getpid(), signal.SIGKILL)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 128 + signal.SIGKILL
    assert done.stderr == ("symbp stopped: its process was ended by signal 9 (SIGKILL), "
                           "perhaps by the system running out of memory.\n")
