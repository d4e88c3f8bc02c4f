"""Sheets a teacher prints without editing (issue 11): nothing lost in the PDF, a compact
one-page layout, points and a header, answers-only keys, class PDFs fit for duplex printing,
and a run that would be refused is refused before any work."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from support import need

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
W = ROOT / "worked"
ISSUE_BLANKS = "out_h1,out_o1,loss,delta_o1,grad_w9,grad_w1,new_w9,new_w1"


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext, layout kept)."""
    need("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def worksheet(tmp_path, *args) -> Path:
    need("pdflatex")
    out = tmp_path / "ws"
    assert main(["worksheet", *args, "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def compact(tmp_path_factory):
    d = tmp_path_factory.mktemp("compact")
    return worksheet(
        d,
        "four",
        "--variants",
        "3",
        "--seed",
        "7",
        "--pdf",
        "--layout",
        "compact",
        "--key",
        "both",
        "--blanks",
        ISSUE_BLANKS,
        "--points",
        "grad=2",
        "--school",
        "Hill School",
        "--date",
        "1 December 2026",
    )


def test_the_compact_sheet_is_one_page(compact):
    for sheet in sorted(compact.glob("*-sheet.pdf")):
        pages = pdf_pages(sheet)
        assert len(pages) == 1, sheet.name
        text = pages[0]
        assert "Hill School" in text and "1 December 2026" in text and "Name:" in text
        assert text.count("(2 pts)") == 2 and text.count("(1 pt)") == 6  # grad_w9 and grad_w1 are worth 2
        assert "(10 points)" in text


def test_the_answers_only_key_is_a_page_per_variant(compact):
    manifest = json.loads((compact / "worksheet.json").read_text())
    pages = pdf_pages(compact / "class-answer-keys.pdf")
    assert len(pages) == len(manifest["variants"])
    for page, v in zip(pages, manifest["variants"], strict=True):
        assert f"Answers to worksheet {v['id']}" in page
        for q in manifest["questions"]:
            assert f"{v['key'][q['id']]:.4f}".replace("-", "−") in page.replace("-", "−"), (v["id"], q["id"])
    assert [q["points"] for q in manifest["questions"]] == [1, 1, 1, 1, 2, 2, 1, 1]
    for v in manifest["variants"]:
        assert len(pdf_pages(compact / f"{v['id']}-answer-key.pdf")) == 1


def test_class_sheets_start_each_variant_on_an_odd_page(tmp_path):
    out = worksheet(tmp_path, "four", "--variants", "3", "--seed", "7", "--pdf", "--derivations", "sigmoid")
    pages = pdf_pages(out / "class-sheets.pdf")
    single = len(pdf_pages(out / "four-d2-s7-v01-sheet.pdf"))
    starts = [i for i, page in enumerate(pages, start=1) if re.search(r"Worksheet four-d2-s7-v0\d", page)]
    assert len(starts) == 3 and all(p % 2 == 1 for p in starts), starts
    # every section of a single sheet is in the class PDF too (the derivations as well)
    derivation_pages = [
        i for i, page in enumerate(pages, 1) if "sigmoid" in page.lower() and "derivative" in page.lower()
    ]
    assert len(derivation_pages) >= 3
    assert len(pages) >= 3 * single


def test_no_given_row_is_lost_in_the_pdf(tmp_path):
    """A sheet whose givens run over a page: every parameter and given value is on a page."""
    out = worksheet(tmp_path, "softmax", "--variants", "1", "--seed", "3", "--pdf", "--blanks", "loss")
    text = "\n".join(pdf_pages(out / "softmax-d2-s3-v01-sheet.pdf")).replace("−", "-")
    tex = (out / "softmax-d2-s3-v01-sheet.tex").read_text()
    values = re.findall(r"\$(-?\d+\.\d+)\$ \\\\", tex)
    assert len(values) > 10
    for v in values:
        assert v in text, v


def test_a_refused_run_does_no_work(tmp_path, capsys, monkeypatch):
    """Re-running into a folder with answer files is refused before any PDF is compiled."""
    out = tmp_path / "ws"
    assert main(["worksheet", "four", "--variants", "1", "--seed", "7", "-o", str(out)]) == 0
    import derive.present.pdf as pdf

    def no_pdf(*a, **k):
        raise AssertionError("pdflatex ran before the refusal")

    monkeypatch.setattr(pdf, "compile_pdf", no_pdf)  # every compile, one or a batch, goes through it
    assert main(["worksheet", "four", "--variants", "1", "--seed", "7", "--pdf", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err


def test_header_fields_come_from_the_spec_and_the_options(tmp_path):
    spec = tmp_path / "mine.yaml"
    spec.write_text((W / "four.yaml").read_text() + "sheet: {school: Hill School, course: ML 101}\n")
    out = tmp_path / "ws"
    assert main(["worksheet", str(spec), "--variants", "1", "--course", "ML 102", "-o", str(out)]) == 0
    md = (out / "mine-d2-s0-v01-sheet.md").read_text()
    assert "School: Hill School" in md and "Course: ML 102" in md and "ML 101" not in md


def test_points_must_name_step_kinds(tmp_path, capsys):
    assert main(["worksheet", "four", "--points", "grd=2", "-o", str(tmp_path / "o")]) == 2
    assert "unknown step kind 'grd'" in capsys.readouterr().err


def test_keys_waste_no_paper(tmp_path):
    """A short equation is one displayed line, not an aligned block of three; the sentence
    that introduces a short table is on the table's page; page 1 is not left empty."""
    out = worksheet(tmp_path, "four", "--variants", "1", "--seed", "7", "--pdf")
    tex = (out / "four-d2-s7-v01-key.tex").read_text()
    assert re.search(r"\\\[ \\mathrm\{out\}_\{h1\} = .* = \\boxed\{[-0-9.]+\} \\\]", tex)
    sentence = tex.index("The parameters before training")
    start, end = tex.rindex(r"\begin{minipage}", 0, sentence), tex.index(r"\end{minipage}", sentence)
    assert r"\end{minipage}" not in tex[start:sentence] and r"\begin{tabular}" in tex[sentence:end]
    pages = pdf_pages(out / "four-d2-s7-v01-key.pdf")
    assert "The parameters before training" in pages[0] and re.search(r"w\s*1\s+i1 → h1", pages[0])
    assert len(pages) <= 6
