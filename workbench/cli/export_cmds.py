"""export excerpts / export qdpx."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, info, project_path, project_session, reading
from workbench.cli.help_format import PLAIN_HELP

export_app = typer.Typer(
    **PLAIN_HELP,
    help="Export coded excerpts (CSV) or the project (REFI-QDA).",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


def guarded_project(ctx: typer.Context, project: Path | None) -> Path:
    """The command's project file, for the output guard (never written over)."""
    from workbench.store.lite import resolve_project_path

    return resolve_project_path(project_path(ctx, project))


def check_target(
    ctx: typer.Context,
    project: Path | None,
    output: str | None,
    *,
    stdout_ok: bool,
    what: str = "this output",
) -> Path:
    """Refuse a bad output target before any work is done (`-` passes when `stdout_ok`);
    returns the command's project path, which the writers are given too."""
    from workbench.fsutil import check_output, is_stdout

    proj_path = guarded_project(ctx, project)
    if output is not None and not (stdout_ok and is_stdout(output)):
        check_output(output, project=proj_path, what=what)
    return proj_path


PseudonymiseOpt = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help="Replace every accepted identifier by its stand-in (see `workbench pseudonyms`).",
    ),
]


@export_app.command("excerpts")
def excerpts_cmd(
    ctx: typer.Context,
    output: Annotated[str, typer.Option("-o", "--output", help="Output .csv (- for stdout)")],
    code: Annotated[
        list[str] | None,
        typer.Option("--code", help="Only this code and its descendants (repeatable)."),
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE attribute filter (repeatable).")
    ] = None,
    coder: Annotated[str | None, typer.Option(help="Only this coder's codings.")] = None,
    pseudonymise: PseudonymiseOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Coded excerpts, one row per coding (CONTRACT §5 columns, then attr:NAME columns)."""
    from workbench.fsutil import is_stdout
    from workbench.services.excerpts import excerpts, write_excerpts_csv
    from workbench.services.where import parse_where

    proj_path = check_target(ctx, project, output, stdout_ok=True)
    conds = parse_where(where)
    if pseudonymise:
        with project_session(ctx, project) as proj, proj.read() as conn:
            from workbench.pseudonyms import apply, require_replacer

            rows = apply.excerpts(
                conn, excerpts(conn, codes=code, where=conds, coder=coder), require_replacer(conn)
            )
    else:
        with reading(ctx, project) as conn:
            rows = excerpts(conn, codes=code, where=conds, coder=coder)
    n = write_excerpts_csv(rows, output, project=proj_path, stdout_ok=True)
    if is_stdout(output):
        info(f"wrote {n} excerpts to stdout")
    else:
        typer.echo(f"wrote {n} excerpts to {output}")


@export_app.command("qdpx")
def qdpx_cmd(
    ctx: typer.Context,
    output: Annotated[str, typer.Option("-o", "--output", help="Output .qdpx")],
    pseudonymise: PseudonymiseOpt = False,
    project: ProjectOpt = None,
) -> None:
    """REFI-QDA project export (.qdpx)."""
    from workbench.exchange.refi.qdpx_export import export_qdpx

    check_target(ctx, project, output, stdout_ok=False, what="a .qdpx archive (binary)")
    with project_session(ctx, project) as proj:
        for line in export_qdpx(proj, output, pseudonymise=pseudonymise):
            typer.echo(line)
