"""Codings as rows: the `CodingRow` every service passes around, and `list_codings`.

Read with SQL text (store.reader), so `export excerpts` can list a code's codings from a
plain sqlite3 connection; adding, removing and restoring codings live in services/coding.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workbench.store.reader import Reader, fetch

# In the `codings` table's own column order (store/schema.py), which CodingRow follows.
CODING_COLUMNS = 'id, document_id, start, "end", code_id, coder, created, memo, origin, guid'


@dataclass(frozen=True)
class CodingRow:
    id: int
    document_id: int
    start: int
    end: int
    code_id: str
    coder: str
    created: str
    memo: str | None
    origin: str
    guid: str


def row_to_coding(r: Sequence[Any]) -> CodingRow:
    """A `codings` row in CODING_COLUMNS order (also what `select(s.codings)` returns)."""
    cid, doc, start, end, code, coder, created, memo, origin, guid = r
    return CodingRow(
        int(cid), int(doc), int(start), int(end), code, coder, created, memo, origin, guid
    )


def list_codings(
    conn: Reader,
    *,
    document_id: int | None = None,
    code_ids: list[str] | None = None,
    coder: str | None = None,
) -> list[CodingRow]:
    """Codings in document, start, end, id order; narrowed by document, codes, coder (each
    through an index: tests/test_query_plans.py)."""
    where, params = [], {}
    if document_id is not None:
        where.append("document_id = :doc")
        params["doc"] = document_id
    if code_ids is not None:
        where.append("code_id IN :codes")
        params["codes"] = list(code_ids)
    if coder is not None:
        where.append("coder = :coder")
        params["coder"] = coder
    sql = f"SELECT {CODING_COLUMNS} FROM codings"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += ' ORDER BY document_id, start, "end", id'
    return [row_to_coding(r) for r in fetch(conn, sql, params)]
