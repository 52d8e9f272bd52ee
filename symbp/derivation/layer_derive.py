"""Derivations for one layer: its backward pass step by step through its
computational graph, then its compact forms, every line checked first
(contract section 12, ``symbp derive --layer``).

The graph is the layer's entry of :data:`~symbp.derivation.layer_graphs.GRAPHS`
(batch norm as Kratzert's nine nodes).  Each node's forward equation is
checked against the layer's definition; going backwards, each node's local
derivatives are shown (SymPy's, for element-wise functions) and the
gradient it passes back, upstream times local
(:class:`~symbp.derivation.layer_backward.Graph`), is written once every
node that uses a quantity has passed its share; then the compact forms.
Every equation is checked by :func:`~symbp.verification.layer_verdicts.verify_layer`
on the layer (proved, for every N and D where SymPy can, or holding at
sampled points); one that is neither stops the derivation with
:class:`~symbp.derivation.checked.DerivationError`, naming it, and nothing
is written.

>>> from symbp.layers.formulas import SizedLayer
>>> d = derive_layer(SizedLayer.of("dropout", N=2, D=2, p=0.5), format="markdown")
>>> [eq.formula for eq in d.equations]
['out = x * mask / p', 'dx = dout * mask / p']
"""

from __future__ import annotations

from symbp.derivation.checked import FORMATS, Derivation, DerivationError
from symbp.derivation.draft import Equation
from symbp.derivation.layer_backward import Graph, added
from symbp.derivation.layer_graphs import GRAPHS
from symbp.derivation.printers import DOCUMENT_PRINTERS, Display, Heading, Table, Text
from symbp.errors import UsageError
from symbp.layers.formula_values import point_values
from symbp.layers.formulas import as_sized_layer
from symbp.notation.parser import LAYER_MATRIX, parse_formula
from symbp.notation.quantities import LAYER_QUANTITIES
from symbp.notation.text import notation_text
from symbp.notation.tree import BinOp
from symbp.verification.layer_verdicts import verify_layer


def _latex(formula: str) -> str:
    from symbp.notation.latex import latex_notation
    return latex_notation(parse_formula(formula, LAYER_MATRIX), context="layer")


def _expression_latex(tree) -> str:
    from symbp.notation.latex import latex_notation
    return latex_notation(tree, context="layer")


def _math(name: str) -> str:
    return LAYER_QUANTITIES[name].latex


class _Writer:
    """Builds one layer's document: blocks and the equations to check."""

    def __init__(self, sized):
        self.sized = sized
        self.spec = GRAPHS[sized.layer.name]
        self.graph = Graph(sized, self.spec.nodes)
        self.values = point_values(sized, 0)
        self.blocks, self.equations = [], []

    def equation(self, name: str, formula: str):
        shape = self._shape(formula.split("=")[0].strip())
        self.equations.append(Equation(name=name, formula=formula, latex=_latex(formula),
                                       shape=shape))
        self.blocks.append(self.equations[-1])

    def _shape(self, name: str):
        quantity = LAYER_QUANTITIES[name]
        value = self.values.get(self.sized.layer.catalogue_name(quantity.source or name))
        return tuple(value.shape) if hasattr(value, "shape") and value.ndim == 2 else None

    def introduction(self):
        sized = self.sized
        loss = sized.layer.loss
        objective = (r"the loss $\mathit{out}$ itself" if loss else
                     r"$J = \sum \mathrm{d}\mathit{out} \odot \mathit{out}$ for an upstream "
                     r"gradient $\mathrm{d}\mathit{out}$")
        if sized.layer.penalty:
            objective += r" plus the penalty $\mathit{penalty}$"
        sizes = ", ".join(f"{k} = {v:g}" for k, v in sized.settings)
        self.blocks += [Heading("The layer"), Text(
            f"{self.spec.about or sized.layer.title[0].upper() + sized.layer.title[1:] + '.'} "
            f"Sizes and parameters: {sizes}; samples are the rows. For a quantity $q$, "
            r"$\mathrm{d}q$ is the gradient of the layer's objective with respect to $q$: "
            f"{objective}. Every equation below was checked by symbp verify on this layer "
            "(proved symbolically, for every size where SymPy could, or holding at sampled "
            "points) before anything was written; the truth is SymEngine's derivative of "
            "the layer's definition in symbp's catalogue.")]

    def forward(self):
        self.blocks += [Heading("Forward pass: the computational graph"), Text(
            "One node per line, in order; each is checked against the layer's definition.")]
        for number, node in enumerate(self.graph.nodes, 1):
            self.equation(f"node {number}", node.text)

    def backward(self):
        self.blocks += [Heading("Backward pass, step by step"), Text(
            "Going backwards, each node passes its gradient (the upstream) to the "
            "quantities it was computed from, times its local derivative; where a quantity "
            "was broadcast the product is summed over that axis, and a mean's gradient is "
            "spread back over the entries it averaged. A quantity used by several nodes "
            "collects one contribution from each: its equation is written at the step of "
            "the last of them.")]
        pending, consumers, announced = {}, {}, set()
        for node in self.graph.nodes:
            for name, _ in self.graph.contributions(node):
                consumers[name] = consumers.get(name, 0) + 1
        for number in range(len(self.graph.nodes), 0, -1):
            node = self.graph.nodes[number - 1]
            self.blocks.append(Heading(f"Step {number}: {node.name}", 2))
            self._local(node)
            finished = []
            for name, tree in self.graph.contributions(node):
                pending.setdefault(name, []).append(tree)
                consumers[name] -= 1
                if consumers[name] == 0:
                    finished.append(name)
            waiting = [n for n in pending if n not in finished and n not in announced]
            announced.update(waiting)
            for name in finished:
                self.equation(f"step {number}: d{name}",
                              f"d{name} = {notation_text(added(pending.pop(name)))}")
            if waiting:
                held = ", ".join(f"$\\mathrm{{d}}{_math(n)}$" for n in waiting)
                self.blocks.append(Text(f"{held} gets more at a later step (another node "
                                        "uses it too); its equation is written there."))

    def _local(self, node):
        if isinstance(node.expression, BinOp) and node.expression.op == "@" or \
                "@" in node.text:
            self.blocks.append(Text(
                "A matrix product: the upstream gradient goes back through the other factor "
                r"transposed, $\mathrm{d}x = \mathrm{d}\mathit{out}\, w^{\top}$ and "
                r"$\mathrm{d}w = x^{\top} \mathrm{d}\mathit{out}$; an added row (the bias) "
                "was broadcast over the samples, so its gradient is summed over them."))
            return
        local = self.graph.local(node)
        align = "&" if len(local) > 1 else ""
        lines = [rf"\frac{{\partial {_math(node.name)}}}{{\partial {_math(name)}}} "
                 rf"{align}= {_expression_latex(tree)}" for name, tree in local]
        if lines:
            self.blocks += [Text(f"${_latex(node.text)}$. Local derivatives, entry by entry "
                                 "(SymPy's, for the functions):"), Display(tuple(lines))]

    def compact(self):
        if not self.spec.compact:
            return
        self.blocks += [Heading("Compact form"), Text(
            "The steps substituted into each other give the forms found in the literature; "
            "each is checked as the steps are.")]
        for number, (formula, source) in enumerate(self.spec.compact, 1):
            self.blocks.append(Text(source[0].upper() + source[1:] + ":"))
            self.equation(f"compact {number}", formula)


