"""The console script's first code (``symbp`` and ``python -m symbp``).

It only installs a Ctrl-C handler before anything else is imported: a
Ctrl-C while symbp is still starting (importing NumPy takes a few hundred
milliseconds on a busy machine) ends the run with the same one line and
exit 130 as one during the work, never a traceback from inside an import.
:func:`symbp.cli.main.console_main` then runs the command in a supervised
child (:mod:`symbp.cli.supervisor`), which installs its own handler.
"""

import os
import signal
import sys


def _interrupted_while_starting(_signum, _frame):
    sys.stderr.write("interrupted.\n")
    sys.stderr.flush()
    os._exit(130)   # nothing has started that needs cleaning up


def console_main():
    r"""What ``symbp`` and ``python -m symbp`` run (module doc).

    >>> import subprocess, sys, symbp
    >>> done = subprocess.run([sys.executable, "-m", "symbp", "--version"],
    ...                       capture_output=True, text=True)
    >>> done.returncode, done.stdout == f"symbp {symbp.__version__}\n"
    (0, True)
    """
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    from symbp.cli.main import console_main as run_command
    run_command()
