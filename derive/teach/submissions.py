"""Reading submissions: YAML or JSON answer files, folders of them, and CSV class lists
(:mod:`derive.teach.classlist`). Input files are only ever read.

Each file is read on its own and within bounds (:data:`~derive.model.load.MAX_ANSWER_BYTES`
bytes, read in chunks; :data:`~derive.model.load.MAX_ANSWER_DEPTH` levels and
:data:`~derive.model.load.MAX_ANSWER_NODES` values; no YAML anchors or aliases): a file
beyond one, or one that is not an answers file, is a submission that is not marked, with
the reason, and never stops the others. A file's text is never repeated in a reason: a
key that is not a step id is named only when it looks like one (:func:`is_key`).

Answer files are read with the project's YAML and JSON readers, which keep every number
as it was typed: an unquoted ``loss: 0.1000`` states four places, as ``"0.1000"`` does.

A YAML answer file that is not valid YAML (a student typed ``delta_o1: - 0.0831``, ``?``
or ``[0.5``) is read line by line, as the answers template is laid out: one
``step: answer`` a line, so that one bad line costs one answer, not the file.

>>> data, problem, notes = read_lines("# Answers\\nnet_h1: 0.3760   # Q1\\ndelta_o1: - 0.0831\\nwhat?\\n", 3)
>>> data, problem
({'net_h1': '0.3760', 'delta_o1': '- 0.0831'}, None)
>>> notes
['read line by line: the file is not valid YAML at line 3', 'line 4: not "step: answer"']
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import yaml

from derive.model.load import MAX_ANSWER_BYTES, LimitError, check_values, read_answers, read_bounded
from derive.teach.answers import Submission
from derive.teach.classlist import is_summary, read_class_csv
from derive.teach.questions import QuestionList

SUFFIXES = (".yaml", ".yml", ".json")
#: The manifest ``derive worksheet`` writes: in a folder of answers, never a submission.
MANIFEST = "worksheet.json"

#: A key of an answers file that may be a step id: a short identifier (``net_h1``,
#: ``out_hl``, ``Q3``). Other keys are counted, never shown.
KEY = r"[\w.-]{1,60}"
_KEY = re.compile(KEY)
# One "step: answer" line of an answers template: a key (maybe quoted), a colon, the answer.
_LINE = re.compile(rf"""(?P<q>["']?)(?P<key>{KEY})(?P=q)\s*:(?P<value>.*)""")
_COMMENT = re.compile(r"(?:^|\s)#")  # a comment after the answer: whitespace, then #
_SHOWN_LINES = 5  # line numbers listed in a note on the lines that are not "step: answer"


def is_key(key) -> bool:
    """Whether a key may be a step id, and so may be named back to the teacher.

    >>> is_key("out_hl"), is_key("root:x:0:0:root:/root:/bin/bash"), is_key("<b>net</b>")
    (True, False, False)
    """
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def not_answers(text: str) -> str:
    """Why a file is not an answers file, without a word of its text."""
    n = sum(1 for line in text.splitlines() if line.strip())
    return f'not an answers file: {n} line{"s" * (n != 1)}, none of them "step: answer"'


def _line_value(text: str) -> str | None:
    """The answer on a ``step: answer`` line, as typed: without a comment after it or the
    quotes around it; None when there is none."""
    text = text.strip()
    if text[:1] in ("'", '"') and text[0] in text[1:]:
        return text[1 : text.index(text[0], 1)]
    return _COMMENT.split(text, 1)[0].strip() or None


def _bad_lines(numbers: list[int]) -> list[str]:
    """The note on the lines that are not ``step: answer``, by number only."""
    if not numbers:
        return []
    if len(numbers) == 1:
        return [f'line {numbers[0]}: not "step: answer"']
    shown = ", ".join(map(str, numbers[:_SHOWN_LINES]))
    more = f" and {len(numbers) - _SHOWN_LINES} more" if len(numbers) > _SHOWN_LINES else ""
    return [f'lines {shown}{more}: not "step: answer"']


def read_lines(text: str, bad_line: int | None) -> tuple[dict | None, str | None, list[str]]:
    """A YAML answer file that is not valid YAML (at ``bad_line``), read line by line:
    (step -> the answer's text, the problem that makes it unreadable, notes). Blank and
    comment lines are skipped; a line that is not ``step: answer`` is noted by its number
    only (its text is not repeated: the file may not be an answer file at all)."""
    where = f" at line {bad_line}" if bad_line else ""
    data: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#") or line in ("---", "..."):
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            bad.append(number)
            continue
        key = m["key"]
        if key in lines:
            return None, f"not valid YAML{where}: a step is given twice (lines {lines[key]} and {number})", []
        data[key], lines[key] = _line_value(m["value"]), number
    if not data:
        return None, f"not valid YAML{where}", []
    return data, None, [f"read line by line: the file is not valid YAML{where}", *_bad_lines(bad)]


def _parse(text: str, is_json: bool) -> tuple[dict | None, str | None, list[str]]:
    """An answers file's text as (step -> answer, why it is unreadable, notes)."""
    notes: list[str] = []
    try:
        data = read_answers(text, is_json)
    except LimitError as e:
        return None, str(e), []
    except (ValueError, RecursionError, yaml.YAMLError) as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        if is_json:  # JSON is not read line by line
            return None, "not valid JSON" + (f" at line {line}" if line else ""), []
        data, problem, notes = read_lines(text, line)  # one bad line costs one answer, not the file
        if data is None:
            return None, problem, []
        try:
            check_values(data)
        except LimitError as e:
            return None, str(e), []
    if data is None:  # an empty file (or only comments): a submission with every answer missing
        return {}, None, ["the file holds no answers"]
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        return None, "expected a mapping of step ids to answers", []
    if data and not any(map(is_key, data)):
        return None, not_answers(text), []
    return data, None, notes


def _load_mapping(path: Path) -> tuple[dict | None, str | None, list[str]]:
    """(step -> answer, why the file is unreadable, notes on how it was read)."""
    try:
        raw = read_bounded(path, MAX_ANSWER_BYTES)
    except LimitError as e:
        return None, str(e), []
    except OSError as e:
        return None, f"cannot read ({e.strerror or 'unreadable'})", []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "cannot read (not UTF-8 text)", []
    return _parse(text, path.suffix.lower() == ".json")


def _answers_file(p: Path) -> Submission:
    """One answers file, read in isolation: nothing in it can stop the class."""
    try:
        data, problem, notes = _load_mapping(p)
        student = str(data.pop("student", p.stem)) if data else p.stem
    except RecursionError:
        return Submission(p.stem, str(p), None, "too deeply nested")
    except MemoryError:
        return Submission(p.stem, str(p), None, "too large")
    return Submission(student, str(p), data, problem, notes)


def _folder(p: Path) -> list[Path]:
    """The answer files and class lists in a folder (not in its subfolders), without what
    a class run writes (a summary.csv, recognised by its header) and a worksheet manifest."""
    files = sorted(q for q in p.iterdir() if q.suffix.lower() in SUFFIXES + (".csv",) and not q.is_dir())
    return [q for q in files if q.name.lower() != MANIFEST and not (q.suffix.lower() == ".csv" and is_summary(q))]


def read_submissions(
    paths: list[Path], questions: QuestionList | None = None, columns: Mapping[str, str] | None = None
) -> list[Submission]:
    """Every submission found in files, folders and CSV files, in a stable order. The
    question list and a ``--columns`` mapping tell a CSV reader which column holds what."""
    subs = []
    for p in paths:
        if p.is_dir():
            try:
                files = _folder(p)
            except OSError as e:
                subs.append(Submission(p.name, str(p), None, f"cannot read ({e.strerror or 'unreadable'})"))
                continue
            subs += (
                read_submissions(files, questions, columns)
                if files
                else [Submission(p.name, str(p), None, "no answer files in this folder")]
            )
        elif p.suffix.lower() == ".csv":
            subs += read_class_csv(p, questions, columns)
        elif not p.exists():
            subs.append(Submission(p.stem, str(p), None, "no such file"))
        else:
            subs.append(_answers_file(p))
    return subs
