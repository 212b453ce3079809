"""matrix, cooccurrence, chart, report: analysis on the command line (CONTRACT §9)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli import app
from workbench.cli.common import (
    ProjectOpt,
    TableFormat,
    print_csv,
    print_json,
    project_session,
)
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.analysis.units import Filters

CodeOpt = Annotated[
    list[str] | None,
    typer.Option("--code", help="Only this code and its descendants (repeatable)."),
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option("--where", help="KEY=VALUE attribute filter (repeatable; same key: OR)."),
]
CoderOpt = Annotated[str | None, typer.Option("--coder", help="Only this coder's codings.")]
DepthOpt = Annotated[
    int | None,
    typer.Option("--depth", help="Code rows at most N levels down (1: top-level codes only)."),
]
CountOpt = Annotated[
    str,
    typer.Option("--count", help="codings, segments, documents or characters."),
]
FormatOpt = Annotated[TableFormat, typer.Option("--format", help="table, csv or json")]


class ChartKind(StrEnum):
    matrix = "matrix"
    frequency = "frequency"
    cooccurrence = "cooccurrence"


def _filters(
    code: list[str] | None, where: list[str] | None, coder: str | None, depth: int | None
) -> Filters:
    from workbench.analysis.units import Filters
    from workbench.services.documents import parse_where

    return Filters(
        codes=tuple(code or ()), where=tuple(parse_where(where)), coder=coder, depth=depth
    )


def show_table(header: list[str], rows: list[list[object]], title: str, labels: int = 1) -> None:
    """A table on stdout: label columns unwrapped, numbers right-aligned; piped to a file it is
    as wide as it needs to be rather than wrapped at 80 columns."""
    from rich.console import Console
    from rich.table import Table

    table = Table(header_style="bold")
    for j, h in enumerate(header):
        if j < labels:
            table.add_column(str(h), no_wrap=True)
        else:
            table.add_column(str(h), justify="right", overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console = Console()
    if not console.is_terminal:
        natural = Console(width=100_000).measure(table).maximum
        console = Console(width=max(80, natural, len(title)))
    console.print(title, style="bold", highlight=False, soft_wrap=True)
    console.print(table)


@app.command()
def matrix(
    ctx: typer.Context,
    rows: Annotated[str, typer.Option("--rows", help="code, document, coder or attr:KEY")],
    cols: Annotated[str, typer.Option("--cols", help="code, document, coder or attr:KEY")],
    count: CountOpt = "codings",
    code: CodeOpt = None,
    where: WhereOpt = None,
    coder: CoderOpt = None,
    depth: DepthOpt = None,
    percent: Annotated[
        str | None, typer.Option("--percent", help="row or col: also show percentages.")
    ] = None,
    format: FormatOpt = TableFormat.table,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write .csv, .xlsx or .json.")
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Cross-tabulate codings ("matrix coding"): rows x columns, one count per cell."""
    from workbench.analysis.matrix import PERCENTS, count_matrix
    from workbench.analysis.tables import (
        matrix_display,
        matrix_grid,
        output_kind,
        write_matrix_file,
    )

    if percent is not None and percent not in PERCENTS:
        raise WorkbenchError(f"--percent {percent}: must be row or col")
    if output is not None:
        output_kind(output)
    filters = _filters(code, where, coder, depth)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            m = count_matrix(conn, rows, cols, count=count, filters=filters)
    if output is not None:
        typer.echo(write_matrix_file(output, m, percent, proj.path.name))
    elif format is TableFormat.json:
        print_json(m.to_json(percent))
    elif format is TableFormat.csv:
        print_csv(*matrix_grid(m, percent))
    else:
        show_table(*matrix_display(m, percent), title=m.title())


