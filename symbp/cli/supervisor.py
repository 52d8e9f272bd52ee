"""Ctrl-C that always ends a run: the command works in a forked child while
this process waits for it.

Python handles a signal only between bytecodes, so Ctrl-C during a long
native call (a SymEngine expansion, a NumPy operation that holds the
interpreter) would wait for the call to return, minutes perhaps.  Here the
work runs in a child process; the parent, which only waits, always receives
the signal.  Ctrl-C reaches the child too (the terminal signals the whole
process group; a signal sent to the parent alone is passed on after
``FORWARD_AFTER`` seconds), whose own handler ends it with "interrupted." and
exit 130 as soon as it is back in Python.  A child still running
``KILL_AFTER`` seconds after Ctrl-C is stopped, and the parent says
"interrupted." and exits 130 itself.  SIGTERM and SIGHUP are passed on; a
child that dies of a signal (a crash in a native library, the kernel's
out-of-memory killer) is reported in one sentence.

Where ``fork`` does not exist (Windows) the work runs in this process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from symbp.processes import die_with_parent

FORWARD_AFTER = 0.2   # seconds: Ctrl-C sent to the parent alone is passed on to the child
KILL_AFTER = 0.8      # seconds: a child still running after Ctrl-C is stopped
_POLL = 0.02
_PASSED_ON = (signal.SIGTERM, signal.SIGHUP)
_CRASHES = (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT)


class _Interrupted(Exception):
    pass


def _raise_interrupted(_signum, _frame):
    raise _Interrupted


def run_supervised(work) -> int:
    """``work()`` (which returns an exit status) in a forked child; this
    process waits and returns the child's status (see the module doc).

    A child ended by a signal is 128 + its number (and a sentence on stderr).
    The handlers it installs here are put back after, as a test must:

    >>> handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, *_PASSED_ON)}
    >>> run_supervised(lambda: 3), run_supervised(lambda: os.kill(os.getpid(), signal.SIGKILL))
    (3, 137)
    >>> for signum, handler in handlers.items():
    ...     _ = signal.signal(signum, handler)
    """
    if not hasattr(os, "fork"):
        return work()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()          # nothing buffered is written twice
    previous = signal.signal(signal.SIGINT, _raise_interrupted)
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        _become_worker(parent, previous, work)
    for passed in _PASSED_ON:
        signal.signal(passed, lambda signum, _frame: _send(child, signum))
    try:
        try:
            _, status = os.waitpid(child, 0)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)   # one Ctrl-C is enough
    except _Interrupted:
        status = _stop(child)
    if status is None:
        _say("interrupted.")
        return 130
    return _exit_status(status)


def _become_worker(parent: int, previous_sigint, work):
    code = 70
    try:
        signal.signal(signal.SIGINT, previous_sigint)
        die_with_parent(parent)   # ends when the parent does (a test's timeout)
        code = work()
    except (KeyboardInterrupt, _Interrupted):
        _say("interrupted.")
        code = 130
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    except BaseException:  # noqa: BLE001  (printed below, as Python would)
        # a bug in symbp: reported as Python would, with its traceback
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        # exit now: the parent waits for this process, and an interrupted
        # run's clean-up of large objects could take seconds
        os._exit(code)


def _stop(child: int) -> int | None:
    """After Ctrl-C: the child's status once it ends, or None when it had to be killed."""
    start = time.monotonic()
    forwarded = False
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return status
        elapsed = time.monotonic() - start
        if elapsed > KILL_AFTER:
            _send(child, signal.SIGKILL)
            os.waitpid(child, 0)
            return None
        if elapsed > FORWARD_AFTER and not forwarded:
            _send(child, signal.SIGINT)
            forwarded = True
        time.sleep(_POLL)


def _send(child: int, signum: int):
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signum)


def _exit_status(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return code
    signum = -code
    if signum == signal.SIGINT:
        _say("interrupted.")
        return 130
    if signum in _PASSED_ON:
        # end as the child did, so that whoever sent the signal sees it
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = "unknown"
    reason = ", perhaps by the system running out of memory" if signum == signal.SIGKILL else \
        ", a crash inside a native library" if signum in _CRASHES else ""
    _say(f"symbp stopped: its process was ended by signal {signum} ({name}){reason}.")
    return 128 + signum


def _say(line: str):
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
