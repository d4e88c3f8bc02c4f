"""Writing output files safely: temporary name, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from derive.errors import UsageError

__all__ = ["UsageError", "write_atomic"]


def write_atomic(path: Path, data: str | bytes, protect: tuple[Path, ...] = ()) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, so an
    interrupted run never leaves half a file. Refuses to overwrite the input files."""
    for q in protect:
        if q.exists() and path.exists() and os.path.samefile(path, q):  # also through links
            raise UsageError(f"{path}: refusing to overwrite the input spec")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise UsageError(f"{path}: cannot write ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output file is an ordinary file
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write ({e.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
