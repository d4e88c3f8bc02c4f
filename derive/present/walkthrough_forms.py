"""The walkthrough's sections for issue 13's forms: the forward pass after an update
(``show: [after]``) with its verified comparison of the loss before and after, the gradients
by the inputs (``input_gradients: true``) and the start of the chain without a loss. A mixin
of the walkthrough's document builder (:mod:`derive.present.walkthrough_doc`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from derive.model.names import StepId
from derive.present.document import Eq, Parts, Section
from derive.present.walkthrough_end import say


class FormSections:
    # supplied by the document builder
    g: Any
    spec: Any
    names: dict
    top: str  # what the gradients differentiate (J, or the output)
    u: int | None  # the update whose steps are shown (unrolled steps: N)

    if TYPE_CHECKING:

        def eq(self, step, *extra: str, label: Parts | None = None) -> Eq: ...

        def val(self, step) -> str: ...

        def grad_eq(self, st) -> Eq: ...

    def after(self, s: int | None = None) -> Section:
        """The forward pass at the updated parameters (online: of sample ``s`` after its
        update), ending with the loss before and after, both verified steps."""
        online = s is not None
        title = "After the update: the forward pass again" if s is None else f"After the update: sample {s + 1} again"
        sec = Section(title)
        say(
            sec,
            "The same forward pass with the updated parameters ",
            ("m", r"p^{\text{new}}"),
            ", to check that the loss went down:",
        )
        steps = [st for st in self.g if st.after and st.update == self.u and (not online or st.sample == s)]
        sec.blocks += [self.eq(st) for st in steps]
        before = self.g[str(StepId("loss", sample=s if online else None, update=self.u))]
        after = self.g[str(StepId("loss", sample=s if online else None, after=True, update=self.u))]
        went = "down" if after.exact < before.exact else ("up" if after.exact > before.exact else "nowhere")
        whose = "This sample's loss" if online else ("The batch loss" if len(self.spec.samples) > 1 else "The loss")
        say(
            sec,
            f"{whose} went {went}: from ",
            ("m", f"{self.names[before.symbol]} = {self.val(before)}"),
            " to ",
            ("m", f"{self.names[after.symbol]} = {self.val(after)}"),
            "." if went == "down" else " (a step this large overshoots; a smaller learning rate would help).",
        )
        return sec

    def input_grads(self, sec: Section, s: int) -> None:
        """The gradients by the inputs: the chain one step past the first layer's nets."""
        steps = [
            st for st in self.g if st.kind == "grad" and st.param is None and st.sample == s and st.update == self.u
        ]
        if not steps:
            return
        say(
            sec,
            "The gradient with respect to each input: the same chain taken one step further back, through "
            "the weights out of the input, ",
            ("m", r"\frac{\partial %s}{\partial x_k} = \sum_j w_{jk}\,\delta_j" % self.top),
            " over the nodes j of the first layer (how much a small change of the input moves the "
            + ("loss" if self.top == "J" else "output")
            + "):",
        )
        sec.blocks += [self.grad_eq(st) for st in steps]

    def no_loss_deltas(self, sec: Section, s: int, L: int, act) -> list:
        """The output's delta without a loss: d out / d out = 1 starts the chain."""
        top = self.top
        say(
            sec,
            "There is no loss: the chain starts from the output itself, ",
            ("m", r"\frac{\partial %s}{\partial %s} = 1" % (top, top)),
            ", so the output's delta is the derivative of its activation, by the identity ",
            ("m", act.identity),
            ":",
        )
        return ["dout_dnet", "delta"]
