"""The marked results of one student, as a table a student can read (text or Markdown):
the sheet's question numbers, the expected values at the sheet's precision, the points,
and the comments as whole sentences."""

from __future__ import annotations

from derive.teach.results import SYMBOL, Result, StepResult


def expected_text(v: float | None, decimals: int) -> str:
    """A key value at the sheet's precision; a non-zero value that would show as 0 keeps
    two significant figures instead.

    >>> expected_text(0.592908, 4), expected_text(-0.0000123, 4), expected_text(0.0, 4)
    ('0.5929', '-1.2e-05', '0.0000')
    """
    if v is None:
        return ""
    if v != 0 and abs(v) < 0.5 * 10.0**-decimals:
        return f"{v:.2g}"
    return f"{v:.{decimals}f}"


def sentences(parts: list[str]) -> str:
    """Clauses and sentences joined as prose: each starts with a capital and ends with a stop.

    >>> sentences(["right from your out_h1", "given to 3 decimal places; the sheet asks for 4"])
    'Right from your out_h1. Given to 3 decimal places; the sheet asks for 4.'
    """
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        p = p[0].upper() + p[1:]
        out.append(p if p[-1] in ".!?" else p + ".")
    return " ".join(out)


def comment(s: StepResult) -> str:
    parts = []
    if s.verdict == "follow-through":
        parts.append("right from your own " + ", ".join(s.follows))
    if s.diagnosis:
        parts.append(s.diagnosis)
    parts += s.remarks
    return sentences(parts)


def _points(s: StepResult) -> str:
    return f"{s.points:g}/{s.max_points:g}"


def report_text(r: Result, decimals: int, markdown: bool = False) -> str:
    rows = [
        (
            f"Q{s.question}" if s.question else "",
            sid,
            f"{SYMBOL[s.verdict]} {s.verdict}",
            s.given or "",
            expected_text(s.expected, decimals),
            _points(s),
            comment(s),
        )
        for sid, s in r.steps.items()
    ]
    head = ("", "step", "verdict", "given", "expected", "points", "comment")
    answered = sum(s.verdict != "missing" for s in r.steps.values())
    score = f"{r.score:g} / {r.max_score:g} ({r.percent:.1f}%)"
    counts = f"{answered} of {len(r.steps)} questions answered."
    if markdown:
        lines = [
            f"## {_md(r.student)}" + (f" — variant {r.variant}" if r.variant else ""),
            "",
            f"Score: **{score}**. {counts}",
            "",
            "| " + " | ".join(head) + " |",
            "|" + " --- |" * len(head),
        ]
        # only the student's text and the comments can hold a | or a line break
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    else:
        lines = [f"{r.student}" + (f" (variant {r.variant})" if r.variant else "") + f": {score}. {counts}", ""]
        widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
        lines += [fmt.format(*head), fmt.format(*("-" * w for w in widths[:-1]), "-------")]
        lines += [fmt.format(*row).rstrip() for row in rows]
    lines += [""] + [f"note: {p}" for p in r.problems]
    return "\n".join(lines).rstrip() + "\n"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
