"""The sizes symbp takes: a network is refused, with the limit and the
reason in one sentence, before anything is allocated or derived.

>>> from symbp.network import Network
>>> Network(layers=[100000, 100000])
Traceback (most recent call last):
...
symbp.errors.NetworkError: layers=[100000, 100000] with batch=1 needs about 149 GiB for one gradient (10,000,100,000 parameters, 1 sample); symbp takes networks that need at most 1 GiB; check a narrower network or a smaller batch: the same formulas hold at every size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symbp.errors import NetworkError, SymbpError

if TYPE_CHECKING:
    from symbp.network import Network

# Sizes are checked when a network is made, before anything is allocated or
# derived (README, "Choices"): the arrays of one gradient evaluation (a point,
# its gradient, each layer's z, a and their gradients for the whole batch)
# must fit in MEMORY_LIMIT bytes.  Measured: one truth gradient peaks at about
# this estimate ([2,3,2] batch 8M: 1.8 GiB estimated, 2.1 GB resident), and
# `symbp check` holds truth, backprop and finite differences side by side,
# about three times it.  Each layer is a step of Python in every pass, hence
# MAX_DEPTH.
MEMORY_LIMIT = 1024 ** 3
MAX_DEPTH = 1000
# Random networks or layer configurations one run draws (verify, grade and
# grade-layers --random): each costs up to a second (a new shape's truth is
# derived), so 1000 is a quarter of an hour; 10^12 would never end.
MAX_RANDOM = 1000
# The widest layer a random network may have (grade --max-width): Hypothesis
# draws widths anywhere up to it, and a network of width 10^9 passes the
# memory limit only to cost minutes per draw; at 1024 a draw costs a second.
MAX_RANDOM_WIDTH = 1024


def _bytes(count: int) -> str:
    """A byte count in the largest unit that keeps it >= 1: '1 GiB', '149 TiB'."""
    for unit, size in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if count >= size:
            value = count / size
            text = f"{value:,.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{count} bytes"


def check_random(count, what: str = "random") -> int:
    """``count`` of random draws, checked: an integer from 0 to ``MAX_RANDOM``
    (``what`` names it in the error: ``random`` in Python, ``--random`` on
    the command line).

    >>> check_random(20)
    20
    >>> check_random(10**12)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.SymbpError: random=1000000000000 asks for more draws than symbp makes: ...
    """
    given = f"{what} {count!r}" if what.startswith("-") else f"{what}={count!r}"
    if isinstance(count, bool) or not isinstance(count, int):
        raise SymbpError(f"{given} is not a number of draws; expected an integer from 0 "
                         f"to {MAX_RANDOM:,}")
    if count < 0:
        raise SymbpError(f"{given} is negative; expected an integer from 0 to {MAX_RANDOM:,}")
    if count > MAX_RANDOM:
        raise SymbpError(f"{given} asks for more draws than symbp makes: at most "
                         f"{MAX_RANDOM:,}, each costing up to a second", suggestion="ask for "
                         "fewer")
    return count


def check_max_width(width, what: str = "max_width") -> int:
    """The widest layer random networks may have: an integer from 1 to
    ``MAX_RANDOM_WIDTH``.

    >>> check_max_width(8)
    8
    """
    given = f"{what} {width!r}" if what.startswith("-") else f"{what}={width!r}"
    if isinstance(width, bool) or not isinstance(width, int) or \
            not 1 <= width <= MAX_RANDOM_WIDTH:
        raise SymbpError(f"{given} is not a width symbp draws up to; it must be an integer "
                         f"at least 1 and at most {MAX_RANDOM_WIDTH:,}")
    return width


def check_sizes(net: Network):
    """Refuse a network whose depth or memory is over the limits, before
    anything is allocated or derived (every :class:`Network` is checked).

    >>> from symbp.network import Network
    >>> Network(layers=[1] * 1002)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbp.errors.NetworkError: layers has 1001 layers after the input; symbp takes networks of ...
    """
    if net.depth > MAX_DEPTH:
        raise NetworkError(f"layers has {net.depth} layers after the input; symbp takes "
                           f"networks of at most {MAX_DEPTH}, since every layer is a step "
                           "of every pass", suggestion="check a shallower network: the "
                           "same formulas hold at every depth")
    needed = memory_needed(net)
    if needed > MEMORY_LIMIT:
        samples = f"{net.batch:,} sample" + ("s" if net.batch > 1 else "")
        raise NetworkError(
            f"layers={list(net.layers)} with batch={net.batch} needs about "
            f"{_bytes(needed)} for one gradient ({net.parameter_count:,} parameters, "
            f"{samples}); symbp takes networks that need at most {_bytes(MEMORY_LIMIT)}",
            suggestion="check a narrower network or a smaller batch: the same formulas "
                       "hold at every size")


def memory_needed(net: Network) -> int:
    """Bytes of float64 arrays one gradient evaluation holds: the point and
    its gradient, and z, a and their gradients at every layer for the batch
    (computed from the sizes alone, before anything is allocated).

    >>> from symbp.network import Network
    >>> memory_needed(Network(layers=[2, 3, 2], batch=4))
    1232
    """
    units = sum(net.layers)
    return 8 * (2 * net.parameter_count + net.batch * (4 * units + net.layers[-1]))
