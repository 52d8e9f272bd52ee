#!/usr/bin/env python3
"""Render one page of the batch-norm derivation to docs/layer_derivation.png.

    python scripts/layer_derivation_picture.py     # writes docs/layer_derivation.png

It runs ``symbp derive --layer batchnorm --standalone`` as a user would,
compiles the LaTeX with ``pdflatex`` (Debian ``texlive-latex-base``) and turns
one page into a PNG with ``pdftoppm`` (``poppler-utils``), printing every
command it runs.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
LAYER = ["--layer", "batchnorm", "--N", "4", "--D", "3", "--eps", "1e-5"]
PAGE = 3   # Kratzert's steps 7 to 3: dxmu collects both its paths


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
        run([sys.executable, "-m", "symbp", "derive", *LAYER, "--format", "latex",
             "--standalone", "-o", "batchnorm.tex"], work)
        run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "batchnorm.tex"], work)
        run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(PAGE), "-l", str(PAGE),
             "batchnorm.pdf", "layer_derivation"], work)
        shutil.copy(Path(work) / "layer_derivation.png", DOCS / "layer_derivation.png")
    print(f"wrote {DOCS / 'layer_derivation.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
