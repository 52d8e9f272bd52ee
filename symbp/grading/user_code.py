"""The user's code as symbp meets it: loading a user's module, saying what
it raised and where, and turning what it returned into plain data.

These run in the child process of :mod:`symbp.grading.sandbox` (loading,
converting) or in the parent (describing exceptions of in-process calls).

>>> describe_exception(ZeroDivisionError("division by zero"))
('ZeroDivisionError: division by zero', None)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
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

    >>> error = UserCodeError(import_failure("mine.py", ZeroDivisionError("division by zero")))
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


# -- loading the user's module (in the child) --------------------------------------

def check_target(target) -> str:
    """The user's module as given, checked before any process starts: a path
    to an existing ``.py`` file, or a dotted module name.

    A module name that names a file of the working directory (``layers``
    for ``./layers.py``) is that file, even where an installed module has
    the same name.

    >>> check_target("no/such/file.py")
    Traceback (most recent call last):
    ...
    symbp.grading.user_code.UserCodeError: cannot load no/such/file.py: no such file.
    """
    if not isinstance(target, (str, os.PathLike)):
        raise UserCodeError(f"{target!r} is not a module: give a path to a .py file or a "
                            "module's name, as text")
    text = os.fspath(target)
    if not isinstance(text, str):
        raise UserCodeError(f"{target!r} is not a module: give a path to a .py file or a "
                            "module's name, as text")
    if text.endswith(".py") or os.sep in text or (os.altsep and os.altsep in text):
        if os.path.isdir(text):
            raise UserCodeError(f"cannot load {text}: it is a folder, not a Python file")
        if os.path.exists(text) and not os.path.isfile(text):
            raise UserCodeError(f"cannot load {text}: it is not a regular file (a device or "
                                "a pipe?)")
        if not os.path.isfile(text):
            raise UserCodeError(f"cannot load {text}: no such file")
        if not text.endswith(".py"):
            raise UserCodeError(f"cannot load {text}: it is not a Python file (.py)")
        return text
    if not all(part.isidentifier() for part in text.split(".")):
        raise UserCodeError(f"cannot load {text!r}: it is neither a path to a .py file nor a "
                            "module name")
    # the user's own file in the working directory comes first: `numpy` in a
    # folder holding numpy.py means that file, not the installed NumPy
    # (which symbp has imported already, so `import numpy` would return it)
    own = os.path.join(*text.split(".")) + ".py"
    return os.path.join(os.curdir, own) if os.path.isfile(own) else text


def import_user_module(target: str):
    """Import the user's file or module; the folder goes on sys.path last of
    all symbp's own imports (this runs in the child, after the fork).

    Course files import their own package: cs231n's ``layer_utils.py`` does
    ``from cs231n.layers import *`` (``from .layers import *`` since 2020),
    the book's ``common/layers.py`` does ``from common.functions import *``.
    So the folder above the file's package (the folders with an
    ``__init__.py``, else the file's own folder) goes on sys.path too, after
    everything else, and a file inside a package is imported by its dotted
    name (``cs231n.layers``), which relative imports need.

    >>> import pathlib, sys, tempfile
    >>> package = pathlib.Path(tempfile.mkdtemp()) / "symbp_doctest_course"
    >>> package.mkdir()
    >>> for name, text in {"__init__": "", "rates": "RATE = 0.1", "steps": "from .rates import *"}.items():
    ...     _ = (package / f"{name}.py").write_text(text)
    >>> module = import_user_module(str(package / "steps.py"))
    >>> module.__name__, module.RATE
    ('symbp_doctest_course.steps', 0.1)
    >>> sys.path[:] = [p for p in sys.path if not p.startswith(str(package.parent))]
    """
    if target.endswith(".py") or os.sep in target:
        path = os.path.abspath(target)
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        dotted, root = package_name(path)
        if root not in sys.path:
            sys.path.append(root)
        if dotted is not None:
            module = _import_dotted(dotted, path)
            if module is not None:
                return module
        name = os.path.splitext(os.path.basename(target))[0]
        spec = importlib.util.spec_from_file_location(name, target)
        module = importlib.util.module_from_spec(spec)
        if name not in sys.modules:   # as `import name` would: its siblings can import it
            sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return importlib.import_module(target)


def package_name(path: str) -> tuple[str | None, str]:
    """A file's dotted name inside the packages that hold it (folders with an
    ``__init__.py``), or None outside any, and the folder above the outermost
    of them (above the file's own folder when there is none).

    >>> package_name("/nowhere/cs231n/layers.py")
    (None, '/nowhere')
    """
    parts = [os.path.splitext(os.path.basename(path))[0]]
    folder = os.path.dirname(path)
    while os.path.isfile(os.path.join(folder, "__init__.py")) and \
            os.path.basename(folder).isidentifier():
        parts.insert(0, os.path.basename(folder))
        folder = os.path.dirname(folder)
    dotted = ".".join(parts) if len(parts) > 1 and all(p.isidentifier() for p in parts) else None
    return dotted, folder if dotted else os.path.dirname(folder)


def _import_dotted(dotted: str, path: str):
    """``dotted`` imported when that name leads to the file at ``path``, else
    None (a package of the same name earlier on sys.path, say); an error the
    file itself raises propagates."""
    try:
        spec = importlib.util.find_spec(dotted)
    except Exception:  # noqa: BLE001  (a package __init__ that raises: load the file alone)
        return None
    if spec is None or not spec.origin or \
            os.path.realpath(spec.origin) != os.path.realpath(path):
        return None
    return importlib.import_module(dotted)


def import_failure(target: str, raised: BaseException) -> str:
    """The sentence for a user's module that cannot be imported.

    >>> import_failure("my_backprop", ModuleNotFoundError("No module named 'my_backprop'",
    ...                                                   name="my_backprop"))  # doctest: +ELLIPSIS
    "cannot import module 'my_backprop': it is neither in the current directory (...) nor on PYTHONPATH; ..."
    >>> import_failure("mine.py", ZeroDivisionError("division by zero"))
    "importing 'mine.py' failed: ZeroDivisionError: division by zero"
    >>> import_failure("network.py", SyntaxError("Missing parentheses in call to 'print'. "
    ...                                          "Did you mean print(...)?"))[-60:]
    'de is Python 2 (a print statement): 2to3 -w FILE converts it'
    """
    if isinstance(raised, ModuleNotFoundError) and raised.name and \
            target.split(".")[0] == raised.name.split(".")[0]:
        return (f"cannot import module {target!r}: it is neither in the current directory "
                f"({os.getcwd()}) nor on PYTHONPATH; run symbp from its directory or give "
                "the path to the .py file")
    what, where = describe_exception(raised)
    said = f"importing {target!r} failed: {what}" + (f" at {where}" if where else "")
    # Nielsen's network.py and much code of its time: Python 2, whose print
    # and exec were statements (Python 3 names them in its own message)
    if isinstance(raised, SyntaxError) and "Missing parentheses in call to " in str(raised):
        said = said.rstrip(".") + ("; the code is Python 2 (a print statement): "
                                   "2to3 -w FILE converts it")
    return said


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
def numpy_restored():
    """Put back whatever a call replaced in NumPy's namespace (``np.abs =
    ...``), for the calls that run in symbp's own process (the Python API):
    symbp's truth and comparison use NumPy after them.

    >>> with numpy_restored():
    ...     np.abs = None
    >>> int(np.abs(-1))
    1
    """
    saved = dict(vars(np))
    try:
        yield
    finally:
        for name, value in saved.items():
            if vars(np).get(name) is not value:
                setattr(np, name, value)


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
