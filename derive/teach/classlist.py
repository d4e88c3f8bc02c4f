"""Reading a class list: one CSV file, a row per student, a column per answer."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Mapping

from derive.teach.answers import Submission
from derive.teach.questions import QuestionList


def read_class_csv(
    path: Path, questions: QuestionList | None = None, columns: Mapping[str, str] | None = None
) -> list[Submission]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        return [Submission(path.stem, str(path), None, f"cannot read ({getattr(e, 'strerror', None) or 'not UTF-8'})")]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "student" not in [h.strip() for h in rows[0]]:
        return [Submission(path.stem, str(path), None, "the CSV needs a header row with a 'student' column")]
    header = [h.strip() for h in rows[0]]
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            out.append(
                Submission(
                    f"{path.name} row {n}",
                    f"{path}:{n}",
                    None,
                    f"row {n} has {len(row)} columns, the header has {len(header)}",
                )
            )
            continue
        row = row + [""] * (len(header) - len(row))  # spreadsheets drop trailing empty cells
        d = {h: c.strip() for h, c in zip(header, row, strict=True)}
        student = d.pop("student") or f"row {n}"
        out.append(Submission(student, f"{path}:{n}", d))
    return out
