"""The project's codebook in the store: read, resolve names, import and export codebooks."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import Connection, func, insert, select, update

from workbench.services.code_tree import (  # noqa: F401 - re-exported: the codebook's model
    PATH_SEP,
    CodeRow,
    CodeTree,
    row_to_code,
)
from workbench.store import schema as s
from workbench.timeutil import now_iso


def coding_counts(conn: Connection) -> dict[str, int]:
    return dict(
        conn.execute(select(s.codings.c.code_id, func.count()).group_by(s.codings.c.code_id)).all()
    )


def code_values(
    *,
    name: str,
    parent_id: str | None,
    description: str | None = None,
    include: str | None = None,
    exclude: str | None = None,
    examples: list[str] | tuple[str, ...] = (),
    aliases: list[str] | tuple[str, ...] = (),
    groups: list[str] | tuple[str, ...] = (),
    merged_from: list[dict[str, str]] | tuple[dict[str, str], ...] = (),
    color: str | None = None,
    position: int = 0,
) -> dict[str, object]:
    return {
        "name": name,
        "parent_id": parent_id,
        "description": description,
        "include": include,
        "exclude": exclude,
        "examples": json.dumps(list(examples), ensure_ascii=False),
        "aliases": json.dumps(list(aliases), ensure_ascii=False),
        "groups": json.dumps(list(groups), ensure_ascii=False),
        "merged_from": json.dumps(list(merged_from), ensure_ascii=False, sort_keys=True),
        "color": color,
        "position": position,
    }


def insert_code(conn: Connection, code_id: str, guid: str | None = None, **values: object) -> None:
    conn.execute(
        insert(s.codes).values(
            id=code_id, guid=guid or str(uuid.uuid4()), created=now_iso(), **values
        )
    )


def update_code(conn: Connection, code_id: str, **values: object) -> None:
    conn.execute(update(s.codes).where(s.codes.c.id == code_id).values(**values))


def get_meta(conn: Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute(select(s.project_meta.c.value).where(s.project_meta.c.key == key)).first()
    return row[0] if row else default


def set_meta(conn: Connection, key: str, value: str) -> None:
    if get_meta(conn, key) is None:
        conn.execute(insert(s.project_meta).values(key=key, value=value))
    else:
        conn.execute(update(s.project_meta).where(s.project_meta.c.key == key).values(value=value))
