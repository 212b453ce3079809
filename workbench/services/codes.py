"""The project's codebook in the store: read, resolve names, import and export codebooks."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, insert, select, update

from workbench.errors import WorkbenchError
from workbench.store import schema as s
from workbench.timeutil import now_iso

PATH_SEP = " > "


@dataclass(frozen=True)
class CodeRow:
    id: str
    guid: str
    parent_id: str | None
    name: str
    description: str | None = None
    include: str | None = None
    exclude: str | None = None
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    merged_from: tuple[dict[str, str], ...] = ()
    color: str | None = None
    position: int = 0


def _row_to_code(r) -> CodeRow:  # type: ignore[no-untyped-def]
    return CodeRow(
        id=r.id,
        guid=r.guid,
        parent_id=r.parent_id,
        name=r.name,
        description=r.description,
        include=r.include,
        exclude=r.exclude,
        examples=tuple(json.loads(r.examples or "[]")),
        aliases=tuple(json.loads(r.aliases or "[]")),
        groups=tuple(json.loads(r.groups or "[]")),
        merged_from=tuple(json.loads(r.merged_from or "[]")),
        color=r.color,
        position=r.position,
    )


@dataclass
class CodeTree:
    """All codes, with parent/child lookups and paths."""

    codes: dict[str, CodeRow]
    children: dict[str | None, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> CodeTree:
        rows = [_row_to_code(r) for r in conn.execute(select(s.codes))]
        codes = {c.id: c for c in rows}
        children: dict[str | None, list[str]] = {}
        for c in sorted(rows, key=lambda c: (c.position, c.name.casefold())):
            children.setdefault(c.parent_id, []).append(c.id)
        return cls(codes=codes, children=children)

    def path(self, code_id: str) -> list[str]:
        names: list[str] = []
        cur: str | None = code_id
        while cur is not None:
            code = self.codes[cur]
            names.append(code.name)
            cur = code.parent_id
        return names[::-1]

    def path_str(self, code_id: str) -> str:
        return PATH_SEP.join(self.path(code_id))

    def descendants(self, code_id: str) -> list[str]:
        out: list[str] = []
        stack = list(self.children.get(code_id, []))
        while stack:
            cid = stack.pop()
            out.append(cid)
            stack.extend(self.children.get(cid, []))
        return out

    def walk(self, parent: str | None = None, depth: int = 0) -> list[tuple[CodeRow, int]]:
        """Codes in tree order with their depth."""
        out: list[tuple[CodeRow, int]] = []
        for cid in self.children.get(parent, []):
            out.append((self.codes[cid], depth))
            out.extend(self.walk(cid, depth + 1))
        return out

    def resolve(self, ref: str) -> CodeRow:
        """A code by id, path (`A > B`), name or alias (case-insensitive); ambiguity is an error."""
        ref = ref.strip()
        if ref in self.codes:
            return self.codes[ref]
        key = ref.casefold()
        if PATH_SEP.strip() in ref:
            wanted = [p.strip().casefold() for p in ref.split(PATH_SEP.strip())]
            for cid in self.codes:
                if [n.casefold() for n in self.path(cid)] == wanted:
                    return self.codes[cid]
        by_name = [c for c in self.codes.values() if c.name.casefold() == key]
        if not by_name:
            by_name = [c for c in self.codes.values() if key in (a.casefold() for a in c.aliases)]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            paths = "; ".join(sorted(f"{self.path_str(c.id)} (id {c.id})" for c in by_name))
            raise WorkbenchError(f"code '{ref}' is ambiguous: {paths}; give its id or path")
        raise WorkbenchError(f"code '{ref}': no such code in the project's codebook")


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
