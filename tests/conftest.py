"""Hypothesis profiles, chosen deliberately.

Under CI (``CI=true``) Hypothesis would load its own ``ci`` profile
(derandomized, no deadline, no database); ours keeps those and adds only the
health-check suppression that symbolic derivations need (the first example
of a new network shape derives, which is slow on purpose, and is cached).
Locally: no deadline (derivation time varies), the default database.

The truth's derived code (``symbp.truth.store``) goes to a fresh folder per
session, shared with the session's subprocesses: each session derives every
lemma once, as a clean clone does, and never reads a user's cache.
"""

import atexit
import io
import json
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

_slow = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("symbp-ci", parent=settings.get_profile("ci"),
                          suppress_health_check=_slow)
settings.register_profile("symbp-dev", deadline=None, suppress_health_check=_slow)
settings.load_profile("symbp-ci" if os.environ.get("CI") else "symbp-dev")

if "SYMBP_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="symbp-tests-")
    os.environ["SYMBP_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)


class CommandLine:
    """symbp's real command line, run in this process: ``cli("check",
    "--layers", "2,3,2")`` returns ``(status, stdout, stderr)``; arguments
    may be numbers.  ``cli.json(...)`` adds ``--json``, checks that stderr is
    empty and returns ``(status, document)``."""

    def __call__(self, *argv):
        from symbp.cli.main import main
        out, err = io.StringIO(), io.StringIO()
        status = main([str(arg) for arg in argv], stdout=out, stderr=err)
        return status, out.getvalue(), err.getvalue()

    def json(self, *argv):
        status, out, err = self(*argv, "--json")
        assert err == "", err
        return status, json.loads(out)


@pytest.fixture
def cli():
    """The command line (:class:`CommandLine`), shared by every test file."""
    return CommandLine()


@pytest.fixture
def require_tool():
    """``require_tool("dot", "graphviz")``: skip the test where the program is
    missing (fail instead under SYMBP_REQUIRE_TOOLS=1, as CI sets)."""
    import shutil

    def require(program: str, package: str):
        if shutil.which(program) is None:
            if os.environ.get("SYMBP_REQUIRE_TOOLS") == "1":
                pytest.fail(f"{program} is required (SYMBP_REQUIRE_TOOLS=1) but not installed")
            pytest.skip(f"{program} is not installed (Debian package {package})")
    return require
