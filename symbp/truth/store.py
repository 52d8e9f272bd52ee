"""The NumPy code of each lemma, derived once per table entry and kept on disk.

A lemma (:mod:`symbp.truth.lemmas`) does not depend on any size, so its
code (:mod:`symbp.truth.vectorise`) is the same for every network: it is
derived by SymPy the first time an entry is used and written to a cache
folder, and later runs load it without importing SymPy (which alone costs
0.5-0.7 s).  A file is named by the entry and a digest of everything its
code follows from: the source of the tables, of the lemmas and of the
vectoriser, and SymPy's version file; it is written whole or not at all, and
its text carries its own checksum.  A missing, unreadable or read-only
folder, or a file that fails its checksum, means deriving in-process:
never an error.

The folder is ``$SYMBP_CACHE_DIR`` if set (empty: no folder), else
``$XDG_CACHE_HOME/symbp/truth`` or ``~/.cache/symbp/truth``.  The files
hold Python source that symbp wrote itself, run as a ``.pyc`` in
``__pycache__`` would be; nothing a user typed is ever run.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import tempfile
from functools import cache, lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy

_HERE = Path(__file__).resolve().parent
_SOURCES = [_HERE.parent / "tables.py", _HERE / "lemmas.py", _HERE / "vectorise.py"]
_HEADER = "# symbp truth code, sha256 of the rest: "


def folder(environ=os.environ) -> Path | None:
    """Where derived code is kept (None: nowhere), from the environment.

    >>> folder({"SYMBP_CACHE_DIR": "/tmp/symbp"}), folder({"SYMBP_CACHE_DIR": ""})
    (PosixPath('/tmp/symbp'), None)
    >>> folder({"XDG_CACHE_HOME": "/cache"})
    PosixPath('/cache/symbp/truth')
    """
    chosen = environ.get("SYMBP_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    try:
        base = environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no home folder to be found: keep nothing
        return None
    return Path(base) / "symbp" / "truth"


def _sympy_release() -> Path | None:
    # SymPy's version file, found without importing SymPy (importlib.metadata
    # alone would cost 30 ms)
    spec = importlib.util.find_spec("sympy")
    return Path(spec.origin).parent / "release.py" if spec and spec.origin else None


@lru_cache(maxsize=1)
def _digest() -> str | None:
    """What the code of every entry follows from; None if a source cannot be read."""
    h = hashlib.sha256()
    try:
        for path in [*_SOURCES, _sympy_release()]:
            h.update(path.read_bytes())
    except (OSError, TypeError):  # TypeError: no SymPy release file to read
        return None
    return h.hexdigest()[:20]


def _checked(text: str) -> str | None:
    first, _, body = text.partition("\n")
    if first != _HEADER + hashlib.sha256(body.encode()).hexdigest():
        return None
    return body


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return _checked(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _write(path: Path | None, body: str) -> None:
    if path is None:
        return
    text = _HEADER + hashlib.sha256(body.encode()).hexdigest() + "\n" + body
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:  # missing or read-only: this run derived the code, the next will too
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError:  # a full disk, say: leave no partial file behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    # the same entry's code from older sources is never read again
    stem = path.name[:-len(f"{_digest()}.py")]
    for old in path.parent.glob(f"{stem}*.py"):
        if old != path and len(old.name) == len(path.name):
            with contextlib.suppress(OSError):
                old.unlink()


def _derive(kind: str, params: tuple) -> str:
    # SymPy is imported here only: a cached entry never needs it
    from symbp.truth.lemmas import LEMMAS
    from symbp.truth.vectorise import source
    return source(LEMMAS[kind](*params))


def _path(kind: str, params: tuple) -> Path | None:
    where, digest = folder(), _digest()
    if where is None or digest is None:
        return None
    return where / f"{'-'.join([kind, *map(str, params)])}-{digest}.py"


def _compiled(body: str, path: Path | None) -> SimpleNamespace:
    namespace = {"numpy": numpy}
    # symbp's own generated code (see the module's docstring), never user text
    exec(compile(body, str(path or "<symbp truth>"), "exec"), namespace)  # noqa: S102
    return SimpleNamespace(**{k: v for k, v in namespace.items() if callable(v) and k != "numpy"})


@cache
def functions(kind: str, *params) -> SimpleNamespace:
    """The NumPy functions of one lemma: ``functions("activation", "tanh").vjp``.

    >>> f = functions("loss", "half_sse")
    >>> float(f.value(numpy.array([[1.0], [3.0]]), numpy.zeros((2, 1)), 0)[0, 0])
    5.0
    """
    path = _path(kind, params)
    body = _read(path)
    if body is not None:
        try:
            return _compiled(body, path)
        except SyntaxError:  # a file edited by hand, checksum and all: derive it again
            pass
    body = _derive(kind, params)
    _write(path, body)
    return _compiled(body, path)


def clear() -> None:
    """Forget the code loaded in this process (benchmarks time cold runs with it).

    >>> _ = functions("loss", "half_sse")
    >>> clear(); functions.cache_info().currsize
    0
    """
    functions.cache_clear()
    _digest.cache_clear()
