"""Reading submissions: YAML or JSON answer files, folders of them, and CSV class lists
(:mod:`derive.teach.classlist`). Input files are only ever read.

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

from derive.model.load import read_json, read_yaml
from derive.teach.answers import Submission
from derive.teach.classlist import read_class_csv
from derive.teach.questions import QuestionList

SUFFIXES = (".yaml", ".yml", ".json")


# One "step: answer" line of an answers template: a key (maybe quoted), a colon, the answer.
_LINE = re.compile(r"""(?P<q>["']?)(?P<key>[\w.-]+)(?P=q)\s*:(?P<value>.*)""")
_COMMENT = re.compile(r"(?:^|\s)#")  # a comment after the answer: whitespace, then #


def _line_value(text: str) -> str | None:
    """The answer on a ``step: answer`` line, as typed: without a comment after it or the
    quotes around it; None when there is none."""
    text = text.strip()
    if text[:1] in ("'", '"') and text[0] in text[1:]:
        return text[1 : text.index(text[0], 1)]
    return _COMMENT.split(text, 1)[0].strip() or None


def read_lines(text: str, bad_line: int | None) -> tuple[dict | None, str | None, list[str]]:
    """A YAML answer file that is not valid YAML (at ``bad_line``), read line by line:
    (step -> the answer's text, the problem that makes it unreadable, notes). Blank and
    comment lines are skipped; a line that is not ``step: answer`` is noted by its number
    only (its text is not repeated: the file may not be an answer file at all)."""
    where = f" at line {bad_line}" if bad_line else ""
    data: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    notes = [f"read line by line: the file is not valid YAML{where}"]
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#") or line in ("---", "..."):
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            notes.append(f'line {number}: not "step: answer"')
            continue
        key = m["key"]
        if key in lines:
            return None, f"not valid YAML{where}: a step is given twice (lines {lines[key]} and {number})", []
        data[key], lines[key] = _line_value(m["value"]), number
    if not data:
        return None, f"not valid YAML{where}", []
    return data, None, notes


def _load_mapping(path: Path) -> tuple[dict | None, str | None, list[str]]:
    """(step -> answer, why the file is unreadable, notes on how it was read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot read ({getattr(e, 'strerror', None) or 'not UTF-8 text'})", []
    is_json = path.suffix.lower() == ".json"
    try:
        data = read_json(text) if is_json else read_yaml(text)
    except (ValueError, RecursionError, yaml.YAMLError) as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        if path.suffix.lower() in (".yaml", ".yml"):  # one bad line costs one answer, not the file
            return read_lines(text, line)
        return None, f"not valid {'JSON' if is_json else 'YAML'}" + (f" at line {line}" if line else ""), []
    if data is None:  # an empty file (or only comments): a submission with every answer missing
        return {}, None, ["the file holds no answers"]
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        return None, "expected a mapping of step ids to answers", []
    return data, None, []


def read_submissions(
    paths: list[Path], questions: QuestionList | None = None, columns: Mapping[str, str] | None = None
) -> list[Submission]:
    """Every submission found in files, folders and CSV files, in a stable order. The
    question list and a ``--columns`` mapping tell a CSV reader which column holds what."""
    subs = []
    for p in paths:
        if p.is_dir():
            files = sorted(q for q in p.iterdir() if q.suffix.lower() in SUFFIXES + (".csv",))
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
            data, problem, notes = _load_mapping(p)
            student = str(data.pop("student", p.stem)) if data else p.stem
            subs.append(Submission(student, str(p), data, problem, notes))
    return subs
