"""`workbench check`: is the project whole? One line per problem found.

What it looks at: SQLite's own integrity check, foreign keys (a per-connection setting, so a
program that connects without it can leave orphans), the triggers that keep text and codings
exact (a dropped trigger goes unnoticed otherwise), every document's text against the hash
stored at import, every segment and coding inside its document's text, and the search index
against the segments it indexes. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text

from workbench.store import migration_v3, migrations
from workbench.store.migration_v3 import text_sha256
from workbench.store.sqlite_extras import SEARCH_LEVELS

MAX_PER_CHECK = 50  # problems listed per check before "... and N more"


@dataclass(frozen=True)
class CheckReport:
    problems: list[str]
    checked: dict[str, int]  # what was looked at: documents, segments, codings, memos

    @property
    def ok(self) -> bool:
        return not self.problems


def _integrity(conn: Connection, quick: bool) -> Iterator[str]:
    pragma = "quick_check" if quick else "integrity_check"
    for (line,) in conn.exec_driver_sql(f"PRAGMA {pragma}"):
        if line != "ok":
            yield f"integrity: {line}"


def _foreign_keys(conn: Connection) -> Iterator[str]:
    for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
        yield f"orphan: {table} row {rowid} points at a missing {parent} row"


def _schema(conn: Connection) -> Iterator[str]:
    versions = migrations.applied_versions(conn)
    missing = sorted(migrations.all_versions() - versions)
    if missing:
        yield f"schema: migrations {missing} not applied"
        return
    present = {
        r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
    }
    for name in migration_v3.TRIGGER_NAMES:
        if name not in present:
            yield f"trigger missing: {name} (a guard on the store was dropped)"
    fts = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'segment_fts' AND type = 'table'"
    ).first()
    if fts is None:
        yield "search index missing: segment_fts"


def _documents(conn: Connection, counts: dict[str, int]) -> Iterator[str]:
    """Text against its hash; segments and codings inside the text; the search index."""
    docs = conn.exec_driver_sql("SELECT id, name, text, text_sha256 FROM documents ORDER BY id")
    levels = ", ".join(f"'{lvl}'" for lvl in SEARCH_LEVELS)
    for doc_id, name, body, digest in docs:
        counts["documents"] += 1
        if digest is not None and text_sha256(body) != digest:
            yield f"{name}: the text differs from the text imported (hash mismatch)"
        n = len(body)
        for idx, start, end in conn.exec_driver_sql(
            'SELECT idx, start, "end" FROM segments WHERE document_id = ? '
            'AND NOT (start >= 0 AND start <= "end" AND "end" <= ?)',
            (doc_id, n),
        ):
            yield f"{name}: segment {idx} ({start}-{end}) lies outside the text ({n} characters)"
        for cid, start, end in conn.exec_driver_sql(
            'SELECT id, start, "end" FROM codings WHERE document_id = ? '
            'AND NOT (start >= 0 AND start < "end" AND "end" <= ?)',
            (doc_id, n),
        ):
            yield f"{name}: coding {cid} ({start}-{end}) lies outside the text ({n} characters)"
        for sid, idx, start, end, indexed in conn.exec_driver_sql(
            f'SELECT s.id, s.idx, s.start, s."end", f.body FROM segments s '
            f"LEFT JOIN segment_fts f ON f.rowid = s.id "
            f"WHERE s.document_id = ? AND s.level IN ({levels})",
            (doc_id,),
        ):
            if indexed is None:
                yield f"{name}: segment {idx} is missing from the search index"
            elif indexed != body[start:end]:
                yield f"{name}: segment {idx}: the search index holds other text (id {sid})"


def _stray_index_rows(conn: Connection) -> Iterator[str]:
    for (rowid,) in conn.exec_driver_sql(
        "SELECT rowid FROM segment_fts WHERE rowid NOT IN (SELECT id FROM segments)"
    ):
        yield f"search index row {rowid} has no segment"


def _capped(label: str, problems: Iterator[str]) -> Iterator[str]:
    n = 0
    for p in problems:
        n += 1
        if n <= MAX_PER_CHECK:
            yield p
    if n > MAX_PER_CHECK:
        yield f"{label}: ... and {n - MAX_PER_CHECK} more"


def _kept_counts(conn: Connection) -> Iterator[str]:
    """The counts triggers keep for the screens (migration 5) agree with the rows."""
    from workbench.services.home_stats import verify_counts

    if inspect(conn).has_table("document_counts"):
        yield from verify_counts(conn)


def check_project(conn: Connection, *, quick: bool = False) -> CheckReport:
    if conn.dialect.name == "postgresql":  # a server project: see check_server.py
        from workbench.services.check_server import check_server_project

        return check_server_project(conn)
    counts = {"documents": 0, "segments": 0, "codings": 0, "memos": 0}
    steps: list[tuple[str, Callable[[], Iterator[str]]]] = [
        ("integrity", lambda: _integrity(conn, quick)),
        ("foreign keys", lambda: _foreign_keys(conn)),
        ("schema", lambda: _schema(conn)),
    ]
    problems: list[str] = []
    for label, step in steps:
        problems.extend(_capped(label, step()))
    if not any(p.startswith(("schema: ", "search index missing")) for p in problems):
        problems.extend(_capped("documents", _documents(conn, counts)))
        problems.extend(_capped("search index", _stray_index_rows(conn)))
        problems.extend(_capped("kept counts", _kept_counts(conn)))
    for table in ("segments", "codings", "memos"):
        counts[table] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return CheckReport(problems, counts)
