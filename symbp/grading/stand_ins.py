"""Stand-ins for the packages course files import at their top but never
use in the functions symbp grades: cs231n's ``softmax.py`` and
``linear_svm.py`` (2017-2021) import ``from past.builtins import xrange``
(the ``future`` package), notebooks exported as ``.py`` import
``matplotlib.pyplot``, ``PIL``, ``sklearn``, ``h5py`` or ``scipy.io`` to
plot and load data.  Where such a package is not installed, importing the
file would fail before any gradient is looked at; so, in the child process
that imports the user's file (and only for the packages of :data:`PACKAGES`,
only when the real one cannot be found), an import of it gets a stand-in
module: its names can be imported, and calling one raises
:class:`MissingPackage`, which says so.  ``past.builtins`` is given its
Python 3 meaning instead (``xrange`` is ``range``), and
``scipy.special.expit``, the sigmoid that Rashid's *Make Your Own Neural
Network* computes with, is given as the logistic sigmoid itself (written
as ``exp(-log(1 + exp(-x)))``, which neither overflows nor loses the small
values).  The report notes every stand-in used.

>>> sorted(PACKAGES)[:3]
['IPython', 'PIL', 'cv2']
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys
import types

import numpy as np

# packages for plotting, images, data files and Python 2 names: none computes a gradient
PACKAGES = frozenset({"past", "future", "matplotlib", "PIL", "sklearn", "scipy", "seaborn",
                      "pandas", "h5py", "imageio", "skimage", "cv2", "IPython", "tqdm",
                      "nnfs"})

# what `from past.builtins import ...` brings, in Python 3's words
_PAST_BUILTINS = {"xrange": range, "basestring": str, "unicode": str, "long": int,
                  "raw_input": input, "unichr": chr, "reduce": functools.reduce}



def _expit(x):
    """The logistic sigmoid 1 / (1 + e^-x), as scipy.special.expit gives it.

    >>> _expit([0.0, -800.0, 800.0]).tolist()
    [0.5, 0.0, 1.0]
    """
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


# names given their meaning, not a stand-in that raises, by their dotted name
_GIVEN = {**{f"past.builtins.{name}": value for name, value in _PAST_BUILTINS.items()},
          "scipy.special.expit": _expit,
          # the nnfs book's package: init() seeds NumPy and makes np.dot float32, which
          # symbp would undo after the import anyway (user_code.numpy_restored)
          "nnfs.init": lambda *_args, **_kwargs: None}

# what the report says of each package some of whose names were given their meaning
_GIVEN_SAID = {"scipy": "scipy.special.expit was given as the logistic sigmoid 1 / (1 + exp(-x))",
               "nnfs": "nnfs.init() was given as doing nothing (symbp grades with NumPy's own "
                       "float64 dot)"}

_used: list[str] = []


class MissingPackage(ImportError):
    """Raised when code calls a stand-in: the package is not installed.

    >>> _StandIn("matplotlib.pyplot").plot([1, 2])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.grading.stand_ins.MissingPackage: matplotlib is not installed: ...
    """


class _StandIn:
    """A name imported from a package that is not installed."""

    def __init__(self, dotted: str):
        self._dotted = dotted

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        dotted = f"{self._dotted}.{name}"
        return _GIVEN.get(dotted) or _StandIn(dotted)

    def __call__(self, *_args, **_kwargs):
        package = self._dotted.split(".")[0]
        raise MissingPackage(f"{package} is not installed: {self._dotted} was called, and symbp "
                             f"imported the file with a stand-in for {package} (pip install it "
                             "to run this code)")


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        dotted = f"{self.__name__}.{name}"
        return _GIVEN.get(dotted) or _StandIn(dotted)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on ``sys.meta_path``: asked only for what no other finder found."""

    def find_spec(self, fullname, _path=None, _target=None):
        top = fullname.split(".")[0]
        if top not in PACKAGES:
            return None
        if top != fullname and not isinstance(sys.modules.get(top), _StandInModule):
            # a submodule an installed package does not have (scipy tries an optional
            # scipy._distributor_init_local and expects ImportError): not ours to give
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        top = module.__name__.split(".")[0]
        if top not in _used:
            _used.append(top)


def install() -> _Finder:
    """Put the finder last on ``sys.meta_path`` (once); returns it.  The
    finder is asked only for what no installed package provides, so real
    packages are never replaced.

    >>> finder = install()
    >>> install() is finder and sys.meta_path[-1] is finder
    True
    >>> finder.find_spec("numpy") is None              # not one of PACKAGES
    True
    >>> sys.meta_path.remove(finder)
    """
    for finder in sys.meta_path:
        if isinstance(finder, _Finder):
            return finder
    finder = _Finder()
    sys.meta_path.append(finder)
    return finder


def used() -> list[str]:
    """The packages a stand-in was given for, in the order first imported.

    >>> finder = _Finder()
    >>> finder.exec_module(finder.create_module(finder.find_spec("past")))
    >>> "past" in used()
    True
    >>> _used.clear()    # this example's own record, not a user's
    """
    return list(_used)


def notes(packages: list[str]) -> list[str]:
    """The report's notes for the stand-ins given (``used()``).

    >>> notes(["past", "matplotlib", "PIL"])[1][:60]
    'matplotlib, PIL are not installed: the file was imported wit'
    """
    said = [f"{p} (the future package) is not installed: Python 2's xrange was given as "
            "Python 3's range" for p in packages if p in ("past", "future")]
    said += [f"{p} is not installed: {_GIVEN_SAID[p]}; its other names import, calling one "
             "raises" for p in packages if p in _GIVEN_SAID]
    others = [p for p in packages if p not in ("past", "future", *_GIVEN_SAID)]
    if len(others) == 1:
        said.append(f"{others[0]} is not installed: the file was imported with a stand-in for "
                    "it (its names import; calling one raises)")
    elif others:
        said.append(f"{', '.join(others)} are not installed: the file was imported with "
                    "stand-ins for them (their names import; calling one raises)")
    return said
