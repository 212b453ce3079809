"""init, import, attributes, documents, segments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli import app
from workbench.cli.common import (
    ProjectOpt,
    TableFormat,
    TableJsonFormat,
    get_project,
    info,
    print_csv,
    print_json,
    print_table,
    progress_bar,
    project_path,
    project_session,
)
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from sqlalchemy import Connection


@app.command()
def init(ctx: typer.Context, project: ProjectOpt = None) -> None:
    """Create an empty project."""
    from workbench.store.db import resolve_project_path, server_url

    raw = project_path(ctx, project)
    if server_url(raw) is not None:  # a server database: set up if empty, never overwritten
        with project_session(ctx, project, create=True) as proj:
            typer.echo(f"server project {proj.label} is ready")
        return
    path = resolve_project_path(raw)
    if path.exists():
        raise WorkbenchError(f"{path}: already exists (a project is never overwritten)")
    get_project(ctx, project, create=True).close()
    typer.echo(f"created project {path}")


def _import_qdpx(conn: Connection, path: Path, merge: bool, skip_unreadable: bool) -> list[str]:
    """A REFI-QDA project into the import's transaction (exchange is loaded only for one)."""
    from workbench.exchange.refi.qdpx_import import import_qdpx_into

    return import_qdpx_into(conn, path, allow_merge=merge, skip_unreadable=skip_unreadable)


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Files: .txt .md .docx .vtt .srt .csv .qdpx, "
            "a codings .csv or another project's .sqlite."
        ),
    ],
    kind: Annotated[str | None, typer.Option(help="interview | field-notes | survey")] = None,
    attr: Annotated[
        list[str] | None,
        typer.Option("--attr", help="KEY=VALUE attribute for the imported documents (repeatable)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Document name (one file only; default: file name without extension)."),
    ] = None,
    text_column: Annotated[
        str | None, typer.Option(help="Survey CSV: column with the answers.")
    ] = None,
    id_column: Annotated[str | None, typer.Option(help="Survey CSV: respondent id column.")] = None,
    replace: Annotated[
        bool,
        typer.Option(
            help="Replace a changed document of the same name (refused while it has codings)."
        ),
    ] = False,
    merge: Annotated[
        bool, typer.Option("--merge", help="Allow a .qdpx into a non-empty project.")
    ] = False,
    coder: Annotated[
        str | None, typer.Option(help="Codings files: coder for rows without one.")
    ] = None,
    skip_unreadable: Annotated[
        bool,
        typer.Option(
            "--skip-unreadable",
            help=".qdpx: import the rest when a source with codings cannot be read (the "
            "summary names every source dropped and its codings).",
        ),
    ] = False,
    case: Annotated[
        str | None,
        typer.Option(
            "--case",
            help="The case (participant, site) the documents belong to; they take its "
            "attributes from `workbench attributes` (default: the document's own name).",
        ),
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Import documents (one line per document: name, kind, segment count)."""
    from workbench.config import load_config
    from workbench.services.importing import ImportRequest, import_files, parse_attr_options

    req = ImportRequest(
        paths=list(files),
        kind=kind,
        name=name,
        attributes=parse_attr_options(attr),
        text_column=text_column,
        id_column=id_column,
        replace=replace,
        max_bytes=load_config().max_import_bytes,
        allow_merge=merge,
        coder=coder,
        case=case,
        skip_unreadable=skip_unreadable,
    )
    with project_session(ctx, project, create=True) as proj:
        with progress_bar("importing", enabled=len(files) > 1) as update:
            lines = import_files(proj, req, progress=update, project_importer=_import_qdpx)
    for line in lines:
        typer.echo(line)


@app.command()
def attributes(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (commas, semicolons or tabs; UTF-8, UTF-16 or Windows-1252) or .xlsx: "
            "first column document (or case) name, other columns attribute names."
        ),
    ],
    strict: Annotated[
        bool,
        typer.Option("--strict", help="A row naming no document is an error (nothing changed)."),
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Set attributes from a CSV file or Excel workbook. A row for a document not imported
    yet is kept as the attributes of a case of that name and applied when it arrives."""
    from workbench.services.importing import set_attributes_from_csv

    with project_session(ctx, project) as proj:
        for line in set_attributes_from_csv(proj, file, strict=strict):
            typer.echo(line)


@app.command()
def cases(
    ctx: typer.Context,
    fmt: Annotated[TableJsonFormat, typer.Option("--format", help="Output format.")] = (
        TableJsonFormat.table
    ),
    project: ProjectOpt = None,
) -> None:
    """List cases (from `workbench attributes`): their attributes and their documents."""
    from workbench.services.cases import list_cases

    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            found = list_cases(conn)
    if fmt is TableJsonFormat.json:
        print_json(
            [{"case": c.name, "attributes": c.attributes, "documents": c.documents} for c in found]
        )
        return
    keys = sorted({k for c in found for k in c.attributes})
    print_table(
        ["Case", "Documents", *keys],
        [
            [
                c.name,
                ", ".join(c.documents) or "(waiting)",
                *(c.attributes.get(k, "") for k in keys),
            ]
            for c in found
        ],
    )


@app.command()
def documents(
    ctx: typer.Context,
    where: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE attribute filter (repeatable; `kind=` works too)."),
    ] = None,
    format: Annotated[
        TableFormat, typer.Option("--format", help="table, csv or json")
    ] = TableFormat.table,
    project: ProjectOpt = None,
) -> None:
    """List documents with kind, attributes, segment and coding counts."""
    from workbench.services.documents import list_documents, parse_where

    conds = parse_where(where)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            docs = list_documents(conn, conds)
    keys = sorted({k for d in docs for k in d.attributes})
    if format is TableFormat.json:
        print_json(
            [
                {
                    "name": d.name,
                    "kind": d.kind,
                    "case": d.case,
                    "source": d.source_name,
                    "imported_at": d.imported_at,
                    "characters": d.length,
                    "segments": d.segments,
                    "codings": d.codings,
                    "attributes": d.attributes,
                }
                for d in docs
            ]
        )
        return
    # the case column only where some document belongs to a case of another name
    cased = any(d.case != d.name for d in docs)
    header = ["name", "kind", *(["case"] if cased else []), "segments", "codings", *keys]
    rows = [
        [
            d.name,
            d.kind,
            *([d.case] if cased else []),
            d.segments,
            d.codings,
            *(d.attributes.get(k, "") for k in keys),
        ]
        for d in docs
    ]
    if format is TableFormat.csv:
        print_csv(header, rows)
    else:
        print_table(header, rows, title=f"{len(docs)} documents")


