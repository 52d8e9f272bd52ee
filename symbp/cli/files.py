"""Files symbp writes (``-o``): whole or not at all, and never at the cost
of what is already there (a device, a symlink's target, a read-only file)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time

from symbp.cli.output import escape_controls
from symbp.errors import UsageError

# character devices symbp writes to as they are (never replaced): the null
# device and terminals (its own, and /dev/tty); any other device is refused
_USUAL_DEVICES = (os.devnull, "/dev/tty")
# how long -o waits for a named pipe's reader to open it
PIPE_READER_WAIT = 2.0


def write_atomic(path: str, data: str | bytes):
    """Write ``data`` to ``path`` whole or not at all, respecting what is there.

    A new or regular file is written to a temporary file beside it, then
    renamed over it (keeping the old file's permissions): a kill, a full disk
    or Ctrl-C leaves either the old file or the whole new one, never a part,
    and no temporary file behind (Ctrl-C included; only kill -9 can leave
    one).  A symlink is followed: its target is replaced and the link kept.
    A pipe, the null device or a terminal (``-o /dev/stdout``, ``-o
    /dev/null``) is written to as it is, never replaced; a named pipe that
    no program reads is refused (opening it would wait for ever).  A directory, another
    device or a read-only file is refused with a UsageError.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(str(path), "whole")
    >>> path.read_text()
    'whole'
    >>> write_atomic(os.devnull, "nothing happens to /dev/null")
    """
    shown = escape_controls(str(path))
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None
    if status is None or stat.S_ISREG(status.st_mode):
        if status is not None and _is_stream(path):
            # /dev/stdout, /dev/fd/1 when they are a file: the shell holds it
            # open; replacing it would lose what is written
            _write_through(path, shown, data)
            return
        _replace(path, shown, data, status)
        return
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"cannot write {shown}: it is a directory",
                         suggestion="give a file name, e.g. " + os.path.join(shown, "out.txt"))
    if stat.S_ISFIFO(status.st_mode):
        _write_to_pipe(path, shown, data)
        return
    if _usual_device(status):
        _write_through(path, shown, data)
        return
    raise UsageError(f"cannot write {shown}: it is a device, which symbp does not write to "
                     "(only files, pipes, terminals and /dev/null)")


def _is_stream(path) -> bool:
    # names of a process's open files (/dev/stdout, /dev/fd/1, /proc/self/fd/1):
    # written through, never replaced
    absolute = os.path.abspath(path)
    return absolute in ("/dev/stdout", "/dev/stderr") or \
        absolute.startswith(("/dev/fd/", "/proc/"))


def _usual_device(status) -> bool:
    if not stat.S_ISCHR(status.st_mode):
        return False
    usual = set()
    for name in _USUAL_DEVICES:
        with contextlib.suppress(OSError):
            usual.add(os.stat(name).st_rdev)
    for fd in (0, 1, 2):          # the terminal symbp itself runs on
        with contextlib.suppress(OSError):
            if os.isatty(fd):
                usual.add(os.fstat(fd).st_rdev)
    return status.st_rdev in usual


def _write_through(path, shown: str, data: str | bytes):
    try:
        with open(path, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None


def _write_to_pipe(path, shown: str, data: str | bytes):
    """A named pipe is written only while a program reads it: opening one
    that nobody reads would wait for a reader for ever.  A reader started at
    the same moment (``cat fifo & symbp ... -o fifo``) may open it a little
    later, so symbp waits up to PIPE_READER_WAIT seconds for one."""
    deadline = time.monotonic() + PIPE_READER_WAIT
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            if error.errno != errno.ENXIO:
                raise UsageError(f"cannot write {shown}: {error.strerror}") from None
            if time.monotonic() > deadline:
                raise UsageError(f"cannot write {shown}: it is a named pipe that no program "
                                 f"is reading (waited {PIPE_READER_WAIT:g} s)",
                                 suggestion="start its reader first, or give a file name") \
                    from None
            time.sleep(0.02)
    os.set_blocking(fd, True)     # the reader sets the pace from here on
    try:
        with open(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None


def _replace(path, shown: str, data: str | bytes, status):
    target = os.path.realpath(path)       # a symlink's target is replaced, the link kept
    if status is not None and (not status.st_mode & 0o222 or not os.access(target, os.W_OK)):
        raise UsageError(f"{shown} is read-only; symbp does not overwrite it",
                         suggestion="make it writable, or write to another file")
    directory = os.path.dirname(target)
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".symbp-", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600): give it the replaced file's
        # permissions, or the usual umask-based ones for a new file
        if status is not None:
            os.chmod(temporary, stat.S_IMODE(status.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise UsageError(f"cannot write {shown}: {error.strerror}") from None
    except BaseException:
        _remove(temporary)       # Ctrl-C: nothing written, nothing left behind
        raise


def _remove(path: str):
    with contextlib.suppress(OSError):
        os.unlink(path)
