"""The marked results of one student, as a table (text or Markdown)."""

from __future__ import annotations

from derive.teach.marking import SYMBOL, Result


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
