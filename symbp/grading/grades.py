"""Grading a user's own backprop against the symbolic truth.

``grade(func, net)`` calls ``func(params, x, y)`` at a point of ``net`` and
compares every gradient it returns with ``net.gradient(point)``, which comes
from the symbolic derivation and is exact to rounding (the tolerance:
:mod:`symbp.grading.compare`).  The truth is computed before FUNC runs, and
a FUNC from ``symbp grade`` runs in a child process
(:mod:`symbp.grading.sandbox`), so nothing it does to NumPy reaches the
truth or the comparison.  FUNC gets copies of the point; what it returns is
read as plain data (:func:`symbp.grading.user_code.plain`) and matched to
symbp's keys by the conventions of :mod:`symbp.grading.keys`.

>>> import numpy as np
>>> from symbp.network import Network
>>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum")
>>> def my_grads(params, x, y):
...     delta = params["W1"] @ x + params["b1"] - y
...     return {"dW1": delta @ x.T, "db1": delta.sum(axis=1, keepdims=True)}
>>> report = grade(my_grads, net)
>>> report.ok, report.notes
(True, ['gradient keys read by the dW1 convention (dW1 is W1, db1 is b1, ...)'])

``symbp.grading.random_grade.grade_random(func, net, n)`` repeats this on ``n`` networks drawn by
Hypothesis and reports the smallest failing one.
"""

from __future__ import annotations

import numpy as np

from symbp.errors import NetworkError, SymbpError
from symbp.grading.compare import grade_value, output_scale
from symbp.grading.conventions import describe
from symbp.grading.keys import check_map, match_gradients
from symbp.grading.report import GradeReport, KeyGrade
from symbp.grading.sandbox import UserCodeFailed, UserFunction
from symbp.grading.slips import Context, bias_reduction, shifted_extra
from symbp.grading.user_code import (
    UserCodeError,
    UserError,
    call_watched,
    describe_exception,
    numpy_restored,
)
from symbp.network import Network, as_network

MAX_ZERO_REDRAWS = 20   # points tried when a true gradient is exactly 0 (contract section 10)
_PROBLEMS = {"raised": "exception", "exited": "exited", "timeout": "timeout"}

__all__ = ["GradeReport", "KeyGrade", "grade"]


def grade(func, net: Network, point=None, *, rtol=None, atol=None, names=None,
          grad_names=None, returns=None, labels: bool = False, seed: int = 0) -> GradeReport:
    """Grade ``func(params, x, y)``, which returns the gradients, on ``net`` at
    ``point`` (default ``net.sample(seed)``, redrawn while some true gradient
    is exactly zero).

    ``names`` maps symbp's keys to the user's parameter names (``{"W1":
    "w"}``), ``grad_names`` to the user's gradient keys (``{"W1": "dW1"}``;
    without it the conventions W1, dW1, dw1, grad_W1, w1 are recognised);
    ``returns`` names the order of a tuple FUNC returns (default W1, b1, W2,
    ...).  ``labels`` passes FUNC integer class indices (shape ``(m,)``)
    instead of ``y``, on one-hot targets.  ``rtol``/``atol`` replace the
    tolerance derived from the dtype returned.

    Code that looks its parameters up by its own names fails, and the report
    says why; ``names`` passes them under those names:

    >>> net = Network(layers=[2, 1], output="identity", loss="half_sse", reduction="sum")
    >>> def ng_style(params, x, y):
    ...     delta = params["w1"] @ x + params["b1"] - y
    ...     return {"dw1": delta @ x.T, "db1": delta.sum(axis=1, keepdims=True)}
    >>> report = grade(ng_style, net)
    >>> report.ok, report.error, report.causes
    (False, "KeyError: 'w1'", ['param_names'])
    >>> grade(ng_style, net, names={"W1": "w1"}).ok
    True
    """
    net = as_network(net)
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(
                tolerance, (int, float, np.integer, np.floating)) or
                not 0 <= tolerance < np.inf):
            raise NetworkError(f"{name}={tolerance!r} is not a tolerance; expected a finite "
                               "number >= 0")
    reason = net.untestable()
    if reason is not None:
        raise NetworkError(f"{net} cannot show a slip in a backprop: {reason}",
                           suggestion="give the output layer at least 2 units")
    if labels and net.targets != "onehot":
        net = net.replace(targets="onehot")
    names = check_map(names, net, "names")
    grad_names = check_map(grad_names, net, "gradient names")
    notes = []
    if point is None:
        p, seed, truth = _drawn_point(net, seed, notes)
    else:
        p, seed = net.check_point(point), None
        truth = net.gradient(p)
    context = Context(output_scale(net, p, truth), rtol, atol, truth,
                      net.replace(l2=0.0).gradient(p) if net.l2 else {},
                      {key: p[key] for key in net.param_keys() if key.startswith("b")})
    params = {names.get(k, k): p[k].copy() for k in net.param_keys()}
    y = np.argmax(p["y"], axis=net.units_axis) if labels else p["y"].copy()
    convention = func.convention if isinstance(func, UserFunction) else describe(func)
    if convention.get("problem"):   # a layer's backward, a class with no gradient method
        raise UserCodeError(convention["problem"])
    notes += [convention["note"]] * bool(convention["note"])
    result, changed, failure = _call(func, params, p["x"].copy(), y, {"l2": net.l2})
    if failure is not None:
        return _failed(net, seed, names, failure, notes)
    found = match_gradients(result, net, names=names, grad_names=grad_names, returns=returns)
    notes += found.notes
    if found.problem is not None:
        keys = [KeyGrade(k, names.get(k, k), False, found.problem, f"not returned: {found.message}")
                for k in net.param_keys()]
        return GradeReport(net, seed, keys, notes=notes, changed=changed)
    keys = []
    for key in net.param_keys():
        if key in found.values:
            keys.append(grade_value(net, key, found.names[key], truth[key], found.values[key],
                                    context))
        else:
            tried = found.missing[key]
            keys.append(KeyGrade(key, tried[0], False, "missing", (
                f"missing: FUNC returned no {' or '.join(tried)}; it returned "
                + (", ".join(found.returned) or "no keys"))))
    for name, value in found.extra.items():
        shifted = shifted_extra(name, value, truth)
        keys.append(KeyGrade(name, name, False, "extra",
                             f"an extra key: {name!r} names no parameter of the network, or "
                             "a second gradient for one" + (f"; {shifted}" if shifted else "")))
    if convention.get("other_loss"):
        _other_loss(net, p, keys, found.values, convention["other_loss"], rtol, atol)
    bias_reduction(net, keys)
    report = GradeReport(net, seed, keys, notes=notes, set_aside=found.set_aside,
                         changed=changed, order_assumed=found.order_assumed)
    if net.loss == "cce" and net.targets == "soft" and not labels:
        report.causes.append("onehot_targets")
    return report


