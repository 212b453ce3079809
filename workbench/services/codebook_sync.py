"""Codebook files <-> the project's codes (import by id, else by path; export as a Codebook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete

from workbench.services.codes import (
    CodeTree,
    code_values,
    coding_counts,
    get_meta,
    insert_code,
    set_meta,
    update_code,
)
from workbench.store import schema as s

if TYPE_CHECKING:
    from workbench.codebook.model import Code, Codebook


@dataclass
class CodebookImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # not in the file but kept (codings/children)

    def lines(self) -> list[str]:
        out = [
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed"
        ]
        for k in self.kept:
            out.append(f"kept: {k}")
        return out


def code_row_values(code: Code, parent_id: str | None, position: int) -> dict[str, object]:
    """The codes-table values for a codebook Code (shared by YAML and REFI-QDA imports)."""
    return code_values(
        name=code.name,
        parent_id=parent_id,
        description=code.description,
        include=code.include,
        exclude=code.exclude,
        examples=code.examples,
        aliases=code.aliases,
        groups=code.groups,
        merged_from=[m.model_dump(exclude_none=True) for m in code.merged_from],
        color=code.color,
        position=position,
    )


def import_codebook(conn: Connection, cb: Codebook, *, prune: bool = False) -> CodebookImportReport:
    """Add and update the project's codes from `cb` (inside the caller's transaction)."""
    from workbench.codebook.model import effective_id

    report = CodebookImportReport()
    tree = CodeTree.load(conn)
    by_path = {tuple(n.casefold() for n in tree.path(cid)): cid for cid in tree.codes}
    seen: set[str] = set()
    guids = {c.guid: c.id for c in tree.codes.values()}

    def visit(codes: list[Code], parent_id: str | None, parent_path: list[str]) -> None:
        for position, code in enumerate(codes):
            path = [*parent_path, code.name]
            cid = effective_id(code, path)
            existing = cid if cid in tree.codes else by_path.get(tuple(n.casefold() for n in path))
            values = code_row_values(code, parent_id, position)
            if existing is None:
                guid = code.guid if code.guid and code.guid not in guids else None
                insert_code(conn, cid, guid=guid, **values)
                report.added.append(" > ".join(path))
                seen.add(cid)
                target = cid
            else:
                old = tree.codes[existing]
                old_values = code_values(
                    name=old.name,
                    parent_id=old.parent_id,
                    description=old.description,
                    include=old.include,
                    exclude=old.exclude,
                    examples=old.examples,
                    aliases=old.aliases,
                    groups=old.groups,
                    merged_from=old.merged_from,
                    color=old.color,
                    position=old.position,
                )
                if old_values != values:
                    update_code(conn, existing, **values)
                    report.updated.append(" > ".join(path))
                else:
                    report.unchanged.append(" > ".join(path))
                seen.add(existing)
                target = existing
            visit(code.children, target, path)

    visit(cb.codes, None, [])
    if prune:
        _prune(conn, tree, seen, report)
    else:
        report.kept.extend(
            f"{tree.path_str(cid)} (not in the file; kept, use --prune to remove)"
            for cid in sorted(set(tree.codes) - seen)
        )
    set_meta(conn, "codebook_title", cb.codebook)
    if cb.version is not None:
        set_meta(conn, "codebook_version", str(cb.version))
    return report


def _prune(conn: Connection, tree: CodeTree, seen: set[str], report: CodebookImportReport) -> None:
    counts = coding_counts(conn)
    gone = set(tree.codes) - seen
    # deepest first so children go before parents
    for cid in sorted(gone, key=lambda c: -len(tree.path(c))):
        n = counts.get(cid, 0)
        live_children = [c for c in tree.children.get(cid, []) if c not in gone or c in report.kept]
        if n or live_children:
            report.kept.append(f"{tree.path_str(cid)} ({n} codings; not removed)")
            continue
        conn.execute(delete(s.suggestion_feedback).where(s.suggestion_feedback.c.code_id == cid))
        conn.execute(delete(s.codes).where(s.codes.c.id == cid))
        report.removed.append(tree.path_str(cid))


def export_codebook(conn: Connection) -> Codebook:
    """The project's codes as a Codebook model (ids and GUIDs explicit, so round trips are exact)."""
    from workbench.codebook.model import Codebook

    tree = CodeTree.load(conn)

    def build(parent: str | None) -> list[dict[str, Any]]:
        out = []
        for cid in tree.children.get(parent, []):
            c = tree.codes[cid]
            item: dict[str, Any] = {"name": c.name, "id": c.id, "guid": c.guid}
            for key in ("description", "include", "exclude", "color"):
                if getattr(c, key):
                    item[key] = getattr(c, key)
            for key in ("examples", "aliases", "groups", "merged_from"):
                if getattr(c, key):
                    item[key] = list(getattr(c, key))
            kids = build(cid)
            if kids:
                item["children"] = kids
            out.append(item)
        return out

    codes = build(None)
    title = get_meta(conn, "codebook_title") or "Workbench codebook"
    version = get_meta(conn, "codebook_version")
    data: dict[str, Any] = {"codebook": title, "codes": codes}
    if version is not None:
        data["version"] = int(version) if version.isdigit() else version
    return Codebook.model_validate(data)
