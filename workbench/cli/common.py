"""Shared CLI pieces: the --project option, output formats, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # the store (SQLAlchemy) loads when a command opens a project, not for --help
    from workbench.store.db import Project
    from workbench.store.reader import Reader

ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        "-p",
        help="Project file (default: $WORKBENCH_PROJECT, else ./workbench.sqlite).",
        show_default=False,
    ),
]


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class TableJsonFormat(StrEnum):
    table = "table"
    json = "json"


def project_path(ctx: typer.Context, project: Path | None) -> Path | None:
    """The command's own --project wins over the one given before the command name."""
    if project is not None:
        return project
    root = ctx.find_root()
    return (root.obj or {}).get("project") if root.obj else None


def get_project(ctx: typer.Context, project: Path | None, *, create: bool = False) -> Project:
    from workbench.store.db import open_project

    return open_project(project_path(ctx, project), create=create)


@contextmanager
def project_session(
    ctx: typer.Context, project: Path | None, *, create: bool = False
) -> Iterator[Project]:
    """The command's project, closed when the block ends (however it ends)."""
    proj = get_project(ctx, project, create=create)
    try:
        yield proj
    finally:
        proj.close()


@contextmanager
def reading(ctx: typer.Context, project: Path | None) -> Iterator[Reader]:
    """One read transaction on the command's project. An up-to-date SQLite project is read
    through a plain sqlite3 connection (store/lite.py: SQLAlchemy is never loaded, a fifth
    of a second saved); anything else (a server, a project to migrate, a bad path) opens
    the usual way, with its one-line errors."""
    from workbench.store.lite import open_reader

    reader = open_reader(project_path(ctx, project))
    if reader is None:
        with project_session(ctx, project) as proj, proj.read() as conn:
            yield conn
        return
    try:
        with reader.read() as con:
            yield con
    finally:
        reader.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for h in header:
        table.add_column(str(h), overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


def print_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from workbench.csvsafe import csv_text

    sys.stdout.write(csv_text(header, rows))


def info(message: str) -> None:
    """Human-readable status goes to stderr so stdout stays clean for data."""
    typer.echo(message, err=True)


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a callback (done, total, item)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}"),
        console=Console(stderr=True),
        transient=True,
    ) as prog:
        task = prog.add_task(label, total=None, item="")

        def update(done: int, total: int, item: str = "") -> None:
            prog.update(task, completed=done, total=total, item=item)

        yield update
