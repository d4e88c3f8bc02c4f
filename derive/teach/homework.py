"""Reading submissions (YAML, JSON, a folder of them, or a CSV class list) and writing
the marked results (a table for one student; summary.csv, feedback files and a
misconceptions table for a class). Input files are only ever read.

Answer files are read with the project's YAML and JSON readers, which keep every number
as it was typed: an unquoted ``loss: 0.1000`` states four places, as ``"0.1000"`` does."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from derive.model.load import read_json, read_yaml
from derive.teach.marking import SYMBOL, Checker, Result
from derive.teach.misconceptions import BY_NAME
from derive.teach.variants import VariantError

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Submission:
    student: str
    source: str  # file (and row) it came from
    answers: dict | None  # None when unreadable
    problem: str | None = None


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


def _csv(path: Path) -> list[Submission]:
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


def read_submissions(paths: list[Path]) -> list[Submission]:
    """Every submission found in files, folders and CSV files, in a stable order."""
    subs = []
    for p in paths:
        if p.is_dir():
            files = sorted(q for q in p.iterdir() if q.suffix.lower() in SUFFIXES + (".csv",))
            subs += (
                read_submissions(files)
                if files
                else [Submission(p.name, str(p), None, "no answer files in this folder")]
            )
        elif p.suffix.lower() == ".csv":
            subs += _csv(p)
        elif not p.exists():
            subs.append(Submission(p.stem, str(p), None, "no such file"))
        else:
            data, problem = _load_mapping(p)
            student = str(data.pop("student", p.stem)) if data else p.stem
            subs.append(Submission(student, str(p), data, problem))
    return subs


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


# --------------------------------------------------------------------------- one student


def _num(v, d: int) -> str:
    return f"{v:.{d + 2}f}".rstrip("0").rstrip(".") if v is not None else ""


def report_text(r: Result, decimals: int, markdown: bool = False) -> str:
    rows = [
        (sid, SYMBOL[s.verdict], s.verdict, s.given or "", _num(s.expected, decimals), _explain(s))
        for sid, s in r.steps.items()
    ]
    head = ("step", "", "verdict", "given", "expected", "comment")
    lines = [f"{r.student}" + (f" (variant {r.variant})" if r.variant else "") + f": {r.score:g} / {r.max_score:g}", ""]
    if markdown:
        lines = [
            f"## {_md(r.student)}" + (f" — variant {r.variant}" if r.variant else ""),
            "",
            f"Score: **{r.score:g} / {r.max_score:g}**",
            "",
            "| " + " | ".join(head) + " |",
            "|" + " --- |" * len(head),
        ]
        # only the student's text and the comments can hold a | or a line break
        lines += [
            f"| {sid} | {sym} | {verdict} | {_md(given)} | {exp} | {_md(comment)} |"
            for sid, sym, verdict, given, exp, comment in rows
        ]
    else:
        widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
        lines += [fmt.format(*head), fmt.format(*("-" * w for w in widths[:-1]), "-------")]
        lines += [fmt.format(*row) for row in rows]
    lines += [""] + [f"note: {p}" for p in r.problems]
    return "\n".join(lines).rstrip() + "\n"


def _explain(s) -> str:
    parts = []
    if s.verdict == "follow-through":
        parts.append("right from your " + ", ".join(s.follows))
    if s.diagnosis:
        parts.append(s.diagnosis)
    if s.note:
        parts.append(s.note)
    return " ".join(parts)


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


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
