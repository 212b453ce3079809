"""`workbench server push`: copy a laptop project into an empty server project.

Every table of schema.py is copied row for row with its ids (so every foreign key, GUID,
coder name and memo target stays as it was), the search index with it; the server's
sequences move past the copied ids (postgres_extras' `_sync_id` triggers). One transaction:
a push that fails leaves the server project empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text

from workbench.errors import WorkbenchError
from workbench.store import schema as s

SKIP = ("schema_migrations", "change_counters")  # the server keeps its own
CONTENT = ("documents", "codes", "codings", "memos", "case_attributes")
BATCH = 1000


def _columns(table: Table) -> list[Any]:
    return [c for c in table.c if c.computed is None]


def _codes_in_order(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Parents before their children (the foreign key is checked row by row)."""
    placed: set[Any] = set()
    pending = rows
    while pending:
        ready = [r for r in pending if r["parent_id"] is None or r["parent_id"] in placed]
        if not ready:  # a cycle cannot be stored; insert the rest and let the server say so
            ready = pending
        for r in ready:
            placed.add(r["id"])
            yield r
        ids = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in ids]


def ensure_empty(conn: Connection, label: str) -> None:
    for name in CONTENT:
        table = s.metadata.tables[name]
        if conn.execute(select(func.count()).select_from(table)).scalar_one():
            raise WorkbenchError(
                f"{label}: the server project is not empty (it has {name}); push copies a "
                "laptop project into an empty one only"
            )


def push(
    src: Connection, dst: Connection, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of `src` (a SQLite project) into `dst` (an empty server project, inside
    its write transaction). Returns rows copied per table."""
    from workbench.store.postgres_port import ported

    derived = ported()[1]  # kept by the server's triggers as the rows arrive
    counts: dict[str, int] = {}
    for table in s.metadata.sorted_tables:
        if table.name in SKIP or table.name in derived:
            continue
        cols = _columns(table)
        order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
        rows = [dict(r._mapping) for r in src.execute(select(*cols).order_by(*order))]
        if table.name == "codes":
            rows = list(_codes_in_order(rows))
        for i in range(0, len(rows), BATCH):
            dst.execute(insert(table), rows[i : i + BATCH])
        counts[table.name] = len(rows)
        if progress:
            progress(table.name, len(rows))
    fts = [
        {"rowid": int(r[0]), "body": r[1]}
        for r in src.execute(text("SELECT rowid, body FROM segment_fts ORDER BY rowid"))
    ]
    for i in range(0, len(fts), BATCH):
        dst.execute(
            text("INSERT INTO segment_fts (rowid, body) VALUES (:rowid, :body)"), fts[i : i + BATCH]
        )
    counts["segment_fts"] = len(fts)
    return counts
