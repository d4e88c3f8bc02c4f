"""Class mode on real exports: Excel and Google Forms class lists, --columns, summary.csv
(points, verdicts, carried-through columns, inert formulas, --excel) and feedback names."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
import sympy as sp
import yaml

from derive.cli import main
from derive.model.spec import load_spec
from derive.teach.classlist import read_class_csv
from derive.teach.homework import safe_name
from derive.teach.marking import Checker
from derive.teach.worksheet import build_worksheet

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"
CHECKER = Checker(load_spec(FOUR), "four")
QUESTIONS = CHECKER.questions


def key(sid: str, variant: str | None = None, comma: bool = False) -> str:
    text = f"{float(CHECKER.graph_for(variant)[sid].value):.4f}"
    return text.replace(".", ",") if comma else text


def check(tmp_path, *args) -> int:
    return main(["check", str(FOUR), *map(str, args)])


def summary(out: Path, delimiter: str = ",", encoding: str = "utf-8") -> dict[str, dict[str, str]]:
    text = (out / "summary.csv").read_bytes().decode(encoding)
    return {r["student"]: r for r in csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)}


# --------------------------------------------------------------------------- the four exports


def test_excel_semicolons_decimal_commas_crlf_and_bom(tmp_path, capsys):
    ids = ["net_h1", "out_h1", "net_o1", "out_o1"]
    lines = ["Student;" + ";".join(ids)]
    lines.append("Zoë Müller;" + ";".join(key(s, comma=True) for s in ids))
    lines.append("Bob;" + ";".join([key("net_h1", comma=True), "0,4070", "", ""]))
    path = tmp_path / "class.csv"
    path.write_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    out = tmp_path / "out"
    assert check(tmp_path, path, "-o", out) == 0
    rows = summary(out)
    assert set(rows) == {"Zoë Müller", "Bob"}
    zoe = rows["Zoë Müller"]
    assert [zoe[s] for s in ids] == ["1"] * 4 and zoe["score"] == "4"
    assert [zoe[f"{s} verdict"] for s in ids] == ["correct"] * 4
    assert rows["Bob"]["out_h1 verdict"] == "wrong" and rows["Bob"]["out_h1"] == "0"
    assert "no column for Q2 (net_h2)" in zoe["problems"]
    assert "class.csv: no column for Q2 (net_h2), Q4 (out_h2)" in capsys.readouterr().err


def test_the_same_export_in_windows_1252_is_read_with_a_note(tmp_path):
    path = tmp_path / "class.csv"
    path.write_bytes(f"Student;net_h1\r\nZoë;{key('net_h1', comma=True)}\r\n".encode("cp1252"))
    (sub,) = read_class_csv(path, QUESTIONS)
    assert sub.student == "Zoë" and sub.answers == {"net_h1": key("net_h1", comma=True)}
    assert "not UTF-8: read as Windows-1252" in sub.notes


def test_google_forms_with_step_ids_in_the_titles(tmp_path, capsys):
    ids = ["net_h1", "out_h1", "net_o1"]
    path = tmp_path / "form.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Timestamp", "Your name", "Email", *[f"Q{n}. {s}" for n, s in enumerate(ids, 1)]])
        w.writerow(["2026/11/30 10:02:11 AM GMT", "Ada Lovelace", "ada@example.org", *map(key, ids)])
        w.writerow(["2026/11/30 10:05:40 AM GMT", "Bo", "bo@example.org", key("net_h1"), "0.5", ""])
    out = tmp_path / "out"
    assert check(tmp_path, path, "-o", out) == 0
    header = next(csv.reader((out / "summary.csv").open()))
    assert header[-3:] == ["Timestamp", "Email", "problems"]  # carried through, in header order
    rows = summary(out)
    ada = rows["Ada Lovelace"]
    assert ada["Timestamp"] == "2026/11/30 10:02:11 AM GMT" and ada["Email"] == "ada@example.org"
    assert ada["score"] == "3" and ada["net_o1 verdict"] == "correct"
    assert rows["Bo"]["out_h1 verdict"] == "wrong" and rows["Bo"]["Email"] == "bo@example.org"


def test_forms_titled_by_question_only_are_mapped_by_number(tmp_path):
    """Headers such as "Q3. the output of h1": no step id, so Q3 is the third question."""
    ws = build_worksheet(load_spec(FOUR), "four")
    questions = ws.questions(ws.variants[0])
    path = tmp_path / "form.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Timestamp", "Name", *[f"Q{q.number}. {q.text}" for q in questions]])
        w.writerow(["2026/11/30", "Ada", *[key(q.id) for q in questions]])
    (sub,) = read_class_csv(path, QUESTIONS)
    assert sub.answers == {q.id: key(q.id) for q in questions}
    assert list(sub.extra) == ["Timestamp"] and not sub.notes
    out = tmp_path / "out"
    assert check(tmp_path, path, "-o", out) == 0
    assert summary(out)["Ada"]["score"] == summary(out)["Ada"]["max_score"] == "34"


@pytest.mark.parametrize("headers", [["Question 1", "2.", "Q 3", "q4: the output of h2"], ["Q1", "2", "3)", "4 -"]])
def test_question_number_forms(tmp_path, headers):
    path = tmp_path / "c.csv"
    path.write_text("name," + ",".join(headers) + "\r" + "ada,1,2,3,4\r")  # old Mac line ends
    (sub,) = read_class_csv(path, QUESTIONS)
    assert sub.answers == {"net_h1": "1", "net_h2": "2", "out_h1": "3", "out_h2": "4"}


def test_an_export_with_no_answer_column_is_not_marked_naming_its_headers(tmp_path, capsys):
    path = tmp_path / "class.csv"
    path.write_text("Timestamp,Your name,Email,How did you find it?,Comments\n2026,Ada,a@b.org,fine,\n")
    assert check(tmp_path, path, "-o", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{path}: not marked: no answer column recognised among headers" in err
    assert '"Timestamp", "Your name", "Email", "How did you find it?", "Comments"' in err
    assert "--columns" in err and not (tmp_path / "out").exists()


def test_an_export_with_no_student_column_is_not_marked(tmp_path, capsys):
    path = tmp_path / "class.csv"
    path.write_text("who,net_h1\nada,0.376\n")
    assert check(tmp_path, path, "-o", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert 'no student column among headers "who", "net_h1"' in err and "your name" in err


def test_long_header_lists_are_shortened(tmp_path, capsys):
    path = tmp_path / "class.csv"
    path.write_text("name," + ",".join(f"Comment number {i} that goes on and on and on" for i in range(20)) + "\n")
    assert check(tmp_path, path) == 2
    err = capsys.readouterr().err
    assert "and 13 more" in err and "on and on and on" not in err and len(err) < 500


# --------------------------------------------------------------------------- reading details


def test_delimiter_is_sniffed_from_the_header_not_the_decimal_commas(tmp_path):
    for text, delimiter in (
        ("student;net_h1;out_h1\nada;0,3760;0,5929\n", ";"),
        ('"student"\t"net_h1"\nada\t0.376\n', "\t"),
        ("sep=;\nstudent;net_h1\nada;0,376\n", ";"),
        ('"Q1. net_h1, to 4 places";student\n0,376;ada\n', ";"),
    ):
        path = tmp_path / "c.csv"
        path.write_text(text)
        (sub,) = read_class_csv(path, QUESTIONS)
        assert sub.student == "ada" and sub.answers and sub.answers["net_h1"].startswith("0"), (delimiter, sub)


def test_trailing_empty_cells_are_fine_but_extra_values_make_a_row_unreadable(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("student;net_h1\nada;0,376;;\nbob;0,376;x\n")
    ada, bob = read_class_csv(path, QUESTIONS)
    assert ada.answers == {"net_h1": "0,376"}
    assert bob.answers is None and bob.problem == "row 3 has 3 columns, the header has 2"


def test_email_is_the_student_only_without_a_name(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Email Address,Username,net_h1\nada@x.org,ada1,1\nbob@x.org,,2\n")
    ada, bob = read_class_csv(path, QUESTIONS)
    assert (ada.student, ada.extra) == ("ada1", {"Email Address": "ada@x.org"})
    assert bob.student == "bob@x.org" and any("no name" in n for n in bob.notes)
    path.write_text("E-mail,net_h1\nada@x.org,1\n")
    assert read_class_csv(path, QUESTIONS)[0].student == "ada@x.org"


def test_a_missing_variant_is_noted(tmp_path, capsys):
    path = tmp_path / "c.csv"
    v = "four-d2-s7-v02"
    path.write_text(f"student,Variant ID,net_h1\nada,{v},{key('net_h1', v)}\nbob,,{key('net_h1')}\n")
    out = tmp_path / "out"
    assert check(tmp_path, path, "-o", out) == 0
    rows = summary(out)
    assert rows["ada"]["variant"] == v and rows["ada"]["net_h1 verdict"] == "correct"
    assert "no variant: marked against the spec's own numbers" in rows["bob"]["problems"]
    assert "no variant" not in rows["ada"]["problems"]
    assert "c.csv: row 3: no variant: marked against the spec's own numbers" in capsys.readouterr().err


# --------------------------------------------------------------------------- --columns


def test_columns_file_overrides_the_guesses(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text(f"Wer,Name,Blatt,Antwort 1,Antwort zwei\nada,Ada L,,{key('net_h1')},{key('out_h1')}\n")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(
        yaml.safe_dump({"Wer": "student", "antwort 1": "Q1", "Antwort zwei": "OUT_H1", "blatt": "variant"})
    )
    out = tmp_path / "out"
    assert check(tmp_path, path, "--columns", mapping, "-o", out) == 0
    (row,) = summary(out).values()
    assert row["student"] == "ada" and row["Name"] == "Ada L"
    assert (row["net_h1"], row["out_h1"], row["score"]) == ("1", "1", "2")
    as_csv = tmp_path / "columns.csv"
    as_csv.write_text("header,step\nWer,student\nAntwort 1,net_h1\nAntwort zwei,extra\n")
    assert check(tmp_path, path, "--columns", as_csv, "-o", out) == 0
    (row,) = summary(out).values()
    assert row["score"] == "1" and row["Antwort zwei"] == key("out_h1")


def test_an_unknown_step_in_the_columns_file_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("student,A\nada,1\n")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("A: dloss_dout_o\n")
    assert check(tmp_path, path, "--columns", mapping, "-o", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{mapping}: 'A': 'dloss_dout_o' is not a step id" in err
    assert "did you mean dloss_dout_o1?" in err
    mapping.write_text("- just a list\n")
    assert check(tmp_path, path, "--columns", mapping) == 2
    assert "expected a mapping of column headers" in capsys.readouterr().err


# --------------------------------------------------------------------------- summary.csv


def test_formulas_from_students_and_files_are_made_inert(tmp_path):
    path = tmp_path / "c.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "net_h1", "=cmd|'/c calc'!A0", "Comments"])
        w.writerow(['=HYPERLINK("http://evil","ada")', key("net_h1"), "x", "+1"])
        w.writerow(["@bob", "0.1", "=1+1", "-2"])
    dee = tmp_path / "dee.yaml"
    dee.write_text('student: "\\tdee"\nnet_h1: 0.1\n')
    out = tmp_path / "out"
    assert check(tmp_path, path, dee, "-o", out) == 0
    header, *rows = list(csv.reader((out / "summary.csv").open(newline="")))
    assert "'=cmd|'/c calc'!A0" in header
    starts = {c[:1] for row in rows for c in row if c}
    assert not starts & {"=", "+", "-", "@", "\t", "\r"}
    by = {r[0]: dict(zip(header, r)) for r in rows}
    assert set(by) == {'\'=HYPERLINK("http://evil","ada")', "'@bob", "'\tdee"}
    assert by["'@bob"]["Comments"] == "'-2" and by["'@bob"]["score"] == "0"
    assert by['\'=HYPERLINK("http://evil","ada")']["Comments"] == "'+1"


def test_duplicate_students_are_both_marked_and_flagged(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text(
        "name,email,net_h1\n"
        f"Ada Lovelace,ada@x.org,{key('net_h1')}\n"
        "Bob,bob@x.org,0.1\n"
        f" ada  LOVELACE ,a2@x.org,{key('net_h1')}\n"
        "Robert,BOB@x.org,0.2\n"
        "Cy,cy@x.org,0.3\n"
    )
    out = tmp_path / "out"
    assert check(tmp_path, path, "-o", out) == 0
    rows = summary(out)
    assert len(rows) == 5 and rows["Bob"]["score"] == rows["Robert"]["score"] == "0"
    assert "duplicate of row 4" in rows["Ada Lovelace"]["problems"]
    assert "duplicate of row 2" in rows["ada  LOVELACE"]["problems"]
    assert "duplicate of row 5" in rows["Bob"]["problems"] and "duplicate of row 3" in rows["Robert"]["problems"]
    assert "duplicate" not in rows["Cy"]["problems"]
    err = capsys.readouterr().err.splitlines()
    assert "derive: c.csv: row 2: duplicate of row 4" in [line.replace(str(tmp_path) + "/", "") for line in err]
    assert sum("duplicate of" in line for line in err) == 4


def test_duplicates_across_files_name_the_other_file(tmp_path):
    (tmp_path / "a.csv").write_text("student,net_h1\nada,1\n")
    (tmp_path / "ada.yaml").write_text("student: Ada\nnet_h1: 1\n")
    out = tmp_path / "out"
    assert check(tmp_path, tmp_path / "a.csv", tmp_path / "ada.yaml", "-o", out) == 0
    rows = summary(out)
    assert rows["ada"]["problems"].endswith(f"duplicate of {tmp_path / 'ada.yaml'}")
    assert rows["Ada"]["problems"].endswith(f"duplicate of {tmp_path / 'a.csv'} row 2")


def test_excel_semicolon_output_reads_back(tmp_path):
    vals = CHECKER.base.run(overrides={"out_h1": sp.Rational("0.407")})
    path = tmp_path / "c.csv"
    path.write_text(
        "student,net_h1,out_h1,net_o1\n"
        f"ada,{key('net_h1')},0.4070,{float(vals['net_o1']):.4f}\n"
        f"bob,{key('net_h1')},{key('out_h1')},{key('net_o1')}\n"
    )
    out = tmp_path / "out"
    assert check(tmp_path, path, "--follow-through-credit", "0.5", "--excel", "semicolon", "-o", out) == 0
    data = (out / "summary.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data
    rows = summary(out, ";", "utf-8-sig")
    assert rows["ada"]["net_o1 verdict"] == "follow-through" and rows["ada"]["net_o1"] == "0,5"
    # the sheet's 34 questions are the denominator; the 31 not in the export are missing
    assert (rows["ada"]["score"], rows["ada"]["max_score"], rows["ada"]["percent"]) == ("1,5", "34", "4,4")
    assert rows["bob"]["percent"] == "8,8" and rows["bob"]["loss verdict"] == "missing"
    assert check(tmp_path, path, "--excel", "-o", out) == 0
    assert (out / "summary.csv").read_bytes().startswith(codecs.BOM_UTF8)
    assert summary(out, ",", "utf-8-sig")["ada"]["score"] == "2"
    assert check(tmp_path, path, "-o", out) == 0
    assert not (out / "summary.csv").read_bytes().startswith(codecs.BOM_UTF8)


def test_feedback_names_are_unique_on_any_file_system(tmp_path):
    names = ["Zoë Müller", "zoe muller", "ZOE MULLER", "CON", "nul", "com1", "李雷", "x" * 300, "../etc/passwd"]
    path = tmp_path / "c.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "net_h1"])
        w.writerows([n, "0.1"] for n in names)
    out = tmp_path / "out"
    assert check(tmp_path, path, "-o", out) == 0
    files = sorted(p.name for p in (out / "feedback").iterdir())
    assert len(files) == len(names) and len({f.lower() for f in files}) == len(names)
    for f in files:
        stem = f[: -len(".md")]
        assert f.endswith(".md") and f.isascii() and len(f) <= 70
        assert stem.split(".")[0].lower() not in {"con", "nul", "com1", "prn", "aux", "lpt1"}
    assert {"Zoe_Muller.md", "zoe_muller_2.md", "ZOE_MULLER_3.md", "CON_.md", "student.md"} <= set(files)
    assert "etc_passwd.md" in files


def test_safe_name_never_collides_with_an_earlier_suffix():
    taken: set = set()
    got = [safe_name(n, taken) for n in ("a 2", "a", "A", "a")]
    assert got == ["a_2", "a", "A_3", "a_4"]


def test_a_class_with_variants_notes_the_answer_files_without_one(tmp_path, capsys):
    v = "four-d2-s7-v02"
    (tmp_path / "a.yaml").write_text(f"variant: {v}\nnet_h1: '{key('net_h1', v)}'\n")
    (tmp_path / "b.yaml").write_text(f"net_h1: '{key('net_h1')}'\n")
    out = tmp_path / "out"
    assert check(tmp_path, tmp_path / "a.yaml", tmp_path / "b.yaml", "-o", out) == 0
    rows = summary(out)
    assert rows["a"]["problems"] == "" and "no variant" in rows["b"]["problems"]
    assert f"derive: {tmp_path / 'b.yaml'}: no variant" in capsys.readouterr().err
