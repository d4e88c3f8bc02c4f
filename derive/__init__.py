"""derive: verified backpropagation walkthroughs for teaching.

A spec (YAML) describes a small feed-forward network, its numbers and one training
sample; :class:`Walkthrough` derives every chain-rule step with SymPy, checks every
value against an independent NumPy core and finite differences, and renders the
result as Markdown, LaTeX or JSON.

>>> from derive import Walkthrough
>>> wt = Walkthrough.from_file("worked/four.yaml")
>>> wt.graph["delta_o1"].formula
dloss_dout_o1*dout_dnet_o1
"""

import importlib

# The public names, imported on first use so that `derive --help` and the light
# commands start quickly (SymPy, NumPy and Jinja2 load only when needed).
_EXPORTS = {
    "Spec": "model.spec",
    "SpecError": "model.spec",
    "load_spec": "model.spec",
    "load_spec_text": "model.spec",
    "Step": "graph.steps",
    "StepGraph": "graph.steps",
    "derive": "graph.builder",
    "VerificationError": "errors",
    "Walkthrough": "present.walkthrough",
    "ExpressionWalkthrough": "present.expression",
    "load_any": "model.expression",
    "Checker": "teach.marking",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'derive' has no attribute {name!r}")
