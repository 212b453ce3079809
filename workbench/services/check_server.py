"""`workbench check` on a server project (PostgreSQL): the checks of check.py that mean
something there. The server enforces foreign keys on every connection and keeps its own
pages' integrity, so those two are the server's; what a program with the owner's rights
could still break is looked at: the guard triggers and rules present, every text against
its import hash, every segment and coding inside its text, the search index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from workbench.store import migrations
from workbench.store import postgres_ddl as ddl
from workbench.store.migration_v3 import text_sha256
from workbench.store.sqlite_extras import SEARCH_LEVELS

if TYPE_CHECKING:
    from workbench.services.check import CheckReport

TRIGGERS = (
    "documents_text_immutable",
    "documents_coded_undeletable",
    "segments_offsets_immutable",
    "segments_coded_undeletable",
    "codings_offsets_immutable",
    *(f"{t}_counts" for t in ("codings", "suggestion_feedback", "codes")),
    *(f"{t}_own_row" for t in ddl.OWNED),
)


def _schema(conn: Connection) -> Iterator[str]:
    from workbench.store import postgres_extras as pg

    missing = sorted(migrations.all_versions() - pg.applied_versions(conn))
    if missing:
        yield f"schema: migrations {missing} not applied (run `workbench server init URL`)"
        return
    from workbench.store.postgres_port import port, sqlite_triggers

    present = {r[0] for r in conn.execute(text("SELECT tgname FROM pg_trigger"))}
    ported = [port(statement)[0] for _module, statement in sqlite_triggers()]
    for name in (*TRIGGERS, *ported):
        if name not in present:
            yield f"trigger missing: {name} (a guard on the store was dropped)"
    rls = dict(
        conn.execute(
            text("SELECT relname, relrowsecurity FROM pg_class WHERE relname = ANY(:t)"),
            {"t": list(ddl.OWNED)},
        ).all()
    )
    for table in ddl.OWNED:
        if not rls.get(table):
            yield f"row-level security is off on {table} (run `workbench server init URL`)"
    if not conn.execute(text("SELECT to_regclass('segment_fts') IS NOT NULL")).scalar_one():
        yield "search index missing: segment_fts"


def _documents(conn: Connection, counts: dict[str, int]) -> Iterator[str]:
    docs = conn.execute(text("SELECT id, name, text, text_sha256 FROM documents ORDER BY id"))
    for doc_id, name, body, digest in docs.all():
        counts["documents"] += 1
        if digest is not None and text_sha256(body) != digest:
            yield f"{name}: the text differs from the text imported (hash mismatch)"
        n = len(body)
        p = {"d": doc_id, "n": n}
        for idx, start, end in conn.execute(
            text(
                'SELECT idx, start, "end" FROM segments WHERE document_id = :d '
                'AND NOT (start >= 0 AND start <= "end" AND "end" <= :n)'
            ),
            p,
        ):
            yield f"{name}: segment {idx} ({start}-{end}) lies outside the text ({n} characters)"
        for cid, start, end in conn.execute(
            text(
                'SELECT id, start, "end" FROM codings WHERE document_id = :d '
                'AND NOT (start >= 0 AND start < "end" AND "end" <= :n)'
            ),
            p,
        ):
            yield f"{name}: coding {cid} ({start}-{end}) lies outside the text ({n} characters)"
        for sid, idx, start, end, indexed in conn.execute(
            text(
                'SELECT s.id, s.idx, s.start, s."end", f.body FROM segments s '
                "LEFT JOIN segment_fts f ON f.rowid = s.id "
                "WHERE s.document_id = :d AND s.level = ANY(:levels)"
            ),
            {"d": doc_id, "levels": list(SEARCH_LEVELS)},
        ):
            if indexed is None:
                yield f"{name}: segment {idx} is missing from the search index"
            elif indexed != body[start:end]:
                yield f"{name}: segment {idx}: the search index holds other text (id {sid})"


def check_server_project(conn: Connection) -> CheckReport:
    from workbench.services.check import MAX_PER_CHECK, CheckReport

    counts = {"documents": 0, "segments": 0, "codings": 0, "memos": 0}
    problems = list(_schema(conn))[:MAX_PER_CHECK]
    if not problems:
        found = list(_documents(conn, counts))
        problems += found[:MAX_PER_CHECK]
        if len(found) > MAX_PER_CHECK:
            problems.append(f"documents: ... and {len(found) - MAX_PER_CHECK} more")
    for table in ("segments", "codings", "memos"):
        counts[table] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return CheckReport(problems, counts)
