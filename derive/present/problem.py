"""The problem statement, written once for every format that states it: walkthroughs, sheets
(Markdown and LaTeX) and Moodle questions. :func:`statement` is the sentence about the loss,
the learning rate and the update rule; :class:`ProblemView` is what a sheet shows of one
variant."""

from __future__ import annotations

from dataclasses import dataclass

from derive.graph.functions import ACTIVATIONS, LOSSES
from derive.graph.optimizers import RULES
from derive.model.names import sample_suffix
from derive.model.options import SETTING_SYMBOLS
from derive.present.document import P, Parts
from derive.present.notation import SETTING_LATEX, latex_name, symbol_names
from derive.present.numbers import fmt
from derive.teach.story import fill_story


@dataclass
class QuestionView:
    """One question as a sheet shows it: the quantity's LaTeX beside its wording."""

    number: int
    id: str
    tex: str  # the quantity's LaTeX
    text: str  # what it is, in words
    points: float = 1.0


def statement(spec) -> Parts:
    """The loss (per sample, and over a batch), the learning rate and the update rule; or,
    with ``loss: none``, what is differentiated instead."""
    if spec.learning_rate is None:  # loss: none
        out = r"\mathrm{out}_{%s}" % spec.outputs[0]
        return P(
            "There is no loss and no target: the output ",
            ("m", out),
            " itself is differentiated with respect to every parameter",
            " and every input" if spec.input_gradients else "",
            ", and nothing is updated.",
        )
    loss = LOSSES[spec.loss]
    parts = P("The loss is ", ("u", loss.text), ", ", ("m", loss.latex))
    online = spec.batch == "online"
    if len(spec.samples) > 1 and online:
        parts += P(
            " for one sample. The samples are used online, one at a time: each sample's forward and "
            "backward pass is followed at once by its own update, and the next sample starts from the "
            "parameters that update left"
        )
    elif len(spec.samples) > 1:
        batch = (
            r"J = \tfrac{1}{%d}\sum_s J^{(s)}" % len(spec.samples) if spec.batch == "mean" else r"J = \sum_s J^{(s)}"
        )
        parts += P(" for one sample; the batch loss is the ", ("u", spec.batch), " over the samples, ", ("m", batch))
    if spec.weight_decay:
        lam = r"\lambda = " + fmt(spec.weight_decay, spec.decimals, True)
        decay = r"J + \tfrac{\lambda}{2}\sum w^2"
        parts += P(", plus L2 weight decay on the weights (not the biases), ", ("m", decay), " with ", ("m", lam))
    eta = ("m", r"\eta = " + fmt(spec.learning_rate, spec.decimals, True))
    if spec.optimizer is None:
        rule = ("m", r"p^{\text{new}} = p - \eta\, \frac{\partial J}{\partial p}")
        return parts + P(
            ". The learning rate is ",
            eta,
            ", and " + ("each" if online else "one") + " gradient-descent step updates every trainable parameter by ",
            rule,
            ".",
        )
    settings = [
        SETTING_LATEX[SETTING_SYMBOLS[k]] + " = " + fmt(n.value, spec.decimals, True)
        for k, n in spec.optimizer.settings.items()
    ]
    named = P(" (", ("m", r",\ ".join(settings)), ")") if settings else P()
    return (
        parts
        + P(
            ". The learning rate is ",
            eta,
            ", and every trainable parameter is updated by the optimizer ",
            ("u", spec.optimizer.name),
        )
        + named
        + P(", by PyTorch's rule: ", ("m", r",\quad ".join(RULES[spec.optimizer.name].textbook)), ".")
    )


def instructions(spec) -> str:
    """How to give the answers: the sheet's places, and what is carried to later steps."""
    carry = (
        "round each answer to {d} decimal places and use the rounded values in later steps"
        if spec.carry == "rounded"
        else "give each answer to {d} decimal places, but keep full precision for later steps"
    )
    return carry.format(d=spec.decimals)


class ProblemView:
    """What a template needs to show one variant's problem."""

    kind = "network"

    def __init__(self, ws, variant):
        self.ws, self.v = ws, variant
        spec, g = variant.spec, variant.graph
        names = symbol_names(g)
        self.id = variant.id
        self.title = spec.title
        self.story = fill_story(spec)
        self.d = spec.decimals
        self.questions = [
            QuestionView(q.number, q.id, names[g[q.id].symbol], q.text, q.points) for q in ws.questions(variant)
        ]
        self.total = sum(q.points for q in self.questions)
        multi = len(spec.samples) > 1

        def as_written(name: str, v) -> str:  # as the spec (or the variant's grid) writes it, like the story
            n = spec.written.get(name)
            return n.text if n is not None and n.value == v else fmt(v, self.d, True)

        self.params = [(latex_name(n), what, as_written(n, v)) for n, what, v in spec.parameters()]
        self.inputs_tex = [latex_name(n) for n in spec.inputs]
        self.outputs_tex = [r"y_{%s}" % o for o in spec.outputs] if spec.learning_rate is not None else []
        self.samples = [
            (
                [
                    as_written(f"{n}{sample_suffix(i) if multi else ''}", v)
                    for n, v in zip(spec.inputs, s.x, strict=True)
                ],
                [fmt(v, self.d, True) for v in s.y],
            )
            for i, s in enumerate(spec.samples)
        ]
        self.multi = multi
        self.statement = statement(spec)
        self.layers = [
            (l.name, ", ".join(l.nodes), ACTIVATIONS[l.activation].defined, l.activation) for l in spec.layers
        ]
        # the steps given besides the numbers: none a blank or computed from one (teach.worksheet.givens)
        self.known = [(names[s.symbol], fmt(s.value, self.d)) for s in ws.given_steps(variant)]
        self.instructions = instructions(spec)
