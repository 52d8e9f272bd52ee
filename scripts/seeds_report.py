"""Write docs/seeds.md: what the seed articles claim, and symbp's verdicts.

Runs the real command line, ``symbp verify examples/seeds.toml --json``, and
turns its JSON into a Markdown table, one row per claim (one formula of an
article), under the hand-written introduction in ``scripts/seeds_intro.md``
(how each article was read, what the notation cannot express).  The page is
written whole or not at all (a temporary file, then a rename).

    python scripts/seeds_report.py            # from anywhere in the repository

Exit 0 when every claim met its ``expect``, 1 when one did not (the page is
written either way, so that it shows what symbp said), 2 when symbp's output
could not be read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = Path("examples") / "seeds.toml"
INTRO = ROOT / "scripts" / "seeds_intro.md"
PAGE = ROOT / "docs" / "seeds.md"
ARTICLES = {
    "000": "000: forward and backward propagation, one relu hidden layer, squared error",
    "001": "001: add, multiply and affine layers, a two-layer relu net (优化网络的原理与方法(2))",
    "002": "002: the four fundamental equations, single- and multi-sample (BP神经网络)",
    "003": "003: sigmoid and cross-entropy (BP 神经网络 —— 逆向传播的艺术)",
    "004": "004: one sigmoid layer on row vectors, with code",
}


def run_verify(claims: Path = CLAIMS) -> dict:
    """The JSON document of ``symbp verify CLAIMS --json`` (examples/seeds.toml)."""
    done = subprocess.run([sys.executable, "-m", "symbp", "verify", str(claims), "--json"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"symbp verify exited {done.returncode} without JSON: "
                         f"{done.stderr.strip() or done.stdout.strip()[:200]}") from None


_MARKUP = "\\`*_[]<>|"


def cell(text) -> str:
    """Text made safe for one Markdown table cell: one line, markup escaped
    (an article's ``δ[l](1)`` would otherwise be a link)."""
    text = " ".join(str(text or "").split())
    return "".join("\\" + c if c in _MARKUP else c for c in text)


def code(text) -> str:
    """A formula as inline code (inside it only the table's bar needs escaping)."""
    return "`" + " ".join(str(text).split()).replace("|", "\\|") + "`"


def verdict_cell(claim: dict) -> str:
    verdict = f"**{claim['verdict']}**"
    if claim.get("layers_checked"):
        verdict += " (l = " + ", ".join(map(str, claim["layers_checked"])) + ")"
    if claim.get("expect"):
        verdict += "; expected " + claim["expect"] + (", met" if claim["met"] else ", NOT MET")
    return verdict


def general_cell(claim: dict) -> str:
    """The verdict for every size: its scope, or the smallest counterexample."""
    general = claim.get("general")
    if not general:
        return ""
    text = f"**{general['verdict']}**"
    if general["verdict"] == "proved":
        text += f" ({cell(general['scope'])})"
    elif general["verdict"] == "refuted" and general.get("counterexample"):
        network = general["counterexample"]["network"]
        what = (general.get("diagnosis") or {}).get("text") or general.get("message")
        text += (f" at layers {cell(network['layers'])}, m = {network['batch']}: "
                 f"{cell(str(what).rstrip('.'))}")
    if claim.get("expect_general"):
        met = general["verdict"] == claim["expect_general"] or (
            claim["expect_general"] == "holds" and general["verdict"] == "proved")
        text += "; expected " + claim["expect_general"] + (", met" if met else ", NOT MET")
    return text


def diagnosis_cell(claim: dict) -> str:
    """The diagnosis; for a refutation no diagnosis fits, the counterexample's size."""
    if claim.get("diagnosis"):
        return cell(claim["diagnosis"]["text"])
    if claim["verdict"] == "refuted":
        return "no constant factor, transpose or shape fits: " + cell(claim.get("message"))
    if claim["verdict"] == "error":
        return "error: " + cell(claim.get("message"))
    return ""


def _article(claim: dict) -> str:
    key = claim["name"].split()[0]
    return ARTICLES.get(key, key)


def table(claims: list, heading=_article, said: str = "what the article says") -> str:
    """One table per article (``heading(claim)`` names a claim's), one row
    per claim, in the file's order."""
    lines, article = [], None
    for claim in claims:
        key = heading(claim)
        if key != article:
            article = key
            lines += ["", f"### {key}", "",
                      f"| claim | formula | {said} | verdict | diagnosis | for every size |",
                      "|---|---|---|---|---|---|"]
        lines.append(f"| {cell(claim['name'])} | {code(claim['formula'])} | "
                     f"{cell(claim.get('source'))} | {verdict_cell(claim)} | "
                     f"{diagnosis_cell(claim)} | {general_cell(claim)} |")
    return "\n".join(lines) + "\n"


def _counts(verdicts) -> str:
    counts = {}
    for verdict in verdicts:
        counts[verdict] = counts.get(verdict, 0) + 1
    return ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))


def summary(claims: list, where: str = "the articles' networks") -> str:
    met = sum(claim["met"] for claim in claims)
    general = _counts(claim["general"]["verdict"] for claim in claims)
    return (f"{len(claims)} claims: {_counts(claim['verdict'] for claim in claims)} on "
            f"{where}; for every size: {general}; {met} of {len(claims)} met "
            "their expectations.\n")


def write_whole(path: Path, text: str):
    """Write ``text`` to ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(claims_file: Path = CLAIMS, intro: Path = INTRO, page_path: Path = PAGE,
         heading=_article, said: str = "what the article says",
         where: str = "the articles' networks") -> int:
    """Write the page for a claims file (by default the seeds'); exit status
    as the module doc says."""
    try:
        claims = run_verify(claims_file)["claims"]
    except SystemExit as failure:
        print(failure, file=sys.stderr)
        return 2
    page = (intro.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
            + summary(claims, where) + table(claims, heading, said))
    write_whole(page_path, page)
    unmet = [claim["name"] for claim in claims if not claim["met"]]
    print(f"wrote {page_path.relative_to(ROOT)}: " + summary(claims, where).strip())
    if unmet:
        print("not met: " + ", ".join(unmet), file=sys.stderr)
    return 1 if unmet else 0


if __name__ == "__main__":
    sys.exit(main())
