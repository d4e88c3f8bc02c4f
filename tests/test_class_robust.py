"""One bad file never stops a class (issue 12): every submission is read and marked in
isolation and within bounds, student text is data in every output, a run never takes its
own outputs (or a worksheet manifest) for submissions nor overwrites an input, and a file
that is not an answers file is named with a reason, never echoed."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.model.load import MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, LimitError, read_answers
from derive.model.spec import load_spec
from derive.teach.marking import MAX_VARIANT_INDEX, Checker
from derive.teach.submissions import read_submissions
from derive.teach.variants import VariantError

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"
CHECKER = Checker(load_spec(FOUR), "four")
GOOD = "student: good\nnet_h1: 0.3760\nout_h1: 0.5929\n"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
LINK = re.compile(r"(?<!\\)\]\(")  # a Markdown link or image: ](, its ] not escaped


@contextmanager
def time_limit(seconds: int):
    """A generous guard, not a timing assertion: code that never ends fails the test."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def billion_laughs(levels: int = 9) -> str:
    """A YAML alias bomb: a few hundred bytes standing for 9**levels strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nnet_h1: *a{levels - 1}\n"


def summary_rows(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8-sig"), newline="")))


def problems(out: Path) -> dict[str, str]:
    return {r["student"]: r["problems"] for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}


def assert_outputs_inert(out: Path) -> None:
    """No spreadsheet formula in summary.csv; no tag, link, image or control character
    in the Markdown files."""
    for row in summary_rows(out):
        for cell in row:
            assert not cell.lstrip(" ").startswith(FORMULA_START), cell
    for md in [out / "misconceptions.md", *(out / "feedback").glob("*.md")]:
        text = md.read_text(encoding="utf-8")
        assert "<" not in text and not LINK.search(text), md.name
        assert not any(ord(c) < 32 and c != "\n" for c in text), md.name


# --------------------------------------------------------------------------- bounds


def test_one_bad_file_never_stops_the_class(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    (folder / "bomb.yaml").write_text(billion_laughs(5))  # small enough for any reader to survive
    (folder / "deepj.json").write_text('{"net_h1": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (folder / "deepy.yaml").write_text("net_h1:\n" + "".join("  " * i + "a:\n" for i in range(1, 300)))
    (folder / "huge.yaml").write_text("net_h1: 0.376\n# " + "x" * MAX_ANSWER_BYTES + "\n")
    (folder / "far.yaml").write_text("student: far\nvariant: four-d2-s1-v99999999\nnet_h1: 0.376\n")
    (folder / "long.yaml").write_text("student: long\nvariant: " + "four-d2-s1-v1" * 100 + "\n")
    endless = hasattr(os, "symlink") and Path("/dev/zero").exists()
    if endless:
        (folder / "zero.yaml").symlink_to("/dev/zero")  # never read to its end
    out = tmp_path / "out"
    with time_limit(300):
        assert main(["check", str(FOUR), str(folder), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    p = problems(out)
    assert "unreadable" not in p["good"]
    assert p["bomb"].startswith("unreadable: YAML anchors and aliases (&name, *name) are not allowed")
    assert p["deepj"] == p["deepy"] == f"unreadable: too deeply nested (more than {MAX_ANSWER_DEPTH} levels)"
    assert p["huge"] == "unreadable: too large (more than 256 KB)"
    assert f"index 99999999 is beyond {MAX_VARIANT_INDEX}" in p["far"] and "not a variant id" in p["long"]
    assert p.get("zero") == ("unreadable: not a regular file" if endless else None)
    assert "Traceback" not in err and "internal error" not in err
    assert all(line.startswith("derive: ") for line in err.splitlines())
    assert f"{folder / 'far.yaml'}: not marked: variant" in err


def test_aliases_are_refused_before_they_grow(tmp_path):
    (tmp_path / "bomb.yaml").write_text(billion_laughs(9))  # 9**9 strings once expanded: about 2 GB
    with time_limit(60):
        (sub,) = read_submissions([tmp_path / "bomb.yaml"])
    assert sub.answers is None and sub.problem.startswith("YAML anchors and aliases (&name, *name) are not allowed")
    with pytest.raises(LimitError, match="aliases"):
        read_answers("net_h1: 0.3760\nout_h1: &x 0.5929\n")  # an anchor alone is refused too


@pytest.mark.parametrize(
    "text, is_json",
    [
        ("[" * 11 + "]" * 11, True),
        ('{"a": ' * 11 + "1" + "}" * 11, True),
        ("a: " + "[" * 11 + "]" * 11, False),
        ("".join(f"k{i}: 1\n" for i in range(5001)), False),  # 10,003 values: keys, answers and the mapping
        ("[" + "1," * 10_000 + "1]", True),
    ],
    ids=["json-lists", "json-objects", "yaml-lists", "yaml-keys", "json-values"],
)
def test_depth_and_values_are_bounded_while_reading(text, is_json, tmp_path):
    path = tmp_path / ("a.json" if is_json else "a.yaml")
    path.write_text(text)
    (sub,) = read_submissions([path])
    assert sub.answers is None and sub.problem.startswith(("too deeply nested", "too many values"))


def test_many_answer_lines_read_line_by_line_are_bounded(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("x: [\n" + "".join(f"k{i}: 1\n" for i in range(6000)))  # not YAML: read line by line
    (sub,) = read_submissions([path])
    assert sub.answers is None and sub.problem.startswith("too many values")


def test_a_variant_index_beyond_the_bound_is_refused_at_once():
    ch = Checker(load_spec(FOUR), "four")
    with time_limit(60):
        with pytest.raises(VariantError, match=f"index 99999999 is beyond {MAX_VARIANT_INDEX}"):
            ch.graph_for("four-d2-s1-v99999999")
        with pytest.raises(VariantError, match="not a variant id"):
            ch.graph_for("four-d2-s1-v1" + "9" * 5000)  # no 5000-digit int is ever made
    assert ch.graph_for("four-d2-s1-v1") is not ch.base


def test_recursion_and_memory_errors_leave_one_submission_unmarked(tmp_path, monkeypatch, capsys):
    import derive.teach.submissions as submissions

    for name in ("good", "deep", "big"):
        (tmp_path / f"{name}.yaml").write_text(f"student: {name}\nnet_h1: 0.376\n")
    real_read, real_mark = submissions.read_answers, Checker.mark

    def read(text, is_json=False):
        if "big" in text:
            raise MemoryError
        return real_read(text, is_json)

    def mark(self, answers, student="student"):
        if student == "deep":
            raise RecursionError("maximum recursion depth exceeded")
        return real_mark(self, answers, student)

    monkeypatch.setattr(submissions, "read_answers", read)
    monkeypatch.setattr(Checker, "mark", mark)
    out = tmp_path / "out"
    assert main(["check", str(FOUR), str(tmp_path), "-o", str(out)]) == 0
    p = problems(out)
    assert p["deep"] == "unreadable: too deeply nested" and p["big"] == "unreadable: too large"
    assert "unreadable" not in p["good"]
    assert "internal error" not in capsys.readouterr().err


# --------------------------------------------------------------------------- student text is data


def test_student_text_is_inert_in_every_class_output(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    (folder / "=cmd.yaml").write_text("net_h1: '[x](javascript:alert(1))'\nout_h1: <script>alert(1)</script>\n")
    (folder / "ann.yaml").write_text(
        'student: "<img src=x onerror=alert(1)>"\nnet_h1: "\\e[2J![i](http://x/i.png)"\n'
        "out_hl: 0.5929\n\"=HYPERLINK('http://x')\": 1\n"
    )
    (folder / "sp.yaml").write_text('student: "  +SUM(1)"\nnet_h1: 0.376\n')  # spaces, then a formula
    with (folder / "class.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "net_h1", "=cmd|' /C calc'!A0", "  @SUM(A1)"])
        w.writerow(["  -2+3", "<b>0.376</b>", "=1+1", "+1"])
        w.writerow(["@bob", "`0.376`", "\t=1", "\r=2"])
        w.writerow(["*cy*|x", "0.376", "- 1", "#h"])
    out = tmp_path / "out"
    assert main(["check", str(FOUR), str(folder), "-o", str(out)]) == 0
    assert_outputs_inert(out)
    rows = summary_rows(out)
    assert len(rows) == 1 + 7
    assert {"'=cmd", "'-2+3", "'  +SUM(1)", "'@bob"} <= {r[0] for r in rows}
    heads = {f.read_text().splitlines()[0] for f in (out / "feedback").glob("*.md")}
    assert "## &lt;img src=x onerror=alert\\(1\\)&gt;" in heads and "## \\*cy\\*\\|x" in heads
    assert not any("HYPERLINK" in p for p in problems(out).values())  # a key not like an id is not repeated


def test_the_terminal_shows_control_characters_as_escapes(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text('student: "ann\\e[2J"\nnet_h1: "\\e]0;pwned\\a0.376"\n')
    assert main(["check", str(FOUR), str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\a" not in out
    assert "ann\\x1b[2J" in out and "\\x1b]0;pwned\\x070.376" in out


# --------------------------------------------------------------------------- inputs and outputs


def test_a_run_into_its_own_folder_reads_only_the_submissions(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob", "cy"):
        (folder / f"{name}.yaml").write_text(f"net_h1: 0.376\nstudent: {name}\n")
    (folder / "worksheet.json").write_text(json.dumps({"version": 1, "variants": [], "questions": []}))
    for _ in range(2):  # the second run finds the first one's summary.csv, feedback/ and misconceptions.md
        assert main(["check", str(FOUR), str(folder), "-o", str(folder), "--excel", "semicolon"]) == 0
        rows = summary_rows(folder)
        assert sorted(r[0].split(";")[0] for r in rows[1:]) == ["ann", "bob", "cy"]
    assert "marked 3 of 3 submissions" in capsys.readouterr().out


def test_an_input_is_never_overwritten(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    text = "student,net_h1\nann,0.376\n"
    (folder / "summary.csv").write_text(text)  # a class list that happens to be called summary.csv
    (folder / "bob.yaml").write_text("net_h1: 0.376\n")
    assert main(["check", str(FOUR), str(folder), "-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"derive: {folder / 'summary.csv'}: an input of this run; not overwritten " + (
        "(give another -o folder)"
    )
    assert (folder / "summary.csv").read_text() == text
    assert not (folder / "feedback").exists() and not (folder / "misconceptions.md").exists()
    # named on the command line, it is an input too
    assert main(["check", str(FOUR), str(folder / "summary.csv"), str(folder / "bob.yaml"), "-o", str(folder)]) == 2
    assert (folder / "summary.csv").read_text() == text


# --------------------------------------------------------------------------- not an answers file


def test_a_file_that_is_not_an_answers_file_is_named_not_echoed(tmp_path, capsys):
    secret = "".join(f"user{i}:$6$hunter2salt$abcdefghijk:19000:0:99999:7:::\n" for i in range(12))
    (tmp_path / "shadow").write_text(secret)
    (tmp_path / "mixed.yaml").write_text("net_h1: 0.376\nroot:x:0:0:hunter2:/root:/bin/bash:\n")
    out = tmp_path / "out"
    assert main(["check", str(FOUR), str(tmp_path / "shadow"), str(tmp_path / "mixed.yaml"), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    p = problems(out)
    assert p["shadow"] == 'unreadable: not an answers file: 12 lines, none of them "step: answer"'
    assert "1 key not a step of this sheet (not shown)" in p["mixed"]
    texts = [err, (out / "summary.csv").read_text(), (out / "misconceptions.md").read_text()]
    texts += [f.read_text() for f in (out / "feedback").glob("*.md")]
    assert not any("hunter2" in t for t in texts)
    assert main(["check", str(FOUR), str(tmp_path / "shadow")]) == 2  # nothing to mark
    assert "hunter2" not in capsys.readouterr().err


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    "option",
    [
        ["--points", "grad=inf"],
        ["--points", "grad=1e9"],
        ["--points", "new=nan"],
        ["--rtol", "inf"],
        ["--rtol", "2"],
        ["--sigfigs", "nan"],
        ["--sigfigs", "99"],
        ["--follow-through-credit", "nan"],
        ["--imprecise-credit", "inf"],
        ["--slip-penalty", "-1"],
    ],
)
def test_options_refuse_what_is_not_finite_or_in_range(tmp_path, option, capsys):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3760\n")
    assert main(["check", str(FOUR), str(tmp_path / "a.yaml"), *option]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option[0] in err


# --------------------------------------------------------------------------- fuzz

_MARKUP = st.sampled_from(
    ["=1+1", "+1", "-1", "@A1", "\t=2", "\r=3", "<img src=x onerror=alert(1)>", "<script>x</script>",
     "[a](javascript:alert(1))", "![i](x.png)", "\x1b[2J", "`code`", "*b*", "a|b", "&lt;", "net_h1", "0.376",
     "four-d2-s1-v99999999", "four-d2-s1-v1", "four-s1-v2", "\u202e", ""]
)  # fmt: skip
_TEXT = st.one_of(_MARKUP, st.text(max_size=30))
_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=12,
)
_KEY = st.one_of(st.sampled_from(["net_h1", "out_h1", "student", "variant", "out_hl"]), _TEXT)


@st.composite
def _yaml_text(draw) -> str:
    lines = [f"{draw(_KEY)}: {draw(_TEXT)}" for _ in range(draw(st.integers(0, 6)))]
    if draw(st.booleans()):
        lines.append("a: &x [" + ", ".join(["*x"] * draw(st.integers(0, 3))) + "]")
    depth = draw(st.integers(0, 40))
    lines.append("deep: " + "[" * depth + "]" * depth)
    return "\n".join(draw(st.permutations(lines)))


_ANSWERS = st.one_of(
    _yaml_text(),
    st.builds(lambda v: json.dumps(v, ensure_ascii=False), _VALUE),
    st.builds(lambda k, v: json.dumps({k: v}), _KEY, _VALUE),
    st.integers(0, 60).map(lambda d: '{"net_h1": ' + "[" * d + "]" * d + "}"),
    st.text(max_size=200),
    st.binary(max_size=200),
)
_CELL = st.one_of(_MARKUP, st.text(max_size=12))


@st.composite
def _class_csv(draw) -> str:
    header = draw(st.lists(st.one_of(_CELL, st.sampled_from(["student", "name", "net_h1", "Q2", "variant"])),
                           min_size=1, max_size=6))  # fmt: skip
    rows = draw(st.lists(st.lists(_CELL, max_size=len(header) + 1), max_size=4))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


_NAMES = st.sampled_from(["a", "=cmd", "+1", "@x", "-x", "<b>", "[x](y)", "summary", "worksheet"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    files=st.lists(st.tuples(_NAMES, st.sampled_from([".yaml", ".yml", ".json"]), _ANSWERS), max_size=4),
    lists=st.lists(_class_csv(), max_size=2),
)
def test_random_files_never_stop_a_class(files, lists):
    with tempfile.TemporaryDirectory() as tmp, time_limit(300):
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        (folder / "good.yaml").write_text(GOOD)
        written = {"good.yaml"}
        for i, (name, suffix, content) in enumerate(files):
            path = folder / f"{name}{i}{suffix}"
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
            written.add(path.name)
        for i, text in enumerate(lists):
            (folder / f"class{i}.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
            written.add(f"class{i}.csv")
        with _stderr() as err:
            assert main(["check", str(FOUR), str(folder), "-o", str(out)]) == 0
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
        rows = summary_rows(out)[1:]
        assert len(rows) >= len(written)  # a row for every file: marked, or listed as not marked
        assert_outputs_inert(out)


@contextmanager
def _stderr():
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        yield buf