def _display(equation: Equation) -> Display:
    shape = equation.shape
    where = rf" \in \mathbb{{R}}^{{{shape[0]} \times {shape[1]}}}" if shape else ""
    return Display((equation.latex + where,))


def derive_layer(sized, format: str = "latex", standalone: bool = False,
                 progress=None) -> Derivation:
    """The checked derivation of ``sized``'s backward pass (module doc).

    ``format`` is ``"latex"`` (a fragment, or a whole article with
    ``standalone=True``) or ``"markdown"``; ``progress(done, total)`` is
    called as equations are checked.

    >>> from symbp.layers.formulas import SizedLayer
    >>> derivation = derive_layer(SizedLayer.of("relu"), format="markdown")
    >>> derivation.equations[-1].formula, derivation.equations[-1].verdict
    ('dx = dout * step(x)', 'proved for every N and D')
    """
    sized = as_sized_layer(sized)
    if not isinstance(format, str) or format not in FORMATS:
        raise UsageError(f"format={format!r} is not a derivation format; expected one of "
                         + ", ".join(FORMATS))
    if sized.layer.name not in GRAPHS:
        raise UsageError(f"symbp has no derivation for the {sized.layer.name} layer; it has "
                         f"one for {', '.join(GRAPHS)}")
    writer = _Writer(sized)
    writer.introduction()
    writer.forward()
    writer.backward()
    writer.compact()
    _check(sized, writer.equations, progress)
    blocks = [_display(b) if isinstance(b, Equation) else b for b in writer.blocks]
    blocks += _summary(writer.equations)
    title = f"Backpropagation through {sized.layer.name} ({sized.layer.title})"
    text = DOCUMENT_PRINTERS[format]().document(blocks, title, standalone)
    return Derivation(text=text, format=format, equations=writer.equations, network=sized,
                      blocks=blocks, title=title)


def _check(sized, equations, progress):
    for done, equation in enumerate(equations, 1):
        result = verify_layer(equation.formula, sized)
        general = result.general
        equation.verdict = result.verdict
        if general is not None and general.verdict == "proved":
            equation.verdict = f"proved for {general.scope}"
        if progress is not None:
            progress(done, len(equations))
        if result.verdict not in ("proved", "holds"):
            reason = result.message or (result.diagnosis or {}).get("text")
            raise DerivationError(
                f"the {equation.name} equation '{equation.formula}' is {result.verdict} on "
                f"{sized}" + (f" ({reason})" if reason else ""),
                suggestion="nothing was written; please report this as a bug in symbp")


def _summary(equations) -> list:
    rows = tuple((f"${_latex(eq.formula).split(' = ', 1)[0]}$",
                  f"${_latex(eq.formula).split(' = ', 1)[1]}$",
                  rf"${eq.shape[0]} \times {eq.shape[1]}$" if eq.shape else "",
                  eq.verdict or "")
                 for eq in equations if not eq.name.startswith("node"))
    return [Heading("Summary"), Table(("quantity", "equation", "shape", "check"), rows,
                                      ("l", "p{8cm}", "c", "p{3cm}"))]
