#!/usr/bin/env python3
"""Render one page of a derivation to a PNG in docs/, for the docs.

    python scripts/derivation_picture.py                    # every picture below
    python scripts/derivation_picture.py layer_derivation   # docs/layer_derivation.png only

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
# picture name -> (symbp derive's options, the page shown)
PICTURES = {
    # the loss derivative and the softmax output error
    "derivation": (["--layers", "2,4,3,2", "--hidden", "relu", "--output", "softmax",
                    "--loss", "cce"], 2),
    # Kratzert's batch-norm steps 7 to 3: dxmu collects both its paths
    "layer_derivation": (["--layer", "batchnorm", "--N", "4", "--D", "3", "--eps", "1e-5"], 3),
}


def run(command, cwd) -> None:
    print("$", shlex.join(command))
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def render(name: str) -> None:
    options, page = PICTURES[name]
    with tempfile.TemporaryDirectory() as work:
        run([sys.executable, "-m", "symbp", "derive", *options, "--standalone",
             "-o", f"{name}.tex"], work)
        run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", f"{name}.tex"], work)
        run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(page), "-l", str(page),
             f"{name}.pdf", name], work)
        shutil.copy(Path(work) / f"{name}.png", DOCS / f"{name}.png")
    print(f"wrote {DOCS / f'{name}.png'}")


def main(names) -> int:
    for tool in ("pdflatex", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install texlive-latex-base poppler-utils",
                  file=sys.stderr)
            return 2
    unknown = [name for name in names if name not in PICTURES]
    if unknown:
        print(f"no picture {', '.join(unknown)}; expected {', '.join(PICTURES)}",
              file=sys.stderr)
        return 2
    for name in names or PICTURES:
        render(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
