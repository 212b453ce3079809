"""tui: open the Textual app on a project."""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, get_project


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
    proj = get_project(ctx, project)
    path = proj.path
    proj.close()
    launch_tui(path, coder)
