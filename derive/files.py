"""The files a run writes, in one place: outputs, whole or absent, and temporary folders that
do not outlive the run.

**Outputs.** :func:`check_output` (one file) and :func:`check_outputs` (a folder of them)
refuse, before any work and before the first byte is written, a destination that cannot
take every output; :func:`write_atomic` and :func:`write_files` then write. What a name is
decides how it is written:

- a regular file, or a name that does not exist yet: the data goes to a temporary file
  beside it, ``.NAME.PID.XXXXXXXX.tmp``, renamed over NAME when complete, so NAME is whole
  or absent (its old contents until then);
- a symbolic link: followed; its target is written as above and the link stays a link (a
  link to a folder is a folder; a dangling link's target is created);
- a device, a FIFO or a socket (``/dev/null``, a named pipe), or the name of an open file
  (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``): written in place,
  never renamed over or replaced: a device or FIFO opened as it is (not created, not
  truncated), an open file written through its descriptor at its current position;
- a folder: refused.

The input files (``protect``) are never written, also not through a link.

**Temporary files and folders.** A failed or interrupted write removes its temporary file;
:func:`temp_folder` removes its folder, ``TMPDIR/derive-KIND-PID-XXXXXXXX``. SIGINT and
SIGTERM interrupt a run so that these clean-ups run (see :func:`derive.cli.main`). SIGKILL
cannot be caught, so what a killed run leaves is swept by the next, by the PID in the name:
its temporary folders, and any process still working in one (pdflatex), when a temporary
folder is made; its ``.NAME.PID.XXXXXXXX.tmp`` files when a run first writes to that
folder. A run counts as gone when no process has its PID here; PIDs are per machine (and
per PID namespace), so machines or containers sharing a folder can mistake each other's
live runs for gone ones: give each a TMPDIR and output folders of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from derive.errors import UsageError

__all__ = [
    "UsageError",
    "check_output",
    "check_outputs",
    "make_folder",
    "sweep_temp_folders",
    "temp_folder",
    "write_atomic",
    "write_files",
]

#: Names of an open file of this process, and which file descriptor each is.
_FD_NAMES = re.compile(r"/dev/(?:fd/(\d+)|(stdout)|(stderr))|/proc/(?:self|thread-self|(\d+))/fd/(\d+)")
#: A temporary folder of a run: derive-KIND-PID-random.
_TEMP_FOLDER = re.compile(r"derive-[a-z]+-(\d+)-[a-z0-9_]{8}")
#: A temporary file beside an output: .NAME.PID.random.tmp.
_TEMP_FILE = re.compile(r"\..+\.(\d+)\.[a-z0-9_]{8}\.tmp")
#: The folders whose stale temporary files this run has swept.
_SWEPT: set[str] = set()


def _fd(path: Path) -> int | None:
    """The file descriptor ``path`` names, when it names one of this process's open files."""
    m = _FD_NAMES.fullmatch(os.path.abspath(path))
    if m is None or (m[4] is not None and int(m[4]) != os.getpid()):
        return None
    return 1 if m[2] else 2 if m[3] else int(m[1] or m[5])


