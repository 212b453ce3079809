"""Importing a colleague's codings: an excerpt CSV (CONTRACT §5) or another project's .sqlite.

Codes map through ids, names, paths, aliases and `merged_from` entries, so codings made with a
coder's own codebook land on the merged codebook. Rows that cannot be placed exactly are
reported, never guessed.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, func, select

from workbench.csvsafe import restore
from workbench.errors import WorkbenchError
from workbench.services.codes import PATH_SEP, CodeRow, CodeTree
from workbench.services.coding_bulk import NewCoding, add_codings
from workbench.services.sheet import open_sheet
from workbench.store import schema as s

REQUIRED = ("document", "start", "end", "code")
STRIPPED = ("document", "coder")  # surrounding spaces dropped (before the guard is undone)


def unneutralise(cell: str) -> str:
    """Undo the export's formula guard (workbench.csvsafe: `'=x` -> `=x`,
    `''=x` -> `'=x`; any other leading apostrophe is kept)."""
    return str(restore(cell))


USED = (*REQUIRED, "code_path", "coder", "memo", "created", "text")


def _read_cells(path: Path) -> Iterator[list[str] | dict[str, str]]:
    """The stripped header first, then for every non-empty row its used cells (USED) as
    exported: the formula guard undone once, here only; a missing cell is absent (as
    csv.DictReader gives them: the last of two columns of one name wins)."""
    try:
        with ExitStack() as stack:
            sheet = open_sheet(path, stack)  # as Excel re-saves it: `;`, cp1252, UTF-16
            header = sheet.header
            yield header
            used = {name: i for i, name in enumerate(header) if name in USED}
            cells = [(name, i, name in STRIPPED) for name, i in used.items()]
            for _lineno, row in sheet.rows:
                if not row:
                    continue  # a blank line (DictReader skips it too)
                n = len(row)
                out = {
                    name: row[i].strip() if strip else row[i] for name, i, strip in cells if i < n
                }
                for name, value in out.items():
                    if value[:1] == "'":  # only such a cell can carry the guard
                        out[name] = unneutralise(value)
                yield out
    except (UnicodeDecodeError, csv.Error) as exc:
        raise WorkbenchError(f"{path}: cannot read as a CSV ({exc})") from exc


@dataclass
class CodeMapper:
    """Maps a code reference from another codebook onto this project's codes."""

    tree: CodeTree
    _merged: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code in self.tree.codes.values():
            for origin in code.merged_from:
                for key in (origin.get("id"), origin.get("path")):
                    if key:
                        self._merged.setdefault(key.casefold(), code.id)

    def map(self, *refs: str | None) -> CodeRow | None:
        for ref in refs:
            if not ref:
                continue
            if ref.casefold() in self._merged:
                return self.tree.codes[self._merged[ref.casefold()]]
            try:
                return self.tree.resolve(ref)
            except WorkbenchError:
                continue
        return None


def import_codings_file(conn: Connection, path: Path, coder: str | None = None) -> list[str]:
    if path.suffix.lower() == ".sqlite":
        return _import_project(conn, path)
    return _import_csv(conn, path, coder)


def _import_csv(conn: Connection, path: Path, default_coder: str | None) -> list[str]:
    reading = _read_cells(path)
    header = cast(list[str], next(reading))
    rows = cast(Iterator[dict[str, str]], reading)
    missing = [c for c in REQUIRED if c not in header]
    if missing or ("coder" not in header and not default_coder):
        reading.close()
        if missing:
            raise WorkbenchError(f"{path}:1: missing column(s) {', '.join(missing)}")
        raise WorkbenchError(f"{path}:1: no coder column; give --coder NAME")
    mapper = CodeMapper(CodeTree.load(conn))
    mapped: dict[tuple[str, str], CodeRow | None] = {}  # (code, code_path) -> code
    check_text = "text" in header
    d = s.documents
    docs = {  # name -> (id, text, length)
        name: (doc_id, text, len(text))
        for doc_id, name, text in conn.execute(select(d.c.id, d.c.name, d.c.text)).all()
    }
    batch: list[NewCoding] = []
    problems: list[str] = []
    for lineno, row in enumerate(rows, start=2):
        where = f"{path}:{lineno}"
        name = row.get("document") or ""
        doc = docs.get(name)
        if doc is None:
            problems.append(f"{where}: document '{name}' is not in this project; not imported")
            continue
        doc_id, doc_text, length = doc
        try:
            start, end = int(row["start"]), int(row["end"])
        except (TypeError, ValueError):
            problems.append(f"{where}: start/end are not whole numbers; not imported")
            continue
        if not 0 <= start < end <= length:
            problems.append(f"{where}: span {start}-{end} is outside '{name}'; not imported")
            continue
        if check_text and row.get("text") is not None:
            if row["text"] != doc_text[start:end]:
                problems.append(
                    f"{where}: text differs from '{name}'[{start}:{end}] (different version "
                    "of the document?); not imported"
                )
                continue
        refs = (row.get("code") or "", row.get("code_path") or "")
        if refs not in mapped:
            mapped[refs] = mapper.map(refs[0], refs[1].replace(" > ", PATH_SEP))
        code = mapped[refs]
        if code is None:
            problems.append(
                f"{where}: code '{row.get('code')}' matches no code in the "
                "project's codebook (by id, name, path, alias or merged_from)"
            )
            continue
        who = row.get("coder") or default_coder
        if not who:
            problems.append(f"{where}: empty coder and no --coder given")
            continue
        batch.append(
            NewCoding(
                doc_id,
                start,
                end,
                code.id,
                who,
                memo=row.get("memo") or None,
                created=(row.get("created") or "").strip() or None,
            )
        )
    outcome = add_codings(conn, batch)
    added, same = outcome.added, outcome.present
    return [
        f"{path.name}: {added} codings imported, {same} already present, "
        f"{len(problems)} rows reported",
        *problems,
    ]


