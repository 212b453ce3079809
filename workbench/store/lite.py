"""A SQLite project opened for reading without SQLAlchemy: the fast path of start-up.

Importing SQLAlchemy costs 0.15-0.2 s, a third of the TUI's first screen and most of a
quick `export excerpts`. When a SQLite project is already up to date (every migration
applied, WAL on), those reads need nothing SQLAlchemy gives: `open_reader` returns a
`LiteReader` over one plain sqlite3 connection, and the services that accept a
`store.reader.Reader` run their SQL text on it. Anything else (a server URL, a project
that needs migrating, a file that is not a project, one this process already has open)
returns None and the caller opens the project the usual way (`store.db.open_project`),
which gives the one-line errors.

Locks: on POSIX, closing any descriptor of a file drops every lock the process holds on
it (see store/db.py). A reader that a `Project` of the same file joins later is handed to
that project (`hand_to`) and closed with its pool, never before.

The path and header checks here are the ones `store.db.open_project` uses too.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.store.db import Project

DEFAULT_PROJECT = "workbench.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0
# The newest migration (store/migrations.py); a test keeps the two equal.
SCHEMA_VERSION = 5
SERVER_SCHEMES = ("postgresql+psycopg:", "postgresql:", "postgres:")


def server_url(value: str | os.PathLike[str] | None) -> str | None:
    """The SQLAlchemy URL (psycopg 3) when `value` names a server project, else None.
    A URL that went through `Path` (typer's --project) lost one of its two slashes."""
    if value is None:
        return None
    raw = os.fspath(value)
    for scheme in SERVER_SCHEMES:
        if raw.startswith(scheme):
            rest = raw[len(scheme) :]
            rest = rest[2:] if rest.startswith("//") else rest.lstrip("/")
            return f"postgresql+psycopg://{rest}"
    return None


def redact(url: str) -> str:
    """A server URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def resolve_project_path(path: str | os.PathLike[str] | None) -> Path:
    """`--project`, else $WORKBENCH_PROJECT, else ./workbench.sqlite."""
    if path:
        return Path(path)
    env = os.environ.get("WORKBENCH_PROJECT")
    return Path(env) if env else Path(DEFAULT_PROJECT)


def busy_message(path: Path) -> str:
    return (
        f"{path}: the project is busy: another program kept it locked for "
        f"{BUSY_TIMEOUT_S:.0f} s (try again when it has finished)"
    )


def is_busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and (
        "locked" in str(orig) or "busy" in str(orig)
    )


def check_project_file(p: Path) -> None:
    """Refuse what is not a project (a folder, an empty file, not SQLite), in one line.
    Reads the header: call it only when no pool of this process has the file open."""
    if p.is_dir():
        raise WorkbenchError(f"{p}: is a directory, not a project file")
    if not p.is_file():
        raise WorkbenchError(f"{p}: is not a regular file, not a project file")
    if p.stat().st_size == 0:
        raise WorkbenchError(
            f"{p}: is an empty file, not a Workbench project (remove it first, or pick a "
            "new file name for a new project)"
        )
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise WorkbenchError(f"{p}: cannot read the project ({exc.strerror or exc})") from exc
    if head != SQLITE_MAGIC:
        raise WorkbenchError(f"{p}: not a Workbench project (not an SQLite database)")


# Real paths of the files a LiteReader of this process has a connection on (how many). Such a
# file must not be opened by anything but SQLite here: closing any descriptor drops the
# process's locks on it, another process may then checkpoint and reset the WAL under the
# open connection, and its next read fails as "database disk image is malformed".
_HELD: dict[str, int] = {}
_HELD_LOCK = threading.Lock()


def _hold(p: Path, delta: int) -> None:
    key = os.path.realpath(p)
    with _HELD_LOCK:
        n = _HELD.get(key, 0) + delta
        if n > 0:
            _HELD[key] = n
        else:
            _HELD.pop(key, None)


def reader_holds(p: Path) -> bool:
    """Whether a LiteReader of this process has its own connection open on `p` (its header
    was checked when it opened; do not open the file again to check it)."""
    with _HELD_LOCK:
        return os.path.realpath(p) in _HELD


def _open_here(p: Path) -> bool:
    db = sys.modules.get("workbench.store.db")  # not loaded: no project is open here
    return db is not None and db.is_open_project(p)


class LiteReader:
    """One read-only (query_only) sqlite3 connection on an up-to-date project."""

    def __init__(self, path: Path, con: sqlite3.Connection) -> None:
        self.path = path
        self._con = con
        self._lock = threading.RLock()
        self._depth = 0  # read() blocks open on this connection (nested ones share one)
        self._handed = False  # a Project closes the connection (hand_to)
        self._closed = False
        _hold(path, +1)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot until the block ends (a nested
        block shares the outer one's)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.path}: this reader is closed")
            con = self._con
            try:
                if self._depth == 0:
                    con.execute("BEGIN")
                self._depth += 1
                try:
                    yield con
                finally:
                    self._depth -= 1
                    if self._depth == 0:
                        con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if is_busy(exc):
                    raise WorkbenchError(busy_message(self.path)) from exc
                raise

    def hand_to(self, project: Project) -> None:
        """Let `project` (the same file, opened since) close this connection with its pool;
        reads through this reader still work until then."""
        with self._lock:
            if not (self._handed or self._closed):
                self._handed = True
                project.keep_until_closed(self._con)
                _hold(self.path, -1)  # the project's registry entry covers the file now

    def close(self) -> None:
        """Close the connection, unless a Project took it over (it closes it)."""
        with self._lock:
            if self._closed or self._handed:
                return
            self._closed = True
            self._con.close()
            _hold(self.path, -1)


def open_reader(path: str | os.PathLike[str] | None) -> LiteReader | None:
    """A `LiteReader` on the SQLite project at `path` (as `--project`), or None when the
    project must be opened the usual way (see the module docstring). A file that is not a
    project raises the same one-line error as `open_project`."""
    if server_url(path if path else os.environ.get("WORKBENCH_PROJECT")) is not None:
        return None
    p = resolve_project_path(path)
    if not p.exists() or _open_here(p):
        return None
    check_project_file(p)
    con = sqlite3.connect(p, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA query_only=ON")
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        applied = con.execute(
            "SELECT count(DISTINCT version), max(version) FROM schema_migrations"
        ).fetchone()
    except sqlite3.Error:
        applied, mode = None, None
    if mode != "wal" or applied != (SCHEMA_VERSION, SCHEMA_VERSION):
        con.close()
        return None
    return LiteReader(p, con)
