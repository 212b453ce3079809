"""PostgreSQL-only SQL, the twin of sqlite_extras.py: connection settings and write
serialisation, the schema of a server project (tables from schema.py plus postgres_ddl.py),
sequences for ids, tsvector + GIN search, logins, and the refusal messages of the rules.

How a server project gets its schema: `metadata.create_all` from schema.py (the tables as
the latest migration leaves them, so tables that a new migration adds arrive with it), then
the idempotent DDL of postgres_ddl.py, and every registered migration version recorded in
schema_migrations. A version added later is applied on the next `server init` the same way;
a migration that changes an existing table carries a PostgreSQL step of its own
(`Migration.postgres`). See docs/architecture.md.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Integer, event, inspect, text
from sqlalchemy.dialects.sqlite.dml import OnConflictDoNothing as SqliteDoNothing
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn

from workbench.errors import WorkbenchError
from workbench.store import postgres_ddl as ddl
from workbench.store import postgres_port, schema
from workbench.timeutil import now_iso

WRITE_LOCK = 0x57B0  # pg_advisory_xact_lock key: one writer at a time, like BEGIN IMMEDIATE
LOGIN_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")


@compiles(CreateColumn, "postgresql")
def _create_column(element: CreateColumn, compiler: Any, **kw: Any) -> str:
    """memos.target_id: PostgreSQL's coalesce needs one type (SQLite's takes any mix)."""
    col = element.element
    if col.table.name == "memos" and col.name == "target_id":
        return (
            "target_id VARCHAR(400) GENERATED ALWAYS AS (coalesce(document_id::text, "
            "segment_id::text, code_id, coding_id::text, '')) STORED"
        )
    return str(compiler.visit_create_column(element, **kw))


@compiles(SqliteDoNothing, "postgresql")
def _sqlite_do_nothing(element: SqliteDoNothing, compiler: Any, **kw: Any) -> str:
    """A statement built with SQLite's `insert(...).on_conflict_do_nothing()` (the embedding
    cache) means the same on PostgreSQL: `ON CONFLICT DO NOTHING`."""
    cols = element.inferred_target_elements
    if not cols:
        return "ON CONFLICT DO NOTHING"
    names = ", ".join(compiler.preparer.quote(c if isinstance(c, str) else c.name) for c in cols)
    return f"ON CONFLICT ({names}) DO NOTHING"


def install(engine: Engine, *, lock_timeout_s: float) -> None:
    """One lock timeout on every connection; a write transaction (`workbench_begin=IMMEDIATE`,
    what `Project.begin()` sets) first takes the project's write lock, so checks made before
    writes are isolated and two writers queue, as on SQLite; `Project.read()` (`READ`) is
    REPEATABLE READ: one snapshot, as SQLite's deferred read transaction."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = '{int(lock_timeout_s * 1000)}ms'")
            cur.execute("SET statement_timeout = 0")
        dbapi_conn.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("workbench_begin")
        if mode == "IMMEDIATE":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        elif mode == "READ":  # Project.read(): one snapshot for the whole block
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


# ---- schema ---------------------------------------------------------------------------


def id_tables() -> list[str]:
    """Tables whose integer id comes from a sequence (every `sqlite_autoincrement` table)."""
    out = []
    for table in schema.metadata.sorted_tables:
        col = table.c.get("id")
        if col is not None and col.primary_key and isinstance(col.type, Integer):
            out.append(table.name)
    return out


FTS_DDL = (
    "CREATE TABLE IF NOT EXISTS segment_fts (rowid INTEGER PRIMARY KEY "
    "REFERENCES segments(id) ON DELETE CASCADE, body TEXT NOT NULL, "
    "tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)",
    "CREATE INDEX IF NOT EXISTS ix_segment_fts_tsv ON segment_fts USING gin (tsv)",
)


