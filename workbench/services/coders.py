"""The coders of a project: every name that has at least one coding."""

from __future__ import annotations

from sqlalchemy import Connection, select

from workbench.store import schema as s


def coders(conn: Connection) -> list[str]:
    """Coder names with codings, in alphabetical order."""
    return [
        r[0] for r in conn.execute(select(s.codings.c.coder).distinct().order_by(s.codings.c.coder))
    ]