def _special(path: Path) -> bool:
    """A name written in place: a device, a FIFO, a socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _destination(path: Path, protect: Iterable[Path]) -> Path | int | None:
    """Where ``path`` is written: a file descriptor, None (in place), or the regular file
    renamed into place (a link's target). Refuses what cannot be written, naming ``path``."""
    for q in protect:
        if q.exists() and path.exists() and os.path.samefile(path, q):  # also through links
            raise UsageError(f"{path}: refusing to overwrite the input spec")
    fd = _fd(path)
    if fd is not None:
        return fd
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name")
    if _special(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"{path}: cannot write (permission denied)")
        return None
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():  # the link's folder, or the folder of the file it names
        missing = target.parent if path.parent.is_dir() else path.parent
        raise UsageError(f"{path}: folder {missing} does not exist")
    return target


def _probe(folder: Path, path: Path, doing: str = "cannot write") -> None:
    """Refuse a folder where no file can be made (read-only, no permission, /proc): tried
    for real, as permission bits do not tell (root, read-only mounts, special file systems)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".derive.{os.getpid()}.", suffix=".tmp")
    except OSError as e:
        raise UsageError(f"{path}: {doing} in {folder} ({e.strerror})") from None
    os.close(fd)
    os.unlink(tmp)


def check_output(path: Path, protect: Iterable[Path] = ()) -> None:
    """Refuse now, before any work, an output file :func:`write_atomic` could not write."""
    target = _destination(Path(path), tuple(protect))
    if isinstance(target, Path):
        _probe(target.parent, Path(path))


def check_outputs(out: Path, names: Iterable[str], protect: Iterable[Path] = ()) -> None:
    """Refuse now, before the first byte is written, a folder ``out`` (made if missing; its
    parent must exist) that cannot take every file of ``names`` (which may name subfolders):
    not a folder, not writable, or a name that is a folder or an input file."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    if not out.exists():
        parent = out.parent
        if not parent.is_dir():
            raise UsageError(f"{out}: folder {parent} does not exist")
        _probe(parent, out, "cannot create")
        return  # an empty folder to be: every name is free
    _probe(out, out)
    protect, probed = tuple(protect), {out.resolve()}
    for name in names:
        path = out / name
        folder = path.parent
        while not os.path.lexists(folder):  # a subfolder made when written: nothing in it yet
            folder = folder.parent
        if not folder.is_dir():
            raise UsageError(f"{path}: {folder} exists and is not a folder")
        if folder == path.parent:
            target = _destination(path, protect)
            if not isinstance(target, Path):
                continue  # written in place
            folder = target.parent
        if folder.resolve() not in probed:
            probed.add(folder.resolve())
            _probe(folder, path)


def make_folder(out: Path) -> None:
    """Make the folder ``out`` (and the folders between it and an existing one)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{out}: cannot create ({e.strerror})") from None


def write_files(out: Path, files: Mapping[str, str | bytes], protect: Iterable[Path] = ()) -> None:
    """Write every file of ``files`` (name -> data) into the folder ``out``, all names
    checked first (:func:`check_outputs`), so that a refusal writes nothing."""
    protect = tuple(protect)
    check_outputs(out, files, protect)
    make_folder(out)
    for name, data in files.items():
        make_folder((out / name).parent)
        write_atomic(out / name, data, protect)


def write_atomic(path: Path, data: str | bytes, protect: tuple[Path, ...] = ()) -> None:
    """Write ``data`` to ``path`` as the module's docstring says: a regular file to a
    temporary name beside it and renamed into place, so an interrupted run never leaves half
    a file; a device or an open file in place. Refuses to overwrite the input files."""
    path = Path(path)
    target = _destination(path, protect)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if isinstance(target, Path):
            _replace(target, raw)
        elif target is None:  # an existing device or FIFO: opened as it is, not created or truncated
            fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
            try:
                _write_all(fd, raw)
            finally:
                os.close(fd)
        else:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            _write_all(target, raw)
    except OSError as e:
        raise UsageError(f"{path}: cannot write ({e.strerror})") from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _replace(target: Path, data: bytes) -> None:
    """Write the regular file ``target`` through a temporary file renamed over it."""
    _sweep_temp_files(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output file is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sweep_temp_files(folder: Path) -> None:
    """Remove the temporary files that runs now gone left in ``folder`` (killed mid-write),
    the first time this run writes there."""
    if str(folder) in _SWEPT:
        return
    _SWEPT.add(str(folder))
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for e in entries:
            m = _TEMP_FILE.fullmatch(e.name)
            if m and not _alive(int(m[1])) and e.is_file(follow_symlinks=False):
                os.unlink(e.path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    """Whether the process ``pid`` is running (here: see the module's docstring)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    except OverflowError:  # no such PID at all
        return False
    return True


@contextlib.contextmanager
def temp_folder(kind: str) -> Iterator[Path]:
    """A new temporary folder ``TMPDIR/derive-KIND-PID-XXXXXXXX``, removed when the block
    ends, however it ends; stale folders of runs that are gone are swept first."""
    sweep_temp_folders()
    folder = tempfile.mkdtemp(prefix=f"derive-{kind}-{os.getpid()}-")
    try:
        yield Path(folder)
    finally:
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:  # again, when a stop signal came in the middle (a second one is ignored)
            shutil.rmtree(folder, ignore_errors=True)


def sweep_temp_folders() -> list[Path]:
    """Remove this user's temporary folders of runs that are gone, ending any process still
    working in one (pdflatex outlives a run killed with SIGKILL); returns what was removed."""
    base, gone = Path(tempfile.gettempdir()), []
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        for e in entries:
            m = _TEMP_FOLDER.fullmatch(e.name)
            if m and not _alive(int(m[1])) and e.is_dir(follow_symlinks=False) and _mine(e.path):
                _end_processes_in(Path(e.path))
                shutil.rmtree(e.path, ignore_errors=True)
                gone.append(Path(e.path))
    return gone


def _mine(path: str) -> bool:
    return os.stat(path, follow_symlinks=False).st_uid == os.getuid()


def _end_processes_in(folder: Path) -> None:
    """Kill this user's processes whose working folder is ``folder`` or in it (Linux /proc)."""
    root = os.path.realpath(folder)
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for e in entries:
            if not e.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                cwd = os.readlink(f"/proc/{e.name}/cwd")
                if (cwd == root or cwd.startswith(root + os.sep)) and _mine(e.path):
                    os.kill(int(e.name), signal.SIGKILL)
