"""The README's "Your first spec" section, followed literally (issue 15): in an empty
folder, every command it shows runs (``derive`` is this interpreter's ``python -m
derive``), every file it shows (a ``yaml`` block whose first line is ``# NAME``) is
written as shown, and every line of each output excerpt (a ``text`` block) appears in
what the commands before it printed (spaces between words compared as one)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section() -> str:
    start = README.index("## Your first spec")
    return README[start : README.index("\n## ", start + 1)]


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced blocks of ``text`` in order: (language, body)."""
    return re.findall(r"```(\w*)\n(.*?)```", text, re.S)


def _squeeze(s: str) -> str:
    return " ".join(s.split())


def test_the_section_shows_commands_files_and_outputs():
    kinds = [lang for lang, _ in blocks(section())]
    assert kinds.count("bash") >= 4 and kinds.count("text") >= 4 and "yaml" in kinds


def test_your_first_spec_as_written(tmp_path):
    printed = ""
    for lang, body in blocks(section()):
        if lang == "bash":
            printed = ""
            for cmd in body.strip().splitlines():
                script = f'derive() {{ "{sys.executable}" -m derive "$@"; }}\nset -e\n{cmd}\n'
                r = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
                assert r.returncode == 0, f"{cmd}\n{r.stderr}"
                printed += r.stdout + r.stderr
        elif lang == "yaml":
            name, _, content = body.partition("\n")
            assert name.startswith("# "), "a file the section shows starts with its name"
            (tmp_path / name[2:].strip()).write_text(content, encoding="utf-8")
        elif lang == "text":
            out = _squeeze(printed)
            for line in body.strip().splitlines():
                assert _squeeze(line) in out, f"not printed: {line!r}\n{printed[-2000:]}"
    assert (tmp_path / "my-net.md").is_file() and (tmp_path / "my-sheets" / "worksheet.json").is_file()
