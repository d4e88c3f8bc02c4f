"""Golden files: the committed outputs under tests/golden/ are what the commands write today.

They guard behaviour through restructuring beyond the Markdown walkthroughs in worked/:
the LaTeX and JSON walkthroughs of every worked example, two worksheet folders (Markdown,
LaTeX, answer templates, manifest, Moodle XML, diagram) and ``derive check --format json``
on recorded answers. Every case runs the command line in process, as a user would.

After an intended change, regenerate them and read the diff before committing:

    DERIVE_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted(p.stem for p in (ROOT / "worked").glob("*.yaml"))
REGEN = os.environ.get("DERIVE_REGEN_GOLDEN") == "1"
#: Figures that depend on the machine's floating point (NumPy, BLAS), not on our code.
MACHINE_DEPENDENT = ("max_disagreement",)


def _compare(name: str, fresh: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fresh, encoding="utf-8")
    assert path.exists(), f"{name} missing: regenerate with DERIVE_REGEN_GOLDEN=1"
    assert fresh == path.read_text(encoding="utf-8"), f"{name} changed (DERIVE_REGEN_GOLDEN=1 to accept)"


def _run(args: list[str], capsys) -> str:
    status = main(args)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


@pytest.mark.parametrize("example", EXAMPLES)
def test_latex_walkthrough(example, capsys):
    _compare(f"walkthrough/{example}.tex", _run(["walkthrough", example, "--format", "tex"], capsys))


@pytest.mark.parametrize("example", EXAMPLES)
def test_json_walkthrough(example, capsys):
    data = json.loads(_run(["walkthrough", example, "--format", "json"], capsys))
    for key in MACHINE_DEPENDENT:
        data.pop(key)
    _compare(f"walkthrough/{example}.json", json.dumps(data, indent=2) + "\n")


WORKSHEETS = {
    "four": ["four", "--variants", "2", "--seed", "7", "--moodle"],
    "softmax": ["softmax", "--variants", "1", "--seed", "3", "--blanks", "backward,update", "--moodle"],
}


@pytest.mark.parametrize("name", sorted(WORKSHEETS))
def test_worksheet_folder(name, tmp_path, capsys):
    out = tmp_path / name
    _run(["worksheet", *WORKSHEETS[name], "-o", str(out)], capsys)
    files = sorted(p.name for p in out.iterdir())
    _compare(f"worksheet-{name}/FILES", "\n".join(files) + "\n")
    for f in files:
        _compare(f"worksheet-{name}/{f}", (out / f).read_text(encoding="utf-8"))


ANSWERS = sorted(p.stem for p in (GOLDEN / "answers").glob("*.yaml"))


@pytest.mark.parametrize("name", ANSWERS)
def test_check_json(name, capsys):
    fresh = _run(["check", "four", str(GOLDEN / "answers" / f"{name}.yaml"), "--format", "json"], capsys)
    _compare(f"check/{name}.json", fresh)


def test_golden_files_are_not_empty():
    assert len(list(GOLDEN.rglob("*.tex"))) >= len(EXAMPLES) + 6
    assert len(ANSWERS) >= 3
