"""The shared corpus of typed answers (tests/answer_corpus.json) read by the Python reader,
in the form the browser's reader reports (window.derive.read)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from derive.teach.answers import AnswerError, parse_answer

CORPUS = Path(__file__).resolve().parent / "answer_corpus.json"
#: What the browser's reader returns for one text (no exception escapes it).
JS_READ = """
var out = [];
for (const t of arguments[0]) {
  try { const a = window.derive.read(t);
        out.push({invalid: false, value: a.value, places: a.places, symbolic: a.symbolic}); }
  catch (e) { out.push({invalid: true, reason: e.message || String(e)}); }
}
return out;
"""


def corpus() -> list[str]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))["answers"]


def python_read(text: str, symbols: dict) -> dict:
    try:
        a = parse_answer(text, symbols)
    except AnswerError as e:
        return {"invalid": True, "reason": str(e)}
    return {"invalid": False, "value": a.value, "places": a.places, "symbolic": a.symbolic}


def disagreement(text: str, py: dict, js: dict) -> str | None:
    """Why the two readings of ``text`` differ (None: they agree: invalid or not, the value
    within 1e-12 relative, the places typed, formula or number)."""
    if py["invalid"] != js["invalid"]:
        return f"{text!r}: python {py}, browser {js}"
    if py["invalid"]:
        return None
    if (py["places"], py["symbolic"]) != (js["places"], js["symbolic"]):
        return f"{text!r}: python {py}, browser {js}"
    a, b = py["value"], js["value"]
    if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)):
        return f"{text!r}: value python {a!r}, browser {b!r}"
    return None
