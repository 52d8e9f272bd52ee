"""The user's code as symbp meets it: saying what it raised and where,
calling it (by its course's convention, watching what it changes) and
turning what it returned into plain data (loading it:
:mod:`symbp.grading.user_module`).

These run in the child process of :mod:`symbp.grading.sandbox` (calling,
converting) or in the parent (describing exceptions of in-process calls).

>>> describe_exception(ZeroDivisionError("division by zero"))
('ZeroDivisionError: division by zero', None)
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symbp.errors import SymbpError
from symbp.limits import MEMORY_LIMIT


class UserCodeError(SymbpError):
    """The user's module cannot be loaded (no such file, not Python, it raised on import).

    >>> error = UserCodeError("importing 'mine.py' failed: ZeroDivisionError: division by zero")
    >>> str(error), error.exit_code
    ("importing 'mine.py' failed: ZeroDivisionError: division by zero.", 2)
    """


@dataclass(frozen=True)
class UserError:
    """What went wrong in the user's code: ``kind`` is ``raised`` (an
    exception, ``what`` is "Type: message"), ``exited`` (the process ended)
    or ``timeout``; ``where`` is the user's file:line when known.

    >>> str(UserError("raised", "ValueError: bad shape", "mine.py:3"))
    'ValueError: bad shape at mine.py:3'
    """

    kind: str
    what: str
    where: str | None = None

    def __str__(self):
        return self.what + (f" at {self.where}" if self.where else "")


@dataclass(frozen=True)
class Outcome:
    """One call's result: its ``value`` (None when it failed), the ``error``
    (None when it did not) and the ``output`` the user's code printed.

    >>> import pathlib, tempfile
    >>> from symbp.grading.sandbox import UserProcess
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "user.py"
    >>> _ = path.write_text("def loud(v):\\n    print('working')\\n    return 1 / v\\n")
    >>> with UserProcess(path) as user:
    ...     user.call(call_named, "loud", 0)  # doctest: +ELLIPSIS
    Outcome(value=None, error=UserError(kind='raised', what='ZeroDivisionError: division by zero', where='...user.py:3'), output='working\\n')
    """

    value: object
    error: UserError | None
    output: str = ""


def describe_exception(raised: BaseException) -> tuple[str, str | None]:
    """What the user's code raised ('Type: message') and where ('file:line'):
    the last frame of the traceback that is neither symbp's, nor the standard
    library's, nor an installed package's (numpy's, torch's).

    >>> describe_exception(ValueError("bad shape"))
    ('ValueError: bad shape', None)
    """
    frames = traceback.extract_tb(raised.__traceback__)
    user = [f for f in frames if not _library_file(f.filename)]
    try:
        message = str(raised).strip().splitlines()[0] if str(raised).strip() else ""
    except Exception:  # noqa: BLE001  (a user exception whose __str__ raises)
        message = ""
    what = f"{type(raised).__name__}: {message}" if message else type(raised).__name__
    if isinstance(raised, SyntaxError) and raised.filename:
        return f"{type(raised).__name__}: {raised.msg}", f"{_short(raised.filename)}:{raised.lineno}"
    return what, (f"{_short(user[-1].filename)}:{user[-1].lineno}" if user else None)


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    symbp_root = Path(__file__).resolve().parent.parent
    roots.update({os.path.dirname(np.__file__), str(symbp_root)})
    return tuple(root.rstrip(os.sep) + os.sep for root in roots)


def _library_file(filename: str) -> bool:
    # frames in installed packages (numpy, torch), the standard library and
    # symbp are not where the user's slip is: report the last frame before them
    return filename.startswith((*_library_roots(), "<"))


def _short(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


@dataclass(frozen=True)
class Unreadable:
    """Stands for a value of the user's that is not plain data (an object of
    a class from the user's module, say): ``kind`` names its type, ``reason``
    says why it was not converted.

    >>> plain(np.array([object()]))
    Unreadable(kind='ndarray', reason='an array of Python objects, not of numbers')
    """

    kind: str
    reason: str = ""


_MAX_NESTING = 20
# What the child sends back is bounded, all its arrays together: a gradient
# symbp asks for fits the network's memory budget (symbp.limits, 1 GiB of
# float64); more would be copied through the pipe into symbp's own memory.
MAX_RETURNED_ENTRIES = MEMORY_LIMIT // 8


def plain(value, depth: int = 0, budget: list | None = None):
    """The user's value as plain data the parent can read without the user's
    module: dicts, lists, tuples, NumPy arrays and scalars, Python numbers
    and strings; anything with ``__array__`` becomes an array; any other
    object an :class:`Unreadable`, and so is whatever goes past
    ``MAX_RETURNED_ENTRIES`` entries (``budget``: what is left of them).
    Runs in the child.

    >>> plain({"W1": [1.0, 2.0], "note": object()})["note"].kind
    'object'
    """
    budget = [MAX_RETURNED_ENTRIES] if budget is None else budget
    if depth > _MAX_NESTING:
        return Unreadable(type(value).__name__, "nested too deeply")
    if isinstance(value, (str, bytes, list, tuple, Mapping)):
        budget[0] -= _length(value)
        if budget[0] < 0:
            return Unreadable(type(value).__name__, _over())
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic,
                                           Unreadable)):
        return value
    if type(value) is np.ndarray:
        return _plain_array(value, budget)
    try:
        if isinstance(value, Mapping):
            return {plain(key, depth + 1, budget): plain(item, depth + 1, budget)
                    for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            items = [plain(item, depth + 1, budget) for item in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
            return _plain_array(np.array(value), budget)
    except Exception as raised:  # noqa: BLE001  (a user object whose access raises)
        what, _ = describe_exception(raised)
        return Unreadable(type(value).__name__, f"reading it raised {what}")
    return Unreadable(type(value).__name__)


def _over() -> str:
    return f"more than the {MAX_RETURNED_ENTRIES:,} entries symbp reads back"


def _length(value) -> int:
    try:
        return len(value)
    except Exception:  # noqa: BLE001  (a user mapping whose len raises)
        return 0


def _plain_array(array: np.ndarray, budget: list):
    # an array of Python objects may hold the user's own: not plain data
    if array.dtype.hasobject:
        return Unreadable("ndarray", "an array of Python objects, not of numbers")
    budget[0] -= array.size
    if budget[0] < 0:
        return Unreadable("ndarray", f"{array.size:,} entries, {_over()}")
    return array


def named(module, name: str):
    """``module.name``, where ``name`` may be ``Class.method`` (a model's
    method: Nielsen's ``network.py:Network.backprop``).

    >>> import types
    >>> module = types.SimpleNamespace(Net=type("Net", (), {"backprop": lambda self, x, y: x}))
    >>> named(module, "Net.backprop").__name__
    '<lambda>'
    """
    found = module
    for part in name.split("."):
        found = getattr(found, part)
    return found


def call_named(module, name: str, *args):
    """``module.name(*args)`` as plain data: the simplest function to send to
    :meth:`UserProcess.call`.

    >>> import math
    >>> call_named(math, "hypot", 3, 4)
    5.0
    """
    return plain(named(module, name)(*args))


def call_watched(function, params: dict, x, y, extras: dict | None = None) -> tuple:
    """``function(params, x, y)`` (or as its course calls it:
    :mod:`symbp.grading.conventions`, ``extras`` the network's ``l2``) as
    plain data, and the inputs it changed in
    place (``["params['W1']", "x"]``): the caller passes copies, so what the
    function does to them cannot reach anything else, but it is reported.

    >>> def sloppy(params, x, y):
    ...     params["W1"] -= 1.0
    ...     return {"W1": params["W1"]}
    >>> call_watched(sloppy, {"W1": np.zeros((1, 1))}, np.ones((1, 1)), np.ones((1, 1)))[1]
    ["params['W1']"]
    """
    before = ({key: np.array(value, copy=True) for key, value in params.items()},
              np.array(x, copy=True), np.array(y, copy=True))
    from symbp.grading.conventions import adapt
    value = adapt(function, extras)(params, x, y)   # Ng's cache, a model class: as the course
    return plain(value), _changed(before, params, x, y)


@contextmanager
def numpy_restored(replaced: list | None = None):
    """Put back whatever the code run inside replaced in NumPy's namespaces
    (``np.abs = ...``, ``np.random.randn = ...``), naming each in
    ``replaced``: for the calls that run in symbp's own process (the Python
    API: symbp's truth and comparison use NumPy after them), and around the
    import of a user's module (the nnfs book's ``nnfs.init()`` makes
    ``np.dot`` return float32, which would be graded as float64 code off by
    float32's rounding).

    >>> replaced = []
    >>> with numpy_restored(replaced):
    ...     np.abs = None
    >>> int(np.abs(-1)), replaced
    (1, ['numpy.abs'])
    """
    saved = {namespace: dict(vars(namespace)) for namespace in (np, np.random)}
    try:
        yield
    finally:
        for namespace, names in saved.items():
            for name, value in names.items():
                if vars(namespace).get(name) is not value:
                    setattr(namespace, name, value)
                    if replaced is not None:
                        replaced.append(f"{namespace.__name__}.{name}")


def restored_note(replaced: list[str]) -> list[str]:
    """The report's note for NumPy names a module replaced as it was imported.

    >>> restored_note(["numpy.dot", "numpy.zeros"])
    ["the file replaced numpy.dot, numpy.zeros as it was imported (nnfs.init() does): graded with NumPy's own"]
    """
    if not replaced:
        return []
    names = ", ".join(replaced)
    note = (f"the file replaced {names} as it was imported (nnfs.init() does): graded with "
            "NumPy's own")
    return [note]


def call_named_watched(module, name: str, params: dict, x, y, extras=None) -> tuple:
    """:func:`call_watched` of ``module.name``: what the child runs for ``grade``.

    >>> import types
    >>> def centred(params, x, y):
    ...     x -= x.mean()          # in place: the caller's x changes
    ...     return {"W1": x}
    >>> module = types.SimpleNamespace(centred=centred)
    >>> call_named_watched(module, "centred", {}, np.array([[1.0, 3.0]]), np.ones((1, 2)))
    ({'W1': array([[-1.,  1.]])}, ['x'])
    """
    return call_watched(named(module, name), params, x, y, extras)


def describe_named(module, name: str) -> dict:
    """How ``module.name`` is called (:func:`symbp.grading.conventions.describe`).

    >>> import types
    >>> describe_named(types.SimpleNamespace(grads=lambda params, x, y: {}), "grads")["kind"]
    'plain'
    """
    from symbp.grading.conventions import describe
    try:
        found = named(module, name)
    except AttributeError:   # Class.method with no such method (the class was found)
        owner, _, method = name.rpartition(".")
        return {"kind": "unknown", "note": None, "takes": [],
                "problem": f"the class {owner} has no {method!r}; check the method's name"}
    return describe(found)


def _changed(before, params, x, y) -> list[str]:
    old_params, old_x, old_y = before
    changed = []
    for key, old in old_params.items():
        try:
            same = key in params and np.array_equal(np.asarray(params[key]), old, equal_nan=True)
        except Exception:  # noqa: BLE001  (whatever the function put there)
            same = False
        if not same:
            changed.append(f"params[{key!r}]")
    if set(params) - set(old_params):
        changed.append("params (keys added)")
    for label, new, old in (("x", x, old_x), ("y", y, old_y)):
        if not np.array_equal(new, old, equal_nan=True):
            changed.append(label)
    return changed