@app.command()
def segments(
    ctx: typer.Context,
    doc: Annotated[str, typer.Argument(help="Document name.")],
    format: Annotated[
        TableJsonFormat, typer.Option("--format", help="table or json")
    ] = TableJsonFormat.table,
    level: Annotated[
        str | None, typer.Option(help="Only this level: turn, entry, response, sentence.")
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """A document's segments: index, level, speaker, timestamp, start, end, text."""
    from workbench.services.documents import document_row, get_segments

    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            row = document_row(conn, doc)
            segs = get_segments(conn, row.id, (level,) if level else None)
    if format is TableJsonFormat.json:
        print_json(
            [
                {
                    "index": sg.idx,
                    "level": sg.level,
                    "speaker": sg.speaker,
                    "timestamp": sg.timestamp,
                    "start": sg.start,
                    "end": sg.end,
                    "text": sg.text,
                }
                for sg in segs
            ]
        )
        return
    print_table(
        ["index", "level", "speaker", "timestamp", "start", "end", "text"],
        [
            [
                sg.idx,
                sg.level,
                sg.speaker or "",
                sg.timestamp or "",
                sg.start,
                sg.end,
                sg.text if len(sg.text) <= 160 else sg.text[:157] + "...",
            ]
            for sg in segs
        ],
        title=f"{doc}: {len(segs)} segments",
    )
    info("(text longer than 160 characters is shortened here; --format json gives it whole)")
