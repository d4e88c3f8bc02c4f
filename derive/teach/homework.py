"""Marking a class: every submission marked, and the class files (summary.csv, feedback
files and a misconceptions table)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict

from derive.teach.answers import Submission
from derive.teach.marking import Checker, Result
from derive.teach.misconceptions import BY_NAME
from derive.teach.reports import _md, report_text
from derive.teach.variants import VariantError


def mark_all(checker: Checker, subs: list[Submission]) -> list[tuple[Submission, Result | None]]:
    out: list[tuple[Submission, Result | None]] = []
    for sub in subs:
        if sub.answers is None:
            out.append((sub, None))
            continue
        try:
            out.append((sub, checker.mark(sub.answers, sub.student)))
        except VariantError as e:
            sub.problem = str(e)
            out.append((sub, None))
    return out


# --------------------------------------------------------------------------- a class


def _safe_name(student: str, taken: set) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def class_files(checker: Checker, marked: list) -> dict[str, str]:
    """summary.csv, feedback/<student>.md and misconceptions.md for a marked class."""
    order = [s.id for s in checker.base]
    ids = [sid for sid in order if any(r and sid in r.steps for _, r in marked)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "variant", "score", "max_score", *ids, "problems"])
    files: dict[str, str] = {}
    taken: set = set()
    seen = defaultdict(list)  # misconception -> [(student, step)]
    for sub, r in marked:
        if r is None:
            w.writerow([sub.student, "", "", "", *[""] * len(ids), f"unreadable: {sub.problem}"])
            continue
        w.writerow(
            [
                r.student,
                r.variant or "",
                f"{r.score:g}",
                f"{r.max_score:g}",
                *[r.steps[i].verdict if i in r.steps else "" for i in ids],
                "; ".join(r.problems),
            ]
        )
        files[f"feedback/{_safe_name(r.student, taken)}.md"] = report_text(r, checker.spec.decimals, markdown=True)
        for sid, s in r.steps.items():
            if s.misconception:
                seen[s.misconception].append((r.student, sid))
    files["summary.csv"] = buf.getvalue()
    lines = [
        "# Misconceptions in this class",
        "",
        f"{sum(1 for _, r in marked if r)} submissions marked, {sum(1 for _, r in marked if r is None)} unreadable.",
        "",
        "| misconception | times | students | steps |",
        "| --- | --- | --- | --- |",
    ]
    for name, hits in sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        students = sorted({s for s, _ in hits})
        steps = sorted({sid for _, sid in hits})
        lines.append(f"| {BY_NAME[name].title} | {len(hits)} | {_md(', '.join(students))} | {', '.join(steps)} |")
    if not seen:
        lines.append("| none found | 0 | | |")
    unreadable = [(sub.source, sub.problem) for sub, r in marked if r is None]
    if unreadable:
        lines += ["", "## Not marked", ""] + [f"- {_md(src)}: {_md(p)}" for src, p in unreadable]
    files["misconceptions.md"] = "\n".join(lines) + "\n"
    return files
