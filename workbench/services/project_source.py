"""Another project's `.sqlite`, read (read-only) as a source of codings, and checked whole.

Anything can be handed to `workbench import X.sqlite`: an empty file, some other SQLite
database, a project whose triggers were dropped in the sqlite3 shell and whose codings now
name documents or codes that are gone, views where tables should be, code parents that loop.
Every such file is refused in one line before anything is imported; a file that passes gives
plain, consistent data (`OtherProject`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workbench.errors import WorkbenchError
from workbench.inputcheck import require_regular_file
from workbench.services.codes import PATH_SEP

COLUMNS = {
    "documents": ("id", "name", "sha256"),
    "codes": ("id", "name", "parent_id"),
    "codings": ("document_id", "start", "end", "code_id", "coder", "created", "memo"),
}
# What each kind of damage is called, singular and plural.
_DAMAGE = {
    "doc": ("coding names a missing document", "codings name a missing document"),
    "code": ("coding names a missing code", "codings name a missing code"),
    "span": (
        "coding has a span that is not two whole numbers 0 <= start < end",
        "codings have a span that is not two whole numbers 0 <= start < end",
    ),
    "coder": ("coding has no coder", "codings have no coder"),
    "text": (
        "coding has a created time or memo that is not text",
        "codings have a created time or memo that is not text",
    ),
    "docrow": ("document has no id or name", "documents have no id or name"),
    "dupname": ("document name is used twice", "document names are used twice"),
    "coderow": ("code has no id or name", "codes have no id or name"),
    "parent": ("code lies under a missing parent", "codes lie under a missing parent"),
    "cycle": ("code lies in a loop of parents", "codes lie in a loop of parents"),
}


@dataclass(frozen=True)
class OtherDocument:
    name: str
    sha256: str | None


@dataclass(frozen=True)
class OtherCoding:
    document_id: int
    start: int
    end: int
    code_id: str
    coder: str
    created: str | None
    memo: str | None


@dataclass
class OtherProject:
    documents: dict[int, OtherDocument]
    code_names: dict[str, str]
    code_paths: dict[str, str]  # code id -> names from the root, joined with PATH_SEP
    codings: list[OtherCoding] = field(default_factory=list)


def read_other_project(path: Path) -> OtherProject:
    """Read and check another project's documents, codes and codings; one line if unusable."""
    from workbench.store.db import is_open_project

    size = require_regular_file(path, "project")
    if size == 0:
        raise WorkbenchError(f"{path}: is an empty file (0 bytes), not a Workbench project")
    if is_open_project(path):  # never open the project file a second time in this process
        raise WorkbenchError(f"{path}: is the project being imported into; nothing to import")
    try:
        con = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise WorkbenchError(f"{path}: cannot open it as a project ({exc})") from exc
    try:
        con.execute("PRAGMA query_only = ON")
        rows = _fetch(con, path)
    except sqlite3.DatabaseError as exc:
        raise WorkbenchError(f"{path}: not a Workbench project ({exc})") from exc
    finally:
        con.close()
    return _check(path, *rows)


def _fetch(con: sqlite3.Connection, path: Path) -> tuple[list[Any], list[Any], list[Any]]:
    kinds = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
    if not any(t in kinds for t in COLUMNS):
        raise WorkbenchError(
            f"{path}: not a Workbench project (it has no documents, codes or codings tables)"
        )
    for table, wanted in COLUMNS.items():
        if kinds.get(table) != "table":  # a view could compute for ever
            what = "table" if table not in kinds else f"table (it is a {kinds[table]})"
            raise WorkbenchError(f"{path}: not a Workbench project (no '{table}' {what})")
        have = {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}
        missing = [c for c in wanted if c not in have]
        if missing:
            raise WorkbenchError(
                f"{path}: not a Workbench project ('{table}' has no column "
                f"{', '.join(repr(c) for c in missing)})"
            )
    docs = con.execute("SELECT id, name, sha256 FROM documents").fetchall()
    codes = con.execute("SELECT id, name, parent_id FROM codes").fetchall()
    codings = con.execute(
        'SELECT document_id, start, "end", code_id, coder, created, memo FROM codings '
        "ORDER BY document_id, start"
    ).fetchall()
    return docs, codes, codings


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


def _check(path: Path, docs: list[Any], codes: list[Any], codings: list[Any]) -> OtherProject:
    damage: Counter[str] = Counter()
    documents: dict[int, OtherDocument] = {}
    names: set[str] = set()
    for doc_id, name, sha in docs:
        if not _is_int(doc_id) or not isinstance(name, str) or not name or not _text_or_none(sha):
            damage["docrow"] += 1
            continue
        if name in names:
            damage["dupname"] += 1
        names.add(name)
        documents[doc_id] = OtherDocument(name, sha)
    code_names: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    for code_id, name, parent in codes:
        if not isinstance(code_id, str) or not code_id or not isinstance(name, str):
            damage["coderow"] += 1
            continue
        code_names[code_id] = name
        parents[code_id] = parent if isinstance(parent, str) else None
    code_paths = _paths(code_names, parents, damage)
    out = OtherProject(documents, code_names, code_paths)
    for doc_id, start, end, code_id, coder, created, memo in codings:
        if doc_id not in documents:
            damage["doc"] += 1
        elif code_id not in code_paths:
            damage["code"] += 1
        elif not (_is_int(start) and _is_int(end) and 0 <= start < end):
            damage["span"] += 1
        elif not isinstance(coder, str) or not coder.strip():
            damage["coder"] += 1
        elif not (_text_or_none(created) and _text_or_none(memo)):
            damage["text"] += 1
        else:
            out.codings.append(OtherCoding(doc_id, start, end, code_id, coder, created, memo))
    if damage:
        parts = [f"{n} {_DAMAGE[k][0] if n == 1 else _DAMAGE[k][1]}" for k, n in damage.items()]
        raise WorkbenchError(
            f"{path}: damaged project: {', '.join(parts)}; nothing imported (run "
            "`workbench check` on it)"
        )
    return out


def _paths(
    names: dict[str, str], parents: dict[str, str | None], damage: Counter[str]
) -> dict[str, str]:
    """Each code's path of names; codes under a missing parent or in a loop are left out."""
    paths: dict[str, str] = {}
    for start in names:
        chain: list[str] = []
        seen: set[str] = set()
        cur: str | None = start
        while cur is not None:
            if cur in seen:
                damage["cycle"] += 1
                break
            if cur not in names:
                damage["parent"] += 1
                break
            seen.add(cur)
            chain.append(names[cur])
            cur = parents[cur]
        else:
            paths[start] = PATH_SEP.join(reversed(chain))
    return paths
