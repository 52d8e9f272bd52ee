"""Users' code run apart from symbp: a forked child process per user module.

``symbp grade`` and ``symbp grade-layers`` call functions from a user's file.
That code may do anything: loop forever, end the process (``os._exit``),
raise ``BaseException`` subclasses, close stdout, print into a ``--json``
document, or patch NumPy (``np.abs = ...``) so that symbp's own checks would
run through the patch.  So the user's module is imported only in a child
process, forked once symbp's own imports are done; the parent computes the
truth and compares, and only ever receives plain values back:

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "user.py").write_text("def double(v):\\n    print('hi')\\n    return 2 * v\\n")
>>> with UserProcess(folder / "user.py") as user:
...     outcome = user.call(call_named, "double", 21)
...     (outcome.value, outcome.error, outcome.output)
(42, None, 'hi\\n')

In the child, packages a course file imports only to plot or load data
(matplotlib, PIL, ``past.builtins``...) get stand-ins where they are not
installed (:mod:`symbp.grading.stand_ins`; ``stand_ins`` lists them).
In the child the user's folder is on ``sys.path`` (course files import their
siblings), placed there after symbp's own imports, so a ``hypothesis.py``
beside the user's file cannot replace the library symbp uses.  Each call has
a time limit; a child that ends, hangs or is killed is reported as an
:class:`UserError` of kind ``exited`` or ``timeout`` and a new child is
started for the next call.  Python-level output (``print``) is captured and
returned with each call; output written below Python (C libraries writing to
file descriptor 1 or 2) goes to ``/dev/null`` rather than into symbp's report.

Where ``fork`` does not exist (Windows), calls run in this process, with the
same outcomes except that ``os._exit`` and time limits cannot be caught.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import sys
import time
from typing import Self

from symbp.grading import stand_ins
from symbp.grading.user_code import (
    Outcome,
    UserCodeError,
    UserError,
    call_named,
    call_named_watched,
    describe_exception,
    describe_named,
    numpy_restored,
    restored_note,
)
from symbp.grading.user_module import check_target, import_failure, import_user_module
from symbp.processes import die_with_parent

DEFAULT_TIMEOUT = 60.0   # seconds a call (or the import) may take; code as people write it needs ms
# seconds each call of a layer's code may take (grade-layers): at symbp's
# sizes (at most 600 entries) even a naive convolution in loops takes
# milliseconds; a layer past it is an error, reported once, never shrunk
# (each try would cost the limit again)
LAYER_TIMEOUT = 10.0
_POLL = 0.05             # how often the parent looks at the child: Ctrl-C reaches it in this time


# characters of the user's printed output kept per call: the report shows 20
# lines and --json all of it, but print("x" * 10**9) must not reach symbp whole
MAX_OUTPUT = 1_000_000


class _Capture(io.StringIO):
    """The user's print() output, its first ``MAX_OUTPUT`` characters (a note
    says how many more were printed); closing it (sys.stdout.close()) is ignored."""

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def write(self, text) -> int:
        text = str(text)
        room = max(MAX_OUTPUT - self.tell(), 0)
        self.dropped += max(len(text) - room, 0)
        super().write(text[:room])
        return len(text)

    def close(self):
        pass

    def kept(self) -> str:
        more = f"\n[... {self.dropped:,} more characters printed, not kept]\n" \
            if self.dropped else ""
        return self.getvalue() + more


def _names_of(module) -> dict[str, str]:
    """``{name: kind}``: ``function``, ``class``, ``imported function``,
    ``imported class`` (defined in another module: the book's
    ``from common.functions import *`` brings a ``softmax_loss`` that is not
    cs231n's) or ``other``."""
    kinds = {}
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        kind = "class" if isinstance(value, type) else "function" if callable(value) else "other"
        if kind != "other" and getattr(value, "__module__", module.__name__) != module.__name__:
            kind = f"imported {kind}"
        kinds[name] = kind
    return kinds


def _run_one(module, function, args) -> tuple:
    capture = _Capture()
    sys.stdout = sys.stderr = capture
    me = os.getpid()
    try:
        # symbp's own function: it makes the user's values plain data itself
        value, error = function(module, *args), None
    except BaseException as raised:  # noqa: BLE001  (GeneratorExit, SystemExit, KeyboardInterrupt...)
        value, error = None, UserError("raised", *describe_exception(raised))
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if os.getpid() != me:
            # a copy the user's code forked (os.fork()): it must not answer
            # on the child's pipe too, or the replies would interleave
            os._exit(0)
    return value, error, capture.kept()


def _child(connection, target: str, parent: int):
    """The child's loop: import the module, then run each call sent.  The
    child leads a process group of its own, so that whatever the user's code
    starts (a fork, a subprocess) ends with it (``UserProcess.stop``)."""
    die_with_parent(parent, exit_code=0)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    stand_ins.install()   # packages a course file imports but symbp never needs (matplotlib...)
    replaced = []
    try:
        with numpy_restored(replaced):
            module = import_user_module(target)
        names = _names_of(module)
    except BaseException as raised:  # noqa: BLE001  (whatever the module does on import)
        connection.send(("failed", import_failure(target, raised)))
        return
    connection.send(("ready", (names, stand_ins.used(), replaced)))
    while True:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):
            return
        value, error, output = _run_one(module, function, args)
        try:
            connection.send((value, error, output))
        except Exception as unreadable:  # noqa: BLE001  (a value that does not pickle)
            connection.send((None, UserError(
                "raised", f"it returned a value symbp cannot read ({type(unreadable).__name__})"),
                output))


