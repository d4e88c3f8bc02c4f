"""Reading a class list: one CSV file, a row per student, a column per answer.

Real exports are read as they come. The bytes may start with a byte-order mark (Excel's
"CSV UTF-8"), be Windows-1252 rather than UTF-8 (read with a note) or UTF-16 (Excel's
"Unicode text"), and end lines with \\r\\n, \\r or \\n. The delimiter is the one of ``,``
``;`` and tab that the header line uses most (outside quotes; an Excel ``sep=;`` first
line names it): the header has no decimal commas, so ``;`` files with ``0,5929`` in
them are read as ``;``.

Headers are compared trimmed and case-insensitively. The student column is the first
name-like one (student, name, student name, your name, full name; then username), else
an email column; a second such column is carried through. The answer columns are those
named by a step id (``net_h1``, ``NET_H1``), titled with one (``Q1. net_h1``,
``net_h1 (net input of h1)``) or numbered as the sheet numbers its questions (``Q1``,
``Q 1``, ``Question 1``, ``1.``, ``Q1: the net input of h1``; Q1 is the first question
asked). A ``variant`` column (also ``variant id``, ``sheet``) holds the worksheet
variant. Every other column (a form's Timestamp, an email) is carried through to
summary.csv. A ``--columns`` file (YAML or two-column CSV: header -> step id, question
number, ``student``, ``variant`` or ``extra``) overrides the guesses. A file with no
student column, no answer column or no student row, or larger than :data:`MAX_CSV_BYTES`,
is not marked, with the reason, as a single submission (the rest of the class is); a
summary.csv this tool wrote (:func:`is_summary`) is not a class list.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from derive.errors import UsageError
from derive.model.load import LimitError, read_bounded
from derive.teach.answers import Submission
from derive.teach.questions import QuestionList

NAME_HEADERS = ("student", "student name", "name", "your name", "full name")
USER_HEADERS = ("username", "user name")
EMAIL_HEADERS = ("email", "e-mail", "email address", "e-mail address")
VARIANT_HEADERS = ("variant", "variant id", "sheet")
ROLES = ("student", "variant", "extra")
#: The columns summary.csv starts with: a CSV that starts with them is a summary, not a class list.
SUMMARY_START = ("student", "variant", "score", "max_score", "percent")
#: The largest class list read (a class of a thousand with 40 answers each is about 1 MB).
MAX_CSV_BYTES = 16 * 1024 * 1024
MAX_COLUMNS = 1000
NO_VARIANT = "no variant: marked against the spec's own numbers"

_QUESTION = re.compile(r"(?:q|question|response|answer)?\s*(\d{1,3})(?:\s*[.:)\]-]|\s|$)")
_TOKEN = re.compile(r"[a-z0-9_]+")
_STEP_LIKE = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")
_SOURCE_ROW = re.compile(r"(.*):(\d+)")


def _key(header: str) -> str:
    """A header as compared: trimmed, lower case, one space between words, no trailing : ? *."""
    return " ".join(header.split()).lower().rstrip(":?*").strip()


def _short(text: str, n: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _listing(items: list[str], n: int = 8) -> str:
    shown = ", ".join(f'"{_short(h)}"' for h in items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


class NotAClassList(ValueError):
    """A CSV file whose columns cannot be told apart; ``str(err)`` names its headers."""


def row_of(source: str) -> tuple[str, int | None]:
    """(file, row) of a submission's source: ``class.csv:3`` is row 3 of class.csv."""
    m = _SOURCE_ROW.fullmatch(source)
    return (m.group(1), int(m.group(2))) if m else (source, None)


def email_of(sub: Submission) -> str | None:
    """The email address a submission carries (as its student or in an email column), lower case."""
    if "@" in sub.student:
        return sub.student.strip().lower()
    for k, v in sub.extra.items():
        if _key(k) in EMAIL_HEADERS and v.strip():
            return v.strip().lower()
    return None


# --------------------------------------------------------------------------- bytes to rows