@app.command()
def cooccurrence(
    ctx: typer.Context,
    code: CodeOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="segment or document")] = "segment",
    coder: CoderOpt = None,
    where: WhereOpt = None,
    depth: DepthOpt = None,
    jaccard: Annotated[
        bool, typer.Option("--jaccard", help="Table and CSV show the Jaccard index.")
    ] = False,
    format: FormatOpt = TableFormat.table,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write .csv, .xlsx or .json.")
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """How often two codes are applied to the same segment (or document), with Jaccard."""
    from workbench.analysis.cooccurrence import cooccurrence as compute
    from workbench.analysis.tables import cooc_grid, cooc_pairs, output_kind, write_cooc_file

    if output is not None:
        output_kind(output)
    filters = _filters(code, where, coder, depth)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            c = compute(conn, unit=unit, filters=filters)
    if output is not None:
        typer.echo(write_cooc_file(output, c, jaccard, proj.path.name))
    elif format is TableFormat.json:
        print_json(c.to_json())
    elif format is TableFormat.csv:
        print_csv(*cooc_grid(c, jaccard))
    elif len(c.codes) <= 12:
        show_table(*cooc_grid(c, jaccard), title=c.title())
    else:
        typer.echo(
            f"{len(c.codes)} codes: listing the pairs applied together (the full matrix: "
            "--format csv or -o FILE.xlsx; fewer codes: --code or --depth)",
            err=True,
        )
        show_table(*cooc_pairs(c), title=c.title(), labels=2)


@app.command()
def chart(
    ctx: typer.Context,
    kind: Annotated[ChartKind, typer.Argument(help="matrix, frequency or cooccurrence")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Write .png or .svg.")],
    rows: Annotated[
        str | None, typer.Option("--rows", help="matrix: code, document, coder or attr:KEY")
    ] = None,
    cols: Annotated[
        str | None, typer.Option("--cols", help="matrix: code, document, coder or attr:KEY")
    ] = None,
    count: CountOpt = "codings",
    code: CodeOpt = None,
    where: WhereOpt = None,
    coder: CoderOpt = None,
    depth: DepthOpt = None,
    unit: Annotated[
        str, typer.Option("--unit", help="cooccurrence: segment or document")
    ] = "segment",
    jaccard: Annotated[
        bool, typer.Option("--jaccard", help="cooccurrence: colour by the Jaccard index.")
    ] = False,
    percent: Annotated[
        str | None, typer.Option("--percent", help="matrix: colour by row or col percentage.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Replace the chart title.")] = None,
    project: ProjectOpt = None,
) -> None:
    """The same figures as a chart for a paper (.png at 300 dpi, or .svg)."""
    from workbench.analysis import charts
    from workbench.analysis.cooccurrence import cooccurrence as compute
    from workbench.analysis.matrix import count_matrix

    fmt = charts.chart_format(output)
    if kind is ChartKind.matrix and (rows is None or cols is None):
        raise WorkbenchError("chart matrix needs --rows and --cols")
    filters = _filters(code, where, coder, depth)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            if kind is ChartKind.cooccurrence:
                cooc = compute(conn, unit=unit, filters=filters)
            else:
                mat = count_matrix(
                    conn,
                    rows or "code",
                    cols if kind is ChartKind.matrix else None,
                    count=count,
                    filters=filters,
                )
    if kind is ChartKind.cooccurrence:
        image = charts.cooccurrence_chart(cooc, fmt, jaccard=jaccard, title=title)
    elif kind is ChartKind.frequency:
        image = charts.frequency_chart(mat, fmt, title=title)
    else:
        image = charts.matrix_chart(mat, fmt, percent=percent, title=title)
    from workbench.fsutil import atomic_write_bytes

    atomic_write_bytes(output, image)
    typer.echo(f"wrote {kind.value} chart to {output}")


@app.command()
def report(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Write .docx, .md or .html.")],
    code: CodeOpt = None,
    where: WhereOpt = None,
    coder: CoderOpt = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Count by: attr:KEY, document or coder (default attr:role if present, "
            "else document; 'none' for no counts).",
        ),
    ] = None,
    count: CountOpt = "codings",
    pseudonymise: Annotated[
        bool, typer.Option("--pseudonymise", help="Replace accepted identifiers (CONTRACT §10).")
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """A theme report: per code its definition, counts and every excerpt, with memos."""
    from workbench.analysis.report import build_report, report_format, write_report

    fmt = report_format(output)
    filters = _filters(code, where, coder, None)
    with project_session(ctx, project) as proj:
        with proj.read() as conn:
            rep = build_report(
                conn, filters, by=by, count=count, project=proj.path.stem, pseudonymise=pseudonymise
            )
    write_report(rep, output, fmt)
    typer.echo(f"wrote report: {rep.summary()} to {output}")
