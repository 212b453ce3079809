"""agreement: inter-coder agreement per code and overall."""

from __future__ import annotations

import sys
from contextlib import nullcontext, redirect_stdout
from typing import Annotated

import typer

from workbench.cli import app
from workbench.cli.common import (
    ProjectOpt,
    TableFormat,
    print_csv,
    print_json,
    print_table,
    project_session,
)
from workbench.errors import CheckFailed, WorkbenchError

DISAGREEMENT_COLUMNS = (
    "document",
    "segment",
    "speaker",
    "start",
    "end",
    "code",
    "applied_by",
    "missing_from",
    "text",
    "settled",
)


def _num(x: float | None) -> float | str:
    return "" if x is None else round(x, 4)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


@app.command()
def agreement(
    ctx: typer.Context,
    coder: Annotated[
        list[str], typer.Option("--coder", help="Give exactly two: --coder A --coder B")
    ],
    unit: Annotated[
        str, typer.Option(help="segment (each segment x code) or character")
    ] = "segment",
    format: Annotated[
        TableFormat, typer.Option("--format", help="table, csv or json")
    ] = TableFormat.table,
    min: Annotated[
        float | None, typer.Option("--min", help="Exit 1 when overall kappa is below this.")
    ] = None,
    code: Annotated[list[str] | None, typer.Option("--code", help="Only these codes.")] = None,
    disagreements: Annotated[
        str | None,
        typer.Option(
            help="Write the disagreement list (segment unit) to this CSV (- for stdout: the "
            "table then goes to stderr)."
        ),
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Cohen's kappa, Krippendorff's alpha and percent agreement, per code and overall."""
    from workbench.analysis.agreement import compute_agreement
    from workbench.cli.export_cmds import check_target
    from workbench.fsutil import is_stdout

    if len(coder) != 2:
        raise WorkbenchError("give exactly two coders: --coder A --coder B")
    to_stdout = is_stdout(disagreements)
    if to_stdout and format is not TableFormat.table:
        raise WorkbenchError(
            f"--disagreements - and --format {format.value} both want stdout; "
            "write the disagreements to a file"
        )
    proj_path = check_target(ctx, project, disagreements, stdout_ok=True)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            result = compute_agreement(conn, coder[0], coder[1], unit=unit, codes=code)
            texts = {}
            settled: dict[tuple[int, int, str], str] = {}
            if disagreements is not None:
                from workbench.services.documents import document_text
                from workbench.services.resolve import list_resolutions

                code_names = {c.code_id: c.code for c in result.per_code}
                settled = {
                    (r.document_id, r.segment, code_names.get(r.code_id, "")): r.describe()
                    for r in list_resolutions(conn, *result.coders)
                }

                texts = {
                    u.document_id: document_text(conn, u.document_id)
                    for u, _, _ in result.disagreements
                }
    if disagreements is not None:
        from workbench.csvsafe import write_csv

        a, b = result.coders
        rows = [
            [
                u.document,
                u.segment,
                u.speaker or "",
                u.start,
                u.end,
                code_name,
                who,
                b if who == a else a,
                texts[u.document_id][u.start : u.end],
                settled.get((u.document_id, u.segment, code_name), ""),
            ]
            for u, code_name, who in result.disagreements
        ]
        write_csv(disagreements, DISAGREEMENT_COLUMNS, rows, project=proj_path, stdout_ok=True)
        where = "stdout" if to_stdout else disagreements
        typer.echo(f"wrote {len(rows)} disagreements to {where}", err=True)
    if format is TableFormat.json:
        print_json(result.to_json())
    else:
        header = [
            "code",
            "kappa",
            "alpha",
            "% agree",
            f"n {result.coders[0]}",
            f"n {result.coders[1]}",
        ]
        rows_t = [
            [c.code, _fmt(c.kappa), _fmt(c.alpha), _fmt(c.percent_agreement), c.count_a, c.count_b]
            for c in [*result.per_code, result.overall]
        ]
        if format is TableFormat.csv:
            rows_n = [  # numbers as numbers, so a spreadsheet can sort and chart them
                [
                    c.code,
                    _num(c.kappa),
                    _num(c.alpha),
                    _num(c.percent_agreement),
                    c.count_a,
                    c.count_b,
                ]
                for c in [*result.per_code, result.overall]
            ]
            print_csv(header, rows_n)
        else:
            title = (
                f"Agreement ({result.unit} unit) over "
                f"{len(result.documents)} documents: {', '.join(result.documents)}"
            )
            with redirect_stdout(sys.stderr) if to_stdout else nullcontext():
                print_table(header, rows_t, title=title)
    if min is not None:
        k = result.overall.kappa
        if k is None or k < min:
            raise CheckFailed(f"overall kappa {_fmt(k)} is below --min {min}")
