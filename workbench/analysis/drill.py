"""Drill-down: the codings behind one cell of a matrix, exactly those the cell counts.

The same filtered codings (`Scope.codings_cte`) and the same code roll-up (the closure) as
`count_matrix`, restricted to one row key and one column key; so the excerpts a researcher
opens from a cell are the ones its `codings` count counted, one per coding.
"""

from __future__ import annotations

from sqlalchemy import Connection

from workbench.analysis.matrix import Label, Matrix
from workbench.analysis.units import Dimension, Scope


def _condition(scope: Scope, dim: Dimension, label: Label, column: str) -> str:
    """SQL condition on `cod` for one dimension's key (a code includes its descendants)."""
    if dim.kind == "code":
        anc = scope.param(label.key)
        return f"cod.code_id IN (SELECT code_id FROM closure WHERE anc = {anc})"
    if label.key is None:  # the "(none)" row or column: no value for the attribute
        return f"{column} IS NULL"
    return f"{column} = {scope.param(label.key)}"


_COLUMNS = {"document": "cod.document_id", "coder": "cod.coder"}


def cell_coding_ids(conn: Connection, m: Matrix, row: int, col: int | None = None) -> list[int]:
    """Ids of the codings counted in cell (`row`, `col`) of `m` (`col=None`: the row total;
    `row=-1`: the column total). In coding order."""
    scope = Scope.build(conn, m.filters)
    dims: list[tuple[Dimension, Label]] = []
    if row >= 0:
        dims.append((m.row_dim, m.rows[row]))
    if col is not None and m.col_dim is not None:
        dims.append((m.col_dim, m.cols[col]))
    keys = [d.key for d, _ in dims if d.kind == "attr"]
    conds = []
    for dim, label in dims:
        if dim.kind == "attr":
            column = f"cod.a{keys.index(dim.key)}"
        else:
            column = _COLUMNS.get(dim.kind, "")
        conds.append(_condition(scope, dim, label, column))
    if m.row_dim.kind == "code" or (m.col_dim is not None and m.col_dim.kind == "code"):
        # a code dimension only counts the codes it shows (e.g. --depth leaves some out)
        shown = [sc.code.id for sc in scope.shown_codes()]
        conds.append(
            f"cod.code_id IN (SELECT code_id FROM closure WHERE anc IN {scope.param_list(shown)})"
        )
    ctes = [scope.closure_cte(), scope.codings_cte(keys)]  # type: ignore[arg-type]
    where = " AND ".join(conds) or "1 = 1"
    sql = (
        "WITH RECURSIVE "
        + ",\n".join(ctes)
        + f"\nSELECT DISTINCT cod.coding_id FROM cod WHERE {where} ORDER BY cod.coding_id"
    )
    return [int(r[0]) for r in scope.run(sql)]  # type: ignore[call-overload]