def _decode(data: bytes) -> tuple[str, str | None]:
    """The text of a file and a note when it was not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not UTF-8: read as Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not UTF-8: read as Latin-1"


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most, outside quotes (a comma when none)."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for c in text:
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "\r\n":
            break
        elif not quoted and c in counts:
            counts[c] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(data: bytes) -> tuple[list[list[str]], str | None]:
    """The rows of CSV bytes, whatever their encoding, line ends and delimiter, and a note
    on the encoding. Raises ValueError when the text is not CSV."""
    text, note = _decode(data)
    first = text.split("\n", 1)[0].split("\r", 1)[0].strip().lower()
    if re.fullmatch(r"sep=.", first.replace('"', "")):  # Excel's own delimiter line
        delimiter = first.replace('"', "")[4]
        text = text[len(text.split("\n", 1)[0]) :].lstrip("\r\n")
    else:
        delimiter = _delimiter(text)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), note
    except csv.Error as e:
        raise ValueError(f"not CSV ({e})") from None


# --------------------------------------------------------------------------- headers


def target(value: str, questions: QuestionList | None) -> str:
    """What a ``--columns`` entry names: a step id, ``student``, ``variant`` or ``extra``.
    A question number (Q3) is its step id. Raises ValueError naming what is accepted."""
    low = _key(str(value))
    if low in ROLES:
        return low
    if questions is None:
        return str(value).strip()
    ids = {s.lower(): s for s in questions.steps}
    if low in ids:
        return ids[low]
    m = re.fullmatch(r"q(?:uestion)?\s*(\d+)", low)
    if m and 1 <= int(m.group(1)) <= len(questions.ids):
        return questions.ids[int(m.group(1)) - 1]
    near = questions.nearest(str(value).strip())
    hint = f" (did you mean {near}?)" if near else ""
    raise ValueError(
        f"{_short(str(value))!r} is not a step id of this network{hint}, a question number "
        f"(Q1 to Q{len(questions.ids)}), student, variant or extra"
    )


def _guess(key: str, questions: QuestionList) -> str | None:
    """The step id a header names: the id itself, a title holding an id, or a question number."""
    ids = {s.lower(): s for s in questions.steps}
    if key in ids:
        return ids[key]
    tokens = [t for t in _TOKEN.findall(key) if t in ids]
    for t in tokens:
        if "_" in t:
            return ids[t]
    m = _QUESTION.match(key)
    if m and 1 <= int(m.group(1)) <= len(questions.ids):
        return questions.ids[int(m.group(1)) - 1]
    first = _TOKEN.findall(key)[:1]
    return ids[first[0]] if first and first[0] in tokens else None


@dataclass
class Layout:
    """Which column holds what: indexes of the student, email, variant, answer and extra columns."""

    student: int
    email: int | None
    variant: int | None
    answers: dict[int, str]  # column -> step id
    extra: list[int]
    notes: list[str] = field(default_factory=list)  # about the whole file


def _first(keys: list[str], roles: list[str | None], names: tuple[str, ...]) -> int | None:
    return next((i for i, k in enumerate(keys) if roles[i] is None and k in names), None)


def _roles(header: list[str], questions: QuestionList | None, columns: Mapping[str, str]) -> list[str]:
    """The role of each column: a step id, student, variant, extra, or None (undecided)."""
    keys = [_key(h) for h in header]
    override = {_key(str(k)): target(v, questions) for k, v in columns.items()}
    roles: list[str | None] = [override.get(k) for k in keys]
    for role, aliases in (("student", NAME_HEADERS), ("student", USER_HEADERS), ("student", EMAIL_HEADERS)):
        i = _first(keys, roles, aliases)
        if role not in roles and i is not None:
            roles[i] = role
    i = _first(keys, roles, VARIANT_HEADERS)
    if "variant" not in roles and i is not None:
        roles[i] = "variant"
    for i, k in enumerate(keys):
        if roles[i] is None:
            if questions is None:
                roles[i] = header[i].strip() if k not in NAME_HEADERS + USER_HEADERS + EMAIL_HEADERS else "extra"
            else:
                roles[i] = _guess(k, questions) or "extra"
    return [r or "extra" for r in roles]


def layout(header: list[str], questions: QuestionList | None, columns: Mapping[str, str]) -> Layout:
    """Which column holds what in a file with this header: NotAClassList when it cannot be
    told, UsageError when ``--columns`` names what is not a column's role."""
    try:
        roles = _roles(header, questions, columns)
    except ValueError as e:
        raise UsageError(f"--columns: {e}") from None
    keys = [_key(h) for h in header]
    if "student" not in roles:
        raise NotAClassList(
            f"no student column among headers {_listing(header)}; name one "
            f"{', '.join(NAME_HEADERS + USER_HEADERS)} or email, or give --columns"
        )
    out = Layout(roles.index("student"), None, roles.index("variant") if "variant" in roles else None, {}, [])
    for i, role in enumerate(roles):
        if role in ("student", "variant") and i in (out.student, out.variant):
            continue
        if role not in ROLES and role not in out.answers.values():
            out.answers[i] = role
            continue
        if role not in ROLES:
            first = header[next(j for j, s in out.answers.items() if s == role)]
            out.notes.append(f'columns "{_short(first)}" and "{_short(header[i])}" both hold {role}: using the first')
        elif questions is not None and _STEP_LIKE.fullmatch(keys[i]):
            near = questions.nearest(keys[i])
            hint = f" (did you mean {near}?)" if near else ""
            out.notes.append(f'column "{_short(header[i])}" is not a step id of this network{hint}: carried through')
        if keys[i] in EMAIL_HEADERS and out.email is None and keys[out.student] not in EMAIL_HEADERS:
            out.email = i
        out.extra.append(i)
    if not out.answers:
        raise NotAClassList(
            f"no answer column recognised among headers {_listing(header)}; name columns after "
            "step ids (net_h1) or question numbers (Q1), or give --columns"
        )
    out.notes += [
        f'--columns names "{_short(str(k))}", which this file does not have'
        for k in columns
        if _key(str(k)) not in keys
    ]
    if questions is not None:
        missing = [f"Q{questions.number(s)} ({s})" for s in questions.ids if s not in out.answers.values()]
        if missing:
            shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
            out.notes.append(f"no column for {shown}: marked missing")
    return out


