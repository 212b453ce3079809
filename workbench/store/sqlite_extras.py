"""SQLite-only SQL: pragmas, the FTS5 index over segment text, immutability triggers.

Everything dialect-specific lives here so that a PostgreSQL backend only has to replace
this module (tsvector search, plpgsql triggers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine

SEARCH_LEVELS = ("turn", "entry", "response")


def install_pragmas(engine: Engine) -> None:
    """WAL journal and enforced foreign keys on every connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def create_v1_extras(conn: Connection) -> None:
    """FTS5 table and triggers that keep a document's text and hash immutable."""
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS segment_fts USING fts5("
        "body, tokenize='unicode61 remove_diacritics 2')"
    )
    for column in ("text", "sha256"):
        conn.exec_driver_sql(
            f"CREATE TRIGGER IF NOT EXISTS documents_{column}_immutable "
            f"BEFORE UPDATE OF {column} ON documents "
            f"WHEN NEW.{column} IS NOT OLD.{column} "
            "BEGIN SELECT RAISE(ABORT, 'a document''s text never changes after import'); END"
        )
    for column in ("start", "end", "document_id"):
        conn.exec_driver_sql(
            f"CREATE TRIGGER IF NOT EXISTS segments_{column}_immutable "
            f'BEFORE UPDATE OF "{column}" ON segments '
            f'WHEN NEW."{column}" IS NOT OLD."{column}" '
            "BEGIN SELECT RAISE(ABORT, 'segment offsets never change'); END"
        )


def index_segments(conn: Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Add (segment id, text) pairs to the full-text index."""
    payload = [{"rowid": rowid, "body": body} for rowid, body in rows]
    if payload:
        conn.execute(text("INSERT INTO segment_fts(rowid, body) VALUES (:rowid, :body)"), payload)


def unindex_segments(conn: Connection, segment_ids: list[int]) -> None:
    for sid in segment_ids:
        conn.execute(text("DELETE FROM segment_fts WHERE rowid = :r"), {"r": sid})


_TOKEN = re.compile(r"\w+", re.UNICODE)


def to_fts_query(query: str) -> str:
    """Turn free text into a safe FTS5 query: quoted terms, AND-ed; `"a phrase"` kept."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    parts = ['"' + " ".join(_TOKEN.findall(p)) + '"' for p in phrases if _TOKEN.findall(p)]
    for tok in _TOKEN.findall(rest):
        parts.append(f'"{tok}"*' if len(tok) >= 3 else f'"{tok}"')
    return " AND ".join(parts)


def search_segments(conn: Connection, query: str, limit: int = 100) -> list[tuple[int, float]]:
    """Segment ids matching `query`, best (lowest bm25) first."""
    fts = to_fts_query(query)
    if not fts:
        return []
    rows = conn.execute(
        text(
            "SELECT rowid, bm25(segment_fts) AS rank FROM segment_fts "
            "WHERE segment_fts MATCH :q ORDER BY rank LIMIT :n"
        ),
        {"q": fts, "n": limit},
    )
    return [(int(r[0]), float(r[1])) for r in rows]
