"""Marking a class: every submission marked, and the class files (summary.csv, feedback
files and a misconceptions table).

summary.csv has a row per submission and these columns, in order:

- ``student``, ``variant``, ``score``, ``max_score``, ``percent`` (one decimal);
- one column per question, in question order (then any other step marked), named by its
  step id (``net_h1``) and holding the points earned on it (``1``, ``0.5``, ``0``);
- the same steps again as ``<step id> verdict`` columns holding the verdict word
  (correct, imprecise, slip, follow-through, wrong, invalid, missing), so points can be
  summed and verdicts filtered, one kind of value per column;
- the columns carried through from the class lists (a form's Timestamp, an email), the
  union over the submissions in first-seen order;
- ``problems``: how the submission was read and marked (duplicates, no variant, missing
  columns, unknown keys) or why it was not marked (``unreadable: ...``).

Numbers are plain decimals (no exponent). Text that came from a student or a file and
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``
so a spreadsheet shows it rather than running it as a formula. ``excel="utf8"`` starts
the file with a byte-order mark (Excel then reads it as UTF-8); ``excel="semicolon"`` also
separates with ``;`` and writes decimal commas, as Excel does where the comma is the
decimal mark.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict

from derive.errors import one_line
from derive.graph.collector import paused_collector
from derive.teach.answers import Submission, is_blank
from derive.teach.classlist import NO_VARIANT, email_of, row_of
from derive.teach.marking import Checker, Result
from derive.teach.misconceptions import BY_NAME
from derive.teach.questions import QuestionList
from derive.teach.reports import md_text, report_text
from derive.teach.variants import VariantError

EXCEL = ("utf8", "semicolon")
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
_SHOWN = 5  # the other submissions named in a "duplicate of" note
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def mark_all(checker: Checker, subs: list[Submission], progress=None) -> list[tuple[Submission, Result | None]]:
    """Every submission marked (each in isolation); ``progress(done, total)`` is told every
    hundred submissions and at the end."""
    _flag_duplicates(subs)
    if any(s.answers and not is_blank(s.answers.get("variant")) for s in subs):
        for s in subs:  # the class uses variants: say which submissions have none
            if s.answers is not None and is_blank(s.answers.get("variant")) and NO_VARIANT not in s.notes:
                s.notes.append(NO_VARIANT)
    out: list[tuple[Submission, Result | None]] = []
    with paused_collector():  # a class is a few hundred thousand small objects, no cycles
        for sub in subs:
            out.append((sub, None if sub.answers is None else _mark_one(checker, sub)))
            if progress is not None and (len(out) % 100 == 0 or len(out) == len(subs)):
                progress(len(out), len(subs))
    return out


def _mark_one(checker: Checker, sub: Submission) -> Result | None:
    """One submission marked in isolation: a variant that cannot be marked, or answers
    too deep or too large to work on, leave it not marked, with the reason."""
    try:
        return checker.mark(sub.answers or {}, sub.student)
    except VariantError as e:
        sub.problem = str(e)
    except RecursionError:
        sub.problem = "too deeply nested"
    except MemoryError:
        sub.problem = "too large"
    return None


def _where(sub: Submission, seen_from: Submission) -> str:
    """Where ``sub`` came from, as told to the submission ``seen_from``."""
    file, row = row_of(sub.source)
    if row is None:
        return file
    return f"row {row}" if row_of(seen_from.source)[0] == file else f"{file} row {row}"


def _flag_duplicates(subs: list[Submission]) -> None:
    """Notes on submissions of one student (same name, ignoring case and spacing, or same email)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(subs):
        if s.answers is None:
            continue
        groups["name:" + " ".join(s.student.split()).casefold()].append(i)
        email = email_of(s)
        if email:
            groups["email:" + email].append(i)
    keys_of: dict[int, tuple[str, ...]] = defaultdict(tuple)
    for key, members in groups.items():
        if len(members) > 1:
            for i in members:
                keys_of[i] += (key,)
    together: dict[tuple[str, ...], list[int]] = {}  # the groups a submission is in -> their members
    for i in sorted(keys_of):
        ks = keys_of[i]
        if ks not in together:
            together[ks] = sorted(set().union(*(groups[k] for k in ks)))
        js = [j for j in together[ks][: _SHOWN + 1] if j != i][:_SHOWN]
        more = len(together[ks]) - 1 - len(js)
        shown = ", ".join(_where(subs[j], subs[i]) for j in js) + (f" and {more} more" if more else "")
        subs[i].notes.append(f"duplicate of {shown}")


def warnings(marked: list) -> list[str]:
    """One line per warning about how the class was read, ``<file>: <warning>``: a warning
    that every row of a file shares is said once for the file, else with its rows."""
    rows_in: dict[str, set] = defaultdict(set)
    said: dict[tuple[str, str], list] = {}
    for sub, _ in marked:
        file, row = row_of(sub.source)
        rows_in[file].add(row)
        for note in sub.notes:
            said.setdefault((file, note), []).append(row)
    lines = []
    for (file, note), rows in said.items():
        numbered = sorted(r for r in rows if r is not None)
        if not numbered or set(rows) == rows_in[file]:
            lines.append(f"{file}: {note}")
        else:
            shown = ", ".join(map(str, numbered[:5])) + (f" and {len(numbered) - 5} more" if len(numbered) > 5 else "")
            lines.append(f"{file}: row{'s' * (len(numbered) > 1)} {shown}: {note}")
    return [one_line(line) for line in lines]


