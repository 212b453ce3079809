"""Editing the codebook in the store: add, rename, move, edit, merge and delete codes.

Shared by the TUI's codebook panel and any CLI command; every function runs inside the
caller's transaction (`project.begin()`) and raises WorkbenchError for bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, func, select, update

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeRow, CodeTree, code_values, insert_code, update_code
from workbench.store import schema as s

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
EDITABLE = ("description", "include", "exclude", "examples", "color", "aliases")


@dataclass(frozen=True)
class MergeOutcome:
    survivor: str
    loser: str
    moved: int  # codings now on the survivor
    duplicates: int  # codings dropped because the survivor already had the same span/coder


def _slug(name: str) -> str:
    from workbench.codebook.model import slugify

    return slugify(name)


def _check_name(tree: CodeTree, name: str, parent_id: str | None, skip: str | None = None) -> str:
    name = name.strip()
    if not name:
        raise WorkbenchError("code name is empty")
    for sib in tree.children.get(parent_id, []):
        if sib != skip and tree.codes[sib].name.casefold() == name.casefold():
            raise WorkbenchError(f"'{name}': a sibling code already has that name")
    return name


def _get(tree: CodeTree, code_id: str) -> CodeRow:
    if code_id not in tree.codes:
        raise WorkbenchError(f"code id '{code_id}': no such code")
    return tree.codes[code_id]


def check_color(color: str | None) -> str | None:
    if color is None or not color.strip():
        return None
    color = color.strip()
    if not HEX_COLOR.match(color):
        raise WorkbenchError(f'colour {color!r}: use "#RGB" or "#RRGGBB"')
    return color


def add_code(
    conn: Connection,
    name: str,
    parent_id: str | None = None,
    *,
    description: str | None = None,
    color: str | None = None,
) -> CodeRow:
    """Create a code under `parent_id` (None = top level); its id is the slug of its path."""
    tree = CodeTree.load(conn)
    if parent_id is not None:
        _get(tree, parent_id)
    name = _check_name(tree, name, parent_id)
    base = f"{parent_id}/{_slug(name)}" if parent_id else _slug(name)
    code_id, n = base, 2
    while code_id in tree.codes:
        code_id, n = f"{base}-{n}", n + 1
    position = len(tree.children.get(parent_id, []))
    insert_code(
        conn,
        code_id,
        **code_values(
            name=name,
            parent_id=parent_id,
            description=description or None,
            color=check_color(color),
            position=position,
        ),
    )
    return CodeTree.load(conn).codes[code_id]


def rename_code(conn: Connection, code_id: str, new_name: str, *, keep_alias: bool = True) -> None:
    """Rename a code (its id stays); the old name becomes an alias unless keep_alias=False."""
    tree = CodeTree.load(conn)
    code = _get(tree, code_id)
    new_name = _check_name(tree, new_name, code.parent_id, skip=code_id)
    aliases = [a for a in code.aliases if a.casefold() != new_name.casefold()]
    if keep_alias and code.name.casefold() != new_name.casefold() and code.name not in aliases:
        aliases.append(code.name)
    update_code(conn, code_id, name=new_name, aliases=_json(aliases))


def move_code(conn: Connection, code_id: str, new_parent_id: str | None) -> None:
    """Move a code (with its subtree) under another parent; a code cannot go under itself."""
    tree = CodeTree.load(conn)
    code = _get(tree, code_id)
    if new_parent_id is not None:
        _get(tree, new_parent_id)
        if new_parent_id == code_id or new_parent_id in tree.descendants(code_id):
            raise WorkbenchError(f"cannot move '{code.name}' under itself or its own child")
    _check_name(tree, code.name, new_parent_id, skip=code_id)
    position = len(tree.children.get(new_parent_id, []))
    update_code(conn, code_id, parent_id=new_parent_id, position=position)


def edit_code(conn: Connection, code_id: str, **fields: object) -> None:
    """Set description, include, exclude, examples (list), aliases (list) and/or colour."""
    tree = CodeTree.load(conn)
    _get(tree, code_id)
    values: dict[str, object] = {}
    for key, value in fields.items():
        if key not in EDITABLE:
            raise WorkbenchError(f"'{key}': not an editable code field")
        if key in ("examples", "aliases"):
            items = [str(v).strip() for v in (value or []) if str(v).strip()]  # type: ignore[attr-defined]
            values[key] = _json(items)
        elif key == "color":
            values[key] = check_color(value)  # type: ignore[arg-type]
        else:
            text = str(value).strip() if value is not None else ""
            values[key] = text or None
    if values:
        update_code(conn, code_id, **values)


def coding_count(conn: Connection, code_id: str) -> int:
    return conn.execute(
        select(func.count()).select_from(s.codings).where(s.codings.c.code_id == code_id)
    ).scalar_one()


def delete_code(conn: Connection, code_id: str, *, delete_codings: bool = False) -> int:
    """Delete a code; its children move up to its parent. Codings block it unless
    delete_codings=True, in which case they go too. Returns the number of codings deleted."""
    tree = CodeTree.load(conn)
    code = _get(tree, code_id)
    n = coding_count(conn, code_id)
    if n and not delete_codings:
        raise WorkbenchError(f"'{code.name}' has {n} codings; confirm to delete them too")
    if n:
        ids = [
            r[0] for r in conn.execute(select(s.codings.c.id).where(s.codings.c.code_id == code_id))
        ]
        conn.execute(
            delete(s.memos).where(
                and_(
                    s.memos.c.target_type == "coding",
                    s.memos.c.target_id.in_([str(i) for i in ids]),
                )
            )
        )
        conn.execute(delete(s.codings).where(s.codings.c.code_id == code_id))
    conn.execute(
        update(s.codes).where(s.codes.c.parent_id == code_id).values(parent_id=code.parent_id)
    )
    conn.execute(delete(s.suggestion_feedback).where(s.suggestion_feedback.c.code_id == code_id))
    conn.execute(delete(s.codes).where(s.codes.c.id == code_id))
    return n


def merge_codes(conn: Connection, loser_id: str, survivor_id: str) -> MergeOutcome:
    """Merge `loser` into `survivor`: codings, children, memos and feedback move over, the
    loser's name and aliases become aliases of the survivor, and the loser is deleted."""
    tree = CodeTree.load(conn)
    loser, survivor = _get(tree, loser_id), _get(tree, survivor_id)
    if loser_id == survivor_id:
        raise WorkbenchError("cannot merge a code into itself")
    if survivor_id in tree.descendants(loser_id):
        raise WorkbenchError(f"cannot merge '{loser.name}' into its own child '{survivor.name}'")
    moved = dupes = 0
    keys = {
        (r.document_id, r.start, r.end, r.coder)
        for r in conn.execute(select(s.codings).where(s.codings.c.code_id == survivor_id))
    }
    for r in conn.execute(select(s.codings).where(s.codings.c.code_id == loser_id)).all():
        if (r.document_id, r.start, r.end, r.coder) in keys:
            conn.execute(delete(s.codings).where(s.codings.c.id == r.id))
            dupes += 1
        else:
            conn.execute(
                update(s.codings).where(s.codings.c.id == r.id).values(code_id=survivor_id)
            )
            moved += 1
    fb_keys = {
        (r.segment_id, r.coder)
        for r in conn.execute(
            select(s.suggestion_feedback).where(s.suggestion_feedback.c.code_id == survivor_id)
        )
    }
    for r in conn.execute(
        select(s.suggestion_feedback).where(s.suggestion_feedback.c.code_id == loser_id)
    ).all():
        stmt = s.suggestion_feedback.c.id == r.id
        if (r.segment_id, r.coder) in fb_keys:
            conn.execute(delete(s.suggestion_feedback).where(stmt))
        else:
            conn.execute(update(s.suggestion_feedback).where(stmt).values(code_id=survivor_id))
    conn.execute(
        update(s.memos)
        .where(and_(s.memos.c.target_type == "code", s.memos.c.code_id == loser_id))
        .values(code_id=survivor_id)
    )
    conn.execute(
        update(s.codes).where(s.codes.c.parent_id == loser_id).values(parent_id=survivor_id)
    )
    aliases = list(survivor.aliases)
    for name in (loser.name, *loser.aliases):
        if name.casefold() != survivor.name.casefold() and name not in aliases:
            aliases.append(name)
    merged = [*survivor.merged_from, *loser.merged_from]
    merged.append({"codebook": "project", "id": loser_id, "path": tree.path_str(loser_id)})
    update_code(
        conn,
        survivor_id,
        aliases=_json(aliases),
        merged_from=code_values(name="", parent_id=None, merged_from=merged)["merged_from"],
    )
    conn.execute(delete(s.codes).where(s.codes.c.id == loser_id))
    return MergeOutcome(survivor_id, loser_id, moved, dupes)


def _json(items: list[str]) -> str:
    return str(code_values(name="", parent_id=None, aliases=items)["aliases"])
