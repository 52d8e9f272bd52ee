"""Which of the values a user's function returned is which gradient
(contract section 10).

Code as people write it names the gradient of ``W1`` ``W1``, ``dW1``,
``dw1``, ``grad_W1`` or ``w1``, returns a dict, a tuple in its own order, or
``(loss, grads)``, and often returns more than gradients (``dA1``, ``dZ2``,
a cache).  :func:`match_gradients` reads what came back into symbp's keys:
explicit maps first, then the conventions, each named in a note; keys that
name no parameter are set aside, keys that name a parameter the network does
not have are extra (a slip).

>>> from symbp.network import Network
>>> net = Network(layers=[2, 3, 1])
>>> found = match_gradients({"dW1": 1, "db1": 2, "dW2": 3, "db2": 4, "dA1": 5}, net)
>>> found.values, found.set_aside
({'W1': 1, 'b1': 2, 'W2': 3, 'b2': 4}, ['dA1'])
>>> found.notes[0]
'gradient keys read by the dW1 convention (dW1 is W1, db1 is b1, ...)'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from symbp.errors import UsageError
from symbp.grading.user_code import Unreadable

# the conventions, in the order they are tried; each turns symbp's key into the user's
CONVENTIONS = (
    ("W1", lambda key: key),
    ("dW1", lambda key: "d" + key),
    ("dw1", lambda key: "d" + key.lower()),
    ("grad_W1", lambda key: "grad_" + key),
    ("w1", lambda key: key.lower()),
)
# a key that names a weight or bias of some layer, in any of the conventions
_PARAMETER_NAME = re.compile(r"(?:d|grad_)?([WwBb])(\d+)")


@dataclass
class Matched:
    """The user's gradients under symbp's keys.

    ``values`` maps symbp's key to the value returned; ``names`` symbp's key
    to the user's (for the report); ``missing`` the keys nothing was found
    for (with what was tried); ``extra`` the user's keys (and values) that
    name a parameter the network lacks, or a second one for a parameter; ``set_aside`` keys that name none;
    ``problem``/``message`` a return value that is not gradients at all.

    >>> from symbp.network import Network
    >>> found = match_gradients({"dW1": 1, "dW2": 3}, Network(layers=[2, 1]))
    >>> found.values, found.missing, found.extra
    ({'W1': 1}, {'b1': ['b1', 'db1', 'grad_b1']}, {'dW2': 3})
    >>> match_gradients(None, Network(layers=[2, 1])).message
    'FUNC returned None, not a dict (or tuple) of gradients'
    """

    values: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    set_aside: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    problem: str | None = None
    message: str | None = None
    order_assumed: bool = False
    returned: list = field(default_factory=list)   # the user's keys, as text


def _key_text(key) -> str:
    """A returned key as the report shows it (keys may be any plain value)."""
    return key if isinstance(key, str) else repr(key)


def check_map(mapping, net, what: str) -> dict:
    """A map from symbp's keys to the user's, checked against the network.

    >>> from symbp.network import Network
    >>> check_map({"W1": "w"}, Network(layers=[2, 1]), "names")
    {'W1': 'w'}
    """
    mapping = dict(mapping or {})
    unknown = [k for k in mapping if k not in net.param_keys()]
    if unknown:
        raise UsageError(f"the {what} map {', '.join(map(repr, unknown))}, which the network "
                         f"does not have; expected keys among {', '.join(net.param_keys())}")
    mapped = [mapping.get(k, k) for k in net.param_keys()]
    if len(set(mapped)) != len(mapped):
        raise UsageError(f"the {what} give two parameters the same name ({', '.join(mapped)}); "
                         "give each key its own name")
    return mapping


def match_gradients(result, net, *, names=None, grad_names=None, returns=None) -> Matched:
    """Read ``result`` (plain data: a dict, a tuple or list) as the gradients
    of ``net``.  ``names`` are the user's parameter names (their gradients
    may carry them too), ``grad_names`` the user's gradient keys (a map that
    names a key FUNC did not return is a UsageError listing the keys it did),
    ``returns`` the order of a returned sequence (default W1, b1, W2, ...).

    A tuple is read in the default order; ``(loss, grads)`` as its dict:

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 1])
    >>> found = match_gradients((1, 2), net)
    >>> found.values, found.order_assumed
    ({'W1': 1, 'b1': 2}, True)
    >>> match_gradients((0.25, {"dW1": 1, "db1": 2}), net).values
    {'W1': 1, 'b1': 2}
    """
    found = Matched()
    result = _as_mapping(result, net, returns, found)
    if result is None:
        return found
    found.returned = [_key_text(k) for k in result]
    by_text = {_key_text(k): k for k in result}
    grad_names = dict(grad_names or {})
    absent = [name for name in grad_names.values() if name not in by_text]
    if absent:
        raise UsageError(f"the gradient names name {', '.join(map(repr, absent))}, which FUNC "
                         f"did not return; it returned {', '.join(found.returned) or 'no keys'}")
    used, conventions = set(), []   # per key read by a convention: every one that fits
    for key in net.param_keys():
        tried = _candidates(key, (names or {}).get(key), grad_names.get(key))
        hit = next(((name, how) for name, how in tried if name in by_text and name not in used),
                   None)
        if hit is None:
            found.missing[key] = [name for name, _ in tried]
            continue
        name, how = hit
        used.add(name)
        found.values[key], found.names[key] = result[by_text[name]], name
        fits = {how for how, convert in CONVENTIONS if convert(key) == name}
        if fits and "W1" not in fits:
            conventions.append(fits)
    if conventions:
        # the convention every key fits (db1 fits dW1 and dw1 alike), else the first key's
        common = set.intersection(*conventions) or conventions[0]
        how = next(how for how, _ in CONVENTIONS if how in common)
        examples = ", ".join(f"{_apply(how, k)} is {k}" for k in net.param_keys()[:2])
        found.notes.append(f"gradient keys read by the {how} convention ({examples}, ...)")
    for text in found.returned:
        if text in used:
            continue
        # a key that names a weight or bias (of a layer the network lacks, or a
        # second one for a layer) is a slip; any other key is something else
        if _PARAMETER_NAME.fullmatch(text):
            found.extra[text] = result[by_text[text]]
        else:
            found.set_aside.append(text)
    if found.set_aside:
        found.notes.append(f"set aside (they name no parameter): {', '.join(found.set_aside)}")
    return found


def _candidates(key, param_name, grad_name) -> list[tuple[str, str]]:
    if grad_name is not None:
        return [(grad_name, "grad_names")]
    tried = [(convert(key), how) for how, convert in CONVENTIONS]
    if param_name is not None:
        tried[1:1] = [(param_name, "names"), ("d" + param_name, "names"),
                      ("grad_" + param_name, "names")]
    seen, unique = set(), []
    for name, how in tried:
        if name not in seen:
            seen.add(name)
            unique.append((name, how))
    return unique


def _apply(how: str, key: str) -> str:
    return dict(CONVENTIONS)[how](key)


def _as_mapping(result, net, returns, found):
    """A dict from the result; a sequence is read in the ``returns`` order or
    the default one (with a note), ``(loss, grads)`` as its one dict."""
    if isinstance(result, Mapping):
        return result
    if not isinstance(result, (list, tuple)):
        found.problem = "not_dict"
        found.message = (f"FUNC returned {_kind(result)}, not a dict (or tuple) of gradients")
        return None
    kind = type(result).__name__
    dicts = [item for item in result if isinstance(item, Mapping)]
    if returns is None and len(dicts) == 1 and len(result) > 1:
        found.notes.append(f"FUNC returned a {kind} of {len(result)} with one dict: the dict "
                           "is read as the gradients, the rest set aside")
        return dicts[0]
    order = list(returns) if returns is not None else net.param_keys()
    if len(result) != len(order):
        found.problem = "not_dict"
        found.message = (f"FUNC returned a {kind} of {len(result)} where "
                         + (f"the order given names {len(order)}" if returns is not None else
                            f"{len(order)} gradients ({', '.join(order)}) are expected"))
        return None
    if returns is None:
        found.order_assumed = True
        found.notes.append(f"FUNC returned a {kind}: read in the default order "
                           f"{', '.join(order)}")
    return dict(zip(order, result, strict=True))


def _kind(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, Unreadable):    # stands for an object of the user's
        return f"a {value.kind}" + (f" symbp cannot read ({value.reason})" if value.reason else "")
    return f"a {type(value).__name__}"
