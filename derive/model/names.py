"""The project's vocabularies and the grammar of step ids, written once.

Every list of activations, losses, bias modes and the like is here; the layers above
import these names instead of retyping them. A step id names one quantity a student
computes: its kind, the node or parameter it belongs to, and, with several samples, the
sample (``grad_w1_s2`` is the gradient of sample 2's loss with respect to w1).

>>> StepId.parse("dout_dnet_h1_s2")
StepId(kind='dout_dnet', subject='h1', sample=1)
>>> str(StepId("grad", "w9")), str(StepId("loss", sample=0))
('grad_w9', 'loss_s1')
>>> sample_suffix(None), sample_suffix(2)
('', '_s3')

An optimizer's ``steps: N`` worked by hand (unrolled) repeats the forward pass, the backward
pass and the update once per step; the ids of step t >= 2 end in ``_t<t>`` after every other
suffix (``net_h1_t2``, ``grad_w1_s2_t3``, ``m_w1_t2``, ``new_w1_t2`` = w1 after step 2):

>>> StepId.parse("grad_w1_s2_t3"), update_suffix(1)
(StepId(kind='grad', subject='w1', sample=1, update=2), '_t2')
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

#: What a spec describes (its ``kind:``): a network, or a computational graph of formulas.
SPEC_KINDS = ("network", "expression")
#: Activation functions, in the order the documentation lists them.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky-relu", "softplus", "identity", "softmax")
#: Activations whose derivative is a convention at 0 (a kink).
RELU_FAMILY = ("relu", "leaky-relu")
#: Losses of one sample (n = number of outputs).
LOSSES = ("half-sse", "sse", "mse", "half-mse", "cross-entropy", "bce")
#: A spec's ``loss: none``: no target and no update; the single output itself is differentiated.
NO_LOSS = "none"
SPEC_LOSSES = LOSSES + (NO_LOSS,)
#: How a layer's bias is shared: none, one per node, one per layer.
BIAS_MODES = ("none", "neuron", "shared")
#: How the per-sample losses of a batch combine.
REDUCTIONS = ("mean", "sum")
#: How a spec's samples are used: one update from their mean or sum, or ``online``: one update
#: per sample in turn, each sample's forward pass using the parameters the previous one left.
BATCH_MODES = REDUCTIONS + ("online",)
#: Steps a spec may ask to see besides the standard ones: ``change``: change_<p> = new - old;
#: ``after``: the forward pass and loss at the updated parameters (net_h1_after, loss_after).
SHOW_OPTIONS = ("change", "after")
#: Optimizers a walkthrough works by hand (PyTorch's update rules), and their settings with
#: PyTorch's defaults.
HAND_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
OPTIMIZER_SETTINGS = {
    "sgd": {},
    "momentum": {"beta": "0.9"},
    "nesterov": {"beta": "0.9"},
    "rmsprop": {"rho": "0.99", "eps": "1e-8"},
    "adam": {"beta1": "0.9", "beta2": "0.999", "eps": "1e-8"},
}
#: How rounded values are used downstream.
CARRY_MODES = ("exact", "rounded")
#: How weights are numbered when the spec does not name them.
WEIGHT_NAMING = ("input-major", "neuron-major", "indexed")
#: Activations a hidden layer may use (softmax belongs to the output layer only).
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
#: The training core's optimizers, starting-weight schemes and float types.
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
INITS = ("auto", "xavier", "he")
DTYPES = ("float64", "float32")

#: Step kinds, in the order a student works through one sample and its update (an optimizer's
#: moments m and v, their bias-corrected mhat and vhat, the change new - old, the new value).
STEP_KINDS = (
    "net",
    "out",
    "loss",
    "dloss_dout",
    "dout_dnet",
    "delta",
    "grad",
    "m",
    "v",
    "mhat",
    "vhat",
    "change",
    "new",
)
#: Kinds whose subject is a node, and kinds whose subject is a parameter (grad's may also be
#: an input, with ``input_gradients: true``).
NODE_KINDS = ("net", "out", "dloss_dout", "dout_dnet", "delta")
PARAM_KINDS = ("grad", "m", "v", "mhat", "vhat", "change", "new")
#: The suffix of a forward step at the updated parameters (net_h1_after, loss_after).
AFTER = "_after"

#: Every learning rate (a spec's, ``--lr``, TrainOptions) is positive and at most this: a
#: larger step only diverges (1000 itself is kept for lessons that show divergence).
LEARNING_RATE_MAX = 1000

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
MAX_NAME = 40
#: The step graph's own symbols; a spec name may not look like one.
RESERVED_PREFIXES = tuple(f"{k}_" for k in STEP_KINDS if k != "loss") + ("y_",)
RESERVED_SUFFIXES = (AFTER,)
#: (and the optimizer settings' and the weight decay's symbols, model.options.SETTING_SYMBOLS)
RESERVED_NAMES = ("loss", "eta", "J", "beta", "rho", "beta1", "beta2", "eps", "lam")
#: Names a formula, an answer or the compiled float code already uses for something else:
#: functions, SymPy's constants and Python's keywords.
FUNCTION_NAMES = frozenset(
    {
        "env",
        "exp",
        "log",
        "ln",
        "sqrt",
        "tanh",
        "sigma",
        "max",
        "float",
        "math",
        "step",
        "relu",
        "leaky_relu",
        "leaky_step",
        "softplus",
        "rnd",
        "trunc",
        "round",
        "E",
        "I",
        "pi",
        "oo",
        "nan",
        "zoo",
        "S",
        "N",
        "O",
        "Q",
    }
) | frozenset(keyword.kwlist)
_SAMPLE = re.compile(r"_s(\d+)\Z")
_UPDATE = re.compile(r"_t(\d+)\Z")


def sample_suffix(sample: int | None) -> str:
    """The suffix of a per-sample id: ``_s1`` for sample index 0; none for a batch value."""
    return "" if sample is None else f"_s{sample + 1}"


def update_suffix(update: int | None) -> str:
    """The suffix of a step of update ``update`` (0-based) of an unrolled ``steps: N``:
    none for the first update, ``_t2`` for index 1."""
    return "" if not update else f"_t{update + 1}"


def learning_rate_problem(v) -> str | None:
    """What is wrong with a learning rate, or None: the one rule for every place that takes one.

    >>> learning_rate_problem(0.1), learning_rate_problem(0), learning_rate_problem(5000)
    (None, 'must be positive and at most 1000', 'must be positive and at most 1000')
    """
    try:
        ok = 0 < v <= LEARNING_RATE_MAX
    except TypeError:
        ok = False
    return None if ok else f"must be positive and at most {LEARNING_RATE_MAX}"


def reserved(name: str) -> str | None:
    """Why ``name`` may not name an input, node or parameter, or None when it may."""
    if (
        name in RESERVED_NAMES
        or name.startswith(RESERVED_PREFIXES)
        or name.endswith(RESERVED_SUFFIXES)
        or _SAMPLE.search(name)
        or _UPDATE.search(name)
    ):
        return "reserved for the tool's own quantities"
    if name in FUNCTION_NAMES:
        return "reserved (a function, constant or Python keyword); choose another name"
    return None


@dataclass(frozen=True)
class StepId:
    """A parsed step id: ``kind``, its node or parameter (``subject``, none for the loss), the
    0-based ``sample`` of a per-sample step (None for one sample or a batch value) and
    whether it is a forward step at the updated parameters (``after``: ``net_h1_after``), and
    the 0-based ``update`` of an unrolled ``steps: N`` (None for the first: no suffix).

    >>> StepId.parse("out_o1_after_s2"), str(StepId("loss", after=True))
    (StepId(kind='out', subject='o1', sample=1, after=True), 'loss_after')
    """

    kind: str
    subject: str | None = None
    sample: int | None = None
    after: bool = False
    update: int | None = None

    def __repr__(self) -> str:
        extra = ", after=True" if self.after else ""
        extra += f", update={self.update!r}" if self.update else ""
        return f"StepId(kind={self.kind!r}, subject={self.subject!r}, sample={self.sample!r}{extra})"

    def __str__(self) -> str:
        head = self.kind if self.subject is None else f"{self.kind}_{self.subject}"
        return head + (AFTER if self.after else "") + sample_suffix(self.sample) + update_suffix(self.update)

    @classmethod
    def parse(cls, text: str) -> "StepId":
        """The parts of a step id; ValueError for text that is not one."""
        u = _UPDATE.search(text)
        update = int(u.group(1)) - 1 if u and int(u.group(1)) >= 2 else None
        if u and update is None:
            raise ValueError(f"{text!r} is not a step id (the first step has no _t suffix)")
        text = text[: u.start()] if u else text
        m = _SAMPLE.search(text)
        sample = int(m.group(1)) - 1 if m else None
        body = text[: m.start()] if m else text
        after = body.endswith(AFTER)
        if after:
            body = body[: -len(AFTER)]
        if body == "loss":
            return cls("loss", None, sample, after, update)
        for kind in sorted(STEP_KINDS, key=len, reverse=True):  # dloss_dout before delta
            if body.startswith(kind + "_") and len(body) > len(kind) + 1:
                if after and kind not in ("net", "out"):
                    break
                return cls(kind, body[len(kind) + 1 :], sample, after, update)
        raise ValueError(f"{text!r} is not a step id")


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> list:
    """Sort key that puts w2 before w10."""
    return [int(t) if t.isdigit() else t for t in _DIGITS.split(name)]