# --------------------------------------------------------------------------- files


def read_columns(path: Path, questions: QuestionList | None) -> dict[str, str]:
    """A ``--columns`` file: YAML (``header: step id``) or CSV (header, step id per row),
    each target checked (UsageError naming the file and the entry)."""
    try:
        data = read_bounded(path, MAX_CSV_BYTES)
    except LimitError as e:
        raise UsageError(f"{path}: {e}") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror})") from None
    if path.suffix.lower() == ".csv":
        try:
            rows, _ = read_rows(data)
        except ValueError as e:
            raise UsageError(f"{path}: {e}") from None
        rows = [r for r in rows if any(c.strip() for c in r)]
        if rows and len(rows[0]) > 1 and _key(rows[0][1]) in ("step", "step id", "target", "column", "maps to"):
            rows = rows[1:]
        if any(len(r) != 2 for r in rows):
            raise UsageError(f"{path}: expected two columns per row: the header, then its step id")
        raw: object = {r[0]: r[1] for r in rows}
    else:
        import yaml

        try:
            raw = yaml.safe_load(_decode(data)[0])
        except yaml.YAMLError as e:
            where = getattr(e, "problem_mark", None)
            raise UsageError(f"{path}: not valid YAML" + (f" at line {where.line + 1}" if where else "")) from None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise UsageError(f"{path}: expected a mapping of column headers to step ids, student, variant or extra")
    out = {}
    for k, v in raw.items():
        try:
            out[str(k)] = target(v, questions)
        except ValueError as e:
            raise UsageError(f"{path}: {_short(str(k))!r}: {e}") from None
    return out


def _unique(names: list[str]) -> list[str]:
    """Header texts made unique (a second "Comments" becomes "Comments (2)")."""
    out: list[str] = []
    taken: set[str] = set()
    for n in names:
        name, k = n, 2
        while name in taken:
            name, k = f"{n} ({k})", k + 1
        out.append(name)
        taken.add(name)
    return out


def is_summary(path: Path) -> bool:
    """Whether a CSV file is a summary.csv a class run wrote (its header starts with
    :data:`SUMMARY_START`, with ``,`` or ``;``), read from its first line only."""
    try:
        if not path.is_file():  # a pipe or a device is never a summary (and is not opened)
            return False
        with path.open("rb") as f:
            head = f.read(256)
    except OSError:
        return False
    first = _decode(head)[0].lstrip("\ufeff").split("\n", 1)[0].strip()
    return any(first.startswith(d.join(SUMMARY_START) + d) for d in ",;")


def _table(path: Path) -> tuple[list[list[str]], list[str]]:
    """The rows of a class list from its header on, and notes on its encoding; a
    ValueError or an OSError says why it cannot be read."""
    rows, encoding = read_rows(read_bounded(path, MAX_CSV_BYTES))
    start = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), len(rows))
    rows = rows[start:]
    if not rows:
        raise ValueError("empty: expected a header row and a row per student")
    if len(rows[0]) > MAX_COLUMNS:
        raise ValueError(f"{len(rows[0])} columns: more than {MAX_COLUMNS} is not a class list")
    return rows, [encoding] if encoding else []


def read_class_csv(
    path: Path, questions: QuestionList | None = None, columns: Mapping[str, str] | None = None
) -> list[Submission]:
    """A submission per student row. Without a question list every column but the
    student's and the variant's is taken as an answer, keyed by its header. A file that
    cannot be read as a class list is one submission that is not marked, with the reason."""
    try:
        rows, notes = _table(path)
        header = [h.strip() for h in rows[0]]
        where = layout(header, questions, columns or {})
    except UsageError:  # --columns names what is not a role: the teacher's option, refused
        raise
    except OSError as e:
        return [Submission(path.stem, str(path), None, f"cannot read ({e.strerror or 'unreadable'})")]
    except (ValueError, UnicodeDecodeError) as e:  # also LimitError and NotAClassList
        return [Submission(path.stem, str(path), None, str(e))]
    notes += where.notes
    extra_names = _unique([header[i] for i in where.extra])
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
            problem = f"row {n} has {len(row)} columns, the header has {len(header)}"
            out.append(Submission(f"{path.name} row {n}", f"{path}:{n}", None, problem))
            continue
        cells = [c.strip() for c in row[: len(header)]] + [""] * (len(header) - len(row))
        email = cells[where.email] if where.email is not None else ""
        sub = Submission(cells[where.student] or email or f"row {n}", f"{path}:{n}", {}, notes=list(notes))
        sub.answers = {sid: cells[i] for i, sid in where.answers.items()}
        if where.variant is not None and cells[where.variant]:
            sub.answers["variant"] = cells[where.variant]
        elif where.variant is not None:
            sub.notes.append(NO_VARIANT)
        if not cells[where.student]:
            sub.notes.append(f'no name in column "{_short(header[where.student])}"')
        sub.extra = dict(zip(extra_names, [cells[i] for i in where.extra]))
        out.append(sub)
    return out or [
        Submission(path.stem, str(path), None, "no student rows: expected a row per student under the header")
    ]
