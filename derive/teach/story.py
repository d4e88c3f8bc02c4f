"""A spec's story told with one variant's numbers, and the warning for a story that
writes out numbers a variant does not have.

In a story, ``{name}`` stands for the given number ``name`` (``{i1}``, ``{w9}``,
``{eta}``, ``{y_o1}``; ``{i1_s2}`` with several samples) and is filled with the number as
the variant writes it; ``{{`` and ``}}`` are literal braces (the grammar is the story's
rule in :mod:`derive.model.fields`, where an unknown name is a spec error).

>>> from derive.model.spec import load_spec_text
>>> spec = load_spec_text(TINY.format(story="x = {i1}, w = {w1}, {{w1}} is 0.25."), "tiny.yaml")
>>> fill_story(spec), written_numbers(spec)
('x = 0.50, w = -1/4, {w1} is 0.25.', ['0.25'])
"""

from __future__ import annotations

import re

from derive.model.fields import STORY
from derive.model.names import natural_key
from derive.model.numbers import NumberError, read_number
from derive.model.spec import Spec

#: A number a story writes out with a decimal point or as a fraction. Whole numbers are
#: read as prose (counts, sizes, class indices, "0 (blank) and 1 (dark)") and not checked.
_WRITTEN = re.compile(r"(?<![\w.])-?(?:\d+\.\d+|\.\d+|\d+/\d+)(?![\w/]|\.\d)")
#: A one-weight spec for the examples.
TINY = """
story: '{story}'
network: {{inputs: 1, layers: [{{name: o, size: 1, activation: sigmoid}}]}}
loss: half-sse
parameters: {{weights: {{o: [['-1/4']]}}}}
sample: {{x: [0.50], y: [1]}}
learning_rate: 0.1
"""


def _parts(spec: Spec) -> list[tuple[str, str]]:
    return STORY.parts(spec.story)


def fill_story(spec: Spec) -> str:
    """The story with every placeholder replaced by ``spec``'s number as written (a
    variant's spec: the variant's numbers; the spec itself: its own)."""
    return "".join(spec.written[s].text if part == "name" else s for part, s in _parts(spec))


def written_numbers(spec: Spec) -> list[str]:
    """The numbers the story writes out (outside its placeholders), as written."""
    return [m[0] for part, s in _parts(spec) if part == "text" for m in _WRITTEN.finditer(s)]


def story_warning(spec: Spec, variants: list) -> str | None:
    """One line when the story writes out a number of the spec's own (a given number)
    that some variant does not have, naming those numbers and the placeholders to write
    instead; None when the story agrees with every variant.

    >>> from derive.model.spec import load_spec_text
    >>> from derive.teach.variants import make_variants
    >>> spec = load_spec_text(TINY.format(story="x is 0.50 and w is -1/4"), "tiny.yaml")
    >>> print(story_warning(spec, make_variants(spec, "tiny", seed=1, count=2)[0]).replace("; ", ";\\n"))
    tiny.yaml: story: writes out 0.50 and -1/4, but 2 of 2 variants have other numbers;
    write placeholders instead: {i1} for 0.50, {w1} for -1/4
    """
    own: dict = {}  # value -> the first name of a given number of the spec with that value
    for name in sorted(spec.written, key=natural_key):
        own.setdefault(spec.written[name].value, name)
    told = [(t, _value(t)) for t in written_numbers(spec)]
    told = [(t, x) for t, x in told if x in own]
    stale: dict[str, str] = {}  # number as the story writes it -> a placeholder for it
    wrong = 0
    for v in variants:
        theirs = {n.value for n in v.spec.written.values()}
        missing = [(t, x) for t, x in told if x not in theirs]
        wrong += bool(missing)
        stale.update((t, own[x]) for t, x in missing)
    if not stale:
        return None
    *most, last = stale
    numbers = f"{', '.join(most)} and {last}" if most else last
    instead = ", ".join(f"{{{name}}} for {t}" for t, name in stale.items())
    return (
        f"{spec.source}: story: writes out {numbers}, but {wrong} of {len(variants)} variants have other "
        f"numbers; write placeholders instead: {instead}"
    )


def _value(text: str):
    try:
        return read_number(text).value
    except NumberError:  # beyond the reader's caps: not one of the spec's numbers
        return None
