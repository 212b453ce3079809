"""tui: open the Textual app on a project."""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, get_project, project_path


def launch_tui(project_file, coder: str | None) -> None:  # type: ignore[no-untyped-def]
    """Open the TUI (imports textual only now, never torch/spaCy)."""
    from workbench.tui.app import run_app

    run_app(project_file, coder=coder)


@app.command()
def tui(
    ctx: typer.Context,
    coder: Annotated[str | None, typer.Option(help="Coder name stamped on codings.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Open the TUI on the project."""
    from workbench.store.lite import open_reader, resolve_project_path

    reader = open_reader(project_path(ctx, project))  # up to date: SQLAlchemy loads later
    if reader is not None:
        reader.close()
        path = resolve_project_path(project_path(ctx, project))
    else:  # a server, a project to migrate, a bad path: the full open (and its errors)
        proj = get_project(ctx, project)
        path = proj.path
        proj.close()
    launch_tui(path, coder)
