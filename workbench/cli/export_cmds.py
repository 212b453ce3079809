"""export excerpts / export qdpx."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, get_project

export_app = typer.Typer(
    help="Export coded excerpts (CSV) or the project (REFI-QDA).", no_args_is_help=True
)
app.add_typer(export_app, name="export")


@export_app.command("excerpts")
def excerpts_cmd(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .csv")],
    code: Annotated[
        list[str] | None,
        typer.Option("--code", help="Only this code and its descendants (repeatable)."),
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE attribute filter (repeatable).")
    ] = None,
    coder: Annotated[str | None, typer.Option(help="Only this coder's codings.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Coded excerpts, one row per coding (CONTRACT §5 columns, then attr:NAME columns)."""
    from workbench.services.documents import parse_where
    from workbench.services.excerpts import excerpts, write_excerpts_csv

    conds = parse_where(where)
    proj = get_project(ctx, project)
    try:
        with proj.read() as conn:
            rows = excerpts(conn, codes=code, where=conds, coder=coder)
    finally:
        proj.close()
    n = write_excerpts_csv(rows, output)
    typer.echo(f"wrote {n} excerpts to {output}")


@export_app.command("qdpx")
def qdpx_cmd(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .qdpx")],
    project: ProjectOpt = None,
) -> None:
    """REFI-QDA project export (.qdpx)."""
    from workbench.exchange.refi.qdpx_export import export_qdpx

    proj = get_project(ctx, project)
    try:
        for line in export_qdpx(proj, output):
            typer.echo(line)
    finally:
        proj.close()
