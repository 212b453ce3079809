"""Bulk inserts for the importers (issue 15): many rows per statement, not one per row.

An INSERT that fires triggers (codings: the counts kept by migration_v5 and the learner
counter) opens a statement journal each time it runs, so `executemany` of one-row INSERTs
pays that per row (about 35 us on SQLite 3.40). One multi-row `INSERT ... VALUES (...),
(...)` pays it once per chunk: 3-4 times faster for codings, still one transaction (the
caller's), with the same rows and the same triggers. Works on both dialects (qmark on
SQLite, format on PostgreSQL); a chunk stays under both drivers' parameter limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from sqlalchemy import Connection

MAX_PARAMS = 30_000  # SQLite's default limit is 32,766; PostgreSQL's 65,535
# Rows per statement: the largest that fits, then smaller fixed sizes for the rest, so a
# connection's statement cache holds a handful of shapes (not one per remainder length,
# each a large compiled statement); the last few rows go in one executemany.
CHUNKS = (2_000, 250, 30)


def placeholder(conn: Connection) -> str:
    """The driver's positional parameter marker."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """INSERT `rows` (tuples in `columns` order) into `table`, many rows per statement."""
    if not rows:
        return
    width = len(columns)
    p = placeholder(conn)
    head = f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)}) VALUES "
    tuple_sql = "(" + ", ".join([p] * width) + ")"
    pos, total = 0, len(rows)
    for size in (min(c, MAX_PARAMS // width) for c in CHUNKS):
        sql = head + ", ".join([tuple_sql] * size)
        while size > 1 and total - pos >= size:
            conn.exec_driver_sql(sql, tuple(chain.from_iterable(rows[pos : pos + size])))
            pos += size
    if pos < total:
        conn.exec_driver_sql(head + tuple_sql, [tuple(r) for r in rows[pos:]])


def _quote(column: str) -> str:
    return f'"{column}"'
