"""YAML mistakes in a teacher's words (issue 15): a tab, a line indented out of its block,
a colon without its space, a bracket left open, a comma left out between the rows of a
matrix or between two numbers of a row. Each is one line naming the file and the line."""

import pytest
import yaml

from derive.model.load import parse_spec
from derive.model.spec import SpecError, load_spec_text

FOUR = """network:
  inputs: 2
  layers:
    - {name: h, size: 2, activation: sigmoid}
    - {name: o, size: 1, activation: sigmoid}
loss: half-sse
parameters:
  weights:
    h: [[0.1, 0.2], [0.3, 0.4]]
    o: [[0.5, 0.6]]
sample: {x: [1, 0], y: [1]}
learning_rate: 0.5
"""


def broken(old: str, new: str) -> str:
    assert old in FOUR
    return FOUR.replace(old, new, 1)


@pytest.mark.parametrize(
    "text, message",
    [
        (broken("  inputs: 2", "\tinputs: 2"), "line 2: a tab; indent with spaces, not tabs"),
        (broken("  layers:", "   layers:"), "line 3: indented 3 spaces, deeper than line 2 (2); keys of one block"),
        (
            broken("    - {name: o", "   - {name: o"),
            "line 5: indented 3 spaces, but the list entry above it (line 4) is at 4",
        ),
        (broken("    o: [[0.5", "   o: [[0.5"), "line 10: indented 3 spaces, but the key above it (line 9) is at 4"),
        (broken("loss: half-sse", "loss:half-sse"), "line 6: put a space after the colon (loss: ...)"),
        (broken("[[0.1, 0.2], [0.3, 0.4]]", "[[0.1, 0.2] [0.3, 0.4]]"), "line 9: a comma is missing between two rows"),
        (broken("o: [[0.5, 0.6]]", "o: [[0.5, 0.6]"), "line 10: a bracket opened here is not closed before line 11"),
    ],
)
def test_yaml_mistakes_in_a_teachers_words(text, message):
    yaml_fails = False
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:
        yaml_fails = True
    assert yaml_fails  # (each is a YAML error, not a spec error)
    with pytest.raises(SpecError) as e:
        parse_spec(text, "mine.yaml")
    assert str(e.value).startswith(f"mine.yaml: not valid YAML at {message}"), str(e.value)


def test_a_row_with_a_comma_left_out_names_the_row_and_what_it_read():
    with pytest.raises(SpecError) as e:
        load_spec_text(broken("[[0.1, 0.2], [0.3, 0.4]]", "[[0.1 0.2], [0.3, 0.4]]"), "mine.yaml")
    assert str(e.value) == (
        "mine.yaml: parameters.weights.h: expected 2 rows of 2 numbers, got 2 rows of 1/2; "
        "row 1 read '0.1 0.2' as one value: a comma is missing (write 0.1, 0.2)"
    )
