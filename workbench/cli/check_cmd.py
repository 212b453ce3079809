"""check: is the project whole?"""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, TableJsonFormat, print_json, project_session
from workbench.errors import CheckFailed


@app.command()
def check(
    ctx: typer.Context,
    quick: Annotated[
        bool, typer.Option("--quick", help="SQLite's quick_check instead of the full one.")
    ] = False,
    fmt: Annotated[TableJsonFormat, typer.Option("--format", help="Output format.")] = (
        TableJsonFormat.table
    ),
    project: ProjectOpt = None,
) -> None:
    """Check the project is whole: database integrity, foreign keys, the store's guard
    triggers, every text against its import hash, every coding inside its text, the search
    index. Exit 0 if all is well, else exit 1 with one line per problem."""
    from workbench.services.check import check_project

    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            report = check_project(conn, quick=quick)
    if fmt is TableJsonFormat.json:
        print_json({"ok": report.ok, "problems": report.problems, "checked": report.checked})
        if not report.ok:
            raise typer.Exit(1)
        return
    if not report.ok:
        raise CheckFailed(report.problems[0], report.problems)
    c = report.checked
    typer.echo(
        f"ok: {c['documents']} documents, {c['segments']} segments, {c['codings']} codings, "
        f"{c['memos']} memos"
    )