def column_defaults() -> list[str]:
    """schema.py's scalar Python defaults as server defaults too: the SQLite DDL of the
    migrations has them, and rows written by triggers in SQL rely on them."""
    out = []
    for table in schema.metadata.sorted_tables:
        for col in table.c:
            d = col.default
            if d is None or col.server_default is not None or not getattr(d, "is_scalar", False):
                continue
            value = d.arg  # type: ignore[attr-defined]
            if isinstance(value, bool) or not isinstance(value, int | str):
                continue
            literal = str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"
            out.append(f'ALTER TABLE {table.name} ALTER COLUMN "{col.name}" SET DEFAULT {literal}')
    return out


def is_initialised(conn: Connection) -> bool:
    return bool(inspect(conn).has_table("schema_migrations"))


def applied_versions(conn: Connection) -> set[int]:
    if not is_initialised(conn):
        return set()
    return {int(v) for (v,) in conn.execute(text("SELECT version FROM schema_migrations"))}


def create_schema(conn: Connection) -> list[int]:
    """Create or bring up to date a server project, inside the caller's transaction, as the
    database owner: tables, search index, guards, roles, rules. Returns versions recorded."""
    from workbench.store import migrations

    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
    fresh = not is_initialised(conn)
    done = applied_versions(conn)
    if not fresh:
        for m in migrations.MIGRATIONS:
            step = m.postgres
            if m.version not in done and step is not None:
                step(conn)
    schema.metadata.create_all(conn, checkfirst=True)
    if not fresh:
        pending = {m.version for m in migrations.MIGRATIONS} - done
        for statement in postgres_port.backfills(pending):
            conn.exec_driver_sql(statement)
    for statement in FTS_DDL:
        conn.exec_driver_sql(statement)
    if fresh:
        conn.exec_driver_sql("INSERT INTO change_counters (name, value) VALUES ('learner', 0)")
    conn.exec_driver_sql(ddl.ROLES_DDL)
    tables = [t.name for t in schema.metadata.sorted_tables] + ["segment_fts"]
    statements = [
        *column_defaults(),
        *ddl.FUNCTIONS,
        *ddl.guard_triggers(),
        *ddl.id_triggers(id_tables()),
        *ddl.security(tables),
        *postgres_port.ported()[0],
    ]
    for statement in statements:
        conn.exec_driver_sql(statement.replace("%", "%%"))
    recorded = []
    for m in migrations.MIGRATIONS:
        if m.version not in done:
            conn.execute(
                text(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)"
                ),
                {"v": m.version, "n": m.name, "t": now_iso()},
            )
            recorded.append(m.version)
    return recorded


# ---- ids and search (dispatched to from sqlite_extras) ---------------------------------


def next_id(conn: Connection, table: str) -> int:
    """The next id from the table's sequence (never max(id)+1). Rows inserted with ids from
    here on move the sequence past them (the table's `_sync_id` trigger)."""
    return int(
        conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"), {"t": table}
        ).scalar_one()
    )


_TOKEN = re.compile(r"\w+", re.UNICODE)


