"""Versioned migrations, recorded in `schema_migrations` (sqlite-utils style).

To change the schema, append a function to MIGRATIONS; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, select

from workbench.store import schema, sqlite_extras
from workbench.timeutil import now_iso


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.V1_TABLES)
    sqlite_extras.create_v1_extras(conn)


def _v2_resolutions(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.V2_TABLES)


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "resolutions of coder disagreements", _v2_resolutions),
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


def latest_version() -> int:
    return max(m.version for m in MIGRATIONS)
