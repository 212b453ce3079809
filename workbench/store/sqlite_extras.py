"""SQLite-only SQL: pragmas, the FTS5 index over segment text, immutability triggers.

Everything dialect-specific lives here; the functions that services call (next_id,
index_segments, search_segments) hand a server project's connection to postgres_extras.py,
the PostgreSQL twin (sequences, tsvector search, PL/pgSQL triggers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine

SEARCH_LEVELS = ("turn", "entry", "response")


def install_pragmas(engine: Engine, *, busy_timeout_ms: int) -> None:
    """WAL journal, enforced foreign keys and one busy timeout on every connection, and
    transactions that SQLite really begins (SQLAlchemy's documented pysqlite recipe).

    pysqlite on its own opens a transaction only at the first write, so checks made before
    a write are not isolated and DDL is not transactional. Here the driver's own transaction
    handling is switched off and every SQLAlchemy `begin` emits `BEGIN`: `BEGIN IMMEDIATE`
    when the connection carries the execution option `workbench_begin="IMMEDIATE"` (what
    `Project.begin()` sets: the write lock is taken up front, so two writers queue instead of
    failing on upgrade), a deferred `BEGIN` otherwise (reads)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("workbench_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")


def next_id(conn: Connection, table: str) -> int:
    """The next id of an AUTOINCREMENT table that no row ever had: beyond both the largest
    id present and the largest ever handed out (sqlite_sequence). Call inside the write
    transaction that inserts with it. On a server project: the table's sequence."""
    if conn.dialect.name == "postgresql":
        from workbench.store import postgres_extras

        return postgres_extras.next_id(conn, table)
    return int(
        conn.execute(
            text(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = :t), 0), "
                f"coalesce((SELECT max(id) FROM {table}), 0)) + 1"
            ),
            {"t": table},
        ).scalar_one()
    )


def index_segments(conn: Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Add (segment id, text) pairs to the full-text index (the driver's executemany on
    plain tuples: FTS5 takes one-row INSERTs fastest)."""
    payload = [(rowid, body) for rowid, body in rows]
    if payload:
        p = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(f"INSERT INTO segment_fts(rowid, body) VALUES ({p}, {p})", payload)


_TOKEN = re.compile(r"\w+", re.UNICODE)


def to_fts_query(query: str) -> str:
    """Turn free text into a safe FTS5 query: quoted terms, AND-ed; `"a phrase"` kept."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    parts = ['"' + " ".join(_TOKEN.findall(p)) + '"' for p in phrases if _TOKEN.findall(p)]
    for tok in _TOKEN.findall(rest):
        parts.append(f'"{tok}"*' if len(tok) >= 3 else f'"{tok}"')
    return " AND ".join(parts)


def search_segments(
    conn: Connection, query: str, limit: int = 100, offset: int = 0
) -> list[tuple[int, float]]:
    """Segment ids matching `query`, best (lowest bm25) first: `limit` of them from `offset`."""
    if conn.dialect.name == "postgresql":
        from workbench.store import postgres_extras

        return postgres_extras.search_segments(conn, query, limit, offset)
    fts = to_fts_query(query)
    if not fts:
        return []
    rows = conn.execute(
        text(
            "SELECT rowid, bm25(segment_fts) AS rank FROM segment_fts "
            "WHERE segment_fts MATCH :q ORDER BY rank, rowid LIMIT :n OFFSET :o"
        ),
        {"q": fts, "n": limit, "o": offset},
    )
    return [(int(r[0]), float(r[1])) for r in rows]


def count_segment_matches(conn: Connection, query: str) -> int:
    """How many segments match `query` (all of them, not one page)."""
    if conn.dialect.name == "postgresql":
        from workbench.store import postgres_extras

        return postgres_extras.count_segment_matches(conn, query)
    fts = to_fts_query(query)
    if not fts:
        return 0
    sql = "SELECT count(*) FROM segment_fts WHERE segment_fts MATCH :q"
    return int(conn.execute(text(sql), {"q": fts}).scalar_one())