# --------------------------------------------------------------------------- summary.csv


def _inert(text) -> str:
    """Text from a student or a file, made safe to open in a spreadsheet (never a formula,
    even after leading spaces, which some spreadsheets skip).

    >>> _inert("=HYPERLINK(1)"), _inert("  +1"), _inert("ada")
    ("'=HYPERLINK(1)", "'  +1", 'ada')
    """
    text = str(text)
    return "'" + text if text.lstrip(" ").startswith(_FORMULA_START) else text


def _number(x: float, comma: bool = False) -> str:
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return text.replace(".", ",") if comma else text


def _columns(marked: list, questions: QuestionList) -> tuple[list[str], list[str]]:
    """The step columns (questions in order, then other steps marked) and the carried-through ones."""
    marked_steps = {sid for _, r in marked if r for sid in r.steps}
    ids = list(questions.ids) + [s for s in questions.steps if s in marked_steps and s not in questions.ids]
    ids += sorted(marked_steps - set(ids))
    extras: dict[str, None] = {}
    for sub, _ in marked:
        extras.update(dict.fromkeys(sub.extra))
    return ids, list(extras)


def summary_csv(marked: list, questions: QuestionList, excel: str | None = None) -> str:
    """summary.csv (the format is in this module's docstring)."""
    comma = excel == "semicolon"
    ids, extras = _columns(marked, questions)
    ours = {"student", "variant", "score", "max_score", "percent", "problems", *ids, *(f"{i} verdict" for i in ids)}
    shown = [f"{e} (from file)" if e.casefold() in {o.casefold() for o in ours} else e for e in extras]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if comma else ",", lineterminator="\r\n" if excel else "\n")
    w.writerow(
        [
            *["student", "variant", "score", "max_score", "percent"],
            *ids,
            *[f"{i} verdict" for i in ids],
            *map(_inert, shown),
            "problems",
        ]
    )
    for sub, r in marked:
        carried = [_inert(sub.extra.get(e, "")) for e in extras]
        problems = list(sub.notes) + (r.problems if r else [f"unreadable: {sub.problem}"])
        if r is None:
            w.writerow([_inert(sub.student), *[""] * (4 + 2 * len(ids)), *carried, _inert("; ".join(problems))])
            continue
        steps = [r.steps.get(sid) for sid in ids]
        percent = f"{100 * r.score / r.max_score:.1f}" if r.max_score else ""
        w.writerow(
            [
                _inert(r.student),
                _inert(r.variant or ""),
                _number(r.score, comma),
                _number(r.max_score, comma),
                percent.replace(".", ",") if comma else percent,
                *[_number(s.points, comma) if s else "" for s in steps],
                *[s.verdict if s else "" for s in steps],
                *carried,
                _inert("; ".join(problems)),
            ]
        )
    return ("\ufeff" if excel else "") + buf.getvalue()


# --------------------------------------------------------------------------- a class


def safe_name(student: str, taken: set) -> str:
    """A feedback file name for a student, unique in ``taken`` ignoring case, ASCII only,
    at most 60 characters and never a name Windows reserves (CON, NUL, COM1, ...)."""
    ascii_name = unicodedata.normalize("NFKD", student).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_name).strip("_-")[:60].rstrip("_-") or "student"
    if base.lower() in _RESERVED:
        base += "_"
    name, k = base, 2
    while name.lower() in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name.lower())
    return name


def class_files(
    checker: Checker, marked: list, questions: QuestionList | None = None, excel: str | None = None
) -> dict[str, str]:
    """summary.csv, feedback/<student>.md and misconceptions.md for a marked class."""
    files: dict[str, str] = {"summary.csv": summary_csv(marked, questions or checker.questions, excel)}
    taken: set = set()
    seen = defaultdict(list)  # misconception -> [(student, step)]
    for _, r in marked:
        if r is None:
            continue
        files[f"feedback/{safe_name(r.student, taken)}.md"] = report_text(r, checker.spec.decimals, markdown=True)
        for sid, s in r.steps.items():
            if s.misconception:
                seen[s.misconception].append((r.student, sid))
    files["misconceptions.md"] = _misconceptions(marked, seen)
    return files


def _misconceptions(marked: list, seen: dict) -> str:
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
        lines.append(f"| {BY_NAME[name].title} | {len(hits)} | {md_text(', '.join(students))} | {', '.join(steps)} |")
    if not seen:
        lines.append("| none found | 0 | | |")
    unreadable = [(sub.source, sub.problem) for sub, r in marked if r is None]
    if unreadable:
        lines += ["", "## Not marked", ""] + [f"- {md_text(src)}: {md_text(p)}" for src, p in unreadable]
    return "\n".join(lines) + "\n"