def _import_project(conn: Connection, path: Path) -> list[str]:
    try:
        other = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        other.row_factory = sqlite3.Row
        other_docs = {r["id"]: r for r in other.execute("SELECT id, name, sha256 FROM documents")}
        other_codes = {r["id"]: r for r in other.execute("SELECT id, name, parent_id FROM codes")}
        rows = other.execute(
            'SELECT document_id, start, "end", code_id, coder, created, memo FROM codings '
            "ORDER BY document_id, start"
        ).fetchall()
        other.close()
    except sqlite3.DatabaseError as exc:
        raise WorkbenchError(f"{path}: not a Workbench project ({exc})") from exc
    orphans = [
        what
        for r in rows
        for what, ok in (
            ("document", r["document_id"] in other_docs),
            ("code", r["code_id"] in other_codes),
        )
        if not ok
    ]
    if orphans:
        docs, codes = orphans.count("document"), orphans.count("code")
        raise WorkbenchError(
            f"{path}: damaged project: {docs} codings name a missing document and {codes} a "
            "missing code (run `workbench check` on it); nothing imported"
        )

    def other_path(cid: str) -> str:
        names = []
        cur: str | None = cid
        while cur is not None and cur in other_codes:
            names.append(other_codes[cur]["name"])
            cur = other_codes[cur]["parent_id"]
        return PATH_SEP.join(reversed(names))

    mapper = CodeMapper(CodeTree.load(conn))
    ours = {
        r.name: r
        for r in conn.execute(
            select(
                s.documents.c.id,
                s.documents.c.name,
                s.documents.c.sha256,
                func.length(s.documents.c.text).label("length"),
            )
        )
    }
    lines: list[str] = []
    refused: set[str] = set()
    batch: list[NewCoding] = []
    for r in rows:
        odoc = other_docs[r["document_id"]]
        name = odoc["name"]
        if name not in ours:
            if name not in refused:
                lines.append(f"{path.name}: document '{name}' is not in this project; skipped")
                refused.add(name)
            continue
        if ours[name].sha256 != odoc["sha256"]:
            if name not in refused:
                lines.append(
                    f"{path.name}: document '{name}' has different text here (sha256 "
                    "differs); its codings are not imported"
                )
                refused.add(name)
            continue
        oc = other_codes[r["code_id"]]
        code = mapper.map(r["code_id"], other_path(r["code_id"]), oc["name"])
        if code is None:
            lines.append(
                f"{path.name}: code '{other_path(r['code_id'])}' matches no code here; "
                f"coding {name} {r['start']}-{r['end']} not imported"
            )
            continue
        doc_id = ours[name].id
        if not 0 <= r["start"] < r["end"] <= ours[name].length:
            lines.append(
                f"{path.name}: coding {name} {r['start']}-{r['end']} lies outside the "
                "text; not imported"
            )
            continue
        batch.append(
            NewCoding(
                doc_id,
                r["start"],
                r["end"],
                code.id,
                r["coder"],
                memo=r["memo"],
                created=r["created"],
            )
        )
    outcome = add_codings(conn, batch)
    added, same = outcome.added, outcome.present
    return [f"{path.name}: {added} codings imported, {same} already present", *lines]
