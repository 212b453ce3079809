"""code, uncode."""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import ProjectOpt, project_session
from workbench.errors import WorkbenchError

StartOpt = Annotated[int | None, typer.Option("--start", help="Start offset (characters).")]
EndOpt = Annotated[int | None, typer.Option("--end", help="End offset (exclusive).")]
SegOpt = Annotated[int | None, typer.Option("--segment", help="Segment index (see `segments`).")]
CodeOpt = Annotated[str, typer.Option("--code", help="Code name, path (A > B), alias or id.")]
CoderOpt = Annotated[
    str | None, typer.Option("--coder", help="Coder name (default: config, else OS user).")
]


def _span(
    conn, doc_id: int, start: int | None, end: int | None, segment: int | None
) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from workbench.services.coding import segment_span

    if segment is not None:
        if start is not None or end is not None:
            raise WorkbenchError("give either --segment or --start/--end, not both")
        return segment_span(conn, doc_id, segment)
    if start is None or end is None:
        raise WorkbenchError("give --start and --end, or --segment")
    return start, end


@app.command()
def code(
    ctx: typer.Context,
    doc: Annotated[str, typer.Argument(help="Document name.")],
    code: CodeOpt,
    start: StartOpt = None,
    end: EndOpt = None,
    segment: SegOpt = None,
    coder: CoderOpt = None,
    memo: Annotated[str | None, typer.Option(help="Memo on the coding.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Code a span (character offsets, end exclusive) or a whole segment."""
    from workbench.config import default_coder
    from workbench.services.coding import add_coding
    from workbench.services.documents import document_row

    who = default_coder(coder)
    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            row = document_row(conn, doc)
            s, e = _span(conn, row.id, start, end, segment)
            coding, created = add_coding(conn, doc, s, e, code, who, memo=memo)
    verb = "coded" if created else "already coded (no change)"
    typer.echo(f"{verb}: {doc} {s}-{e} {coding.code_id} by {who}")


@app.command()
def uncode(
    ctx: typer.Context,
    doc: Annotated[str, typer.Argument(help="Document name.")],
    code: CodeOpt,
    start: StartOpt = None,
    end: EndOpt = None,
    segment: SegOpt = None,
    coder: CoderOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Remove a coding."""
    from workbench.config import default_coder
    from workbench.services.coding import remove_coding
    from workbench.services.documents import document_row

    who = default_coder(coder)
    with project_session(ctx, project) as proj:
        with proj.begin() as conn:
            row = document_row(conn, doc)
            s, e = _span(conn, row.id, start, end, segment)
            removed = remove_coding(conn, doc, s, e, code, who)
    typer.echo(f"removed: {doc} {s}-{e} {removed.code_id} by {who}")
