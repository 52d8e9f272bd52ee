"""The content of a derivation document for one network, before checking.

``build_document(net)`` returns the blocks (headings, prose, display maths,
and :class:`~symbp.derivation.checked.Equation` placeholders that ``derive`` checks
with verify and then prints).  Matrix equations are written in symbp's
notation and turned into LaTeX by parsing them, so the LaTeX shown is the
formula checked.  Activation- and loss-specific content comes from
``symbp.derivation.calculus`` (SymPy), never from per-configuration text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symbp.derivation.calculus import (
    A,
    S,
    Y,
    Z,
    activation_derivative,
    elementwise_output_error,
    loss_derivative,
    per_sample_loss,
    softmax_pieces,
)
from symbp.derivation.expand import expand_section
from symbp.derivation.printers import Display, Heading, Table, Text
from symbp.derivation.sympy_printing import sympy_latex, sympy_notation
from symbp.notation.latex import latex_notation
from symbp.notation.parser import parse_formula
from symbp.notation.quantities import QUANTITIES
from symbp.tables import ACTIVATIONS, LOSSES


@dataclass
class Equation:
    """One checked equation: its formula in symbp notation, its LaTeX, the
    shape of its left side and the verdict ``symbp.verify`` gave.

    >>> from symbp.network import Network
    >>> equation = build_document(Network(layers=[2, 1])).equations[-2]
    >>> equation.formula, equation.shape, equation.verdict
    ('dW[1] = delta[1] @ x.T', (1, 2), None)
    """
    name: str
    formula: str
    latex: str = ""
    shape: tuple | None = None
    verdict: str | None = None


@dataclass
class Draft:
    """A derivation before it is checked: its blocks, the equations in them,
    and the ``--expand`` lines (:class:`~symbp.derivation.expand.ExpandedLine`).

    >>> from symbp.network import Network
    >>> draft = build_document(Network(layers=[2, 1]))
    >>> draft.title, draft.equations[0].formula
    ('Backpropagation for layers [2, 1]', 'z[1] = W[1] @ x + b[1]')
    """
    title: str
    blocks: list = field(default_factory=list)
    equations: list = field(default_factory=list)
    expanded: list = field(default_factory=list)   # lines checked against the truth


class _Writer:
    """Builds one network's draft, section by section."""

    def __init__(self, net):
        self.net = net
        self.L = net.depth
        self.column = net.layout == "column"
        self.draft = Draft(title=f"Backpropagation for layers {list(net.layers)}")

    # -- helpers ---------------------------------------------------------------

    def add(self, *blocks):
        self.draft.blocks.extend(blocks)

    def equation(self, name: str, formula: str, shape=None) -> Equation:
        eq = Equation(name=name, formula=formula,
                      latex=latex_notation(parse_formula(formula), self.net.layout),
                      shape=shape)
        self.draft.equations.append(eq)
        self.add(eq)
        return eq

    def a(self, k: int) -> str:
        return "x" if k == 0 else f"a[{k}]"

    def shape(self, name: str, k: int):
        return self.net.shape(QUANTITIES[name].like, k)

    def dims(self, name: str, k: int) -> str:
        rows, cols = self.shape(name, k)
        return rf"{rows} \times {cols}"

    def prime_notation(self, l: int) -> str | None:
        """act'(z[l]) in notation from SymPy's derivative; None when it is 1."""
        activation = self.net.activation(l)
        form = activation_derivative(activation.name).form
        if form == 1:
            return None
        text = sympy_notation(form, {S: f"a[{l}]", Z: f"z[{l}]"})
        return f"({text})" if form.is_Add else text

    # -- sections --------------------------------------------------------------

    def network(self):
        net = self.net
        samples = "columns" if self.column else "rows"
        bias = "with biases" if net.bias else "without biases"
        self.add(Heading("The network"), Text(
            f"Layers $n = {list(net.layers)}$ ($L = {self.L}$), hidden activation "
            f"{net.hidden}, output activation {net.output}, loss {net.loss}, batch "
            f"$m = {net.batch}$ with reduction {net.reduction}, {net.layout} layout "
            f"(the samples are the {samples} of $x$, $z^{{[l]}}$, $a^{{[l]}}$), {bias}. "
            "Every matrix equation below was checked by symbp verify on this network "
            "(proved symbolically, or holding at sampled points); every scalar identity "
            "is SymPy's derivative of the activation and loss tables."))
        rows = []
        for l in range(1, self.L + 1):
            rows.append((f"{l}", f"${self.dims('W', l)}$",
                         f"${self.dims('b', l)}$" if net.bias else "-",
                         f"${self.dims('z', l)}$", f"${net.activation(l).latex}$"))
        self.add(Table(("layer l", "W", "b", "z, a, delta", "activation"), tuple(rows),
                       ("c", "c", "c", "c", "c")))

    def forward(self):
        self.add(Heading("Forward pass"), Text(
            "Each layer is an affine map followed by its activation; $a^{[0]} = x$."))
        for l in range(1, self.L + 1):
            product = f"W[{l}] @ {self.a(l - 1)}" if self.column else f"{self.a(l - 1)} @ W[{l}]"
            bias = f" + b[{l}]" if self.net.bias else ""
            self.equation(f"forward z[{l}]", f"z[{l}] = {product}{bias}", self.shape("z", l))
            name = self.net.activation(l).name
            self.equation(f"forward a[{l}]", f"a[{l}] = {name}(z[{l}])", self.shape("a", l))

    def loss(self):
        net = self.net
        units = net.layers[-1]
        loss_latex = LOSSES[net.loss].latex
        self.add(Heading("Loss and its derivative"), Text(
            f"Each sample's loss $\\ell$ is {net.loss} over the $n_L = {units}$ outputs "
            "(a definition):"))
        lines = [rf"\ell &= {loss_latex}"]
        if units <= 3:
            expr, a, y = per_sample_loss(net.loss, units)
            names = {s: f"a_{{{j + 1}}}" for j, s in enumerate(a)}
            names.update({s: f"y_{{{j + 1}}}" for j, s in enumerate(y)})
            lines.append("&= " + sympy_latex(expr, names))
        self.add(Display(tuple(lines)))
        total = (r"\sum_{i=1}^{m} \ell^{(i)}" if net.reduction == "sum"
                 else r"\frac{1}{m} \sum_{i=1}^{m} \ell^{(i)}")
        decay = ""
        if net.l2:
            total += r" + \frac{\lambda}{2} \sum_{l=1}^{L} \lVert W^{[l]} \rVert_F^2"
            decay = f", plus the L2 weight decay with $\\lambda = {net.l2:g}$, biases excluded"
        self.add(Text(f"The total loss is the {net.reduction} over the samples "
                      f"($m = {net.batch}$){decay} (a definition):"),
                 Display((rf"\mathcal{{L}} = {total}",)))
        derivative = loss_derivative(net.loss, units)
        self.add(Text("SymPy's derivative of $\\ell$ by one output $a_j$ (every other term "
                      "of the sum is constant in $a_j$):"),
                 Display((r"\frac{\partial \ell}{\partial a_j} = "
                          + sympy_latex(derivative, {A: "a_j", Y: "y_j"}),)))
        self.add(Text("Entry by entry, for every sample:"))
        L = self.L
        self.equation("loss derivative da[L]",
                      f"da[{L}] = {sympy_notation(derivative, {A: f'a[{L}]', Y: 'y'})}",
                      self.shape("da", L))

    def output_error(self):
        self.add(Heading("Output error"))
        if self.net.activation(self.L).elementwise:
            self._elementwise_output_error()
        else:
            self._softmax_output_error()

    def activation_identity(self, name: str):
        derivative = activation_derivative(name)
        value = rf"{ACTIVATIONS[name].latex}(z)"
        line = rf"{ACTIVATIONS[name].latex}'(z) = " + sympy_latex(derivative.raw, {Z: "z"})
        rewritten = sympy_latex(derivative.form, {S: value, Z: "z"})
        if not _same_latex(line.rsplit(" = ", 1)[1], rewritten):
            line += " = " + rewritten
        return line

    def _elementwise_output_error(self):
        net, L = self.net, self.L
        name = net.activation(L).name
        self.add(Text(f"The output activation {name} acts entry by entry, so "
                      "$\\partial a_j / \\partial z_k = 0$ for $k \\ne j$ and the chain rule "
                      "keeps one term. SymPy's derivative of the activation:"),
                 Display((self.activation_identity(name),)))
        prime = self.prime_notation(L)
        right = f"da[{L}] * {prime}" if prime else f"da[{L}]"
        self.equation("output error delta[L] (chain rule)", f"delta[{L}] = {right}",
                      self.shape("delta", L))
        error = elementwise_output_error(name, net.loss, net.layers[-1])
        names = {A: "a_j", Y: "y_j", Z: "z_j"}
        product, simplified = (sympy_latex(error.product, names),
                               sympy_latex(error.simplified, names))
        same = _same_latex(product, simplified)
        self.add(Text("Entry by entry, the chain-rule product is" if same else
                      "Entry by entry, the chain-rule product simplifies (SymPy):"),
                 Display((r"\delta_j = \frac{\partial \ell}{\partial a_j}\,"
                          rf"{ACTIVATIONS[name].latex}'(z_j) = " + product
                          + ("" if same else " = " + simplified),)))
        if error.cancels:
            self.add(Text("The activation's derivative cancels the denominator of the "
                          "loss's derivative: nothing of $\\sigma'$ is left to compute."))
        simplified = sympy_notation(error.simplified, {A: f"a[{L}]", Y: "y", Z: f"z[{L}]"})
        if simplified.replace(" ", "") != right.replace(" ", ""):
            self.equation("output error delta[L]", f"delta[{L}] = {simplified}",
                          self.shape("delta", L))

    def _softmax_output_error(self):
        net, L = self.net, self.L
        units = net.layers[-1]
        axis = net.units_axis
        self.add(Text(
            "Softmax is not element-wise: each output $s_k = e^{z_k} / \\sum_i e^{z_i}$ "
            "depends on every $z_j$ of its sample, so the chain rule sums over all outputs, "
            "$\\delta_j = \\sum_k \\frac{\\partial \\ell}{\\partial a_k} "
            "\\frac{\\partial s_k}{\\partial z_j}$, through the full Jacobian. Writing "
            "$\\delta = \\frac{\\partial \\ell}{\\partial a} \\odot s \\odot (1 - s)$ with the "
            "diagonal alone drops the off-diagonal terms $-s_k s_j$ and is wrong."))
        pieces = softmax_pieces(str(net.loss), units, LOSSES[net.loss].domain == "simplex")
        if units <= 4 and units > 1:
            names = {s: f"s_{{{k + 1}}}" for k, s in enumerate(pieces.s)}
            jac = sympy_latex(pieces.jacobian, names)
            line = rf"\frac{{\partial s}}{{\partial z}} = {jac}"
            if pieces.is_diag_minus_outer:
                line += r" = \operatorname{diag}(s) - s s^{\top}"
            self.add(Text("SymPy's Jacobian, written in the outputs (using "
                          "$\\sum_k s_k = 1$):"), Display((line,)))
        elif units == 1:
            self.add(Text("With one output, softmax is the constant 1 and its Jacobian is 0."))
        self.add(Text("The Jacobian is symmetric, so per sample "
                      "$\\delta = s \\odot (\\frac{\\partial \\ell}{\\partial a} - "
                      "s^{\\top}\\frac{\\partial \\ell}{\\partial a})$:"))
        self.equation("output error delta[L] (softmax Jacobian)",
                      f"delta[{L}] = a[{L}] * (da[{L}] - sum(a[{L}] * da[{L}], axis={axis}))",
                      self.shape("delta", L))
        if pieces.elementwise is not None:
            self.add(Text("With the loss's derivative substituted, SymPy simplifies the sum "
                          "(each sample's targets sum to 1) and everything cancels but:"),
                     Display((r"\delta_j = " + sympy_latex(pieces.elementwise,
                                                           {A: "a_j", Y: "y_j"}),)))
            text = sympy_notation(pieces.elementwise, {A: f"a[{L}]", Y: "y"})
            self.equation("output error delta[L]", f"delta[{L}] = {text}",
                          self.shape("delta", L))

    def hidden(self):
        if self.L < 2:
            return
        net = self.net
        self.add(Heading("Hidden layers"), Text(
            "Going backwards, $z^{[l+1]}$ depends on $a^{[l]}$ through $W^{[l+1]}$, so the "
            "error flows back through its transpose, then through the activation's derivative:"),
            Display((self.activation_identity(net.hidden),)))
        for l in range(self.L - 1, 0, -1):
            back = f"W[{l + 1}].T @ delta[{l + 1}]" if self.column else \
                f"delta[{l + 1}] @ W[{l + 1}].T"
            self.add(Heading(f"Layer {l}", 2))
            self.equation(f"da[{l}]", f"da[{l}] = {back}", self.shape("da", l))
            prime = self.prime_notation(l)
            right = f"({back}) * {prime}" if prime else back
            self.equation(f"hidden error delta[{l}]", f"delta[{l}] = {right}",
                          self.shape("delta", l))

    def gradients(self):
        net = self.net
        m = net.batch
        scale = "(1/m) * " if net.reduction == "mean" and m > 1 else ""
        samples_axis = 1 if self.column else 0
        if net.reduction == "mean":
            how = (", averaged over the samples: the matrix product sums the $m$ per-sample "
                   "outer products and $\\frac{1}{m}$ averages them" if m > 1 else
                   "; with $m = 1$ the mean over the samples is that one sample's gradient")
        else:
            how = ", summed over the samples, which the matrix product carries out"
        order = ("$\\delta^{[l]}$ times the transpose of $a^{[l-1]}$" if self.column
                 else "the transpose of $a^{[l-1]}$ times $\\delta^{[l]}$")
        linear = "$W^{[l]}$ and $b^{[l]}$" if net.bias else "$W^{[l]}$"
        decay = (f" The weight decay adds its own derivative, $\\lambda W^{{[l]}}$ "
                 f"($\\lambda = {net.l2:g}$), to each weight gradient; biases have none."
                 if net.l2 else "")
        self.add(Heading("Weight and bias gradients" if net.bias else "Weight gradients"),
                 Text(f"Since $z^{{[l]}}$ is linear in {linear}, the gradient of the "
                      f"total loss is {order} ({net.layout} layout){how}.{decay}"))
        for l in range(1, self.L + 1):
            product = f"delta[{l}] @ {self.a(l - 1)}.T" if self.column else \
                f"{self.a(l - 1)}.T @ delta[{l}]"
            penalty = f" + lambda * W[{l}]" if net.l2 else ""
            self.equation(f"weight gradient dW[{l}]", f"dW[{l}] = {scale}{product}{penalty}",
                          self.shape("dW", l))
            if net.bias:
                total = f"sum(delta[{l}], axis={samples_axis})" if m > 1 else f"delta[{l}]"
                self.equation(f"bias gradient db[{l}]", f"db[{l}] = {scale}{total}",
                              self.shape("db", l))


