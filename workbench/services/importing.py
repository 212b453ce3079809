"""`workbench import`: route each file by type, parse everything first, then write in one transaction."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.store.db import Project

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ImportRequest:
    paths: list[Path]
    kind: str | None = None
    name: str | None = None
    attributes: dict[str, str] | None = None
    text_column: str | None = None
    id_column: str | None = None
    replace: bool = False
    max_bytes: int = 20 * 1024 * 1024
    allow_merge: bool = False  # .qdpx into a non-empty project
    coder: str | None = None  # codings files: override / default coder
    case: str | None = None  # the case the documents belong to (default: their own names)
    skip_unreadable: bool = False  # .qdpx: import the rest when a coded source is unreadable


KINDS = ("interview", "field-notes", "survey")
CODINGS_FACTOR = 10  # a codings CSV or project may be this many times the import size limit


def parse_attr_options(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise WorkbenchError(f"--attr {pair}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _is_codings_file(path: Path) -> bool:
    if path.suffix.lower() == ".sqlite":
        return True
    if path.suffix.lower() != ".csv":
        return False
    from workbench.ingest import is_codings_csv

    return is_codings_csv(path)


def import_files(
    project: Project, req: ImportRequest, progress: Progress | None = None
) -> list[str]:
    """Import documents (and codings files); return one line per item imported."""
    from workbench.ingest import ImportOptions, parse_file
    from workbench.services.documents import store_document

    if req.kind is not None and req.kind not in KINDS:
        raise WorkbenchError(f"--kind {req.kind}: must be one of {', '.join(KINDS)}")
    from workbench.inputcheck import require_regular_file

    bad: list[str] = []
    for p in req.paths:  # before anything opens them: a FIFO would block, a folder fail
        try:
            size = require_regular_file(p)
        except WorkbenchError as exc:
            bad.extend(exc.problems)
            continue
        if _is_codings_file(p) and size > CODINGS_FACTOR * req.max_bytes:
            bad.append(
                f"{p}: {size:,} bytes is over the codings-file limit of "
                f"{CODINGS_FACTOR * req.max_bytes:,} ({CODINGS_FACTOR} x the import size limit)"
            )
    if bad:
        raise WorkbenchError(bad[0], bad)
    if req.name and len(req.paths) > 1:
        raise WorkbenchError("--name applies to a single file; several files were given")
    qdpx = [p for p in req.paths if p.suffix.lower() == ".qdpx"]
    codings = [p for p in req.paths if _is_codings_file(p)]
    docs = [p for p in req.paths if p not in qdpx and p not in codings]
    names_seen: dict[str, Path] = {}
    parsed = []
    problems: list[str] = []
    total = len(req.paths)
    for i, path in enumerate(docs):
        options = ImportOptions(
            kind=req.kind,
            name=req.name,
            text_column=req.text_column,
            id_column=req.id_column,
            max_bytes=req.max_bytes,
        )
        try:
            doc = parse_file(path, options)
        except WorkbenchError as exc:  # keep going: report every bad file at once
            problems.extend(exc.problems)
            continue
        finally:
            if progress:
                progress(i + 1, total, path.name)
        if doc.name in names_seen:
            problems.append(
                f"{path}: document name '{doc.name}' also comes from {names_seen[doc.name]}"
            )
            continue
        names_seen[doc.name] = path
        parsed.append(doc)
    if problems:
        raise WorkbenchError(problems[0], problems)
    lines: list[str] = []
    with project.begin() as conn:
        for doc in parsed:
            outcome = store_document(
                conn, doc, replace=req.replace, attributes=req.attributes, case=req.case
            )
            note = {
                "unchanged": " (unchanged: identical content already imported)",
                "replaced": " (replaced)",
            }.get(outcome.status, "")
            lines.append(f"{outcome.name}\t{outcome.kind}\t{outcome.segments} segments{note}")
            lines.extend(f"warning: {w}" for w in outcome.warnings)
        for path in qdpx:
            from workbench.exchange.refi.qdpx_import import import_qdpx_into

            lines.extend(
                import_qdpx_into(
                    conn, path, allow_merge=req.allow_merge, skip_unreadable=req.skip_unreadable
                )
            )
        for path in codings:
            from workbench.services.codings_import import import_codings_file

            lines.extend(import_codings_file(conn, path, coder=req.coder))
    return lines


def set_attributes_from_csv(project: Project, path: Path, *, strict: bool = False) -> list[str]:
    """First column = document (or case) name; other columns = attribute names. All or
    nothing. A row naming no document yet is kept as the attributes of a case of that name
    and applied when such a document is imported (CONTRACT §8); `strict` refuses it."""
    from workbench.config import load_config
    from workbench.ingest.textio import format_size
    from workbench.inputcheck import require_regular_file
    from workbench.services.cases import documents_of_case, set_case_attributes
    from workbench.services.documents import document_row, set_attributes

    size = require_regular_file(path, "attributes file")
    limit = load_config().max_import_bytes
    if size > limit:
        raise WorkbenchError(
            f"{path}: {format_size(size)} is over the import size limit of {format_size(limit)}"
        )
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise WorkbenchError(f"{path}: cannot read as a UTF-8 CSV ({exc})") from exc
    if len(rows) < 2 or len(rows[0]) < 2:
        raise WorkbenchError(
            f"{path}: needs a header (document, attribute...) and at least one row"
        )
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        raise WorkbenchError(f"{path}:1: duplicate column names")
    problems: list[str] = []
    updates: list[tuple[str, dict[str, str]]] = []
    matched = waiting = applied = 0
    with project.begin() as conn:
        for lineno, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(f"{path}:{lineno}: {len(row)} cells, header has {len(header)}")
                continue
            name = row[0].strip()
            if not name:
                problems.append(f"{path}:{lineno}: the first cell (document or case) is empty")
                continue
            if strict and not documents_of_case(conn, name):
                try:
                    document_row(conn, name)
                except WorkbenchError as exc:
                    problems.append(f"{path}:{lineno}: {exc} (--strict)")
                    continue
            updates.append((name, {h: v.strip() for h, v in zip(header[1:], row[1:], strict=True)}))
        if problems:
            raise WorkbenchError(problems[0], problems)
        for name, attrs in updates:
            set_case_attributes(conn, name, attrs)
            docs = documents_of_case(conn, name)
            for doc_id, _ in docs:
                set_attributes(conn, doc_id, attrs)
            applied += len(docs)
            matched += int(bool(docs))
            waiting += int(not docs)
    return [
        f"{matched} rows matched documents ({applied} documents updated), {waiting} wait for "
        f"a document of that name; attributes: {', '.join(header[1:])}"
    ]
