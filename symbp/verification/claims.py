"""Claims files (contract section 3): reading them, and checking every claim.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "claims.toml"
>>> _ = path.write_text('[network]\\nlayers = [2, 3, 1]\\n'
...                     '[[claim]]\\nname = "BP1"\\n'
...                     'formula = "delta[L] = da[L] * sigma_prime(z[L])"\\n')
>>> claims = load_claims(path)
>>> [(c.name, c.network.layers) for c in claims.claims]
[('BP1', (2, 3, 1))]
>>> [r.result.verdict for r in check_claims(claims)]
['proved']

A claim about one layer (contract section 12) takes a ``[layer]`` table (its
``name`` and sizes) in place of ``[network]``; ``[claim.layer]`` replaces
the file's fields for one claim, as ``[claim.network]`` does:

>>> document = {"layer": {"name": "dropout", "N": 3, "D": 2, "p": 0.5},
...             "claim": [{"formula": "dx = dout * mask / p"}]}
>>> [r.result.verdict for r in check_claims(claims_from_dict(document))]
['proved']
"""

from __future__ import annotations

import os
import reprlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from symbp.errors import ClaimsError, SymbpError
from symbp.limits import check_random
from symbp.network import Network
from symbp.verification.verdicts import DEFAULT_SEEDS, verify

VERDICTS = ("proved", "holds", "refuted")
TOP_KEYS = {"title": str, "network": dict, "layer": dict, "claim": list}
CLAIM_KEYS = {"name": str, "formula": str, "source": str, "expect": str,
              "expect_general": str, "network": dict, "layer": dict}
NETWORK_KEYS = {"layers": list, "hidden": str, "output": str, "loss": str, "batch": int,
                "reduction": str, "layout": str, "bias": bool, "targets": str,
                "l2": (int, float)}
_TYPE_NAMES = {str: "a string", dict: "a table", list: "a list", int: "an integer",
               bool: "true or false", (int, float): "a number"}
# claims files are written by hand: the largest shipped one is 26 kB.  Reading
# stops here, so that /dev/zero or a log file given by mistake is one sentence
MAX_BYTES = 1_000_000
# no claims file needs more than a few levels of tables and arrays
MAX_NESTING = 100
# values quoted in error messages are shortened (a list of 100,000 numbers,
# a table nested 900 deep, an integer of 5,000 digits)
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict = 3, 6, 4
_SHORT.maxstring, _SHORT.maxlong, _SHORT.maxother = 60, 40, 60


@dataclass(frozen=True)
class Claim:
    """One claim: its formula and the network (or the layer) it is checked on.

    >>> document = {"network": {"layers": [2, 1]}, "claim": [{"formula": "db[L] = delta[L]"}]}
    >>> claim = claims_from_dict(document).claims[0]
    >>> claim.name, claim.network.layers, claim.layer
    ('claim 1', (2, 1), None)
    """
    name: str
    formula: str
    network: object           # a Network, or None for a claim about a layer
    source: str | None = None
    expect: str | None = None
    expect_general: str | None = None
    layer: object = None      # a SizedLayer (contract section 12)


@dataclass(frozen=True)
class Claims:
    """A claims file: its title and claims (each with its own network).

    >>> claims = claims_from_dict({"title": "BP4", "network": {"layers": [2, 1]},
    ...                            "claim": [{"formula": "db[L] = delta[L]"}]})
    >>> claims.title, len(claims.claims), claims.path
    ('BP4', 1, None)
    """
    title: str | None
    claims: tuple
    path: str | None = None


@dataclass
class ClaimResult:
    """A claim's verdict (a verifier Result) and how many networks it was checked on.

    >>> document = {"network": {"layers": [2, 1]}, "claim": [
    ...     {"formula": "dW[L] = 2 * delta[L] @ a[L-1].T", "expect": "refuted"}]}
    >>> [outcome] = check_claims(claims_from_dict(document))
    >>> outcome.result.verdict, outcome.met, outcome.networks_checked
    ('refuted', True, 1)
    """
    claim: Claim
    result: object
    networks_checked: int = 1

    @property
    def met(self) -> bool:
        """True when the verdict is what the claim expects (by default, that it
        holds) and, when the claim sets ``expect_general``, so is ``general``."""
        return _meets(self.result.verdict, self.claim.expect) and self.general_met is not False

    @property
    def general_met(self) -> bool | None:
        """Whether ``general`` meets ``expect_general`` (None without one)."""
        if self.claim.expect_general is None:
            return None
        general = self.result.general
        return general is not None and _meets(general.verdict, self.claim.expect_general)

    def to_json(self) -> dict:
        """The claim's entry of the JSON document (contract sections 5 and 9)."""
        result = self.result.to_json()
        return {"name": self.claim.name, "formula": self.claim.formula,
                "source": self.claim.source, "verdict": result["verdict"],
                "expect": self.claim.expect, "expect_general": self.claim.expect_general,
                "met": self.met, "layers_checked": result["layers_checked"],
                "networks_checked": self.networks_checked,
                "counterexample": result["counterexample"],
                "diagnosis": result["diagnosis"], "message": result["message"],
                "general": result["general"],
                **({"layer": self.claim.layer.to_dict()} if self.claim.layer else {})}


