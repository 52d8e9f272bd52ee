#!/usr/bin/env python3
"""Render one page of a derivation to docs/derivation.png for the docs.

    python scripts/derivation_picture.py     # writes docs/derivation.png

It runs ``symbp derive --standalone`` as a user would, compiles the LaTeX
with ``pdflatex`` (Debian ``texlive-latex-base``) and turns one page into a
PNG with ``pdftoppm`` (``poppler-utils``), printing every command it runs.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
NETWORK = ["--layers", "2,4,3,2", "--hidden", "relu", "--output", "softmax", "--loss", "cce"]
PAGE = 2   # the loss derivative and the softmax output error


def run(command, cwd) -> None:
    print("$", shlex.join(command))
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    for tool in ("pdflatex", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install texlive-latex-base poppler-utils",
                  file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as work:
        run([sys.executable, "-m", "symbp", "derive", *NETWORK, "--standalone",
             "-o", "derivation.tex"], work)
        run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "derivation.tex"], work)
        run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(PAGE), "-l", str(PAGE),
             "derivation.pdf", "derivation"], work)
        shutil.copy(Path(work) / "derivation.png", DOCS / "derivation.png")
    print(f"wrote {DOCS / 'derivation.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
