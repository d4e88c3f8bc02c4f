"""Reading submissions: YAML or JSON answer files, folders of them, and CSV class lists
(:mod:`derive.teach.classlist`). Input files are only ever read.

Answer files are read with the project's YAML and JSON readers, which keep every number
as it was typed: an unquoted ``loss: 0.1000`` states four places, as ``"0.1000"`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import yaml

from derive.model.load import read_json, read_yaml
from derive.teach.answers import Submission
from derive.teach.classlist import read_class_csv
from derive.teach.questions import QuestionList

SUFFIXES = (".yaml", ".yml", ".json")


def _load_mapping(path: Path) -> tuple[dict | None, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot read ({getattr(e, 'strerror', None) or 'not UTF-8 text'})"
    try:
        data = read_json(text) if path.suffix == ".json" else read_yaml(text)
    except (ValueError, RecursionError, yaml.YAMLError) as e:
        where = getattr(e, "problem_mark", None)
        return None, "not valid " + ("JSON" if path.suffix == ".json" else "YAML") + (
            f" at line {where.line + 1}" if where else ""
        )
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        return None, "expected a mapping of step ids to answers"
    return data, None


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
            data, problem = _load_mapping(p)
            student = str(data.pop("student", p.stem)) if data else p.stem
            subs.append(Submission(student, str(p), data, problem))
    return subs
