"""Hypothesis searches that symbp runs itself (``--random N`` of verify and grade).

Both commands draw networks *like* the user's (same activations, loss,
layout, reduction, bias and, unless ``vary_depth``, depth; other widths and
batches) and let Hypothesis shrink a failure to the smallest network.  The
runs use settings of their own whatever profile the environment loads: no
example database, derandomized from the seed, quiet, and no ``.hypothesis``
folder left in the user's working directory.

>>> from symbp.network import Network
>>> strategy = similar_networks(Network(layers=[2, 3, 2], hidden="tanh"))
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager, nullcontext

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from symbp.strategies import networks

MAX_DEPTH = 4
MAX_WIDTH = 5
MAX_BATCH = 4


def similar_networks(net, *, vary_depth: bool = False, fixed_widths: bool = False,
                     fixed_batch: bool = False, max_width: int = MAX_WIDTH):
    """Networks like ``net`` (the same configuration: activations, loss,
    layout, reduction, bias, targets, weight decay) with other widths and
    batches; half of them have every layer the same width, so that square
    weights, where a missing transpose hides from the shapes, are always
    among them.  ``fixed_widths`` keeps every width (only the batch varies),
    ``fixed_batch`` the batch size; ``max_width`` bounds the widths drawn.

    >>> from hypothesis import given
    >>> from symbp.network import Network
    >>> @isolated(count=10, seed=0)
    ... @given(similar_networks(Network(layers=[2, 3, 2], hidden="tanh")))
    ... def like_it(drawn):
    ...     assert drawn.depth == 2 and drawn.hidden == "tanh" and max(drawn.layers) <= MAX_WIDTH
    >>> like_it()
    """
    fixed = {"hidden": net.hidden, "output": net.output, "loss": str(net.loss),
             "layout": net.layout, "reduction": net.reduction, "bias": net.bias,
             "targets": net.targets, "l2": net.l2}
    batches = {"batch": net.batch} if fixed_batch else {"max_batch": MAX_BATCH}
    if fixed_widths:
        return networks(layers=net.layers, **batches, **fixed)
    depth = st.integers(1, max(MAX_DEPTH, net.depth)) if vary_depth else net.depth
    widths = st.integers(1, max_width)
    return st.one_of(
        networks(depth=depth, width=widths, **batches, **fixed),
        widths.flatmap(lambda w: networks(depth=depth, width=w, **batches, **fixed)))


def isolated(count: int, seed: int):
    """Decorate a ``@given`` test to run ``count`` examples with symbp's own settings.

    >>> from hypothesis import given
    >>> drawn = []
    >>> @isolated(count=5, seed=0)
    ... @given(st.integers())
    ... def record(value):
    ...     drawn.append(value)
    >>> record(); len(drawn)
    5
    """
    def decorate(test):
        configured = settings(
            parent=settings.get_profile("default"), database=None, derandomize=True,
            max_examples=count, deadline=None, phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
            print_blob=False, verbosity=Verbosity.quiet)(test)
        return hypothesis_seed(seed)(configured)
    return decorate


@contextmanager
def scratch_storage():
    """Point Hypothesis's storage (its cache of constants read from the user's
    modules) at a temporary directory for the run: ``database=None`` alone
    still writes ``.hypothesis/constants`` into the working directory.

    Where no temporary directory can be made (a read-only /tmp), the storage
    points below the null device, where nothing can be created: Hypothesis
    treats its storage as a cache and carries on without it.

    >>> before = storage_directory(intent_to_write=False).home_directory
    >>> with scratch_storage():
    ...     inside = storage_directory(intent_to_write=False).home_directory
    >>> inside.name.startswith("symbp-hypothesis-")
    True
    >>> storage_directory(intent_to_write=False).home_directory == before
    True
    """
    previous = storage_directory(intent_to_write=False).home_directory
    try:
        scratch = tempfile.TemporaryDirectory(prefix="symbp-hypothesis-")
    except OSError:
        scratch = nullcontext(os.path.join(os.devnull, "symbp-hypothesis"))
    with scratch as folder:
        set_hypothesis_home_dir(folder)
        try:
            yield
        finally:
            set_hypothesis_home_dir(previous)


class _Refuted(Exception):
    def __init__(self, drawn, result):
        super().__init__(result.message)
        self.drawn, self.result = drawn, result


def search_refutations(strategy, check, first_key, first, *, count: int, seed: int,
                       on_checked=None) -> tuple[dict, tuple | None]:
    """Check ``count`` draws of ``strategy`` with ``check(drawn)`` (a
    verdict with ``.verdict``; it may call Hypothesis's ``assume`` to skip a
    draw) until one is refuted, which Hypothesis then shrinks.  Returns every
    verdict by what was checked (``first`` under ``first_key`` included) and
    ``(drawn, verdict)`` of the shrunk refutation, or None;
    ``on_checked()`` is called after each new draw is checked.

    >>> from types import SimpleNamespace as Verdict
    >>> check = lambda n: Verdict(verdict="refuted" if n >= 3 else "proved", message="no.")
    >>> results, smallest = search_refutations(st.integers(0, 9), check, 0,
    ...                                        check(0), count=20, seed=0)
    >>> smallest[0], len(results) > 1
    (3, True)
    """
    results = {first_key: first}

    @isolated(count, seed)
    @given(strategy)
    def run(drawn):
        result = results.get(drawn)
        if result is None:
            result = results[drawn] = check(drawn)
            if on_checked is not None:
                on_checked()
        if result.verdict == "refuted":
            raise _Refuted(drawn, result)

    try:
        with scratch_storage():
            run()
    except _Refuted as refuted:
        return results, (refuted.drawn, refuted.result)
    return results, None
