"""Compile LaTeX to PDF with pdflatex, locked down, and never outliving the run.

pdflatex runs in a fresh temporary folder with ``-no-shell-escape``, ``-halt-on-error``,
``-interaction=batchmode``, ``openin_any=p``/``openout_any=p`` (no reading or writing
outside the folder) and a timeout. User text is escaped before it reaches a template
(see :func:`derive.latex.tex_escape`); this is the second wall.

Each pdflatex runs in a session (process group) of its own, killed as a group when it
takes too long or when the run stops early: an error, SIGINT or SIGTERM. Its folder is
``TMPDIR/derive-tex-PID-XXXXXXXX`` (:func:`derive.files.temp_folder`), removed however the
compile ends; the folders of runs killed with SIGKILL, and any pdflatex still working in
them, are swept when the next compile starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from derive.errors import DeriveError
from derive.files import temp_folder

DEBIAN_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended lmodern texlive-pictures"


class PdfError(DeriveError, RuntimeError):
    """pdflatex is missing, failed, or took too long."""


def pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if exe is None:
        raise PdfError(f"pdflatex not found; install it (Debian: apt-get install {DEBIAN_PACKAGES})")
    return exe


class Runs:
    """The pdflatex processes of one batch, stopped together: once :meth:`stop` is called,
    running ones are killed and no new one starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()
        self._stopped = False

    def run(self, args: list[str], cwd: Path, env: dict, timeout: float) -> int:
        """Run ``args`` in a session of its own and return its exit status; killed (with
        every process it started) on timeout or on any exception, such as a signal's."""
        proc = None
        try:
            with self._lock:
                if self._stopped:
                    raise PdfError("stopped: another document of the batch failed")
                proc = subprocess.Popen(
                    args,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
                self._procs.add(proc)
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"pdflatex took longer than {timeout:g} s") from None
        finally:
            if proc is not None:
                with self._lock:
                    self._procs.discard(proc)
                _kill(proc)
                proc.wait()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for proc in self._procs:
                _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the process group of ``proc`` while its leader is not yet reaped (so its PID,
    the group's, cannot have been reused)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def compile_pdf(
    tex: str, timeout: float = 120, assets: dict[str, bytes] | None = None, runs: Runs | None = None
) -> bytes:
    """The PDF of a complete LaTeX document, as bytes; ``assets`` are files (images) the
    document includes, by name, placed beside it; ``runs`` the batch it belongs to."""
    exe = pdflatex()
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f")
    runs = runs or Runs()
    with temp_folder("tex") as d:
        for name, data in (assets or {}).items():
            (d / Path(name).name).write_bytes(data)
        (d / "doc.tex").write_text(tex, encoding="utf-8")
        # longtable settles its column widths on the second pass
        for _ in range(2 if r"\begin{longtable}" in tex else 1):
            args = [exe, "-no-shell-escape", "-halt-on-error", "-interaction=batchmode", "doc.tex"]
            if runs.run(args, d, env, timeout) != 0:
                raise PdfError(f"pdflatex failed: {_first_error(d / 'doc.log')}")
        return (d / "doc.pdf").read_bytes()


def compile_pdfs(
    jobs: dict[str, str],
    assets: dict[str, bytes] | None = None,
    workers: int = 2,
    timeout: float = 120,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, bytes]:
    """Several documents (name -> LaTeX), ``workers`` at a time (each pdflatex is a process
    of its own), as name -> PDF; ``progress(done, total)`` is told as each one finishes.
    When one fails or the run is interrupted, the others stop: queued ones never start,
    running ones are killed."""
    runs = Runs()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(compile_pdf, tex, timeout, assets, runs) for name, tex in jobs.items()}
        try:
            if progress is not None:
                for done, _ in enumerate(as_completed(futures.values()), 1):
                    progress(done, len(futures))
            return {name: f.result() for name, f in futures.items()}
        except BaseException:
            runs.stop()
            for f in futures.values():
                f.cancel()
            raise


def _first_error(log: Path) -> str:
    try:
        lines = log.read_text(encoding="latin-1").splitlines()
    except OSError:
        return "no log written"
    for i, line in enumerate(lines):
        if line.startswith("! "):
            context = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return f"{line[2:]} {context}".strip()
    return "see the LaTeX log"
