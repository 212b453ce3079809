"""suggest: code suggestions per segment from the offline model (docs/suggestions.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import (
    ProjectOpt,
    TableFormat,
    TableJsonFormat,
    info,
    print_csv,
    print_json,
    print_table,
    progress_bar,
    project_session,
)
from workbench.cli.help_format import PLAIN_HELP

COLUMNS = ("document", "segment", "start", "end", "code", "score", "reason")


suggest_app = typer.Typer(**PLAIN_HELP, invoke_without_command=True)
app.add_typer(suggest_app, name="suggest")


@suggest_app.callback()
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
    for review mode); every decision teaches the learner. `workbench suggest train`
    fine-tunes the model on the project's codings (docs/suggestions-quality.md).
    """
    if ctx.invoked_subcommand is not None:
        return
    from workbench.services.codes import CodeTree
    from workbench.services.documents import document_row
    from workbench.suggest.engine import SuggestionEngine

    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            if doc is not None:
                document_row(conn, doc)  # unknown name: a clear error before the model loads
            tree = CodeTree.load(conn)
        # one answer, after every fit (self-training included): no refit thread to race
        engine = SuggestionEngine(proj, background=False)
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


@suggest_app.command("train")
def train(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the held-back passages.")] = 0,
    format: Annotated[
        TableJsonFormat, typer.Option("--format", help="table or json")
    ] = TableJsonFormat.table,
    project: ProjectOpt = None,
) -> None:
    """Fine-tune the model on the project's codings; use it only if it suggests better.

    4 of every 5 coded passages train the model, the 5th is held back: the learner on the
    bundled model and on the tuned one both score it, and the tuned model is used from then
    on only if its micro-F1 is higher. A few minutes for a thousand codings.
    """
    from workbench.suggest.project_tuning import COMPARED, train_project

    with project_session(ctx, project) as proj:
        with progress_bar("fine-tuning") as bar:
            report = train_project(
                proj,
                seed=seed,
                progress=(lambda stage, done, total: bar(done, total, stage)) if bar else None,
            )
    assert report is not None  # nothing cancels from the command line
    if format == TableJsonFormat.json:
        print_json(report.as_json())
        return
    print_table(
        ("measure", "bundled model", "tuned model"),
        [
            (k.replace("_", " "), f"{report.bundled[k]:.3f}", f"{report.tuned[k]:.3f}")
            for k in COMPARED
        ],
        title=f"Held-back check: trained on {report.n_train} coded passages, "
        f"scored {report.n_test}",
    )
    again = " (the same codings were tuned on before: reused)" if report.reused else ""
    info(
        f"fine-tuning: {report.trained_on}, {report.finetune_seconds:.0f} s{again}; "
        f"model in {report.folder}"
    )
    if report.in_use:
        info("the tuned model is better: suggestions use it from now on")
    else:
        info("the tuned model is not better: suggestions keep the bundled model")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