def _other_loss(net, point, keys, values, others: list, rtol, atol):
    """Name the wrong keys that are, to the tolerance, the truth of the same
    network under one of the losses ``others`` (each ``{"loss", "text"}``
    with maybe a ``reduction`` and an ``output``; ``every_key``: only where
    every key returned is that loss's gradient): a course whose rule mixes
    two losses (Rashid's hidden errors are the cross-entropy's, his output
    step the squared error's), or a class whose step descends another loss
    than the network's.  Each truth is SymPy's too, derived for that loss."""
    wrong = [k for k in keys if k.problem == "values"]
    for other in others:
        changes = {field: other[field] for field in ("loss", "reduction", "output")
                   if other.get(field) is not None}
        if not wrong or all(getattr(net, field) == value for field, value in changes.items()):
            continue
        try:
            other_net = net.replace(**changes)
            other_truth = other_net.gradient(point)
        except SymbpError:   # that loss is not defined on this network (an identity output)
            continue
        context = Context(output_scale(other_net, point, other_truth), rtol, atol, other_truth)
        matched = {key.key for key in keys if key.key in values and grade_value(
            other_net, key.key, key.name, other_truth[key.key], values[key.key], context).ok}
        if other.get("every_key") and not matched >= set(values):
            continue
        for key in [key for key in wrong if key.key in matched]:
            key.diagnosis = {"kind": "other_loss", **changes,
                             "text": other["text"].format(key=key.key)}
            wrong.remove(key)


def _drawn_point(net, seed, notes):
    """The point of ``seed``, or of the next seeds while a true gradient is
    exactly 0 there (it would agree with any slip that also gives 0)."""
    zero_at_seed = []
    for offset in range(MAX_ZERO_REDRAWS):
        point = net.sample(seed + offset)
        truth = net.gradient(point)
        zero = [key for key, value in truth.items() if not np.any(value)]
        if not zero:
            if zero_at_seed:
                notes.append(f"the point of seed {seed} leaves the true gradient of "
                             f"{', '.join(zero_at_seed)} exactly 0 (it tests nothing there): "
                             f"redrawn at seed {seed + offset}")
            return point, seed + offset, truth
        zero_at_seed = zero_at_seed or zero
    raise NetworkError(f"every point drawn on {net} leaves the true gradient of "
                       f"{', '.join(zero)} exactly 0, so it cannot test them",
                       suggestion="try another network or seed")


def _call(func, params, x, y, extras):
    """FUNC's answer as plain data, the inputs it changed, and what went wrong."""
    try:
        if isinstance(func, UserFunction):   # runs in the user's own process
            value, changed = func.watched(params, x, y, extras)
        else:
            with numpy_restored():
                value, changed = call_watched(func, params, x, y, extras)
        return value, list(changed), None
    except UserCodeFailed as failed:
        return None, [], failed.error
    except KeyboardInterrupt:
        raise
    except BaseException as raised:  # noqa: BLE001  (GeneratorExit, SystemExit, a user class)
        return None, [], UserError("raised", *describe_exception(raised))


def _failed(net, seed, names, failure: UserError, notes) -> GradeReport:
    at = f" at {failure.where}" if failure.where else ""
    short = {"raised": f"FUNC raised {failure.what.split(':')[0]}{at}",
             "exited": "the process running FUNC ended",
             "timeout": "FUNC did not finish within the time limit"}[failure.kind]
    keys = [KeyGrade(k, names.get(k, k), False, _PROBLEMS[failure.kind], f"not returned: {short}")
            for k in net.param_keys()]
    report = GradeReport(net, seed, keys, str(failure), notes=notes)
    if _looked_up_another_name(failure, [names.get(k, k) for k in net.param_keys()]):
        report.causes.append("param_names")
    return report


def _looked_up_another_name(failure: UserError, given: list[str]) -> bool:
    """Whether FUNC raised KeyError for a name that is one of the parameters'
    in another spelling (``params['w1']`` where ``W1`` is passed, Ng's
    planar exercise with lower-case keys).

    >>> _looked_up_another_name(UserError("raised", "KeyError: 'w1'"), ["W1", "b1"])
    True
    """
    if failure.kind != "raised" or not failure.what.startswith("KeyError: "):
        return False
    wanted = failure.what[len("KeyError: "):].strip("'\"").lower()
    return wanted not in given and wanted in {name.lower() for name in given}

