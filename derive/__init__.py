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
from .spec import Spec, SpecError, load_spec, load_spec_text
from .steps import Step, StepGraph
from .symbolic import derive
from .verify import VerificationError, verify
from .walkthrough import Walkthrough

__all__ = ["Spec", "SpecError", "Step", "StepGraph", "VerificationError", "Walkthrough",
           "derive", "load_spec", "load_spec_text", "verify"]
__version__ = "0.1.0"
