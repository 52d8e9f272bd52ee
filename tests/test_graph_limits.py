"""``symbp graph`` at unlucky points and sizes: ill-conditioned points and
kinks are no false disagreement, huge exponents and long expressions end
within seconds or are refused with their limit, and files are written in
the format their name says."""

import json
import struct
import subprocess

import pytest

import symbp


def one_sentence(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cancellation_is_an_ill_conditioned_point_not_a_disagreement(cli):
    status, out, err = cli("graph", "f = 1/((x + y) - z)", "--at", "x=0.1,y=0.2,z=0.3")
    assert status == 2 and one_sentence(err)
    assert "ill-conditioned" in err and "node #2 = x + y - z" in err
    assert "DISAGREES" not in out and "d f / d z" in out
    status, out, _ = cli("graph", "f = 1/((x + y) - z)", "--at", "x=0.1,y=0.2,z=0.3",
                         "--format", "json")
    assert status == 2 and "node #2" in json.loads(out)["ill_conditioned"]
    # the same expression at a point float64 resolves agrees
    assert symbp.graph("f = 1/((x + y) - z)", x=0.1, y=0.2, z=0.25).sympy_agrees


def test_at_a_flagged_kink_the_convention_decides(cli):
    status, out, err = cli("graph", "f = relu((x + y) - z)", "--at",
                           "x=0.1,y=0.7,z=0.7999999999999999")
    assert (status, err) == (0, "")
    assert "kink: node f" in out and "agrees" in out.splitlines()[-1]


@pytest.mark.parametrize("at", ["x=0.5,y=1e12", "x=1.0000001,y=1e9"])
def test_huge_exponents_are_evaluated_at_bounded_precision(cli, at):
    status, out, err = cli("graph", "f = x**y", "--at", at)
    assert (status, err) == (0, ""), out
    assert "agrees" in out.splitlines()[-1]


def test_a_power_tower_and_a_product_of_150_names():
    tower = symbp.graph("f = " + "**".join(["x"] * 20), x=1.4)
    assert tower.sympy_agrees and tower.grad["x"] == pytest.approx(6.9537916253)
    names = {f"x{i}": 1.01 for i in range(150)}
    product = symbp.graph("f = " + "*".join(names), **names)
    assert product.sympy_agrees and product.grad["x7"] == pytest.approx(1.01 ** 149)


def test_symbolic_work_beyond_the_bound_is_refused_with_it(cli):
    formula = "f = " + "*".join(f"tanh(x+{k})" for k in range(120))
    status, out, err = cli("graph", formula, "--at", "x=0.3")
    assert (status, out) == (2, "") and one_sentence(err)
    assert "at most 40,000" in err


def test_a_flat_sum_is_not_nesting(cli):
    names = [f"x{i}" for i in range(45)]
    status, out, _ = cli("graph", "f = " + " + ".join(names), "--at",
                         ",".join(f"{n}=1" for n in names))
    assert status == 0 and "f = 45\n" in out
    status, _, err = cli("graph", "f = " + " + ".join(["x"] * 160), "--at", "x=1")
    assert status == 2 and one_sentence(err) and "more than 150 operations deep" in err
    status, _, err = cli("graph", "f = " + "exp(" * 41 + "x" + ")" * 41, "--at", "x=0")
    assert status == 2 and "nest" in err


def test_a_graph_of_constants_needs_no_values(cli):
    status, out, err = cli("graph", "f = 2*3")
    assert (status, err) == (0, "") and "f = 6" in out


def test_names_are_read_as_python_reads_them():
    # the parser reads ϑ as θ (NFKC), and so are the names of the values
    assert symbp.graph("f = 2*ϑ", ϑ=1.5).value == 3.0


def test_latex_of_non_ascii_names_compiles(tmp_path, require_tool):
    require_tool("pdflatex", "texlive-latex-base")
    values = {"α": 1.0, "ñ": 2.0, "año": 3.0, "Ω": 0.5, "Β": 1.0, "中": 2.0}
    body = symbp.graph("f = α*ñ + año*Ω + exp(Β) + 中", **values).to_latex()
    source = tmp_path / "graph.tex"
    source.write_text("\\documentclass{article}\n\\usepackage{amsmath}\n"
                      "\\begin{document}\n" + body + "\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode",
                           source.name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert r"\alpha" in body and r"\text{\~{n}}" in body and "[U+4E2D]" in body


BILL = ("price = (apple*apple_num + orange*orange_num) * tax",
        "--at", "apple=100,apple_num=2,orange=150,orange_num=3,tax=1.1")


@pytest.mark.parametrize("name, start", [("g.pdf", b"%PDF"), ("g.jpg", b"\xff\xd8"),
                                          ("g.jpeg", b"\xff\xd8"), ("g.svg", b"<?xml")])
def test_o_draws_the_picture_its_extension_names(cli, tmp_path, require_tool, name, start):
    require_tool("dot", "graphviz")
    status, _, err = cli("graph", *BILL, "-o", tmp_path / name)
    assert (status, err) == (0, "")
    assert (tmp_path / name).read_bytes().startswith(start)


@pytest.mark.parametrize("name, check", [
    ("g.json", lambda text: json.loads(text)["output"] == "price"),
    ("g.dot", lambda text: text.startswith("digraph")),
    ("g.tex", lambda text: r"\begin{align*}" in text),
    ("g.txt", lambda text: "price = 715" in text),
    ("g", lambda text: "price = 715" in text),
])
def test_o_writes_the_document_its_extension_names(cli, tmp_path, name, check):
    assert cli("graph", *BILL, "-o", tmp_path / name)[0] == 0
    assert check((tmp_path / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("options, fragment", [
    (["-o", "g.xyz"], "which format .xyz files hold"),
    (["-o", "g.tex", "--format", "json"], "names the latex format, but --format is json"),
])
def test_o_with_an_unknown_or_contradicted_extension_is_refused(cli, tmp_path, options,
                                                                 fragment):
    options = [str(tmp_path / o) if o.startswith("g.") else o for o in options]
    status, out, err = cli("graph", *BILL, *options)
    assert (status, out) == (2, "") and one_sentence(err) and fragment in err
    assert list(tmp_path.iterdir()) == []


def test_a_deep_graph_is_drawn_top_to_bottom_and_readable(cli, tmp_path, require_tool):
    require_tool("dot", "graphviz")
    loss = ("loss = -(y*log(sigmoid(w1*x1 + w2*x2 + b)) "
            "+ (1 - y)*log(1 - sigmoid(w1*x1 + w2*x2 + b)))")
    path = tmp_path / "logistic.png"
    status, _, _ = cli("graph", loss, "--at", "y=1,w1=0.5,x1=1.5,w2=-0.3,x2=2.0,b=0.1",
                       "-o", path)
    assert status == 0
    width, height = struct.unpack(">II", path.read_bytes()[16:24])     # the PNG header
    assert max(width, height) < 3000 and max(width, height) / min(width, height) < 4


def test_picture_labels_are_short_and_never_negative_zero():
    dot = symbp.graph("f = -x + 1/3", x=0.0).to_dot()
    assert "value 0.333333 |" in dot and "0.333333333" not in dot
    assert "-0 " not in dot and "value -0" not in dot
