"""Child processes that end with their parent.

symbp runs work in forked children: the command in a supervised child
(:mod:`symbp.cli.supervisor`) and users' code in a sandbox child
(:mod:`symbp.grading.sandbox`).  A child must not outlive the process that
waits for it (killed, say, by a test's timeout or kill -9): on Linux the
kernel ends it then (``PR_SET_PDEATHSIG``); elsewhere this is best effort.

>>> import os
>>> die_with_parent(os.getppid())   # this process's parent is alive: nothing happens
"""

from __future__ import annotations

import contextlib
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, exit_code: int = 130):
    """Ask the kernel to kill this process when its parent ends; if the
    parent (pid ``parent``) has ended already, exit now with ``exit_code``."""
    with contextlib.suppress(Exception):        # Linux only; elsewhere best effort
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(exit_code)