def _meets(verdict: str, expect: str | None) -> bool:
    """``expect`` met by ``verdict`` (None and "holds" are met by proved too)."""
    if verdict == "error":
        return False
    if expect in (None, "holds"):
        return verdict in ("proved", "holds")
    return verdict == expect


def _check_type(value, expected, where: str, key: str):
    ok = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
    if not ok:
        raise ClaimsError(f"{where}: '{key}' must be {_TYPE_NAMES[expected]}, "
                          f"not {_SHORT.repr(value)}")


def _check_keys(table: dict, allowed: dict, where: str):
    for key, value in table.items():
        if key not in allowed:
            raise ClaimsError(f"{where}: unknown key {_SHORT.repr(key)}; expected one of "
                              + ", ".join(allowed))
        _check_type(value, allowed[key], where, key)


def _network_fields(table: dict, where: str) -> dict:
    _check_keys(table, NETWORK_KEYS, where)
    return dict(table)


def _network(fields: dict, where: str):
    if "layers" not in fields:
        raise ClaimsError(f"{where}: the network has no 'layers'; add layers = [2, 3, 1] "
                          "to [network] or to [claim.network]")
    try:
        return Network(**fields)
    except SymbpError as error:
        raise ClaimsError(f"{where}: {error.message}") from None


def load_claims(path) -> Claims:
    """Read a claims file; a ClaimsError names the claim and the key at fault.

    >>> load_claims("/nonexistent/claims.toml")
    Traceback (most recent call last):
    ...
    symbp.errors.ClaimsError: cannot read the claims file /nonexistent/claims.toml: No such file or directory.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ClaimsError(f"the claims file's path {path!r} is not a path; give a file "
                          "name such as claims.toml")
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "it is not UTF-8 text"
        raise ClaimsError(f"cannot read the claims file {path}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise ClaimsError(f"the claims file {path} is larger than {MAX_BYTES:,} bytes; "
                          "a claims file is a short TOML file written by hand")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ClaimsError(f"{path} is not valid TOML: {error}") from None
    except RecursionError:
        raise ClaimsError(f"{path}: its arrays or tables nest too deeply to read") from None
    except ValueError:      # Python's own limit on integers: 4,300 digits
        raise ClaimsError(f"{path}: a number in it has too many digits to read") from None
    # whether tomllib's recursion reaches Python's limit depends on the stack
    # and on the limit other code set: the same file gets the same sentence
    if _nesting(document) > MAX_NESTING:
        raise ClaimsError(f"{path}: its arrays or tables nest too deeply to read")
    return claims_from_dict(document, str(path))


def _nesting(value) -> int:
    """How deeply tables and arrays nest in ``value`` (walked without recursion).

    >>> _nesting({"a": [[1], 2]}), _nesting("text")
    (3, 0)
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else \
            item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def claims_from_dict(document: dict, path: str | None = None) -> Claims:
    """Claims from an already parsed document (the tables of a claims file).

    >>> claims_from_dict({"network": {"layers": [2, 1]}})
    Traceback (most recent call last):
    ...
    symbp.errors.ClaimsError: the claims file has no [[claim]]; add one with a name and a formula.
    """
    where = path or "the claims file"
    _check_keys(document, TOP_KEYS, where)
    if "network" in document and "layer" in document:
        raise ClaimsError(f"{where} has both [network] and [layer]; a claims file is about "
                          "one network or one layer (a claim may name its own with "
                          "[claim.network] or [claim.layer])")
    base = _network_fields(document.get("network", {}), f"{where} [network]")
    layer = _layer_fields(document.get("layer"), f"{where} [layer]")
    entries = document.get("claim", [])
    if not entries:
        raise ClaimsError(f"{where} has no [[claim]]; add one with a name and a formula")
    claims = []
    for number, entry in enumerate(entries, start=1):
        claims.append(_claim(entry, number, base, where, layer))
    return Claims(document.get("title"), tuple(claims), path)


def _layer_fields(table, where: str) -> dict | None:
    """A ``[layer]`` table's fields: ``name`` (a string) and numbers."""
    if table is None:
        return None
    for key, value in table.items():
        expected = str if key == "name" else (int, float)
        _check_type(value, expected, where, key)
    return dict(table)


def _sized_layer(fields: dict, where: str):
    from symbp.layers.formulas import SizedLayer
    if "name" not in fields:
        raise ClaimsError(f"{where}: the layer has no 'name'; add name = \"batchnorm\" (or "
                          "another layer)")
    fields = dict(fields)
    try:
        return SizedLayer.of(fields.pop("name"), **fields)
    except SymbpError as error:
        raise ClaimsError(f"{where}: {error.message}") from None


