"""Versioned migrations, recorded in `schema_migrations` (sqlite-utils style).

To change the schema, append a function to MIGRATIONS; never edit one that has shipped.
Every migration is frozen literal DDL (migration_v1.py, migration_v3.py): schema.py may
change its Table objects, a shipped migration never changes with them. `migrate` runs
inside the caller's BEGIN IMMEDIATE transaction, with foreign keys off (table rebuilds
need that; `open_project` arranges it and turns them back on after the commit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, select

from workbench.store import migration_v1, migration_v3, migration_v4, migration_v5, schema
from workbench.timeutil import now_iso


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]
    # A server project (PostgreSQL) gets its tables from schema.py and needs no step; a
    # migration that changes an existing table gives the PostgreSQL step here
    # (postgres_extras.create_schema runs it before creating new tables).
    postgres: Callable[[Connection], None] | None = None


def _v1_initial(conn: Connection) -> None:
    for statement in migration_v1.V1_DDL:
        conn.exec_driver_sql(statement)


def _v2_resolutions(conn: Connection) -> None:
    for statement in migration_v1.V2_DDL:
        conn.exec_driver_sql(statement)


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "resolutions of coder disagreements", _v2_resolutions),
    Migration(3, "ids never reused, memo foreign keys, change counter, guards", migration_v3.apply),
    Migration(4, "pseudonym proposals", migration_v4.apply),
    Migration(5, "indexes for everyday queries, counts kept by triggers", migration_v5.apply),
]


def applied_versions(conn: Connection) -> set[int]:
    if not inspect(conn).has_table("schema_migrations"):
        return set()
    rows = conn.execute(select(schema.schema_migrations.c.version))
    return {int(r[0]) for r in rows}


def migrate(conn: Connection) -> list[int]:
    """Apply every pending migration inside the caller's transaction; return versions applied."""
    done = applied_versions(conn)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        migration.apply(conn)
        conn.execute(
            schema.schema_migrations.insert().values(
                version=migration.version, name=migration.name, applied_at=now_iso()
            )
        )
        applied.append(migration.version)
    return applied


def all_versions() -> set[int]:
    return {m.version for m in MIGRATIONS}


def latest_version() -> int:
    return max(m.version for m in MIGRATIONS)
