"""The command line with bad input: one line on stderr naming the file, the field and
the problem, exit status 2, no traceback, nothing written.

Every file in tests/bad_specs/ starts with ``# expect: <text>``: a piece of the one-line
message it must produce (the empty file, which cannot hold the comment, expects "empty").
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import KINK_SPEC, need

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad_specs"
CORPUS = sorted(BAD.glob("*.yaml"))
FOUR = ROOT / "worked" / "four.yaml"


def expectation(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    if not first:
        assert path.stat().st_size == 0, f"{path.name}: no '# expect:' line"
        return "the file is empty"
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    return first[len("# expect: ") :]


def assert_one_line(err: str) -> str:
    assert err.endswith("\n"), repr(err)
    assert err.count("\n") == 1, f"more than one line:\n{err}"
    assert "Traceback" not in err
    assert err.startswith("derive: ")
    return err


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 30
    assert all(p.name[:2].isdigit() and p.name[2] == "_" for p in CORPUS)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_spec_gives_one_line_and_status_2(path, capsys):
    expect = expectation(path)
    status = main(["walkthrough", str(path)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert_one_line(err)
    assert path.name in err
    assert expect in err, f"expected {expect!r} in {err!r}"


@pytest.mark.parametrize("name", ["16_weights_row_length", "53_python_tag", "67_nested_too_deep"])
def test_bad_spec_real_process(name, tmp_path):
    path = BAD / f"{name}.yaml"
    r = subprocess.run(
        [sys.executable, "-m", "derive.cli", "walkthrough", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stdout == ""  # the !!python tag's "echo hi" did not run
    assert_one_line(r.stderr)
    assert expectation(path) in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_issue_example_message():
    r = subprocess.run(
        [sys.executable, "-m", "derive.cli", "walkthrough", str(BAD / "16_weights_row_length.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.stderr == (
        "derive: 16_weights_row_length.yaml: parameters.weights.h: expected 2 rows of 4 numbers, got 2 rows of 3\n"
    )


def test_verify_of_a_bad_spec_is_status_2(capsys):
    assert main(["verify", str(BAD / "18_weight_nan.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "parameters.weights.h[1][0]" in assert_one_line(err)


# --------------------------------------------------------------------------- files and paths


def test_missing_spec_file(tmp_path, capsys):
    assert main(["walkthrough", str(tmp_path / "nope.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "nope.yaml: no such file" in assert_one_line(err)


def test_folder_as_spec(tmp_path, capsys):
    assert main(["walkthrough", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "is a folder" in assert_one_line(err)


def test_output_into_missing_folder(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "out.md"
    assert main(["walkthrough", str(FOUR), "-o", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "does not exist" in assert_one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_output_onto_a_folder(tmp_path, capsys):
    assert main(["walkthrough", str(FOUR), "-o", str(tmp_path)]) == 2
    assert "is a folder" in assert_one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_output_onto_the_spec_itself(tmp_path, capsys):
    spec = tmp_path / "four.yaml"
    spec.write_bytes(FOUR.read_bytes())
    for target in (spec, tmp_path / "." / "four.yaml"):
        assert main(["walkthrough", str(spec), "-o", str(target)]) == 2
        assert "refusing to overwrite the input spec" in assert_one_line(capsys.readouterr().err)
    assert spec.read_bytes() == FOUR.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["four.yaml"]


def test_output_onto_a_link_to_the_spec(tmp_path, capsys):
    spec = tmp_path / "four.yaml"
    spec.write_bytes(FOUR.read_bytes())
    link = tmp_path / "link.md"
    link.symlink_to(spec)
    assert main(["walkthrough", str(spec), "-o", str(link)]) == 2
    assert "refusing to overwrite" in assert_one_line(capsys.readouterr().err)
    assert spec.read_bytes() == FOUR.read_bytes()


def test_output_file_written_whole_with_no_temp_files(tmp_path, capsys):
    target = tmp_path / "out.md"
    assert main(["walkthrough", str(FOUR), "-o", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == f"wrote {target}\n" and err == ""  # (the path, for a person to open)
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]
    text = target.read_text(encoding="utf-8")
    assert main(["walkthrough", str(FOUR)]) == 0
    assert capsys.readouterr().out == text
    assert "Is it a four?" in text


def test_output_replaces_an_existing_file(tmp_path, capsys):
    target = tmp_path / "out.json"
    target.write_text("old")
    assert main(["walkthrough", str(FOUR), "--format", "json", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").lstrip().startswith(("{", "["))
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_bad_spec_with_output_writes_nothing(tmp_path, capsys):
    target = tmp_path / "out.md"
    assert main(["walkthrough", str(BAD / "17_weight_not_a_number.yaml"), "-o", str(target)]) == 2
    assert_one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- good runs and usage


def test_builtin_example_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called "four" here
    assert main(["walkthrough", "four"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "Is it a four?" in out


def test_verify_four_real_process():
    r = subprocess.run(
        [sys.executable, "-m", "derive.cli", "verify", str(ROOT / "worked" / "four.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stdout
    assert "NOT VERIFIED" not in r.stdout
    assert r.stderr == ""


@pytest.mark.parametrize(
    "argv, expect",
    [
        ([], "required: command"),
        (["walkthrough"], "required: spec"),
        (["walkthrough", "four", "--format", "docx"], "invalid choice: 'docx'"),
        (["explain", "four"], "invalid choice: 'explain'"),
    ],
)
def test_bad_command_line_is_one_line(argv, expect, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert expect in assert_one_line(err)


def test_file_name_with_a_newline_stays_one_line(tmp_path, capsys):
    path = tmp_path / "two\nlines.yaml"
    path.write_text("[1]\n", encoding="utf-8")  # (one fault: not a mapping)
    assert main(["walkthrough", str(path)]) == 2
    err = assert_one_line(capsys.readouterr().err)
    assert "two\\nlines.yaml" in err


def test_spec_path_through_a_file(tmp_path, capsys):
    afile = tmp_path / "f.yaml"
    afile.write_text("x: 1\n")
    assert main(["walkthrough", str(afile / "inner.yaml")]) == 2  # a path through a file
    err = assert_one_line(capsys.readouterr().err)
    assert "inner.yaml: cannot read" in err


# --------------------------------------------------------------------------- extreme but valid numbers

EXTREME = """\
network:
  inputs: 2
  layers:
    - {name: h, size: 2, activation: %s}
    - {name: o, size: %d, activation: %s}
