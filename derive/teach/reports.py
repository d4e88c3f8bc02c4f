"""The marked results of one student, as a table a student can read (text or Markdown):
the sheet's question numbers, the expected values at the sheet's precision, the points,
and the comments as whole sentences.

What a student typed is data wherever it lands: in Markdown (feedback/*.md,
misconceptions.md) it goes through :func:`md_text`, so it can form no HTML tag, link,
image or table cell; on a terminal through :func:`~derive.errors.one_line`, so a control
character is shown as an escape (``\\x1b``), never sent to the screen."""

from __future__ import annotations

import re

from derive.errors import one_line
from derive.teach.results import SYMBOL, Result, StepResult

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# what could start code, emphasis, a link or an image, a table cell, strikethrough, math or
# a heading; an underscore inside a word (net_h1) starts nothing and is left as it is
_MD_SPECIAL = re.compile(r"[\\`*\[\]()|~$#]|(?<![^\W_])_|_(?![^\W_])")


def md_text(text) -> str:
    """Text from a student or a file (or a comment quoting one) for a Markdown line of a
    class output: one line, control characters as visible escapes, ``& < >`` as HTML
    entities, and every character that could start markup backslash-escaped.

    >>> print(md_text("<img src=x onerror=alert(1)> [a](javascript:x) *net_h1*\\n# h"))
    &lt;img src=x onerror=alert\\(1\\)&gt; \\[a\\]\\(javascript:x\\) \\*net_h1\\* \\# h
    """
    text = one_line(" ".join(str(text).splitlines()))
    text = re.sub("[&<>]", lambda m: _HTML[m.group()], text)
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)


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
    rows: list[tuple[str, ...]] = [
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
            f"## {md_text(r.student)}" + (f" — variant {md_text(r.variant)}" if r.variant else ""),
            "",
            f"Score: **{score}**. {counts}",
            "",
            "| " + " | ".join(head) + " |",
            "|" + " --- |" * len(head),
        ]
        lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in rows]
        notes = [md_text(p) for p in r.problems]
    else:
        rows = [tuple(one_line(c) for c in row) for row in rows]
        lines = [
            one_line(r.student) + (f" (variant {one_line(r.variant)})" if r.variant else "") + f": {score}. {counts}",
            "",
        ]
        widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
        lines += [fmt.format(*head), fmt.format(*("-" * w for w in widths[:-1]), "-------")]
        lines += [fmt.format(*row).rstrip() for row in rows]
        notes = [one_line(p) for p in r.problems]
    lines += [""] + [f"note: {p}" for p in notes]
    return "\n".join(lines).rstrip() + "\n"
