"""Print symbp's numbers beside an article's: the one helper the seed scripts share."""

import json

import numpy as np


def show(label, ours, article, *, rtol=1e-9, atol=1e-9, digits=10):
    """Print one number of ours beside the article's; True when they match.

    Values are printed rounded to ``digits`` so that 0.24000000000000002
    reads as the article's 0.24; the comparison uses ``rtol`` and ``atol``."""
    ours, article = np.asarray(ours, float), np.asarray(article, float)
    ok = ours.shape == article.shape and np.allclose(ours, article, rtol=rtol, atol=atol)
    print(f"{label} | symbp {text(ours, digits)} | article {text(article, digits)} | "
          + ("ok" if ok else "MISMATCH"))
    return ok


def text(array, digits=10):
    """An array as compact JSON, rounded to ``digits``."""
    return json.dumps(np.round(array, digits).tolist(), separators=(",", ":"))