loss: %s
parameters:
  weights:
    h: [[%s, 1], [1, 1]]
    o: %s
sample: {x: [1, 1], y: %s}
learning_rate: %s
"""


@pytest.mark.parametrize(
    "name, fields",
    [
        ("huge_weight", ("sigmoid", 1, "sigmoid", "half-sse", "1.0e+300", "[[1, 1]]", "[1]", "0.1")),
        ("huge_learning_rate", ("sigmoid", 1, "sigmoid", "half-sse", "1", "[[1, 1]]", "[1]", "1.0e+300")),
        ("saturated_bce", ("sigmoid", 1, "sigmoid", "bce", "1", "[[1000, 1000]]", "[0]", "0.1")),
        (
            "saturated_softmax",
            ("sigmoid", 3, "softmax", "cross-entropy", "1", "[[1000, 1000], [-1000, 0], [0, 0]]", "1", "0.1"),
        ),
        ("relu_overflow", ("relu", 1, "identity", "half-sse", "1.0e+200", "[[1, 1]]", "[1]", "0.1")),
    ],
)
def test_extreme_numbers_never_give_a_traceback(name, fields, tmp_path, capsys):
    """Whether or not these can be computed, the answer is a result or one line of error."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(EXTREME % fields, encoding="utf-8")
    for command in ("walkthrough", "verify"):
        status = main([command, str(path)])  # an exception here fails the test
        out, err = capsys.readouterr()
        assert status in (0, 1, 2)
        if status == 2:
            assert out == ""
            assert f"{name}.yaml: " in assert_one_line(err)
        elif command == "walkthrough":
            assert (out != "") == (status == 0)
            assert status == 0 or assert_one_line(err)


def test_extreme_numbers_real_process(tmp_path):
    path = tmp_path / "relu_overflow.yaml"
    path.write_text(
        EXTREME % ("relu", 1, "identity", "half-sse", "1.0e+200", "[[1, 1]]", "[1]", "0.1"), encoding="utf-8"
    )
    r = subprocess.run(
        [sys.executable, "-m", "derive.cli", "walkthrough", str(path)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode in (0, 1, 2)
    if r.returncode:
        assert r.stdout == ""
        assert "relu_overflow.yaml: " in assert_one_line(r.stderr)  # no NumPy warnings either
    else:
        assert r.stderr == ""


def test_pdf_format_writes_a_pdf(tmp_path):
    need("pdflatex")
    out = tmp_path / "four.pdf"
    assert main(["walkthrough", "four", "--format", "pdf", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # an ordinary file, not mkstemp's 0600


def test_pdf_format_needs_an_output_file(capsys):
    assert main(["walkthrough", "four", "--format", "pdf"]) == 2
    assert "needs -o" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--help"], ["walkthrough", "--help"], ["train", "--help"], ["check", "--help"]])
def test_help_imports_no_heavy_library(args):
    """``derive --help`` answers at once: SymPy, NumPy and Jinja2 load only when a command runs."""
    code = (
        "import sys\nfrom derive.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sympy', 'numpy', 'jinja2', 'yaml', 'matplotlib') if m in sys.modules))" % args
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "usage: derive" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_verify_prints_the_figure_it_checked(capsys, tmp_path):
    """A value near 0 is measured against the absolute floor, as the check does: no
    "max rel. diff 1.0e+00, tolerance 1e-9" above "verified" (out_h2_s2 of the kink spec is
    exactly 0 in SymPy and 1.3e-17 in NumPy)."""
    spec = tmp_path / "kink.yaml"
    spec.write_text(KINK_SPEC.format(steps=1))
    assert main(["verify", str(spec)]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():
        m = re.search(r"max rel. diff ([0-9.e+-]+) .*tolerance ([0-9.e+-]+)", line)
        if m:
            assert float(m.group(1)) <= float(m.group(2)), line
    assert "verified: all three agree" in out


def test_a_bug_inside_the_worksheet_build_is_not_called_bad_input(monkeypatch, tmp_path, capsys):
    """Only an unknown --derivations name is bad input (exit 2); a KeyError raised by a bug
    while the sheets are built is an internal error (exit 3), not a bad option."""
    import derive.present.worksheet as sheets

    def broken(*args, **kwargs):
        raise KeyError("net_h9")

    monkeypatch.setattr(sheets, "worksheet_files", broken)
    assert main(["worksheet", "four", "--derivations", "sigmoid", "-o", str(tmp_path / "a")]) == 3
    assert "internal error" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["worksheet", "four", "--derivations", "swish", "-o", str(tmp_path / "b")]) == 2
    assert "unknown derivation 'swish'" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
