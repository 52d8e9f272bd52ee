"""What ``grade`` reports: one :class:`KeyGrade` per gradient, gathered in a
:class:`GradeReport` with the notes on how the function's answer was read.

>>> from symbp.network import Network
>>> report = GradeReport(Network(layers=[2, 1]), 0, [KeyGrade("W1", "dW1", True, max_abs_error=0.0,
...                                                            tolerance=1e-15)])
>>> print(report)
on layers=[2, 1] hidden=sigmoid output=sigmoid loss=half_sse batch=1 reduction=mean layout=column at the point of seed 0
W1 (dW1): ok, max error 0 (tolerance 1e-15)
"""

from __future__ import annotations

from dataclasses import dataclass, field

# why a failing grade may not be the function's fault, in library words (the
# command line says which options to try)
CAUSES = {
    "onehot_targets": ("the targets were soft (any probability vector per sample); code "
                       "that assumes one-hot targets or takes class labels is wrong on them: "
                       "a possible cause, grade with one-hot targets or labels to know"),
    "output_width": ("FUNC failed on a network whose output layer is not as wide as the "
                     "given one's: code written for that output width (one sigmoid unit, "
                     "a fixed number of classes) is right only there"),
    "param_names": ("FUNC looked a parameter up by a name of its own (KeyError): the "
                    "parameters are passed as W1, b1, W2, ...; give FUNC's names for them"),
    "decay_per_batch": ("FUNC is right on this network with the decay scaled to its batch "
                        "(l2 times the given batch over this one): its decay is lambd/m * W, "
                        "Ng's (lambd / 2m) * sum ||W||^2, whose l2 changes with the batch"),
}


@dataclass
class KeyGrade:
    """The grade of one gradient: ``ok``, or what is wrong with it.

    >>> grade = KeyGrade("W1", "dW1", False, "values", max_abs_error=0.5,
    ...                  max_rel_error=float("inf"), where=(0, 1))
    >>> grade.line()
    'W1 (dW1): WRONG, off by up to 0.5 (inf of its largest entry) at [0, 1]'
    >>> grade.to_json()["max_rel_error"] is None    # JSON has no infinity
    True
    """

    key: str                       # symbp's key, "W1"
    name: str                      # the user's key, "dW1"
    ok: bool
    problem: str | None = None     # missing, extra, not_array, shape, non_finite, values,
    #                                exception, exited, timeout, not_dict
    message: str | None = None     # one sentence for a problem
    max_abs_error: float | None = None
    max_rel_error: float | None = None   # relative to the gradient's largest entry
    where: tuple | None = None
    tolerance: float | None = None
    dtype: str | None = None
    diagnosis: dict | None = None
    note: str | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "name": self.name, "ok": self.ok, "problem": self.problem,
                "message": self.message, "max_abs_error": self.max_abs_error,
                # JSON has no infinity: a relative error against an all-zero truth is null
                "max_rel_error": None if self.max_rel_error == float("inf") else self.max_rel_error,
                "where": list(self.where) if self.where is not None else None,
                "tolerance": self.tolerance, "dtype": self.dtype,
                "diagnosis": self.diagnosis, "note": self.note}

    def line(self) -> str:
        """One line of the human report."""
        label = self.key if self.name == self.key else f"{self.key} ({self.name})"
        if self.ok:
            text = f"{label}: ok, max error {self.max_abs_error:.2g} (tolerance {self.tolerance:.2g})"
        elif self.problem == "values":
            text = (f"{label}: WRONG, off by up to {self.max_abs_error:.3g} "
                    f"({self.max_rel_error:.3g} of its largest entry) at "
                    f"[{', '.join(map(str, self.where))}]")
        else:
            text = f"{label}: WRONG, {self.message}"
        if not self.ok and self.diagnosis:
            text += f"; {self.diagnosis['text'].rstrip('.')}"
        if self.note:
            text += f" (note: {self.note})"
        return text


@dataclass
class GradeReport:
    """Every gradient's grade at one point of one network.

    ``ok`` when every key is right; ``wrong`` lists the wrong ones; ``error``
    is what went wrong in FUNC (the exception and where, an exit, the time
    limit), if anything did.  ``notes`` say how FUNC's answer was read (key
    conventions, an assumed order, keys set aside, a redrawn point);
    ``changed`` the inputs FUNC changed in place; ``causes`` possible causes
    of a failure that are not FUNC's slips (keys of :data:`CAUSES`).

    >>> from symbp.network import Network
    >>> keys = [KeyGrade("W1", "W1", True, max_abs_error=0.0, tolerance=1e-15),
    ...         KeyGrade("b1", "b1", False, "missing", "missing: FUNC returned no b1 or db1")]
    >>> report = GradeReport(Network(layers=[2, 2], output="softmax", loss="cce"), 3, keys,
    ...                      causes=["onehot_targets"])
    >>> report.ok, [k.key for k in report.wrong], report.remarks()[0][:40]
    (False, ['b1'], 'possible cause: the targets were soft (a')
    """

    network: object
    seed: int | None
    keys: list[KeyGrade]
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    order_assumed: bool = False

    @property
    def ok(self) -> bool:
        return all(k.ok for k in self.keys)

    @property
    def wrong(self) -> list[KeyGrade]:
        return [k for k in self.keys if not k.ok]

    def lines(self) -> list[str]:
        """The report's lines: the heading lines, one line per key, then the notes."""
        return self.heading() + [k.line() for k in self.keys] + self.remarks()

    def heading(self) -> list[str]:
        where = f"on {self.network}" + (f" at the point of seed {self.seed}"
                                         if self.seed is not None else "")
        return [where] + ([f"FUNC failed: {self.error}"] if self.error else [])

    def remarks(self) -> list[str]:
        lines = [f"note: {note}" for note in self.notes]
        if self.changed:
            lines.append(f"note: FUNC changed its inputs in place: {', '.join(self.changed)} "
                         "(graded on fresh copies, so nothing else saw it)")
        if not self.ok:
            lines += [f"possible cause: {CAUSES[cause]}" for cause in self.causes]
        return lines

    def __str__(self):
        return "\n".join(self.lines())

    def to_json(self) -> dict:
        return {"ok": self.ok, "network": self.network.to_dict(), "seed": self.seed,
                "error": self.error, "keys": [k.to_json() for k in self.keys],
                "notes": list(self.notes), "set_aside": list(self.set_aside),
                "changed_inputs": list(self.changed),
                "possible_causes": [CAUSES[c] for c in self.causes] if not self.ok else []}