def to_tsquery(query: str) -> str:
    """Free text as a safe tsquery: terms AND-ed (prefix match from 3 letters on), a
    `"quoted phrase"` as adjacent words; the same reading as sqlite_extras.to_fts_query."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    parts = []
    for p in phrases:
        words = [w.lower() for w in _TOKEN.findall(p)]
        if words:
            parts.append("(" + " <-> ".join(f"'{w}'" for w in words) + ")")
    for tok in _TOKEN.findall(rest):
        tok = tok.lower()
        parts.append(f"'{tok}':*" if len(tok) >= 3 else f"'{tok}'")
    return " & ".join(parts)


def search_segments(
    conn: Connection, query: str, limit: int = 100, offset: int = 0
) -> list[tuple[int, float]]:
    """Segment ids matching `query`, best first (rank negated: lower is better, as bm25)."""
    q = to_tsquery(query)
    if not q:
        return []
    rows = conn.execute(
        text(
            "SELECT rowid, ts_rank(tsv, to_tsquery('simple', :q)) AS rank FROM segment_fts "
            "WHERE tsv @@ to_tsquery('simple', :q) ORDER BY rank DESC, rowid LIMIT :n OFFSET :o"
        ),
        {"q": q, "n": limit, "o": offset},
    )
    return [(int(r[0]), -float(r[1])) for r in rows]


def count_segment_matches(conn: Connection, query: str) -> int:
    q = to_tsquery(query)
    if not q:
        return 0
    sql = "SELECT count(*) FROM segment_fts WHERE tsv @@ to_tsquery('simple', :q)"
    return int(conn.execute(text(sql), {"q": q}).scalar_one())


# ---- logins ----------------------------------------------------------------------------


def check_login_name(name: str) -> str:
    if not LOGIN_NAME.match(name) or name.startswith(("pg_", "workbench_")):
        raise WorkbenchError(
            f"{name!r}: a login name is 1-63 lowercase letters, digits, '_', '.' or '-', "
            "starting with a letter or '_' (not pg_... or workbench_...)"
        )
    return name


def add_user(conn: Connection, name: str, role: str, password: str) -> bool:
    """Create login NAME in group workbench_ROLE (or move an existing login there, with the
    new password). The password is hashed (SCRAM) here, never sent in the clear. Returns
    whether the login is new."""
    check_login_name(name)
    group = f"workbench_{role}"
    if group not in ddl.ROLES:
        raise WorkbenchError(f"--role {role}: choose lead, coder or reader")
    if not password:
        raise WorkbenchError("the password is empty (give it on stdin or $WORKBENCH_NEW_PASSWORD)")
    raw = conn.connection.dbapi_connection
    assert raw is not None
    hashed = raw.pgconn.encrypt_password(  # type: ignore[attr-defined]
        password.encode(), name.encode(), b"scram-sha-256"
    ).decode()
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    quoted = '"' + name + '"'  # the name is checked above: no quote can be in it
    literal = "'" + hashed.replace("'", "''") + "'"
    if exists:
        conn.exec_driver_sql(f"ALTER ROLE {quoted} LOGIN PASSWORD {literal}")
        for other in ddl.ROLES:
            if other != group:
                conn.exec_driver_sql(f"REVOKE {other} FROM {quoted}")
        conn.exec_driver_sql(f"GRANT {group} TO {quoted}")
    else:
        conn.exec_driver_sql(f"CREATE ROLE {quoted} LOGIN PASSWORD {literal} IN ROLE {group}")
    return not exists


def login_role(conn: Connection) -> str | None:
    """lead, coder or reader: the workbench group of the connected login (None: the owner)."""
    for role in ddl.ROLES:
        member = conn.execute(
            text(
                "SELECT pg_has_role(current_user, :r, 'MEMBER') AND NOT "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            ),
            {"r": role},
        ).scalar_one()
        if member:
            return role.removeprefix("workbench_")
    return None


# ---- errors ----------------------------------------------------------------------------


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None)


def refusal_message(exc: BaseException) -> str | None:
    """One line naming the rule for a write the server refused (SQLSTATE 42501), else None."""
    if sqlstate(exc) != "42501":
        return None
    orig = getattr(exc, "orig", exc)
    primary = str(getattr(getattr(orig, "diag", None), "message_primary", "") or orig)
    primary = primary.strip().splitlines()[0] if primary.strip() else "permission denied"
    if primary.startswith("refused: "):
        return primary
    m = re.search(r'(?:for table|for relation|policy for table) "?(\w+)"?', primary)
    rule = ddl.RULES.get(m.group(1), "") if m else ""
    if "schema" in primary:
        rule = "this login is not in a workbench role (ask the lead: `workbench server add-user`)"
    return f"refused: {rule} ({primary})" if rule else f"refused by the server: {primary}"


def server_error_line(exc: BaseException) -> str:
    """The server's own first line of an error."""
    orig = getattr(exc, "orig", exc)
    msg = str(orig).strip()
    return msg.splitlines()[0] if msg else type(orig).__name__