def _same_latex(left: str, right: str) -> bool:
    """Two LaTeX strings that read the same (they differ in sizing commands only)."""
    def plain(text):
        return "".join(text.replace(r"\left", "").replace(r"\right", "").split())
    return plain(left) == plain(right)


def build_document(net, expand: bool = False) -> Draft:
    """The draft of ``net``'s derivation: blocks and the equations to check.

    >>> from symbp.network import Network
    >>> draft = build_document(Network(layers=[2, 1], output="identity"))
    >>> [equation.formula for equation in draft.equations][2:4]
    ['da[1] = a[1] - y', 'delta[1] = da[1]']
    """
    writer = _Writer(net)
    writer.network()
    writer.forward()
    writer.loss()
    writer.output_error()
    writer.hidden()
    writer.gradients()
    if expand:
        expand_section(writer)
    return writer.draft


def summary_table(net, equations) -> list:
    r"""The final equations (output error, hidden errors, gradients) as a table.

    >>> from symbp.network import Network
    >>> net = Network(layers=[2, 1])
    >>> heading, table = summary_table(net, build_document(net).equations)
    >>> print(heading.text, len(table.rows), table.rows[0][0])
    Summary 3 $\delta^{[1]}$
    """
    final = {}
    for eq in equations:
        key = eq.formula.split("=")[0].strip()
        if not eq.name.startswith(("forward", "loss")) and key.split("[")[0] != "da":
            final[key] = eq          # the last equation stated for a quantity wins
    rows = tuple((f"${latex_notation(parse_formula(eq.formula).left)}$",
                  f"${latex_notation(parse_formula(eq.formula).right, net.layout)}$",
                  rf"${eq.shape[0]} \times {eq.shape[1]}$", eq.verdict or "")
                 for eq in final.values())
    return [Heading("Summary"),
            Table(("quantity", "equation", "shape", "check"), rows,
                  ("l", "p{8.5cm}", "c", "c"))]
