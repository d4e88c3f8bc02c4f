"""Compile LaTeX to PDF with pdflatex, locked down.

pdflatex runs in a fresh temporary folder with ``-no-shell-escape``, ``-halt-on-error``,
``-interaction=batchmode``, ``openin_any=p``/``openout_any=p`` (no reading or writing
outside the folder) and a timeout. User text is escaped before it reaches a template
(see :func:`derive.latex.tex_escape`); this is the second wall.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from derive.errors import DeriveError

DEBIAN_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended lmodern texlive-pictures"


class PdfError(DeriveError, RuntimeError):
    """pdflatex is missing, failed, or took too long."""


def pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if exe is None:
        raise PdfError(f"pdflatex not found; install it (Debian: apt-get install {DEBIAN_PACKAGES})")
    return exe


def compile_pdf(tex: str, timeout: float = 120, assets: dict[str, bytes] | None = None) -> bytes:
    """The PDF of a complete LaTeX document, as bytes; ``assets`` are files (images) the
    document includes, by name, placed beside it."""
    exe = pdflatex()
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f")
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as d:
        for name, data in (assets or {}).items():
            (Path(d) / Path(name).name).write_bytes(data)
        src = Path(d) / "doc.tex"
        src.write_text(tex, encoding="utf-8")
        # longtable settles its column widths on the second pass
        for _ in range(2 if r"\begin{longtable}" in tex else 1):
            try:
                proc = subprocess.run(
                    [exe, "-no-shell-escape", "-halt-on-error", "-interaction=batchmode", "doc.tex"],
                    cwd=d,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise PdfError(f"pdflatex took longer than {timeout:g} s") from None
            if proc.returncode != 0:
                raise PdfError(f"pdflatex failed: {_first_error(Path(d) / 'doc.log')}")
        return (Path(d) / "doc.pdf").read_bytes()


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
