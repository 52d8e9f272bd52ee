"""Write docs/textbooks.md: backprop as textbooks state it, and symbp's verdicts.

Runs ``symbp verify examples/textbooks.toml --json`` and writes its table,
one section per text, under the hand-written introduction in
``scripts/textbooks_intro.md`` (how each text's notation was translated,
what the notation accepts and refuses).  The table is made as the seeds'
page is (``scripts/seeds_report.py``); the exit status is the same.

    python scripts/textbooks_report.py        # from anywhere in the repository
"""

from __future__ import annotations

import sys
from pathlib import Path

from seeds_report import ROOT, main  # the same table, from the same JSON

CLAIMS = Path("examples") / "textbooks.toml"
INTRO = ROOT / "scripts" / "textbooks_intro.md"
PAGE = ROOT / "docs" / "textbooks.md"
# each claim's text, by the first word of its name; the rest are slips
TEXTS = (
    ("GBC", "Goodfellow, Bengio and Courville, *Deep Learning* (2016), 6.2 and 6.5"),
    ("PRML", "Bishop, *Pattern Recognition and Machine Learning* (2006), 5.2-5.3"),
    ("Ng", "Ng, Deep Learning Specialization, courses 1 and 2"),
    ("UFLDL", "UFLDL tutorial (Ng et al.), backpropagation algorithm"),
    ("cs231n", "cs231n notes: neural network case study, backprop (optimisation 2)"),
    ("d2l", "Zhang et al., *Dive into Deep Learning*, 5.3"),
    ("Zhou", "周志华《机器学习》(2016), 5.3 误差逆传播算法"),
    ("Qiu", "邱锡鹏《神经网络与深度学习》(2020), 3.3, 4.4, 4.5"),
    ("RHW", "Rumelhart, Hinton and Williams, Nature 323 (1986); PDP vol. 1 ch. 8"),
    ("PDP", "Rumelhart, Hinton and Williams, Nature 323 (1986); PDP vol. 1 ch. 8"),
)


def text_of(claim: dict) -> str:
    """The section of a claim: its text, by the first word of its name
    (``GBC's`` is Goodfellow's), else the slips'."""
    first = claim["name"].split()[0].removesuffix("'s").removesuffix(":")
    return next((title for key, title in TEXTS if first == key),
                "Slips the texts warn about, on networks of their own")


if __name__ == "__main__":
    sys.exit(main(CLAIMS, INTRO, PAGE, heading=text_of, said="what the text says",
                  where="the texts' networks"))
