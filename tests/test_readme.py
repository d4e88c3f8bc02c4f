"""Every command the README shows runs, as a reader would type it.

Commands are read from the README itself (code spans and ``bash`` blocks): the literal ones
are run with bash, in order, in a scratch folder holding a copy of worked/, with ``derive``
meaning this interpreter's ``python -m derive``. The command table's templates (``derive
verify SPEC``) cannot run as written; each template's command must be covered by a literal
command in the README or by an example below, which runs too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import need, need_module

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"\b(SPEC|NAME|FILE|DIR|ANSWERS|DATA|KIND|N|S)\b|\\\||\[|\.\.\.")
NOT_OURS = ("pip install '.[test]' && python -m pytest", "apt-get install")
#: Templates of the command table, instantiated (a template's command needs one of these
#: when no literal README command runs it).
EXAMPLES = [
    "derive verify four",
    "derive worksheet four --variant four-d2-s7-v03 -o again/",
    "derive derivation sigmoid --format md -o sigmoid.md",
    "derive figure tangent -o tangent.png",
    "derive train xor --epochs 3",
]
#: Files a reader has before the commands that read them (a student's filled-in template, a
#: class folder and a class CSV).
ANSWERS = "variant: four-d2-s7-v03\nnet_h1: 0.5\nout_h1: 0.6\n"
CLASS_CSV = "student,variant,net_h1,out_h1\nAda,four-d2-s7-v03,0.5,0.6\nBo,four-d2-s7-v03,0.4,0.59\n"


def _fenced() -> tuple[list[str], str]:
    """The lines of the shell blocks (fenced with no language or with ``bash``), and the
    README's prose with every fenced block taken out."""
    shell, prose, fence = [], [], None
    for line in README.splitlines():
        if line.startswith("```"):
            fence = line[3:].strip() if fence is None else None
            continue
        if fence is None:
            prose.append(line)
        elif fence in ("", "bash"):
            shell.append(line.strip())
    return [s for s in shell if s], "\n".join(prose)


def _snippets() -> list[str]:
    shell, prose = _fenced()
    found = shell + re.findall(r"`([^`\n]+)`", prose)
    # "`derive train` runs ..." names a command in prose; a command to run has arguments
    return [
        s
        for s in found
        if re.search(r"(^|&& |do )derive ", s) and not s.startswith(NOT_OURS) and not re.fullmatch(r"derive \w+", s)
    ]


def _command(snippet: str) -> str:
    return snippet.split("&& ", 1)[1] if snippet.startswith("pip install") else snippet


COMMANDS = list(dict.fromkeys(_command(s) for s in _snippets()))
LITERAL = [c for c in COMMANDS if not PLACEHOLDER.search(c)]
TEMPLATES = [c for c in COMMANDS if PLACEHOLDER.search(c)]


def _word(cmd: str) -> str:
    return cmd.split("derive ", 1)[1].split()[0]


def test_the_readme_shows_commands():
    assert len(LITERAL) >= 5 and len(TEMPLATES) >= 7
    assert LITERAL[0] == "derive page worked/four.yaml -o four.html"  # the first command of the README
    assert any(c.startswith("derive train") for c in LITERAL)  # from an untagged block


def test_every_template_is_covered():
    covered = {_word(c) for c in LITERAL + EXAMPLES}
    missing = sorted({_word(t) for t in TEMPLATES} - covered)
    assert not missing, f"README commands with no runnable example: {missing}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    need("pdflatex")  # the worksheet command asks for --pdf
    need_module("matplotlib", "plots")
    d = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "worked", d / "worked")
    (d / "four-d2-s7-v03-answers.yaml").write_text(ANSWERS)
    (d / "answers").mkdir()
    (d / "answers" / "ada.yaml").write_text("student: Ada\n" + ANSWERS)
    (d / "answers" / "bo.yaml").write_text("student: Bo\n" + ANSWERS.replace("0.6", "0.59"))
    (d / "class.csv").write_text(CLASS_CSV)
    return d


@pytest.mark.parametrize("cmd", LITERAL + EXAMPLES)
def test_command_runs(cmd, scratch):
    if "digits" in cmd or ("train" in cmd and "--data" not in cmd and "xor" not in cmd):
        need_module("sklearn", "data")
    script = f'derive() {{ "{sys.executable}" -m derive "$@"; }}\nset -e\n{cmd}\n'
    r = subprocess.run(["bash", "-c", script], cwd=scratch, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{cmd}\nexit {r.returncode}\n{r.stderr[-2000:]}"
