"""The weight-decay term of a W gradient, diagnosed on its own.

With L2 decay (contract section 10) the gradient of W[l] is a data term
plus ``lambda * W[l]``.  A slip usually sits in one of them: the decay
missing (d2l's ``dW = G h^T`` kept), scaled (Ng's ``lambda/m`` where l2
already is it, cs231n's ``2 * reg``), or the data term off by a factor while
the decay is right (a per-example formula, ``g h^T + lambda W``, over a
batch).  Comparing the whole gradient finds no factor in either case; the
two parts apart do.  ``verify`` (a formula's dW[l]) and ``grade`` (a user's
W key) share this.

>>> import numpy as np
>>> data, decay = np.array([[1.0, 2.0]]), np.array([[0.5, -0.5]])
>>> decay_diagnosis(data, decay, data)["text"]
'the right side has no decay term: the weight decay lambda * W is missing.'
>>> decay_diagnosis(data, decay, 3 * data + decay)["text"]
'apart from its decay term, the right side is 3 times the truth.'
"""

from __future__ import annotations

import numpy as np

from symbp.verification.diagnosis import close, diagnose, factor_diagnosis

# what a decay term's factor usually means
_HINTS = {"1/m": " (lambda/m where lambda is meant: l2 is the lambda of (lambda/2) * "
                 "sum ||W||^2)",
          # cs231n's TwoLayerNet (2017-2019): loss += reg * sum(W * W), dW += 2 * reg * W
          "2": " (a penalty reg * sum(W**2), without the 1/2, has the gradient "
               "2 * reg * W: its lambda is 2 * reg)"}


def decay_diagnosis(data, decay, claimed, *, net=None, subject: str = "the right side",
                    scale: float | None = None) -> dict | None:
    """The slip in one part of a decayed W gradient: ``data`` is the truth
    without the decay, ``decay`` the decay's part (``lambda * W``),
    ``claimed`` the value to diagnose; ``subject`` names it in the text.
    None when the decay is 0 or neither part alone is off by a factor.

    >>> import numpy as np
    >>> data, decay = np.array([[1.0, 2.0]]), np.array([[0.5, -0.5]])
    >>> decay_diagnosis(data, decay, data + 2 * decay)["factor"]
    '2'
    """
    data, decay, claimed = (np.atleast_2d(np.asarray(v, dtype=float))
                            for v in (data, decay, claimed))
    if not np.any(decay) or claimed.shape != data.shape:
        return None
    residual = claimed - data
    if close(residual, np.zeros_like(residual), scale=scale).all():
        return {"kind": "decay", "term": "decay", "factor": "0", "value": 0.0,
                "text": f"{subject} has no decay term: the weight decay lambda * W is missing."}
    for term, truth, part in (("decay", decay, residual), ("data", data, claimed - decay)):
        found = diagnose(truth, part, net=net, scale=scale)
        if found is not None and found["kind"] == "factor":
            # n[L] names a factor of the loss's units, which no decay slip is
            names = [name for name in found["names"] if "n[L]" not in name] or found["names"]
            return renamed({"kind": "decay", "term": term, "value": found["value"]},
                           names, subject)
    return None


def renamed(diagnosis: dict, names: list, subject: str = "the right side") -> dict:
    """A ``decay`` diagnosis whose factor is known by ``names`` (the first
    is its name; at m = 2 the factor 2 is also m), its text written anew
    with ``subject`` naming the value diagnosed.

    >>> renamed({"kind": "decay", "term": "decay", "value": 0.5}, ["1/m"])["text"]
    'the decay term is 1/m of what it should be (lambda/m where lambda is meant: l2 is the lambda of (lambda/2) * sum ||W||^2).'
    """
    name = names[0]
    also = f" (= {', '.join(names[1:])})" if len(names) > 1 else ""
    if diagnosis["term"] == "decay":
        how = "times" if abs(diagnosis["value"]) > 1 else "of"
        hint = next((_HINTS[n] for n in names if n in _HINTS), "")
        text = f"the decay term is {name}{also} {how} what it should be{hint}."
    else:
        meaning = factor_diagnosis(names, diagnosis["value"])["text"].split(" times the truth")[1]
        text = f"apart from its decay term, {subject} is {name}{also} times the truth{meaning}"
    return {**diagnosis, "factor": name, "names": list(names), "text": text}
