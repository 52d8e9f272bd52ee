"""Child processes that end with their parent.

symbp runs work in forked children: the command in a supervised child
(:mod:`symbp.cli.supervisor`) and users' code in a sandbox child
(:mod:`symbp.grading.sandbox`).  A child must not outlive the process that
waits for it (killed, say, by a test's timeout or kill -9): on Linux the
kernel ends it then (``PR_SET_PDEATHSIG``); elsewhere this is best effort.

The C function is looked up when this module is imported, in the parent:
a forked child of a process with threads must not load libraries itself
(the loader's lock may have been held by another thread at the fork).
"""

from __future__ import annotations

import contextlib
import os
import signal

_PR_SET_PDEATHSIG = 1


def _find_prctl():
    with contextlib.suppress(Exception):        # Linux only
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_PRCTL = _find_prctl()


def die_with_parent(parent: int, exit_code: int = 130):
    """Ask the kernel to kill this process when its parent ends; if the
    parent (pid ``parent``) has ended already, exit now with ``exit_code``.

    >>> die_with_parent(os.getppid())   # this process's parent is alive: nothing happens
    """
    if _PRCTL is not None:
        with contextlib.suppress(Exception):
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(exit_code)
