"""What a user's layer code raised, in the words a report needs: whether it
is a course template's unfinished stub (``unimplemented``, not an error),
and a hint for failures that are the environment's rather than the code's
(NumPy 2's refusal of ``int(array)``, cs231n's Cython extension not built).

>>> hint(TypeError("only 0-dimensional arrays can be converted to Python scalars"))[:30]
' (NumPy 2 no longer converts a'
>>> hint(ValueError("shapes do not align"))
''
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap

_PYTHON2_NAMES = {"xrange": "range", "unicode": "str", "basestring": "str", "long": "int",
                  "raw_input": "input", "unichr": "chr"}
_SYMBP = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def unfinished(raised: Exception) -> bool:
    """Whether ``raised`` is what a course template's stub raises: a name its
    TODO block was to define (``return dx, dprev_h`` after ``pass``), or a
    variable it left None (cs231n's ``out = None ... pass ...
    out.astype(x.dtype)``), in a function of the user's with a ``pass``
    statement among its own (not in an ``except``).

    >>> def dropout_backward(dout, cache):
    ...     # TODO: your code here
    ...     pass
    ...     return dx
    >>> try:
    ...     dropout_backward(1.0, None)
    ... except NameError as raised:
    ...     unfinished(raised), unfinished(NameError("name 'dx' is not defined"))
    (True, False)
    """
    left_none = isinstance(raised, (TypeError, AttributeError)) and "NoneType" in str(raised)
    if not (left_none or isinstance(raised, NameError)):
        return False
    traceback = raised.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if not code.co_filename.startswith(_SYMBP) and _has_pass(code):
            return True
        traceback = traceback.tb_next
    return False


def _has_pass(code) -> bool:
    """A ``pass`` statement in the source of ``code`` (a function of the
    user's; symbp's and NumPy's have none that matter), outside handlers."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return False
    handled = {id(node) for handler in ast.walk(tree) if isinstance(handler, ast.ExceptHandler)
               for node in ast.walk(handler)}
    return any(isinstance(node, ast.Pass) and id(node) not in handled for node in ast.walk(tree))


def hint(raised: Exception) -> str:
    """A parenthesis to add to the message of ``raised``, or ``""``.

    >>> hint(NameError("name 'col2im_6d_cython' is not defined"))
    " (cs231n's Cython extension is not built: python setup.py build_ext --inplace in the cs231n folder)"
    """
    text = str(raised)
    if isinstance(raised, TypeError) and "0-dimensional arrays can be converted" in text:
        # int(row) of np.where's one-entry array: NumPy 1 converted it (with a warning
        # since 1.25), NumPy 2 refuses; course code of before 2024 does it often
        return (" (NumPy 2 no longer converts a one-entry array to a number: .item() or [0] "
                "does it in every NumPy)")
    if isinstance(raised, NameError) and getattr(raised, "name", None) in _PYTHON2_NAMES:
        return (f" (Python 2's {raised.name}: the code was written for Python 2; in Python 3 it "
                f"is {_PYTHON2_NAMES[raised.name]})")
    if isinstance(raised, TypeError) and "'float' object cannot be interpreted as an integer" \
            in text:
        # cs231n's code of 2016 computes sizes as (H + 2 * pad - HH) / stride: Python 2's
        # integer division, a float in Python 3
        return (" (a size computed with /, which gives a float in Python 3: code written "
                "for Python 2, where / of two integers is an integer; // is)")
    if isinstance(raised, NameError) and "_cython" in text:
        # cs231n's fast_layers.py imports its compiled helpers in a try: unbuilt, they are
        # names that were never defined
        return (" (cs231n's Cython extension is not built: python setup.py build_ext "
                "--inplace in the cs231n folder)")
    return ""
