"""`workbench import`: route each file by type, parse everything first, then write in one transaction."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from workbench.errors import WorkbenchError
from workbench.services.sheet import open_sheet
from workbench.store.db import Project

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from workbench.ingest import ImportOptions, ParsedDocument
    from workbench.ingest.survey_stream import SurveyScan

    Parsed = ParsedDocument | SurveyScan

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
    stream: bool = True  # large survey CSVs streamed in batches (False: read whole)


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


ProjectImporter = Callable[[Connection, Path, bool, bool], list[str]]


def import_files(
    project: Project,
    req: ImportRequest,
    progress: Progress | None = None,
    project_importer: ProjectImporter | None = None,
) -> list[str]:
    """Import documents (and codings files); return one line per item imported.

    A REFI-QDA project (.qdpx) is read by `project_importer` (the CLI passes
    workbench.exchange.refi.qdpx_import.import_qdpx_into: exchange sits above services, so
    this module never imports it)."""
    from workbench.ingest import ImportOptions
    from workbench.ingest.survey_stream import SurveyScan
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
    if qdpx and project_importer is None:
        raise WorkbenchError(f"{qdpx[0]}: REFI-QDA projects are imported with `workbench import`")
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
            doc = _scan_or_parse(path, options, req)
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
            if isinstance(doc, SurveyScan):
                outcome = _store_scan(conn, doc, req, progress)
            else:
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
            assert project_importer is not None
            lines.extend(project_importer(conn, path, req.allow_merge, req.skip_unreadable))
        for path in codings:
            from workbench.services.codings_import import import_codings_file

            lines.extend(import_codings_file(conn, path, coder=req.coder))
    return lines


def _scan_or_parse(path: Path, options: ImportOptions, req: ImportRequest) -> Parsed:
    """A large survey CSV is scanned for streaming (pass 1: every check, only the answers
    kept); anything else, or a survey the streaming reader cannot take, is parsed whole."""
    from workbench.ingest import parse_file
    from workbench.ingest.model import segment_limit
    from workbench.ingest.survey_stream import STREAM_BYTES, NotStreamable, scan_survey

    size = path.stat().st_size
    survey = path.suffix.lower() == ".csv" and req.kind in (None, "survey")
    if req.stream and survey and size >= STREAM_BYTES:
        if size > req.max_bytes:
            from workbench.ingest.textio import read_limited

            read_limited(path, req.max_bytes)  # the ordinary refusal, word for word
        try:
            return scan_survey(path, options, segment_limit(req.max_bytes))
        except NotStreamable:
            pass
    return parse_file(path, options)


def _store_scan(conn: Connection, scan: SurveyScan, req: ImportRequest, progress: Progress | None):  # type: ignore[no-untyped-def]
    """Store a scanned survey in batches; one whose name is taken (unchanged, --replace)
    goes the ordinary way, which knows those rules."""
    from workbench.ingest import ImportOptions, parse_file
    from workbench.ingest.model import segment_limit
    from workbench.services.documents import store_document
    from workbench.services.survey_import import exists, store_survey

    if exists(conn, scan.name):
        options = ImportOptions(
            kind="survey",
            name=scan.name,
            text_column=req.text_column,
            id_column=req.id_column,
            max_bytes=req.max_bytes,
        )
        doc = parse_file(scan.path, options)
        return store_document(
            conn, doc, replace=req.replace, attributes=req.attributes, case=req.case
        )
    return store_survey(
        conn,
        scan,
        attributes=req.attributes,
        case=req.case,
        limit=segment_limit(req.max_bytes),
        progress=progress,
    )


ATTRIBUTE_BATCH = 20_000  # rows per executemany: memory stays bounded, whatever the file


def set_attributes_from_csv(
    project: Project,
    path: Path,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> list[str]:
    """First column = document (or case) name; other columns = attribute names. All or
    nothing. A row naming no document yet is kept as the attributes of a case of that name
    and applied when such a document is imported (CONTRACT §8); `strict` refuses it.

    The file is streamed: rows are read and written in batches of ATTRIBUTE_BATCH inside one
    transaction (a bad row anywhere rolls everything back), so memory does not grow with
    the file; the limit is CODINGS_FACTOR x the import size limit. `progress(characters
    read, file size, "N rows, R rows/s")` is called after every batch (the CLI's bar)."""
    from workbench.config import load_config
    from workbench.ingest.textio import format_size
    from workbench.inputcheck import require_regular_file
    from workbench.services.cases import case_documents, write_case_batch

    size = require_regular_file(path, "attributes file")
    limit = CODINGS_FACTOR * load_config().max_import_bytes
    if size > limit:
        raise WorkbenchError(
            f"{path}: {format_size(size)} is over the attributes-file limit of "
            f"{format_size(limit)} ({CODINGS_FACTOR} x the import size limit)"
        )
    problems: list[str] = []
    matched = waiting = applied = 0
    started = time.perf_counter()
    try:
        with ExitStack() as stack, project.begin() as conn:
            sheet = open_sheet(path, stack)
            header = sheet.header
            if len(header) < 2:
                raise WorkbenchError(
                    f"{path}: needs a header (document, attribute...) and at least one row"
                )
            if len(set(header)) != len(header):
                raise WorkbenchError(f"{path}:1: duplicate column names")
            by_case = case_documents(conn)
            names = {name for docs in by_case.values() for _, name in docs}
            batch: list[tuple[str, dict[str, str]]] = []
            lineno = 1
            for lineno, row in sheet.rows:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    problems.append(f"{path}:{lineno}: {len(row)} cells, header has {len(header)}")
                    continue
                name = row[0].strip()
                if not name:
                    problems.append(f"{path}:{lineno}: the first cell (document or case) is empty")
                    continue
                if strict and name not in by_case and name not in names:
                    problems.append(
                        f"{path}:{lineno}: {_no_such(name, names, problems)} (--strict)"
                    )
                    continue
                if problems:  # keep reading to report every bad row, but write no more
                    continue
                batch.append(
                    (name, {h: v.strip() for h, v in zip(header[1:], row[1:], strict=True)})
                )
                if len(batch) >= ATTRIBUTE_BATCH:
                    m, a, w = write_case_batch(conn, batch, by_case)
                    matched, applied, waiting = matched + m, applied + a, waiting + w
                    batch.clear()
                    if progress:
                        progress(sheet.chars, size, _rate(lineno - 1, started))
            if lineno == 1:
                raise WorkbenchError(
                    f"{path}: needs a header (document, attribute...) and at least one row"
                )
            if problems:
                raise WorkbenchError(problems[0], problems)
            m, a, w = write_case_batch(conn, batch, by_case)
            matched, applied, waiting = matched + m, applied + a, waiting + w
            if progress:
                progress(size, size, _rate(lineno - 1, started))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise WorkbenchError(f"{path}: cannot read as a CSV ({exc})") from exc
    read_as = f" (read: {', '.join(sheet.notes)})" if sheet.notes else ""
    return [
        f"{matched} rows matched documents ({applied} documents updated), {waiting} wait for "
        f"a document of that name; attributes: {', '.join(header[1:])}{read_as}"
    ]


def _no_such(name: str, names: set[str], problems: list[str]) -> str:
    """`NAME: no such document`, with close names for the first few (as `document_row`)."""
    if len(problems) >= 20:
        return f"{name}: no such document"
    from rapidfuzz import process

    close = [m[0] for m in process.extract(name, names, limit=3, score_cutoff=60)]
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    return f"{name}: no such document{hint}"


def _rate(rows: int, started: float) -> str:
    seconds = max(time.perf_counter() - started, 1e-6)
    return f"{rows:,} rows, {rows / seconds:,.0f} rows/s"
