"""Safe output files: every file a command writes for the user goes through here.

`check_output` is the one guard: it refuses (one line, nothing written) a target that
writing would destroy or cannot take: an empty path, `-` where stdout makes no sense, the
command's project, any project open in this process (and their -wal/-shm/-journal files),
any SQLite database, a folder, a named pipe, a device or any other non-regular file, a
read-only file, a missing folder and a folder we cannot write in.

Projects are compared by (st_dev, st_ino) BEFORE any header is read: opening and closing a
descriptor of an SQLite file drops every POSIX lock this process holds on it, which breaks
WAL coordination with other processes. Only files that are not an open project are opened
to read their first 16 bytes.

The writers (`atomic_write`, `atomic_write_bytes`) write a temporary file `.NAME.XXXX.tmp`
beside the real target, fsync it, rename it over the target and fsync the folder, so the
target is either untouched or complete. A symlink is written through: the temporary file
goes beside the file the link points at and replaces that file; the link stays a link. New
files get 0o666 less the umask (the kernel applies it); an existing file keeps its mode.
Temporary files of our own pattern for the same target older than an hour (left by a
killed export) are removed before writing.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from workbench.errors import WorkbenchError

SQLITE_MAGIC = b"SQLite format 3\x00"
STDOUT = "-"
STALE_SECONDS = 3600
PROJECT_SIDE_FILES = ("", "-wal", "-shm", "-journal")
PathArg = str | os.PathLike[str]


def is_stdout(path: PathArg | None) -> bool:
    """`-o -`: the output goes to standard output."""
    return path is not None and os.fspath(path) == STDOUT


def _kind(mode: int) -> str:
    from workbench.inputcheck import file_kind

    return file_kind(mode)


def _guarded_files(project: PathArg | None) -> list[Path]:
    """The command's project and every project open in this process, with their side files."""
    bases: list[Path] = []
    if project is not None and str(project) and "://" not in str(project):
        bases.append(Path(os.path.realpath(project)))
    if "workbench.store.db" in sys.modules:  # not loaded: no project is open here
        from workbench.store import db

        bases.extend(Path(p) for p in db.open_project_files())
    return [Path(f"{base}{suffix}") for base in bases for suffix in PROJECT_SIDE_FILES]


def _is_guarded(raw: str, target: Path, st: os.stat_result | None, guarded: list[Path]) -> bool:
    for g in guarded:
        if target == g:  # by name: also a -wal that does not exist right now
            return True
        if st is None:
            continue
        try:
            other = os.stat(g)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def _refuse(raw: str, why: str) -> WorkbenchError:
    return WorkbenchError(f"{raw}: {why}")


