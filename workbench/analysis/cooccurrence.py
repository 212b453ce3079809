"""Code co-occurrence: how often two codes are applied to the same unit (a lowest-level
segment, or a document), with the Jaccard index. Codes roll up as in the matrix: a parent
stands for its whole subtree, so a unit counts once for it however many of its descendants
were applied there. The diagonal holds each code's own unit count."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from workbench.analysis.units import Filters, Scope, ShownCode
from workbench.errors import WorkbenchError

UNITS = ("segment", "document")


@dataclass
class Cooccurrence:
    codes: list[ShownCode]
    unit: str
    cells: list[list[int]]
    filters: Filters = field(default_factory=Filters)
    ancestors: dict[str, set[str]] = field(default_factory=dict)  # code id -> its ancestors

    @property
    def names(self) -> list[str]:
        return [c.label for c in self.codes]

    @property
    def jaccard(self) -> list[list[float]]:
        """|A ∩ B| / |A ∪ B|, 0 where neither code was applied to any unit."""
        n = len(self.cells)
        out = []
        for i in range(n):
            line = []
            for j in range(n):
                both = self.cells[i][j]
                union = self.cells[i][i] + self.cells[j][j] - both
                line.append(round(both / union, 4) if union else 0.0)
            out.append(line)
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "codes": self.names,
            "unit": self.unit,
            "cells": self.cells,
            "jaccard": self.jaccard,
        }

    def title(self) -> str:
        return f"Code co-occurrence ({self.unit}s)"


def cooccurrence_sql(scope: Scope, unit: str, code_ids: list[str]) -> str:
    ctes = [scope.closure_cte(), scope.codings_cte([])]
    anc = scope.param_list(code_ids)
    if unit == "segment":
        ctes.append(scope.segments_cte("cod"))
        applied = (
            "applied AS (SELECT DISTINCT cl.anc AS k, cseg.segment_id AS u FROM cod"
            f" JOIN closure cl ON cl.code_id = cod.code_id AND cl.anc IN {anc}"
            " JOIN cseg ON cseg.coding_id = cod.coding_id)"
        )
    else:
        applied = (
            "applied AS (SELECT DISTINCT cl.anc AS k, cod.document_id AS u FROM cod"
            f" JOIN closure cl ON cl.code_id = cod.code_id AND cl.anc IN {anc})"
        )
    ctes.append(applied)
    return (
        "WITH RECURSIVE "
        + ",\n".join(ctes)
        + "\nSELECT a.k, b.k, COUNT(*) FROM applied a JOIN applied b"
        " ON b.u = a.u AND a.k <= b.k GROUP BY a.k, b.k"
    )


def cooccurrence(
    conn: Connection, *, unit: str = "segment", filters: Filters | None = None
) -> Cooccurrence:
    """Co-occurrence of the chosen codes (each --code and its descendants; else every code)."""
    if unit not in UNITS:
        raise WorkbenchError(f"--unit {unit}: must be segment or document")
    scope = Scope.build(conn, filters or Filters())
    shown = scope.shown_codes()
    ids = [c.code.id for c in shown]
    pos = {cid: i for i, cid in enumerate(ids)}
    cells = [[0] * len(ids) for _ in ids]
    if ids:
        for a, b, n in scope.run(cooccurrence_sql(scope, unit, ids)):
            i, j = pos[a], pos[b]  # type: ignore[index]
            cells[i][j] = cells[j][i] = int(n)  # type: ignore[call-overload]
    ancestors: dict[str, set[str]] = {}
    for cid in ids:
        up: set[str] = set()
        parent = scope.tree.codes[cid].parent_id
        while parent is not None:
            up.add(parent)
            parent = scope.tree.codes[parent].parent_id
        ancestors[cid] = up
    return Cooccurrence(
        codes=shown, unit=unit, cells=cells, filters=scope.filters, ancestors=ancestors
    )
