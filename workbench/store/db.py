"""Opening a project: one SQLite file, WAL, foreign keys, migrations applied on open.

One process holds ONE connection pool per project file. Opening the same file again (the
TUI and its suggestion engine, a service that opens by path) returns the same pool with one
more reference; the pool closes when the last reference does. This matters beyond economy:
on POSIX, closing any descriptor of a file drops every lock the process holds on it, so a
second pool (or a plain `open()` to read the header) closing while the first is in use lets
another process believe it is alone, checkpoint and delete the WAL under our feet.

Transactions are real: `Project.begin()` issues `BEGIN IMMEDIATE` (the write lock is taken
at the start, so checks made before writes are isolated and migrations are atomic);
`Project.read()` a deferred read transaction. One busy timeout applies everywhere.

A PostgreSQL URL (`postgresql://USER:PASSWORD@HOST:PORT/DB`) opens a server project
instead (psycopg 3; see postgres_extras.py and docs/team-server.md): the same Project
handle, writes serialised by the project's write lock, refusals of the server's rules
turned into one line.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError

from workbench.errors import WorkbenchError
from workbench.store import migrations, sqlite_extras
from workbench.store.lite import (  # noqa: F401 - re-exported: the store's path rules
    BUSY_TIMEOUT_S,
    DEFAULT_PROJECT,
    SQLITE_MAGIC,
    busy_message,
    check_project_file,
    is_busy,
    reader_holds,
    redact,
    resolve_project_path,
    server_url,
)


@dataclass(eq=False)
class Project:
    """A handle on one project file. `begin()` is the only way to write."""

    path: Path
    engine: Engine = field(repr=False)
    created: bool = False  # this process created the file (see discard_created_if_empty)
    _refs: int = field(default=1, repr=False)
    _key: str = field(default="", repr=False)
    url: str | None = field(default=None, repr=False)  # a server project's URL
    # Bumped when a write transaction of this process begins and again when it ends, so a
    # watcher of the file (services.live.FileFeed) can tell our own changes from others'.
    own_writes: int = field(default=0, repr=False)
    # Plain sqlite3 connections on this file opened before the pool (store.lite's fast
    # start): closed after the pool, never while it may hold locks.
    _kept: list[sqlite3.Connection] = field(default_factory=list, repr=False)

    @property
    def is_server(self) -> bool:
        return self.url is not None

    @property
    def label(self) -> str:
        """How messages name the project (a server URL without its password)."""
        return redact(self.url) if self.url else str(self.path)

    def _server_error(self, exc: DBAPIError) -> WorkbenchError | None:
        """A server's refusal, timeout or lost connection as one line (None: not ours)."""
        from workbench.store import postgres_extras as pg

        refused = pg.refusal_message(exc)
        if refused:
            return WorkbenchError(refused)
        state = pg.sqlstate(exc) or ""
        if state == "55P03":
            return WorkbenchError(busy_message(Path(self.label)))
        if (
            exc.connection_invalidated
            or state.startswith("08")
            or (isinstance(exc, OperationalError) and not state)
        ):
            return WorkbenchError(
                f"{self.label}: the connection to the server was lost; the action in flight "
                f"was not saved ({pg.server_error_line(exc)})"
            )
        return None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE): all of it commits or none of it does.

        Nested calls on a connection should use `conn.begin_nested()` (a savepoint): a
        second `begin()` in the same thread would wait for the lock its own first one holds,
        so it is refused at once."""
        if getattr(_WRITING, "project", None) is self:
            raise RuntimeError(
                f"{self.path}: a write transaction is already open in this thread; "
                "use its connection (or conn.begin_nested())"
            )
        _WRITING.project = self
        self.own_writes += 1
        try:
            with self.engine.connect() as conn:
                conn.execution_options(workbench_begin="IMMEDIATE")
                with conn.begin():
                    yield conn
        except DBAPIError as exc:
            if self.url is not None and (err := self._server_error(exc)) is not None:
                raise err from exc
            if isinstance(exc, OperationalError) and is_busy(exc):
                raise WorkbenchError(busy_message(self.path)) from exc
            raise
        finally:
            _WRITING.project = None
            self.own_writes += 1

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot of the project until the block ends."""
        try:
            with self.engine.connect() as conn:
                if self.url is not None:  # REPEATABLE READ on a server (postgres_extras)
                    conn.execution_options(workbench_begin="READ")
                yield conn
        except DBAPIError as exc:
            if self.url is not None and (err := self._server_error(exc)) is not None:
                raise err from exc
            if isinstance(exc, OperationalError) and is_busy(exc):
                raise WorkbenchError(busy_message(self.path)) from exc
            raise

    def close(self) -> None:
        """Drop this reference; the pool closes with the last one."""
        with _REGISTRY_LOCK:
            if self._refs <= 0:
                return
            self._refs -= 1
            if self._refs > 0:
                return
            if _REGISTRY.get(self._key) is self:
                del _REGISTRY[self._key]
        self.engine.dispose()
        kept, self._kept = self._kept, []
        for con in kept:
            con.close()

    def keep_until_closed(self, con: sqlite3.Connection) -> None:
        """Close `con` (another connection on this file) when the pool closes, not before."""
        self._kept.append(con)

    @property
    def is_open(self) -> bool:
        return self._refs > 0


_REGISTRY: dict[str, Project] = {}
_WRITING = threading.local()  # .project: the project whose write transaction this thread holds
_REGISTRY_LOCK = threading.RLock()


def _key(path: Path) -> str:
    return os.path.realpath(path)