def _claim_layer(entry, file_layer, where: str):
    """The SizedLayer of a claim about a layer, or None for a network claim."""
    own = _layer_fields(entry.get("layer"), f"{where} [claim.layer]")
    if own is None and (file_layer is None or "network" in entry):
        return None
    if own is not None and "network" in entry:
        raise ClaimsError(f"{where} has both [claim.network] and [claim.layer]")
    if own is None:
        return _sized_layer(file_layer, f"{where} [layer]")
    same = file_layer is not None and own.get("name", file_layer.get("name")) == \
        file_layer.get("name")
    return _sized_layer({**file_layer, **own} if same else own, f"{where} [claim.layer]")


def _claim(entry, number: int, base: dict, where: str, file_layer=None) -> Claim:
    label = f"claim {number}"
    if not isinstance(entry, dict):
        raise ClaimsError(f"{where}: {label} must be a table ([[claim]])")
    if isinstance(entry.get("name"), str):
        label = f"claim {number} ({_SHORT.repr(entry['name'])})"
    _check_keys(entry, CLAIM_KEYS, f"{where}: {label}")
    if "formula" not in entry:
        raise ClaimsError(f"{where}: {label} has no 'formula'; add formula = \"LEFT = RIGHT\"")
    for key in ("expect", "expect_general"):
        expect = entry.get(key)
        if expect is not None and expect not in VERDICTS:
            raise ClaimsError(f"{where}: {label}: '{key}' = {expect!r} is not a verdict; "
                              "expected one of proved, holds, refuted")
    common = {"name": entry.get("name", f"claim {number}"), "formula": entry["formula"],
              "source": entry.get("source"), "expect": entry.get("expect"),
              "expect_general": entry.get("expect_general")}
    layer = _claim_layer(entry, file_layer, f"{where}: {label}")
    if layer is not None:
        return Claim(network=None, layer=layer, **common)
    override = _network_fields(entry.get("network", {}), f"{where}: {label} [claim.network]")
    network = _network({**base, **override},
                       f"{where}: {label} [claim.network]" if override
                       else f"{where}: {label} [network]")
    return Claim(network=network, **common)


def _check_claim(claim: Claim, *, seed: int = 0, random: int = 0,
                vary_depth: bool = False, on_network=None) -> ClaimResult:
    """The claim's verdict on its network, and on ``random`` networks drawn by
    Hypothesis when asked (:mod:`symbp.verification.random_check`); ``on_network()`` is
    called after each drawn network."""
    seeds = tuple(seed + s for s in DEFAULT_SEEDS)
    if claim.layer is not None:
        return _check_layer_claim(claim, seeds, seed, random, on_network)
    result = verify(claim.formula, claim.network, seeds=seeds)
    if not random:
        return ClaimResult(claim, result, 1)
    # Hypothesis (~0.35 s to import) is loaded only when --random asks for it
    from symbp.verification.random_check import check_random
    combined, count = check_random(claim.formula, claim.network, result, count=random,
                                   vary_depth=vary_depth, seed=seed, seeds=seeds,
                                   on_network=on_network)
    return ClaimResult(claim, combined, count)


def _check_layer_claim(claim: Claim, seeds, seed: int, random: int, on_config) -> ClaimResult:
    from symbp.verification.layer_verdicts import verify_layer
    result = verify_layer(claim.formula, claim.layer, seeds=seeds)
    if not random:
        return ClaimResult(claim, result, 1)
    from symbp.verification.layer_random import check_layer_random
    combined, count = check_layer_random(claim.formula, claim.layer, result, count=random,
                                         seed=seed, seeds=seeds, on_config=on_config)
    return ClaimResult(claim, combined, count)


def check_claims(claims: Claims, *, seed: int = 0, random: int = 0,
                 vary_depth: bool = False, progress=None) -> list[ClaimResult]:
    """Every claim's result, in order.

    ``progress(done)`` counts networks checked, ``random + 1`` a claim (a
    ``--random 200`` run of one claim is long work too).

    >>> document = {"network": {"layers": [2, 1]}, "claim": [
    ...     {"formula": "db[L] = delta[L]"}, {"formula": "dW[L] = delta[L] @ x.T"}]}
    >>> done = []
    >>> [outcome.met for outcome in check_claims(claims_from_dict(document), progress=done.append)]
    [True, True]
    >>> done
    [1, 2]
    """
    per_claim = check_random(random) + 1
    results = []
    for index, claim in enumerate(claims.claims):
        on_network = _network_counter(progress, index * per_claim, per_claim)
        results.append(_check_claim(claim, seed=seed, random=random, vary_depth=vary_depth,
                                   on_network=on_network))
        if progress is not None:
            progress((index + 1) * per_claim)
    return results


def _network_counter(progress, base: int, per_claim: int):
    """``on_network()`` for one claim: reports networks done, never past the
    claim's share (shrinking may try more networks than asked)."""
    tried = 0

    def on_network():
        nonlocal tried
        tried += 1
        if progress is not None:
            progress(base + min(tried, per_claim - 1))
    return on_network
