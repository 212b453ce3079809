"""Matrices and co-occurrence as tables: terminal rows, formula-safe CSV and .xlsx (header row,
frozen panes, cells as numbers). Everything here formats a `Matrix` or `Cooccurrence`; nothing
counts."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from workbench.analysis.cooccurrence import Cooccurrence
from workbench.analysis.matrix import Matrix, describe_filters
from workbench.errors import WorkbenchError

Grid = tuple[list[str], list[list[object]]]
OUTPUT_SUFFIXES = (".csv", ".xlsx", ".json")


def matrix_grid(m: Matrix, percent: str | None = None) -> Grid:
    """Header and rows: a label column then one number per column (percentages if asked)."""
    values = m.percentages(percent) if percent else m.cells
    first = m.row_dim.spec + (f" ({percent} %)" if percent else "")
    header = [first, *m.col_labels]
    return header, [[r.label, *row] for r, row in zip(m.rows, values, strict=True)]


def matrix_display(m: Matrix, percent: str | None = None) -> Grid:
    """For the terminal: code rows indented, totals, `n (p%)` when percentages are asked."""
    pct = m.percentages(percent) if percent else None

    def show(v: int, p: float | None) -> str:
        return f"{v} ({p:.1f}%)" if p is not None else str(v)

    header = [m.row_dim.spec, *m.col_labels]
    if m.col_dim is not None:
        header.append("total")
    rows: list[list[object]] = []
    for i, r in enumerate(m.rows):
        line: list[object] = ["  " * r.depth + r.label]
        line += [show(v, pct[i][j] if pct else None) for j, v in enumerate(m.cells[i])]
        if m.col_dim is not None:
            line.append(m.row_totals[i])
        rows.append(line)
    if m.col_dim is not None:
        rows.append(["total", *m.col_totals, m.total])
    return header, rows


def cooc_grid(c: Cooccurrence, jaccard: bool = False) -> Grid:
    values = c.jaccard if jaccard else c.cells
    header = ["code" + (" (jaccard)" if jaccard else ""), *c.names]
    return header, [[name, *row] for name, row in zip(c.names, values, strict=True)]


def cooc_pairs(c: Cooccurrence) -> Grid:
    """Every pair of codes applied together at least once, most frequent first; a code and
    its own ancestor (which counts it by roll-up) are not a pair."""
    jac = c.jaccard
    header = ["code", "code", "both", "jaccard", "units A", "units B"]
    rows: list[list[object]] = []
    n = len(c.names)
    ids = [sc.code.id for sc in c.codes]
    for i in range(n):
        for j in range(i + 1, n):
            if ids[i] in c.ancestors.get(ids[j], ()) or ids[j] in c.ancestors.get(ids[i], ()):
                continue
            if c.cells[i][j]:
                rows.append(
                    [
                        c.names[i],
                        c.names[j],
                        c.cells[i][j],
                        f"{jac[i][j]:.3f}",
                        c.cells[i][i],
                        c.cells[j][j],
                    ]
                )
    rows.sort(key=lambda r: (-int(r[2]), str(r[0]), str(r[1])))  # type: ignore[call-overload]
    return header, rows


def output_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise WorkbenchError(f"{path}: -o takes a .csv, .xlsx or .json file")
    return suffix[1:]


def write_csv_grid(path: str | os.PathLike[str], grid: Grid) -> int:
    from workbench.csvsafe import write_csv

    header, rows = grid
    return write_csv(path, header, rows)


def write_xlsx(
    path: str | os.PathLike[str],
    sheets: Sequence[tuple[str, Grid, list[int] | None]],
    about: list[tuple[str, str]],
) -> None:
    """One sheet per grid (title, (header, rows), indent per row or None), then `about`."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from workbench.fsutil import atomic_write_bytes

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for title, (header, rows), indents in sheets:
        ws = wb.create_sheet(title[:31])
        for j, h in enumerate(header, start=1):
            _put(ws.cell(row=1, column=j), h).font = bold
        for i, row in enumerate(rows, start=2):
            for j, v in enumerate(row, start=1):
                cell = _put(ws.cell(row=i, column=j), v)
                if j == 1:
                    cell.font = bold
                    if indents and indents[i - 2]:
                        cell.alignment = Alignment(indent=indents[i - 2])
        ws.freeze_panes = "B2"
        label_width = max(
            [len(str(r[0])) + 2 * (max(indents) if indents else 0) for r in rows] or [10]
        )
        ws.column_dimensions["A"].width = min(60, max(12, label_width + 2))
        for j, h in enumerate(header[1:], start=2):
            ws.column_dimensions[get_column_letter(j)].width = min(30, max(8, len(str(h)) + 2))
    info = wb.create_sheet("about")
    for i, (k, v) in enumerate(about, start=1):
        _put(info.cell(row=i, column=1), k).font = bold
        _put(info.cell(row=i, column=2), v)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())


def _put(cell, value: object):  # type: ignore[no-untyped-def]
    """Numbers as numbers; text as text, never a formula (a leading = stays literal)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
        return cell
    text = "" if value is None else str(value)
    cell.value = text
    if text.startswith(("=", "+", "-", "@")):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def matrix_about(m: Matrix, project: str) -> list[tuple[str, str]]:
    return [
        ("what", m.title()),
        ("rows", m.row_dim.spec),
        ("columns", m.col_dim.spec if m.col_dim else ""),
        ("count", m.count),
        ("filters", describe_filters(m.filters) or "none"),
        ("project", project),
        ("total", str(m.total)),
    ]


def write_matrix_file(path: Path, m: Matrix, percent: str | None, project: str) -> str:
    """Write a matrix to .csv, .xlsx or .json (by extension); returns what was written."""
    import json

    kind = output_kind(path)
    if kind == "csv":
        write_csv_grid(path, matrix_grid(m, percent))
    elif kind == "json":
        from workbench.fsutil import atomic_write

        with atomic_write(path) as fh:
            fh.write(json.dumps(m.to_json(percent), ensure_ascii=False, indent=2) + "\n")
    else:
        indents = [r.depth for r in m.rows]
        sheets: list[tuple[str, Grid, list[int] | None]] = [(m.count, matrix_grid(m), indents)]
        if percent:
            sheets.append((f"{percent} %", matrix_grid(m, percent), indents))
        write_xlsx(path, sheets, matrix_about(m, project))
    return f"wrote {len(m.rows)} x {len(m.cols)} matrix ({m.count}) to {path}"


def write_cooc_file(path: Path, c: Cooccurrence, jaccard: bool, project: str) -> str:
    import json

    kind = output_kind(path)
    if kind == "csv":
        write_csv_grid(path, cooc_grid(c, jaccard))
    elif kind == "json":
        from workbench.fsutil import atomic_write

        with atomic_write(path) as fh:
            fh.write(json.dumps(c.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        indents = [sc.depth for sc in c.codes]
        about = [
            ("what", c.title()),
            ("unit", c.unit),
            ("filters", describe_filters(c.filters) or "none"),
            ("project", project),
        ]
        write_xlsx(
            path,
            [("counts", cooc_grid(c), indents), ("jaccard", cooc_grid(c, True), indents)],
            about,
        )
    return f"wrote {len(c.codes)} x {len(c.codes)} co-occurrence ({c.unit}s) to {path}"