class UserProcess:
    """A user's module imported in a child process; see the module doc.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.py"
    >>> _ = path.write_text("import numpy as np\\ndef half(v):\\n    return v / 2\\n")
    >>> with UserProcess(path, timeout=10) as user:
    ...     user.names(), user.function("half")(3)
    ({'np': 'other', 'half': 'function'}, 1.5)
    """

    def __init__(self, target, timeout: float = DEFAULT_TIMEOUT):
        self.target = check_target(target)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
                not 0 < timeout < float("inf"):
            raise UserCodeError(f"timeout={timeout!r} is not a time limit; give a number "
                                "of seconds > 0")
        self.timeout = float(timeout)
        self._process = None
        self._connection = None
        self._names: dict[str, str] | None = None
        self.stand_ins: list[str] = []   # packages not installed, imported as stand-ins
        self.numpy_replaced: list[str] = []   # NumPy names the import replaced, put back
        self._module = None            # only where fork does not exist
        self._fork = "fork" in multiprocessing.get_all_start_methods()

    # -- life cycle ----------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        """Import the user's module (in a new child); a UserCodeError when it cannot."""
        if not self._fork:
            self._start_in_process()
            return
        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe()
        self._process = context.Process(target=_child, args=(child_end, self.target,
                                                             os.getpid()), daemon=True)
        self._process.start()
        child_end.close()
        self._connection = parent_end
        # importing may take longer than a call (a module that imports torch):
        # a short limit for calls is not one for the import
        reply = self._receive(f"importing {self.target}", max(self.timeout, DEFAULT_TIMEOUT))
        if isinstance(reply, UserError):
            self.stop()
            raise UserCodeError(f"importing {self.target!r} failed: {reply.what}")
        status, detail = reply
        if status == "failed":
            self.stop()
            raise UserCodeError(detail)
        self._names, self.stand_ins, self.numpy_replaced = detail

    def _start_in_process(self):
        try:
            with numpy_restored(self.numpy_replaced):
                self._module = import_user_module(self.target)
        except BaseException as raised:  # whatever the module does on import
            if isinstance(raised, KeyboardInterrupt):
                raise
            raise UserCodeError(import_failure(self.target, raised)) from None
        self._names = _names_of(self._module)

    @property
    def import_notes(self) -> list[str]:
        """The report's notes on how the module was imported: stand-ins for
        packages not installed, NumPy names it replaced and symbp put back."""
        return stand_ins.notes(self.stand_ins) + restored_note(self.numpy_replaced)

    def stop(self):
        """End the child (if any)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:
            with contextlib.suppress(OSError):
                # the child's group: it and anything the user's code started
                os.killpg(self._process.pid, signal.SIGKILL)
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
            self._process = None

    # -- calls ---------------------------------------------------------------------

    def function(self, name: str) -> UserFunction:
        """The user's function ``name``, to be called like a local one."""
        owner, dot, _ = name.partition(".")
        kind = self.names().get(owner)
        if kind is None:
            raise UserCodeError(f"{self.target} has no {owner!r}; check the function's name")
        if kind == "other" or dot and not kind.endswith("class"):
            raise UserCodeError(f"{self.target}: {owner!r} is not a "
                                f"{'class' if dot else 'function'}")
        return UserFunction(self, name)

    def names(self) -> dict[str, str]:
        """Every public name of the user's module: ``{name: "function" |
        "class" | "imported function" | "imported class" | "other"}``."""
        if self._names is None:
            self.start()
        return dict(self._names)

    def call(self, function, *args) -> Outcome:
        """``function(module, *args)`` run where the user's module lives; the
        function is symbp's own (module-level, so it pickles by reference)."""
        if not self._fork:
            if self._module is None:
                self._start_in_process()
            return Outcome(*_run_one(self._module, function, args))
        if self._process is None or not self._process.is_alive():
            self.stop()
            self.start()
        self._connection.send((function, args))
        reply = self._receive("the call")
        if isinstance(reply, UserError):
            self.stop()     # a child that ended or hung is replaced for the next call
            return Outcome(None, reply, "")
        return Outcome(*reply)

    def _receive(self, what: str, limit: float | None = None):
        """The child's next message, or a UserError when it ends or runs out
        of time.  Waits in short steps so that Ctrl-C reaches the parent."""
        limit = self.timeout if limit is None else limit
        deadline = time.monotonic() + limit
        try:
            while time.monotonic() < deadline:
                if self._connection.poll(_POLL):
                    try:
                        return self._connection.recv()
                    except (EOFError, OSError):
                        break
                    except Exception as unreadable:  # noqa: BLE001  (a reply that does not unpickle)
                        return UserError("raised", "it returned a value symbp cannot read "
                                                   f"({type(unreadable).__name__})")
                if not self._process.is_alive() and not self._connection.poll(0):
                    break
            else:
                return UserError("timeout", f"{what} did not finish within "
                                            f"{limit:g} s (the time limit)")
        except KeyboardInterrupt:
            self.stop()
            raise
        self._process.join(timeout=5)
        code = self._process.exitcode
        how = f"exit status {code}" if code is not None and code >= 0 else \
            f"signal {-code}" if code is not None else "an unknown cause"
        return UserError("exited", f"the process ended during {what} ({how}): the code "
                                   "ends the process, e.g. with os._exit, or crashed")


