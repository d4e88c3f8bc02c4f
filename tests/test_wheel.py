"""The wheel holds the whole package: every subpackage of derive/, the templates and the worked
examples, and the command runs from it alone (pyproject.toml lists the packages by hand, so a
new subpackage could otherwise drop out of ``pip install .`` without any other test noticing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # from a clean copy: a build/ folder left by an earlier build would hide a missing package
    src = out / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache", "out"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (whl,) = out.glob("derive-*.whl")
    unpacked = out / "site"
    with zipfile.ZipFile(whl) as z:
        z.extractall(unpacked)
    return unpacked


def test_every_subpackage_template_and_example_ships(wheel):
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "derive").rglob("__init__.py")}
    shipped = {p.parent.relative_to(wheel).as_posix() for p in (wheel / "derive").rglob("__init__.py")}
    assert packages <= shipped, f"missing from the wheel: {sorted(packages - shipped)}"
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "derive").rglob("*.py")}
    assert modules <= {p.relative_to(wheel).as_posix() for p in (wheel / "derive").rglob("*.py")}
    templates = {p.name for p in (ROOT / "templates").glob("*.j2")}
    assert templates == {p.name for p in (wheel / "derive" / "templates").glob("*.j2")}
    page = {p.name for p in (ROOT / "templates" / "page").iterdir()}  # the web page's scripts and style
    assert page and page == {p.name for p in (wheel / "derive" / "templates" / "page").iterdir()}
    examples = {p.name for p in (ROOT / "worked").glob("*.yaml")}
    assert examples == {p.name for p in (wheel / "derive" / "worked").glob("*.yaml")}


def test_commands_run_from_the_wheel_alone(wheel, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(wheel))
    where = subprocess.run(
        [sys.executable, "-c", "import derive; print(derive.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(wheel)), where
    for args in (
        ["walkthrough", "four", "--format", "tex"],
        ["derivation", "sigmoid"],
        ["verify", "softmax"],
        ["worksheet", "four", "--moodle", "-o", "sheets"],
    ):
        r = subprocess.run(
            [sys.executable, "-m", "derive", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert r.returncode == 0, (args, r.stderr)
    assert (tmp_path / "sheets" / "moodle.xml").exists()