def open_project_files() -> list[Path]:
    """The real paths of every project file this process has open."""
    with _REGISTRY_LOCK:
        return [Path(k) for k, p in _REGISTRY.items() if p.url is None]


def is_open_project(path: str | os.PathLike[str]) -> bool:
    """Whether `path` names (by any link or spelling) a project this process has open."""
    p = Path(path)
    with _REGISTRY_LOCK:
        if _key(p) in _REGISTRY:
            return True
        try:
            st = p.stat()
        except OSError:
            return False
        for k in _REGISTRY:
            try:
                other = os.stat(k)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return True
    return False


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    )
    sqlite_extras.install_pragmas(engine, busy_timeout_ms=int(BUSY_TIMEOUT_S * 1000))
    return engine


def _migrate(engine: Engine) -> None:
    """Pending migrations in one BEGIN IMMEDIATE transaction, foreign keys off meanwhile
    (SQLite's table-rebuild procedure; the pragma is a no-op inside a transaction).
    A project that is up to date is only read: opening it never waits for a writer."""
    with engine.connect() as conn:
        if migrations.applied_versions(conn) >= migrations.all_versions():
            return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            conn.execution_options(workbench_begin="IMMEDIATE")
            with conn.begin():
                migrations.migrate(conn)
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def open_project(path: str | os.PathLike[str] | None, *, create: bool = False) -> Project:
    """Open (and migrate) a project. With create=False a missing file is an error.

    Returns this process's shared handle when the file is already open; call `close()` on
    what you were given either way. A PostgreSQL URL opens a server project (create=True
    initialises an empty database, as `workbench server init` does)."""
    url = server_url(path if path else os.environ.get("WORKBENCH_PROJECT"))
    if url is not None:
        return _open_server(url, create=create)
    p = resolve_project_path(path)
    with _REGISTRY_LOCK:
        key = _key(p)
        shared = _REGISTRY.get(key)
        if shared is not None:
            shared._refs += 1
            return shared
        exists = p.exists() or p.is_symlink()
        if not exists and not create:
            raise WorkbenchError(
                f"{p}: project is missing (create it with `workbench init --project {p}`)"
            )
        if exists and not reader_holds(p):  # a start-up reader checked it (store/lite.py)
            check_project_file(p)
        elif not p.parent.exists():
            raise WorkbenchError(f"{p}: folder {p.parent} does not exist")
        engine = _make_engine(p)
        try:
            _migrate(engine)
        except (OperationalError, DatabaseError) as exc:
            engine.dispose()
            if not exists:
                _remove_files(p)
            if is_busy(exc):
                raise WorkbenchError(busy_message(p)) from exc
            raise WorkbenchError(f"{p}: cannot open project ({exc.orig})") from exc
        except BaseException:
            engine.dispose()
            if not exists:
                _remove_files(p)
            raise
        project = Project(path=p, engine=engine, created=not exists, _key=key)
        _REGISTRY[key] = project
        if not exists:
            _CREATED.append(Path(key))
        return project


def _open_server(url: str, *, create: bool) -> Project:
    from workbench.store import postgres_extras as pg

    key = f"server:{url}"
    with _REGISTRY_LOCK:
        shared = _REGISTRY.get(key)
        if shared is not None:
            shared._refs += 1
            return shared
        label = redact(url)
        done: set[int] = set()
        engine = create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10, "application_name": "workbench"},
        )
        pg.install(engine, lock_timeout_s=BUSY_TIMEOUT_S)
        try:
            with engine.connect() as conn:
                done = pg.applied_versions(conn)
            if done < migrations.all_versions():
                if not done and not create:
                    raise WorkbenchError(
                        f"{label}: not a Workbench project yet (create it with "
                        "`workbench server init URL` as the database's owner)"
                    )
                with engine.begin() as conn:
                    pg.create_schema(conn)
        except DBAPIError as exc:
            engine.dispose()
            if pg.sqlstate(exc) in ("42501", "42P01"):  # not the owner's rights
                why = (
                    "the project's schema is older than this Workbench"
                    if done
                    else ("this login cannot create a project here")
                )
                raise WorkbenchError(
                    f"{label}: {why}; the database's owner runs `workbench server init URL`"
                ) from exc
            raise WorkbenchError(
                f"{label}: cannot open the server project ({pg.server_error_line(exc)})"
            ) from exc
        except BaseException:
            engine.dispose()
            raise
        project = Project(path=Path(url), engine=engine, created=False, _key=key, url=url)
        _REGISTRY[key] = project
        return project


def _remove_files(p: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{p}{suffix}").unlink(missing_ok=True)


_CREATED: list[Path] = []  # project files this process created (real paths)


def forget_created() -> None:
    """Start of a command: files created by earlier commands of this process are kept."""
    with _REGISTRY_LOCK:
        _CREATED.clear()


def discard_created_if_empty() -> list[Path]:
    """After a failed command: remove every project file this process created in which
    nothing was ever stored (no documents, codes or memos), so a refused first import
    leaves no file behind. Files still open here are left alone. Returns what was removed."""
    removed: list[Path] = []
    with _REGISTRY_LOCK:
        for p in list(_CREATED):
            if _key(p) in _REGISTRY or not p.is_file():
                continue
            _CREATED.remove(p)
            con = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=1)
            try:
                stored = con.execute(
                    "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM codes)"
                    " + (SELECT count(*) FROM memos)"
                ).fetchone()[0]
            except sqlite3.Error:
                stored = 1  # not ours to judge: keep it
            finally:
                con.close()
            if not stored:
                _remove_files(p)
                removed.append(p)
    return removed
