"""Loading a user's module: checking what the user named (a path to a
``.py`` file or a module name) before any process starts, importing it the
way course files expect (their own package on ``sys.path``), and the one
sentence for a module that cannot be imported.  Importing runs in the child
process of :mod:`symbp.grading.sandbox`.

>>> package_name("/nowhere/layers.py")
(None, '/')
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from symbp.grading.user_code import UserCodeError, describe_exception


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
