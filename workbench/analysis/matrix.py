"""Matrix coding: one function, `count_matrix`, turns (filters, rows, columns, what to count)
into a table. The CLI's tables, CSV, JSON and spreadsheets, the charts and the theme report's
counts all come from it (docs/analysis.md has the definitions).

What is counted in a cell, over the codings that fall in it:
- `codings`: how many codings (a parent row counts its descendants' codings);
- `segments`: distinct lowest-level segments the codings overlap;
- `documents`: distinct documents;
- `characters`: coded characters, overlapping codings of one code counted once (the union of
  their spans; in a code row the code's subtree counts as one code).
A parent and its child applied to the same passage count once for the parent at the
segments, documents and characters counts, twice at the codings count.
Totals are the same count over a whole row, a whole column or everything (so a segment coded
by two coders is one segment in the row total), and percentages are shares of those totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from workbench.analysis.units import (
    NONE_LABEL,
    Dimension,
    Filters,
    Scope,
    natural_key,
    parse_dimension,
)
from workbench.errors import WorkbenchError

COUNTS = ("codings", "segments", "documents", "characters")
PERCENTS = ("row", "col")
COUNT_TITLES = {
    "codings": "Codings",
    "segments": "Coded segments",
    "documents": "Documents",
    "characters": "Coded characters",
}


@dataclass(frozen=True)
class Label:
    key: object  # code id, document id, coder, attribute value (None: no value), or 0
    label: str
    depth: int = 0
    color: str | None = None


@dataclass
class Matrix:
    rows: list[Label]
    cols: list[Label]
    count: str
    row_dim: Dimension
    col_dim: Dimension | None
    cells: list[list[int]]
    row_totals: list[int]
    col_totals: list[int]
    total: int
    filters: Filters = field(default_factory=Filters)

    @property
    def row_labels(self) -> list[str]:
        return [r.label for r in self.rows]

    @property
    def col_labels(self) -> list[str]:
        return [c.label for c in self.cols]

    def percentages(self, by: str) -> list[list[float]]:
        """Each cell as a percentage of its row's (`row`) or column's (`col`) total."""
        if by not in PERCENTS:
            raise WorkbenchError(f"--percent {by}: must be row or col")
        out = []
        for i, row in enumerate(self.cells):
            line = []
            for j, v in enumerate(row):
                base = self.row_totals[i] if by == "row" else self.col_totals[j]
                line.append(round(100.0 * v / base, 1) if base else 0.0)
            out.append(line)
        return out

    def to_json(self, percent: str | None = None) -> dict[str, object]:
        """Exactly the CONTRACT §9 shape; `--percent` adds `percent` and `percentages`."""
        out: dict[str, object] = {
            "rows": self.row_labels,
            "cols": self.col_labels,
            "count": self.count,
            "cells": self.cells,
        }
        if percent:
            out["percent"] = percent
            out["percentages"] = self.percentages(percent)
        return out

    def title(self) -> str:
        what = COUNT_TITLES[self.count]
        if self.col_dim is None:
            return f"{what} per {self.row_dim.title}"
        return f"{what}: {self.row_dim.title} × {self.col_dim.title}"


def describe_filters(filters: Filters) -> str:
    """'code Responsibility; role=staff; coder alice' for titles and report headers."""
    parts = []
    if filters.codes:
        parts.append("code " + ", ".join(filters.codes))
    parts.extend(f"{k}={v}" for k, v in filters.where)
    if filters.coder:
        parts.append(f"coder {filters.coder}")
    if filters.depth:
        parts.append(f"depth {filters.depth}")
    return "; ".join(parts)


def _key_expr(dim: Dimension | None, slot: int) -> str:
    """A dimension's key on `cod` (the code dimension: the coding's own code, rolled up later)."""
    if dim is None:
        return "0"
    if dim.kind == "code":
        return "cod.code_id"
    if dim.kind == "document":
        return "cod.document_id"
    if dim.kind == "coder":
        return "cod.coder"
    return f"cod.a{slot}"


def _measure(count: str, source: str, keys: list[str], pk: str, g: int) -> str:
    """One grouping's SELECT: (g, row key, column key, value). `keys` are the grouped key
    columns by position (None: not grouped, NULL in the output; portable: no constant GROUP
    BY); `pk` is the code a characters union is taken per."""
    grouped = [k for k in keys if k]
    out_keys = ", ".join(k or "NULL" for k in keys)
    group = f" GROUP BY {', '.join(grouped)}" if grouped else ""
    if count == "codings":
        return f"SELECT {g}, {out_keys}, SUM(n) FROM {source}{group}"
    if count in ("documents", "segments"):
        return f"SELECT {g}, {out_keys}, COUNT(DISTINCT unit) FROM {source}{group}"
    # Union of intervals in one sweep by start: each span adds what lies beyond the furthest
    # end seen before it in its partition.
    part = ", ".join([*grouped, pk, "document_id"])
    sweep = (
        f"SELECT {', '.join([*grouped, 's', 'e']) if grouped else 's, e'}, MAX(e) OVER"
        f" (PARTITION BY {part} ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1"
        f" PRECEDING) AS pm FROM {source}"
    )
    gain = "CASE WHEN pm IS NULL OR pm <= s THEN e - s WHEN pm < e THEN e - pm ELSE 0 END"
    return f"SELECT {g}, {out_keys}, SUM({gain}) FROM ({sweep}) sw{group}"


def matrix_sql(scope: Scope, row_dim: Dimension, col_dim: Dimension | None, count: str) -> str:
    """The one statement behind a matrix: cells (g=0), row totals (1), column totals (2) and
    the grand total (3), as rows (g, row key, column key, value).

    The filtered codings are first reduced to what the count needs, per coding's own code
    (`u`: coding counts, distinct units, or spans); only then is a code dimension rolled up
    through the code closure (`x`), so the roll-up multiplies a small table."""
    dims = [d for d in (row_dim, col_dim) if d is not None]
    keys = [d.key for d in dims if d.kind == "attr"]
    slots = {id(d): keys.index(d.key) for d in dims if d.kind == "attr"}  # type: ignore[arg-type]
    rk = _key_expr(row_dim, slots.get(id(row_dim), 0))
    ck = _key_expr(col_dim, slots.get(id(col_dim), 0)) if col_dim else "0"
    row_code = row_dim.kind == "code"
    col_code = col_dim is not None and col_dim.kind == "code"
    ctes = [scope.codings_cte(keys)]  # type: ignore[arg-type]
    base = f"cod.code_id AS code_id, {rk} AS rk, {ck} AS ck"
    if count == "codings":
        by = ", ".join(k for k in ("cod.code_id", rk, ck) if k != "0")
        u = f"SELECT {base}, COUNT(*) AS n FROM cod GROUP BY {by}"
    elif count == "documents":
        u = f"SELECT DISTINCT {base}, cod.document_id AS unit FROM cod"
    elif count == "segments":
        carry = (
            "src.code_id AS code_id",
            f"{rk.replace('cod.', 'src.')} AS rk",
            f"{ck.replace('cod.', 'src.')} AS ck",
        )
        ctes.append(scope.segments_cte("cod", carry))
        u = "SELECT DISTINCT code_id, rk, ck, segment_id AS unit FROM cseg"
    else:
        u = f"SELECT {base}, cod.document_id AS document_id, cod.s AS s, cod.e AS e FROM cod"
    ctes.append(f"u AS MATERIALIZED ({u})")
    if row_code or col_code:
        ctes.insert(0, scope.closure_cte())
        shown = [sc.code.id for sc in scope.shown_codes()]
        anc = scope.param_list(shown)
        ctes.append(
            "x AS MATERIALIZED (SELECT cl.anc AS codekey, u.* FROM u JOIN closure cl"
            f" ON cl.code_id = u.code_id AND cl.anc IN {anc})"
        )
    cell_r = "codekey" if row_code else "rk"
    cell_c = "codekey" if col_code else "ck"
    has_code = row_code or col_code
    parts = [
        _measure(
            count,
            "x" if has_code else "u",
            [cell_r, cell_c],
            "codekey" if has_code else "code_id",
            0,
        ),
        _measure(
            count, "x" if row_code else "u", [cell_r, None], "codekey" if row_code else "code_id", 1
        ),
        _measure(
            count, "x" if col_code else "u", [None, cell_c], "codekey" if col_code else "code_id", 2
        ),
        _measure(count, "u", [None, None], "code_id", 3),
    ]
    return "WITH RECURSIVE " + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(parts)


def _labels(scope: Scope, dim: Dimension, seen: set[object]) -> list[Label]:
    """Every row (or column) a researcher expects, zeros included, then any key the counts
    found that is not among them (e.g. codings with no value of the attribute)."""
    if dim.kind == "code":
        return [Label(sc.code.id, sc.label, sc.depth, sc.code.color) for sc in scope.shown_codes()]
    if dim.kind == "document":
        docs = scope.document_ids()
        missing = {k for k in seen if k not in docs}
        if missing:
            from workbench.services.documents import list_documents

            docs.update({d.id: d.name for d in list_documents(scope.conn) if d.id in missing})
        return [Label(k, v) for k, v in sorted(docs.items(), key=lambda kv: kv[1])]
    if dim.kind == "coder":
        if scope.filters.coder:
            coders = {scope.filters.coder}
        else:
            stored = scope.conn.execute(text("SELECT DISTINCT coder FROM codings"))
            coders = {str(r[0]) for r in stored} | {str(k) for k in seen if k is not None}
        return [Label(c, c) for c in sorted(coders, key=natural_key)]
    assert dim.key is not None
    wanted = scope.where_by_key().get(dim.key)
    values = [v for v in scope.known_values(dim.key) if wanted is None or v.casefold() in wanted]
    extra = sorted((str(k) for k in seen if k is not None and k not in values), key=natural_key)
    out = [Label(v, v) for v in [*values, *extra]]
    if None in seen:
        out.append(Label(None, NONE_LABEL))
    return out


def count_matrix(
    conn: Connection,
    rows: str | Dimension,
    cols: str | Dimension | None = None,
    *,
    count: str = "codings",
    filters: Filters | None = None,
) -> Matrix:
    """Cross-tabulate the filtered codings: `rows` and `cols` each one of code, document,
    coder, attr:KEY (`cols=None`: one column, the row totals, e.g. code frequencies)."""
    if count not in COUNTS:
        raise WorkbenchError(f"--count {count}: must be one of {', '.join(COUNTS)}")
    row_dim = rows if isinstance(rows, Dimension) else parse_dimension(rows, "--rows")
    col_dim = (
        cols if isinstance(cols, Dimension) or cols is None else parse_dimension(cols, "--cols")
    )
    if col_dim is not None and row_dim.kind == "code" and col_dim.kind == "code":
        raise WorkbenchError("code x code is co-occurrence: use `workbench cooccurrence`")
    if col_dim is not None and row_dim == col_dim:
        raise WorkbenchError(
            f"--rows and --cols are both {row_dim.spec}: choose two different ones"
        )
    scope = Scope.build(conn, filters or Filters())
    for dim in (row_dim, col_dim):
        if dim is not None and dim.kind == "attr":
            scope.check_key(dim.key)  # type: ignore[arg-type]
    result = scope.run(matrix_sql(scope, row_dim, col_dim, count))
    cells: dict[tuple[object, object], int] = {}
    row_tot: dict[object, int] = {}
    col_tot: dict[object, int] = {}
    total = 0
    for g, rk, ck, value in result:
        v = int(value or 0)  # type: ignore[call-overload]
        if g == 0:
            cells[(rk, ck)] = v
        elif g == 1:
            row_tot[rk] = v
        elif g == 2:
            col_tot[ck] = v
        else:
            total = v
    row_labels = _labels(scope, row_dim, {k for k, _ in cells})
    if col_dim is None:
        col_labels = [Label(0, count)]
    else:
        col_labels = _labels(scope, col_dim, {k for _, k in cells})
    grid = [[cells.get((r.key, c.key), 0) for c in col_labels] for r in row_labels]
    return Matrix(
        rows=row_labels,
        cols=col_labels,
        count=count,
        row_dim=row_dim,
        col_dim=col_dim,
        cells=grid,
        row_totals=[row_tot.get(r.key, 0) for r in row_labels],
        col_totals=[col_tot.get(c.key, 0) for c in col_labels],
        total=total,
        filters=scope.filters,
    )
