"""Safe file writing: write to a temporary file in the target folder, then rename."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from workbench.errors import WorkbenchError

SQLITE_MAGIC = b"SQLite format 3\x00"


def check_output(path: str | os.PathLike[str]) -> Path:
    """Refuse an output target that writing would destroy or cannot take; return the path
    to write (a symlink is written through to its target, the link stays).

    Refused: an empty path, a missing or unwritable folder, a folder, a FIFO, a device or any
    other non-regular file, a project open in this process (compared by inode, before any
    header is read: closing a descriptor of an open project would drop its locks), and any
    SQLite database."""
    if not str(path).strip():
        raise WorkbenchError("output path is empty")
    target = Path(os.path.realpath(path))
    if target.exists():
        st = target.stat()
        if not stat.S_ISREG(st.st_mode):
            from workbench.inputcheck import file_kind

            raise WorkbenchError(f"{path}: is {file_kind(st.st_mode)}; refusing to write over it")
        from workbench.store.db import is_open_project

        if is_open_project(target):
            raise WorkbenchError(f"{path}: is the open project; refusing to write over it")
        try:
            with target.open("rb") as fh:
                head = fh.read(16)
        except OSError:
            head = b""
        if head == SQLITE_MAGIC:
            raise WorkbenchError(
                f"{path}: is an SQLite database (a project?); refusing to write over it"
            )
    folder = target.parent
    if not folder.is_dir():
        raise WorkbenchError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WorkbenchError(f"{path}: cannot write in folder {folder} (permission denied)")
    return target


STALE_SECONDS = 3600


def sweep_stale(target: Path) -> int:
    """Remove temporary files of our own naming (`.NAME.*.tmp` beside NAME) left by an
    export that was killed, once they are an hour old. Returns how many went."""
    import time

    n = 0
    for tmp in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
        try:
            if tmp.is_file() and time.time() - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
                n += 1
        except OSError:
            continue
    return n


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _mode_for(target: Path) -> int:
    """An existing file keeps its mode; a new one gets 0o666 less the umask."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _commit(tmp: str, target: Path) -> None:
    os.chmod(tmp, _mode_for(target))
    os.replace(tmp, target)
    try:  # the rename itself reaches the disk
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


@contextmanager
def atomic_write(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[IO[str]]:
    """Yield a text handle; on success the file replaces `path` in one rename."""
    target = check_output(path)
    folder = target.parent
    sweep_stale(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _commit(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    target = check_output(path)
    sweep_stale(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _commit(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