def check_output(
    path: PathArg | None, *, project: PathArg | None = None, what: str = "this output"
) -> Path:
    """Refuse a target that writing would destroy or cannot take; return the real path to
    write (a symlink resolved to the file it points at). `-` is refused here: callers that
    can write to stdout test `is_stdout` first."""
    raw = "" if path is None else os.fspath(path)
    if not raw.strip():
        raise WorkbenchError("output path is empty: give a file name")
    if raw == STDOUT:
        raise WorkbenchError(f"-: {what} cannot go to stdout; give a file name (./- for a file)")
    if raw.endswith(("/", os.sep)):
        raise _refuse(raw, "names a folder; give a file name")
    target = Path(os.path.realpath(raw))
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise _refuse(raw, f"{target.parent} is not a folder") from None
    except OSError as exc:
        raise _refuse(raw, f"cannot check it ({exc.strerror or exc})") from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise _refuse(raw, "is a symlink that does not resolve (a loop?); refusing to replace it")
    # Identity first, by inode: an open project must never be open()ed to read its header.
    if _is_guarded(raw, target, st, _guarded_files(project)):
        raise _refuse(raw, "is the project (or one of its files); refusing to write over it")
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(raw, f"is {_kind(st.st_mode)}; refusing to write over it")
        try:
            with open(target, "rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError:
            head = b""
        if head == SQLITE_MAGIC:
            raise _refuse(raw, "is an SQLite database (a project?); refusing to write over it")
        if not os.access(target, os.W_OK):
            raise _refuse(raw, "is read-only; refusing to replace it")
    folder = target.parent
    if not folder.exists():
        raise _refuse(raw, f"folder {folder} does not exist")
    if not folder.is_dir():
        raise _refuse(raw, f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _refuse(raw, f"cannot write in folder {folder} (permission denied)")
    return target


def sweep_stale(target: Path, max_age: float = STALE_SECONDS) -> int:
    """Remove our own temporary files for `target` (`.NAME.*.tmp` beside it, regular files
    only) older than `max_age` seconds: what a killed export left. Returns how many went."""
    import glob

    now = time.time()
    n = 0
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            st = os.lstat(tmp)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > max_age:
                tmp.unlink()
                n += 1
        except OSError:
            continue
    return n


def _create_temp(raw: str, target: Path) -> tuple[int, Path]:
    """A new temporary file beside `target`, created with 0o666 (the umask applies)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{os.urandom(4).hex()}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise _refuse(raw, f"cannot write in {target.parent} ({exc.strerror or exc})") from None
    raise _refuse(raw, f"cannot create a temporary file in {target.parent}")


def _fsync_folder(folder: Path) -> None:
    try:  # the rename itself reaches the disk (not every OS lets a folder be opened)
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _commit(raw: str, fd: int, tmp: Path, target: Path, project: PathArg | None) -> None:
    """fsync, give the file its mode, check the target again, rename, fsync the folder."""
    os.fsync(fd)
    if os.path.isfile(target):  # an existing file keeps its mode
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
    check_output(target, project=project)  # nothing changed under us while we wrote
    try:
        os.replace(tmp, target)
    except OSError as exc:
        raise _refuse(raw, f"cannot write ({exc.strerror or exc})") from None
    _fsync_folder(target.parent)


@contextmanager
def stdout_closed_guard() -> Iterator[None]:
    """A reader that stops early (`-o - | head`) is one line, not a traceback."""
    try:
        yield
    except BrokenPipeError:
        try:  # nothing more can reach the reader; keep the exit-time flush quiet
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        raise WorkbenchError("-: stdout was closed before the output was complete") from None


def write_stdout_bytes(data: bytes) -> None:
    """Bytes of a text format (UTF-8 XML) to stdout, after any text already written."""
    with stdout_closed_guard():
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()


def _prepare(path: PathArg, project: PathArg | None, what: str) -> tuple[str, Path]:
    raw = os.fspath(path)
    target = check_output(raw, project=project, what=what)
    sweep_stale(target)
    return raw, target


@contextmanager
def atomic_write(
    path: PathArg,
    *,
    newline: str | None = None,
    project: PathArg | None = None,
    stdout_ok: bool = False,
) -> Iterator[IO[str]]:
    """Yield a UTF-8 text handle; on success the file replaces `path` in one rename.
    With `stdout_ok`, a path of `-` yields standard output instead."""
    if stdout_ok and is_stdout(path):
        with stdout_closed_guard():
            yield sys.stdout
            sys.stdout.flush()
        return
    raw, target = _prepare(path, project, "this output")
    fd, tmp = _create_temp(raw, target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline, closefd=False) as fh:
            yield fh
            fh.flush()
        _commit(raw, fd, tmp, target, project)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def atomic_write_bytes(
    path: PathArg, data: bytes, *, project: PathArg | None = None, what: str = "a binary file"
) -> None:
    """Write `data` to a temporary file beside `path`, fsync, rename. `-` is refused."""
    raw, target = _prepare(path, project, what)
    fd, tmp = _create_temp(raw, target)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        _commit(raw, fd, tmp, target, project)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def write_text_output(
    path: PathArg, text: str, *, project: PathArg | None = None, newline: str | None = "\n"
) -> None:
    """A text output: to stdout for `-`, else atomically to the file."""
    with atomic_write(path, newline=newline, project=project, stdout_ok=True) as fh:
        fh.write(text)