class UserCodeFailed(Exception):
    """Raised by a :class:`UserFunction` call when the user's code failed;
    ``error`` is the :class:`UserError`.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.py"
    >>> _ = path.write_text("def forever():\\n    while True:\\n        pass\\n")
    >>> with UserProcess(path, timeout=0.1) as user:
    ...     try:
    ...         user.function("forever")()
    ...     except UserCodeFailed as failed:
    ...         print(failed.error.kind, failed)
    timeout the call did not finish within 0.1 s (the time limit)
    """

    def __init__(self, error: UserError):
        super().__init__(str(error))
        self.error = error


class UserFunction:
    """A function of the user's module that runs in the child: calling it
    returns its (plain) value or raises :class:`UserCodeFailed`; what it
    printed is collected in ``output``.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.py"
    >>> _ = path.write_text("def double(v):\\n    print('doubling', v)\\n    return 2 * v\\n")
    >>> with UserProcess(path) as user:
    ...     double = user.function("double")
    ...     double(1), double(2), double.output
    (2, 4, ['doubling 1\\n', 'doubling 2\\n'])
    """

    def __init__(self, user: UserProcess, name: str):
        self.user, self.name = user, name
        self.output: list[str] = []
        self._convention = None

    def __call__(self, *args):
        return self._call(call_named, *args)

    def watched(self, params, x, y, extras=None) -> tuple:
        """``(value, inputs changed in place)`` of a call with these arguments
        (:func:`symbp.grading.user_code.call_watched`, run in the child)."""
        return self._call(call_named_watched, params, x, y, extras)

    @property
    def convention(self) -> dict:
        """How FUNC is called (:func:`symbp.grading.conventions.describe`)."""
        if self._convention is None:
            self._convention = self._call(describe_named)
        return self._convention

    def _call(self, function, *args):
        outcome = self.user.call(function, self.name, *args)
        if outcome.output:
            self.output.append(outcome.output)
        if outcome.error is not None:
            raise UserCodeFailed(outcome.error)
        return outcome.value


def split_function(spec: str) -> tuple[str, str]:
    """``MODULE:FUNC`` (MODULE a module name or a path to a .py file) as its two parts.

    >>> split_function("path/to/backprop.py:gradients")
    ('path/to/backprop.py', 'gradients')
    """
    module, sep, name = str(spec).rpartition(":")
    parts = name.split(".")
    if not sep or not module or len(parts) > 2 or not all(p.isidentifier() for p in parts):
        raise UserCodeError(f"{spec!r} is not MODULE:FUNC; expected e.g. my_backprop:gradients "
                            "or path/to/file.py:gradients")
    return module, name
