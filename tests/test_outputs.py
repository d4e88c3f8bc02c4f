"""What -o writes, and what a run leaves behind: devices, FIFOs and links are not replaced,
every output is checked before the first byte is written, a read-only folder is bad input
(exit 2), and a run stopped by a signal (or killed) leaves no temporary files or folders
and no pdflatex running.

Devices are made here (``os.mknod``: a null device, 1,3, and a full one, 1,7), never the
machine's own; as root, a wrong rename would replace them.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from support import need, unavailable

from derive import files
from derive.cli import main
from derive.present.pdf import compile_pdf

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"
ROOT_USER = os.geteuid() == 0


def _device(path: Path, minor: int = 3) -> Path:
    """A character device of the kernel's memory driver: minor 3 is null, 7 is full."""
    if not ROOT_USER:
        unavailable("making a device node needs root")
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def _is_char_device(path: Path) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _derive(*argv: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **kw.pop("env", {}))
    return subprocess.Popen([sys.executable, "-m", "derive", *argv], env=env, text=True, **kw)


@pytest.fixture
def read_only(tmp_path):
    """A folder no one may write, root included: a read-only mount for root, else mode 555."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if not ROOT_USER:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)]).returncode != 0:
        unavailable("cannot mount a read-only folder here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


# --- what an output name is decides how it is written ------------------------------------


@pytest.mark.parametrize("command", [["walkthrough", "four"], ["derivation", "sigmoid"]])
def test_a_device_stays_a_device(tmp_path, capsys, command):
    null = _device(tmp_path / "null")
    assert main([*command, "-o", str(null)]) == 0
    assert _is_char_device(null)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary file either


def test_a_full_device_is_one_line_and_stays(tmp_path, capsys):
    full = _device(tmp_path / "full", minor=7)
    assert main(["walkthrough", "four", "-o", str(full)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "full: cannot write (No space left on device)" in err
    assert _is_char_device(full)


def test_a_fifo_is_written_in_place(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    try:
        assert main(["walkthrough", "four", "--format", "json", "-o", str(fifo)]) == 0
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        reader.join(timeout=30)
    finally:
        if reader.is_alive() and stat.S_ISFIFO(os.lstat(fifo).st_mode):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # let the reader go
    assert json.loads(got[0])["title"] == "Is it a four?"


def test_a_link_is_written_through(tmp_path, capsys):
    target, link = tmp_path / "target.md", tmp_path / "link.md"
    target.write_text("old\n")
    link.symlink_to(target.name)
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to("created.md")
    for out in (link, dangling):
        assert main(["walkthrough", "four", "-o", str(out)]) == 0
        assert out.is_symlink()
    assert target.read_text().startswith("# Is it a four?")
    assert (tmp_path / "created.md").read_text() == target.read_text()


def test_a_link_to_a_device_leaves_the_device(tmp_path, capsys):
    null = _device(tmp_path / "null")
    (tmp_path / "link").symlink_to(null)
    assert main(["walkthrough", "four", "-o", str(tmp_path / "link")]) == 0
    assert _is_char_device(null) and (tmp_path / "link").is_symlink()


def test_an_open_file_name_writes_at_its_position(tmp_path):
    """``-o /dev/fd/1`` with standard output appended to a file: appended, not replaced."""
    if not Path("/dev/fd/1").exists():
        unavailable("no /dev/fd here")
    log = tmp_path / "log.md"
    log.write_text("before\n")
    with log.open("a") as f:
        proc = _derive("walkthrough", "four", "-o", "/dev/fd/1", stdout=f, stderr=subprocess.PIPE)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    text = log.read_text()
    assert text.startswith("before\n# Is it a four?") and text.count("# Is it a four?") == 1


# --- every output checked before any work, and before the first byte --------------------


def test_a_folder_named_like_an_output_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "worksheet.json").mkdir(parents=True)  # the last file a worksheet writes
    assert main(["worksheet", "four", "--variants", "2", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "worksheet.json: is a folder" in err
    assert [p.name for p in out.iterdir()] == ["worksheet.json"]


def test_every_name_of_a_folder_is_checked_first(tmp_path):
    out = tmp_path / "report"
    (out / "feedback").mkdir(parents=True)
    (out / "feedback" / "bo.md").mkdir()  # in the way of the second file
    outputs = {"summary.csv": "a,b\n", "feedback/ada.md": "ok\n", "feedback/bo.md": "ok\n", "more/x.md": "new\n"}
    with pytest.raises(files.UsageError, match="bo.md: is a folder"):
        files.write_files(out, outputs)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["feedback", "feedback/bo.md"]
    (out / "feedback" / "bo.md").rmdir()
    (out / "more").write_text("a file where a folder goes")
    with pytest.raises(files.UsageError, match="more exists and is not a folder"):
        files.write_files(out, outputs)
    (out / "more").unlink()
    files.write_files(out, outputs)
    assert (out / "more" / "x.md").read_text() == "new\n" and (out / "feedback" / "bo.md").is_file()


def test_train_refuses_a_read_only_folder_before_training(read_only, capsys):
    for out in (read_only, read_only / "new"):
        assert main(["train", "xor", "--epochs", "1", "-o", str(out)]) == 2
        got = capsys.readouterr()
        assert got.out == ""  # nothing trained: the accuracy line is printed after training
        assert got.err.count("\n") == 1 and str(read_only) in got.err


def test_check_refuses_a_read_only_folder(tmp_path, read_only, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ada", "bo"):
        (subs / f"{name}.yaml").write_text("net_h1: 0.5\n")
    for out in (read_only, read_only / "report"):
        assert main(["check", "four", str(subs), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "internal error" not in err and str(read_only) in err


def test_worksheet_refuses_a_read_only_folder(read_only, capsys):
    assert main(["worksheet", "four", "-o", str(read_only)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_figure_checks_its_output_before_drawing(read_only, capsys, monkeypatch):
    import derive.figures

    monkeypatch.setattr(derive.figures, "figure", lambda *a, **k: pytest.fail("drawn before -o was checked"))
    assert main(["figure", "boundary", "-o", str(read_only / "b.png")]) == 2
    assert str(read_only) in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, expect",
    [
        ("NaN", "not a summary of derive train"),
        ("[1, 2]", "not a summary of derive train"),
        ('{"compare_losses": {"mse": 3}}', "compare_losses: mse: expected a JSON object"),
        ('{"compare_losses": {"mse": {"loss_history": "x"}}}', "loss_history must be a list of numbers"),
        ('{"loss_history": [1, 2], "test_accuracy_history": [0.5, null]}', "test_accuracy_history must be a list"),
        ("[" * 100000, "cannot read a summary"),
    ],
    ids=["nan", "list", "run-not-object", "compared-run-bad", "null-accuracy", "nested-too-deep"],
)
def test_a_malformed_summary_is_one_line_naming_it(tmp_path, capsys, text, expect):
    summary = tmp_path / "summary.json"
    summary.write_text(text)
    assert main(["figure", "curves", "--summary", str(summary), "-o", str(tmp_path / "c.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{summary}: " in err and expect in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


# --- nothing left behind: temporary files, temporary folders, pdflatex ---------------------


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(tmp_path / "out.md", "text")
    assert list(tmp_path.iterdir()) == []


def test_temporary_files_of_killed_runs_are_swept(tmp_path, capsys):
    dead = tmp_path / f".out.md.{_dead_pid()}.abcd_123.tmp"
    live = tmp_path / f".out.md.{os.getpid()}.abcd_123.tmp"  # a run still writing
    mine = tmp_path / ".notes.md.1.tmp"  # not a temporary file of derive's
    for p in (dead, live, mine):
        p.write_text("half")
    assert main(["walkthrough", "four", "-o", str(tmp_path / "out.md")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, mine.name, "out.md"])


def _working_in(folder: Path) -> list[int]:
    """The processes whose working folder is in ``folder`` (pdflatex works in its own)."""
    root, found = os.path.realpath(folder), []
    for entry in Path("/proc").iterdir():
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + os.sep):
            found.append(int(entry.name))
    return found


@pytest.fixture
def tmpdir_here(tmp_path, monkeypatch):
    """TMPDIR for this process and its children: a folder of the test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_stale_tex_folders_are_swept(tmpdir_here):
    need("pdflatex")
    if not Path("/proc/self/cwd").exists():
        unavailable("no /proc here")  # (a failure in CI)
    stale = tmpdir_here / f"derive-tex-{_dead_pid()}-abcd_123"
    live = tmpdir_here / f"derive-tex-{os.getpid()}-abcd_123"
    other = tmpdir_here / "derive-tex-notes"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "doc.tex").write_text("left behind")
    orphan = subprocess.Popen(["sleep", "60"], cwd=stale, start_new_session=True)  # as a pdflatex of a killed run
    try:
        pdf = compile_pdf(r"\documentclass{article}\begin{document}x\end{document}")
        assert orphan.wait(timeout=10) == -signal.SIGKILL
    finally:
        orphan.kill()
    assert pdf.startswith(b"%PDF")
    assert sorted(p.name for p in tmpdir_here.iterdir()) == sorted([live.name, other.name])
    assert files.sweep_temp_folders() == []


