"""suggest: code suggestions per segment from the offline model (docs/suggestions.md)."""

from __future__ import annotations

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

COLUMNS = ("document", "segment", "start", "end", "code", "score", "reason")


@app.command()
def suggest(
    ctx: typer.Context,
    doc: Annotated[
        str | None, typer.Option("--doc", help="Only this document (default: all).")
    ] = None,
    top_k: Annotated[
        int, typer.Option("--top-k", min=1, help="At most this many codes per segment.")
    ] = 3,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help="Show codes scoring at least this (default: each code's own threshold).",
        ),
    ] = None,
    format: Annotated[
        TableFormat, typer.Option("--format", help="table, csv or json")
    ] = TableFormat.table,
    project: ProjectOpt = None,
) -> None:
    """Suggest codes for each segment (turn, entry, response) with a score and a reason.

    Codes already applied to a segment, and suggestions rejected for it, are left out.
    Accept or reject suggestions in the TUI (`workbench tui`: t on the coding screen, or F4
    for review mode); every decision teaches the learner.
    """
    from workbench.services.codes import CodeTree
    from workbench.services.documents import document_row
    from workbench.suggest.engine import SuggestionEngine

    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            if doc is not None:
                document_row(conn, doc)  # unknown name: a clear error before the model loads
            tree = CodeTree.load(conn)
        engine = SuggestionEngine(proj)
        try:
            with progress_bar("embedding") as bar:
                engine.prepare(
                    (lambda done, total: bar(done, total)) if bar else None, document=doc
                )
            results = engine.suggest(doc, top_k=top_k, min_score=min_score)
        finally:
            engine.close()

    records = [
        {
            "document": s.document,
            "segment": unit.idx,
            "start": s.start,
            "end": s.end,
            "code": tree.codes[s.code_id].name if s.code_id in tree.codes else s.code_id,
            "score": round(s.score, 4),
            "reason": s.reason,
        }
        for unit, items in results
        for s in items
    ]
    if format == TableFormat.json:
        print_json(records)
    elif format == TableFormat.csv:
        print_csv(COLUMNS, [[r[c] for c in COLUMNS] for r in records])
    else:
        passages = {(u.document, u.idx): u.text for u, _ in results}
        print_table(
            ("document", "segment", "passage", "code", "score", "reason"),
            [
                (
                    r["document"],
                    r["segment"],
                    _short(passages[(r["document"], r["segment"])]),
                    r["code"],
                    f"{r['score']:.2f}",
                    r["reason"],
                )
                for r in records
            ],
            title=f"{len(records)} suggestions",
        )


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
