"""SQLite triggers of later migrations, carried over to PostgreSQL as PL/pgSQL.

A migration after 3 that keeps data right with triggers (migration 5's per-document counts)
writes them for SQLite only, as a module-level `TRIGGERS` tuple of
`CREATE TRIGGER name BEFORE|AFTER event ON table [WHEN cond] BEGIN statements; END`. Their
bodies are portable SQL, so each becomes a row trigger running a SECURITY DEFINER function
(a coder's coding updates counts that only the owner may write). Migration 3's guards are
written by hand in postgres_ddl.py instead. A trigger that cannot be read this way is an
error at `server init`, never silently left out.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from workbench.errors import WorkbenchError

_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(BEFORE|AFTER)\s+"
    r"(INSERT|DELETE|UPDATE(?:\s+OF\s+[\w\", ]+?)?)\s+ON\s+(\w+)\s+"
    r"(?:FOR\s+EACH\s+ROW\s+)?(?:WHEN\s+(.*?)\s+)?BEGIN\s+(.*?)\s*END\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_RAISE = re.compile(
    r"SELECT\s+RAISE\s*\(\s*(?:ABORT|FAIL|ROLLBACK)\s*,\s*('(?:[^']|'')*')\s*\)", re.I
)
_WRITES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.I)
NATIVE = ("workbench.store.migration_v3",)  # ported by hand (postgres_ddl)


_UPSERT = re.compile(
    r"(INSERT\s+INTO\s+(\w+).*?ON\s+CONFLICT.*?DO\s+UPDATE\s+SET\s+)([^;]*)", re.I | re.DOTALL
)


def _qualify_upserts(sql: str) -> str:
    """`DO UPDATE SET n = n + 1`: PostgreSQL needs the target's `n` named as table.n (the
    row being inserted is EXCLUDED.n); SQLite reads a bare `n` as the target's."""

    def fix(m: re.Match[str]) -> str:
        head, table, sets = m.group(1), m.group(2), m.group(3)
        parts = []
        for assignment in sets.split(","):
            col, _, expr = assignment.partition("=")
            name = col.strip().strip('"')
            expr = re.sub(rf"(?<![.\w])\b{re.escape(name)}\b", f"{table}.{name}", expr)
            parts.append(f"{col}={expr}")
        return head + ",".join(parts)

    return _UPSERT.sub(fix, sql)


def _pg_expr(sql: str) -> str:
    return re.sub(r"\bIS\s+NOT\s+(?!NULL\b)", "IS DISTINCT FROM ", sql, flags=re.I)


def sqlite_triggers() -> Iterator[tuple[str, str]]:
    """(module, statement) of every registered migration's TRIGGERS, in migration order."""
    from workbench.store import migrations

    seen: set[str] = set()
    for m in migrations.MIGRATIONS:
        name = m.apply.__module__
        if name in seen or name in NATIVE or name == migrations.__name__:
            continue
        seen.add(name)
        for statement in getattr(sys.modules.get(name), "TRIGGERS", ()):
            yield name, statement


def port(statement: str) -> tuple[str, list[str], set[str]]:
    """(trigger name, PostgreSQL DDL, tables its body writes) for one SQLite trigger."""
    m = _TRIGGER.match(statement)
    if m is None:
        raise WorkbenchError(f"cannot carry this SQLite trigger to PostgreSQL: {statement[:80]}")
    name, timing, event, table, when, body = m.groups()
    event = re.sub(r"\s+", " ", event.strip())
    body = _qualify_upserts(_pg_expr(_RAISE.sub(r"RAISE EXCEPTION \1", body.strip())))
    if not body.endswith(";"):
        body += ";"
    ret = "RETURN NULL;"
    if timing.upper() == "BEFORE":
        ret = "RETURN OLD;" if event.upper() == "DELETE" else "RETURN NEW;"
    if when:
        body = f"IF {_pg_expr(when)} THEN {body} END IF;"
    func = f"workbench_port_{name}"
    ddl = [
        f"CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql "
        f"SECURITY DEFINER SET search_path = public AS $$ BEGIN {body} {ret} END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {func}()",
    ]
    return name, ddl, {t.lower() for t in _WRITES.findall(body)} - {"set"}


def backfills(versions: set[int]) -> list[str]:
    """`BACKFILL` statements of the migrations `versions` (portable SQL that fills what
    their triggers keep, for a server project that already has rows)."""
    from workbench.store import migrations

    out: list[str] = []
    for m in migrations.MIGRATIONS:
        if m.version in versions and m.apply.__module__ not in NATIVE:
            out += getattr(sys.modules.get(m.apply.__module__), "BACKFILL", ())
    return out


def ported() -> tuple[list[str], set[str]]:
    """The DDL of every carried trigger, and the tables they keep (derived data: a push
    leaves them to the triggers)."""
    ddl: list[str] = []
    kept: set[str] = set()
    for _module, statement in sqlite_triggers():
        _name, statements, writes = port(statement)
        ddl += statements
        kept |= writes
    return ddl, kept - {"change_counters"}
