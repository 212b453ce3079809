"""Opening a project: one SQLite file, WAL, foreign keys, migrations applied on open."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from workbench.errors import WorkbenchError
from workbench.store import migrations, sqlite_extras

DEFAULT_PROJECT = "workbench.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"


def resolve_project_path(path: str | os.PathLike[str] | None) -> Path:
    """`--project`, else $WORKBENCH_PROJECT, else ./workbench.sqlite."""
    if path:
        return Path(path)
    env = os.environ.get("WORKBENCH_PROJECT")
    return Path(env) if env else Path(DEFAULT_PROJECT)


@dataclass
class Project:
    """A handle on one project file. `begin()` is the only way to write."""

    path: Path
    engine: Engine = field(repr=False)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    sqlite_extras.install_pragmas(engine)
    return engine


def open_project(path: str | os.PathLike[str] | None, *, create: bool = False) -> Project:
    """Open (and migrate) a project. With create=False a missing file is an error."""
    p = resolve_project_path(path)
    exists = p.exists()
    if not exists and not create:
        raise WorkbenchError(
            f"{p}: project is missing (create it with `workbench init --project {p}`)"
        )
    if exists:
        if p.is_dir():
            raise WorkbenchError(f"{p}: is a directory, not a project file")
        with p.open("rb") as fh:
            head = fh.read(16)
        if head and head != SQLITE_MAGIC:
            raise WorkbenchError(f"{p}: not a Workbench project (not an SQLite database)")
    else:
        if not p.parent.exists():
            raise WorkbenchError(f"{p}: folder {p.parent} does not exist")
    engine = _make_engine(p)
    try:
        with engine.begin() as conn:
            migrations.migrate(conn)
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        raise WorkbenchError(f"{p}: cannot open project ({exc.orig})") from exc
    return Project(path=p, engine=engine)
