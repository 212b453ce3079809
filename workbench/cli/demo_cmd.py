"""demo: build (or reuse) the sample-study project, then open the TUI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import info, progress_bar


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Folder for the demo project (default: per-user data folder)."),
    ] = None,
    no_tui: Annotated[
        bool, typer.Option("--no-tui", help="Build and print a summary; don't open the TUI.")
    ] = False,
    rebuild: Annotated[bool, typer.Option(help="Rebuild even if the demo is current.")] = False,
    coder: Annotated[str | None, typer.Option(help="Coder name for the TUI.")] = None,
) -> None:
    """Build the demo project from transcripts_sample/ and codebooks/difacto.yaml."""
    from workbench.services.demo import build_demo, default_demo_dir

    folder = directory or default_demo_dir()
    with progress_bar("building demo") as update:
        result = build_demo(folder, rebuild=rebuild, progress=update)
    for line in result.lines:
        typer.echo(line)
    if no_tui:
        info(f"open it with: workbench tui --project {result.project}")
        return
    from workbench.cli.tui_cmd import launch_tui

    launch_tui(result.project, coder)