def test_a_signal_stops_a_blocked_write(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no reader: opening it for writing waits
    proc = _derive("walkthrough", "four", "-o", str(fifo), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wchan = Path(f"/proc/{proc.pid}/wchan")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wchan.exists() and wchan.read_text() == "wait_for_partner":
            break
        time.sleep(0.05)
    else:
        time.sleep(5)  # another kernel's name for waiting for the reader
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM and err == "derive: terminated\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_pdf_worksheet_leaves_nothing_behind(tmp_path, sig):
    """The issue's case: SIGTERM (or Ctrl-C) while pdflatex runs; no pdflatex, temporary
    folder or temporary file survives, and every output present is whole."""
    need("pdflatex")
    if not Path("/proc/self/cwd").exists():
        unavailable("no /proc here")  # (a failure in CI)
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    proc = _derive(
        *("worksheet", "four", "--variants", "3", "--pdf", "-o", str(out)),
        env={"TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and not _working_in(tmp) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before pdflatex started"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert _working_in(tmp) == []
    assert [p.name for p in tmp.iterdir() if p.name.startswith("derive-")] == []
    written = [p for p in out.rglob("*")] if out.exists() else []
    assert not [p.name for p in written if p.name.endswith(".tmp")]
    for pdf in (p for p in written if p.suffix == ".pdf"):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), pdf.name
