"""search: find passages by words (the full-text index) or by meaning (the embedder)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import (
    ProjectOpt,
    TableFormat,
    print_csv,
    print_json,
    print_table,
    progress_bar,
    project_session,
)
from workbench.errors import WorkbenchError

COLUMNS = ("document", "segment", "speaker", "start", "end", "score", "text")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help='Words, "a phrase", or (with --meaning) a description')
    ],
    meaning: Annotated[
        bool,
        typer.Option("--meaning", help="Search by meaning with the local embedding model."),
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many passages.")] = 20,
    format: Annotated[
        TableFormat, typer.Option("--format", help="table, csv or json")
    ] = TableFormat.table,
    pseudonymise: Annotated[
        bool,
        typer.Option("--pseudonymise", help="Replace every accepted identifier by its stand-in."),
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Passages (turns, entries, responses) matching QUERY, best first."""
    from workbench.services.segment_hits import full_text_search, segment_hits

    if not query.strip():
        raise WorkbenchError("the search query is empty")
    with project_session(ctx, project) as proj:
        if meaning:
            from workbench.suggest.similar import similar_passages

            with progress_bar("embedding passages") as bar:
                found = similar_passages(
                    proj,
                    query=query,
                    limit=limit,
                    progress=(lambda d, t: bar(d, t)) if bar else None,
                )
            with proj.read() as conn:
                hits = segment_hits(conn, [(h.segment_id, round(h.score, 4)) for h in found])
        else:
            with proj.read() as conn:
                # bm25 is lower-is-better; show it as a positive relevance
                hits = [replace(h, score=-h.score) for h in full_text_search(conn, query, limit)]
        if pseudonymise:
            from workbench.pseudonyms import require_replacer

            with proj.read() as conn:
                rep = require_replacer(conn)
            hits = [
                replace(
                    h,
                    document=rep(h.document),
                    speaker=None if h.speaker is None else rep(h.speaker),
                    text=rep(h.text),
                )
                for h in hits
            ]
    rows = [
        (h.document, h.idx, h.speaker or "", h.start, h.end, round(h.score, 4), h.text)
        for h in hits
    ]
    if format is TableFormat.json:
        print_json([dict(zip(COLUMNS, r, strict=True)) for r in rows])
    elif format is TableFormat.csv:
        print_csv(COLUMNS, rows)
    else:
        short = [(*r[:-1], r[-1] if len(r[-1]) <= 160 else r[-1][:159] + "…") for r in rows]
        print_table(COLUMNS, short, title=f"{len(rows)} passages")
