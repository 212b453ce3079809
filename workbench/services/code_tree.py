"""The codebook as the store holds it: codes, their tree, paths and name look-up.

Read with SQL text (store.reader), so the first screen and `export excerpts` can load it
from a plain sqlite3 connection; writes live in services/codes.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import WorkbenchError
from workbench.store.reader import Reader, fetch

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


CODE_COLUMNS = (
    "id, guid, parent_id, name, description, include, exclude, examples, aliases, groups, "
    "merged_from, color, position"
)


def row_to_code(r: Sequence[Any]) -> CodeRow:
    """A `codes` row read as `SELECT {CODE_COLUMNS}` (in that order)."""
    cid, guid, parent, name, desc, inc, exc, examples, aliases, groups, merged, color, pos = r
    return CodeRow(
        id=cid,
        guid=guid,
        parent_id=parent,
        name=name,
        description=desc,
        include=inc,
        exclude=exc,
        examples=tuple(json.loads(examples or "[]")),
        aliases=tuple(json.loads(aliases or "[]")),
        groups=tuple(json.loads(groups or "[]")),
        merged_from=tuple(json.loads(merged or "[]")),
        color=color,
        position=int(pos or 0),
    )


@dataclass
class CodeTree:
    """All codes, with parent/child lookups and paths."""

    codes: dict[str, CodeRow]
    children: dict[str | None, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Reader) -> CodeTree:
        rows = [row_to_code(r) for r in fetch(conn, f"SELECT {CODE_COLUMNS} FROM codes")]
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
