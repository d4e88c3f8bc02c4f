"""The options of a walkthrough's update, checked against one another.

``loss: none`` differentiates the single output itself: no target, no learning rate, no
update. Otherwise the update is plain gradient descent or an ``optimizer:`` worked by hand
(its settings with PyTorch's defaults), with L2 ``weight_decay``; ``batch: online`` updates
once per sample in turn; ``show:`` adds steps; ``input_gradients: true`` adds dJ/d input.
Each setting of an optimizer is a given number of the step graph, named as in
:data:`SETTING_SYMBOLS` (reserved names, so no input or parameter may take them).

>>> from derive.model.checks import FieldChecker
>>> opt = read_optimizer(FieldChecker("x.yaml"), {"name": "adam", "beta1": "0.8"})
>>> opt.name, {k: str(v.value) for k, v in opt.settings.items()}
('adam', {'beta1': '4/5', 'beta2': '999/1000', 'eps': '1/100000000'})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from derive.model.checks import FieldChecker
from derive.model.fields import OPTIMIZER, TOP
from derive.model.limits import UNROLL, count_parameters
from derive.model.names import NO_LOSS, OPTIMIZER_SETTINGS
from derive.model.numbers import Number, read_number

__all__ = ["Optimizer", "SETTING_SYMBOLS", "check_options", "read_optimizer"]

#: The symbol of each optimizer setting and of the weight decay in the step graph.
SETTING_SYMBOLS = {
    "beta": "beta",
    "rho": "rho",
    "beta1": "beta1",
    "beta2": "beta2",
    "eps": "eps",
    "weight_decay": "lam",
}


@dataclass(frozen=True)
class Optimizer:
    """An update rule and its settings (name -> Number as written, defaults included)."""

    name: str = "sgd"
    settings: dict[str, Number] = field(default_factory=dict)

    def value(self, key: str):
        """A setting's exact value."""
        return self.settings[key].value


def read_optimizer(c: FieldChecker, raw) -> Optimizer:
    """``adam`` or ``{name: adam, beta1: 0.9, ...}``: the rule with every setting it takes
    (given or PyTorch's default); a setting the rule does not take is an error."""
    if isinstance(raw, str):
        raw = {"name": raw}
    raw = c.section(raw, "optimizer", OPTIMIZER)
    name = c.field(raw, "name", OPTIMIZER, "optimizer")
    takes = OPTIMIZER_SETTINGS[name]
    for key in raw:
        if key != "name" and key not in takes:
            users = [n for n, s in OPTIMIZER_SETTINGS.items() if key in s]
            c.fail(
                f"optimizer.{key}",
                f"{name} takes no {key} ({' and '.join(users)} {'do' if len(users) > 1 else 'does'})",
            )
    settings = {}
    for key, default in takes.items():
        given = c.field(raw, key, OPTIMIZER, "optimizer")
        settings[key] = given if given is not None else read_number(default)
    return Optimizer(name, settings)


def check_options(c: FieldChecker, d: dict, out: dict) -> None:
    """Read ``optimizer``, ``weight_decay``, ``show``, ``input_gradients`` into ``out`` (the
    Spec's fields) and check them with the loss, the samples and the learning rate."""
    out["optimizer"] = None if d.get("optimizer") is None else read_optimizer(c, d["optimizer"])
    decay = c.field(d, "weight_decay", TOP)
    out["weight_decay"] = decay.value if isinstance(decay, Number) else decay
    out["settings_written"] = {}  # (joined to the Spec's written numbers when they are settled)
    if isinstance(decay, Number) and decay.value != 0:
        out["settings_written"]["lam"] = decay
    if out["optimizer"] is not None:
        out["settings_written"].update({SETTING_SYMBOLS[k]: n for k, n in out["optimizer"].settings.items()})
    show = c.field(d, "show", TOP)
    if not isinstance(show, (list, tuple)):
        c.fail("show", "expected a list such as [change, after]")
    out["show"] = tuple(c.choice(v, f"show[{i}]", ("change", "after")) for i, v in enumerate(show))
    if len(set(out["show"])) < len(out["show"]):
        c.fail("show", "an entry is given twice")
    out["input_gradients"] = c.field(d, "input_gradients", TOP)
    if out["loss"] == NO_LOSS:
        _no_loss(c, d, out)
    elif out["learning_rate"] is None:
        c.fail("learning_rate", "missing")
    _rounded_optimizer(c, out)
    if out["batch"] == "online" and len(out["samples"]) < 2:
        c.fail("batch", "online updates need several samples (samples: [...])")
    if out["batch"] == "online" and out["steps"] > 1:
        c.fail("steps", "batch: online works one pass over the samples; remove steps (or use batch: mean)")


def _no_loss(c: FieldChecker, d: dict, out: dict) -> None:
    """``loss: none``: one sample, one output node, and nothing of an update."""
    if out["layers"][-1]["size"] != 1:
        c.fail("loss", "loss: none differentiates a single output node; the last layer has several")
    if len(out["samples"]) != 1:
        c.fail("samples", "loss: none takes one sample (sample: {x: [...]})")
    for key in ("learning_rate", "optimizer", "weight_decay", "steps", "batch"):
        if d.get(key) is not None:
            c.fail(key, "loss: none has no target and no update; remove it")
    if out["show"]:
        c.fail("show", "loss: none has no update, so no change or after steps")


def _rounded_optimizer(c: FieldChecker, out: dict) -> None:
    """``carry: rounded`` rounds every value before it is used again, an optimizer's state
    too: its ``steps: N`` must then all be worked by hand (at most limits.UNROLL steps times
    weights and biases)."""
    if out["optimizer"] is None or out["carry"] != "rounded" or (out["steps"] or 1) <= 1:
        return
    biases = [layer["bias"] for layer in out["layers"]]
    n = count_parameters(out["sizes"], biases)
    if out["steps"] * n > UNROLL:
        c.fail(
            "steps",
            f"with carry: rounded an optimizer's {out['steps']} steps are all worked by hand, and "
            f"{out['steps']} steps x {n} weights and biases exceed {UNROLL} (use carry: exact, or fewer steps)",
        )
