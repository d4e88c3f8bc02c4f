"""What a spec may ask for, written once: the limits that are checked before the work.

A spec is read in bounded chunks (at most :data:`SPEC_BYTES`), parsed while its YAML
values are counted (at most :data:`YAML_NODES`, an alias counted again at every use, so a
few kilobytes of aliases cannot stand for millions of numbers), and its strings are held
to plain text (no control characters but tab and newline, no unpaired surrogates, none of
the two non-characters U+FFFE and U+FFFF that XML cannot hold). The size of the network,
of its batch and of ``steps: N`` is checked from the layer sizes, the sample count and the
steps alone, before a weight is read or a step built (:func:`size_problem`). The README's
"Limits" paragraph lists the same numbers.

Every check here returns the problem (field, what is wrong) or None; the reader
(:mod:`derive.model.load`) and the validator turn it into the one-line ``SpecError``.

>>> size_problem(parameters=2410, samples=1, steps=1) is None
True
>>> size_problem(parameters=8 * 1024 * 1024, samples=1, steps=1)[1]
'the network has 8,388,608 weights and biases; a walkthrough allows at most 10,000'
>>> bad_character("Week 3\\x01")
'control character U+0001'
"""

from __future__ import annotations

import sys
import unicodedata

#: The most bytes a spec file may hold (1 MB).
SPEC_BYTES = 1_000_000
#: The most YAML values (scalars, lists, mappings) a spec may hold, an alias counted at
#: every use as the values it stands for.
YAML_NODES = 100_000
#: The most weights and biases of a walkthrough's network (64-128-10 with biases has 9,610).
PARAMETERS = 10_000
#: The most weights and biases times samples: the step graph grows with their product.
WORK = 50_000
#: The most weights and biases times samples times ``steps``: the loss history's updates.
TRAINING = 10_000_000

#: The most ``steps`` times trainable weights and biases for which a spec with ``optimizer:``
#: has every one of its ``steps: N`` worked by hand in the step graph (the optimizer's state
#: carried from step to step); beyond it step 1 is worked and the rest is the loss history.
UNROLL = 200

#: The largest magnitude of a number given in a spec: float64's largest, so that the float
#: check holds every given number (computed values may go beyond it: they are not compared).
NUMBER_MAX = sys.float_info.max

#: Control characters a text may hold.
ALLOWED_CONTROLS = frozenset("\t\n")


def bad_character(text: str) -> str | None:
    """What is wrong with the first character of ``text`` that a spec's text may not hold
    (a control character other than tab and newline, an unpaired surrogate, U+FFFE or
    U+FFFF), or None."""
    for c in text:
        if c.isprintable() or c in ALLOWED_CONTROLS:
            continue
        cat = unicodedata.category(c)
        if cat == "Cc":
            return f"control character U+{ord(c):04X}"
        if cat == "Cs":
            return f"unpaired surrogate U+{ord(c):04X}"
        if c in "\ufffe\uffff":
            return f"non-character U+{ord(c):04X}"
    return None


def _join(where: str, key) -> str:
    return f"{where}.{key}" if where else str(key)


def text_problem(data) -> tuple[str, str] | None:
    """(field, problem) of the first string in ``data`` (parsed YAML: mappings, lists and
    scalars, walked without recursion) holding a character :func:`bad_character` refuses."""
    stack = [("", data)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, str):
            bad = bad_character(v)
            if bad:
                return where or "top level", f"{bad} is not allowed in text (only tab and newline)"
        elif isinstance(v, dict):
            items = list(v.items())
            for k, _ in items:
                bad = bad_character(k) if isinstance(k, str) else None
                if bad:
                    return where or "top level", f"a key holds {bad}; not allowed in text (only tab and newline)"
            stack += [(_join(where, k), x) for k, x in reversed(items)]
        elif isinstance(v, list):
            stack += [(f"{where}[{i}]", x) for i, x in reversed(list(enumerate(v)))]
    return None


def count_parameters(sizes: list[int], biases: list[str]) -> int:
    """Weights and biases of a network whose layers have ``sizes`` (inputs first) and bias
    modes ``biases`` (one per layer: none, neuron, shared)."""
    n = sum(a * b for a, b in zip(sizes, sizes[1:]))
    return n + sum(size if mode == "neuron" else 1 if mode == "shared" else 0 for size, mode in zip(sizes[1:], biases))


def size_problem(parameters: int, samples: int, steps: int) -> tuple[str, str] | None:
    """(field, problem) when a network of ``parameters`` weights and biases, a batch of
    ``samples`` and ``steps`` updates exceed a limit, or None."""
    if parameters > PARAMETERS:
        what = f"the network has {parameters:,} weights and biases; a walkthrough allows at most {PARAMETERS:,}"
        return "network", what
    if parameters * samples > WORK:
        return (
            "samples",
            f"{parameters:,} weights and biases times {samples} samples is {parameters * samples:,}; "
            f"a walkthrough allows at most {WORK:,}",
        )
    if parameters * samples * steps > TRAINING:
        most = TRAINING // (parameters * samples)
        return (
            "steps",
            f"{steps:,} steps of {parameters:,} weights and biases times {samples} sample(s) exceed the "
            f"limit of {TRAINING:,} (at most {most:,} steps for this network)",
        )
    return None
