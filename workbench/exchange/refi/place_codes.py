"""Codes from a `.qdpx` into the store: matched by GUID, else by path of names, else added.

Into an empty project every code is added with the file's GUID. When merging, a code that is
already in the project (same GUID, or same path) keeps its own definition; only new codes are
added, under their mapped parents, after the existing siblings.
"""

from __future__ import annotations

from sqlalchemy import Connection

from workbench.codebook.model import Code, Codebook, effective_id
from workbench.services.codebook_sync import code_row_values
from workbench.services.codes import CodeTree, insert_code


def _unique_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def place_codes(
    conn: Connection, cb: Codebook | None, merged: list[str]
) -> tuple[dict[str, str], int]:
    """Insert or match every code; returns ({file GUID: code id}, number added)."""
    mapping: dict[str, str] = {}
    if cb is None:
        return mapping, 0
    tree = CodeTree.load(conn)
    by_guid = {c.guid: c.id for c in tree.codes.values()}
    by_path = {tuple(n.casefold() for n in tree.path(cid)): cid for cid in tree.codes}
    taken = set(tree.codes)
    added = 0

    def next_position(parent: str | None) -> int:
        siblings = tree.children.get(parent, [])
        return max((tree.codes[c].position for c in siblings), default=-1) + 1

    def visit(codes: list[Code], parent_id: str | None, parent_path: list[str]) -> None:
        nonlocal added
        base = next_position(parent_id) if tree.codes else 0
        for offset, code in enumerate(codes):
            path = [*parent_path, code.name]
            shown = " > ".join(path)
            key = tuple(n.casefold() for n in path)
            target = by_guid.get(code.guid or "")
            if target is not None:
                merged.append(f"code '{shown}': same GUID as '{tree.path_str(target)}'; kept")
            elif key in by_path:
                target = by_path[key]
                merged.append(f"code '{shown}': already in the project (same path); kept")
            else:
                target = _unique_id(effective_id(code, path), taken)
                taken.add(target)
                insert_code(
                    conn,
                    target,
                    guid=code.guid if code.guid and code.guid not in by_guid else None,
                    **code_row_values(code, parent_id, base + offset),
                )
                added += 1
            if code.guid:
                mapping[code.guid] = target
            visit(code.children, target, path)

    visit(cb.codes, None, [])
    return mapping, added
