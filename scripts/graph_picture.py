#!/usr/bin/env python3
"""Draw seed 001's computational graph (the apple and orange bill) for the docs.

    python scripts/graph_picture.py          # writes docs/seed001_graph.svg and .png

It runs ``symbp graph`` exactly as a user would, so the picture is what the
command draws; it needs Graphviz's ``dot`` (Debian package ``graphviz``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from symbp.cli.main import main

BILL = "price = (apple*apple_num + orange*orange_num) * tax"
AT = "apple=100,apple_num=2,orange=150,orange_num=3,tax=1.1"
DOCS = Path(__file__).resolve().parent.parent / "docs"


def draw() -> int:
    for extension in ("svg", "png"):
        status = main(["graph", BILL, "--at", AT, "-o", str(DOCS / f"seed001_graph.{extension}")])
        if status != 0:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(draw())
