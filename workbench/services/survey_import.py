"""Store a large survey streamed from its CSV (issue 15): responses, their sentences, their
attributes and the search index written in batches (multi-row INSERTs, bulk_sql), so a
million rows import in bounded memory. The result is the document the ordinary path
(`parse_file` + `store_document`) stores; tests/test_survey_stream.py compares them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from sqlalchemy import Connection, insert, select

from workbench.errors import WorkbenchError
from workbench.ingest.sentences import paragraph_sentences, too_many_segments
from workbench.ingest.survey_stream import SurveyScan, survey_batches
from workbench.services.bulk_sql import insert_rows
from workbench.services.cases import case_attributes, case_of
from workbench.services.documents import (
    SEGMENT_ATTRIBUTE_COLUMNS,
    SEGMENT_COLUMNS,
    ImportOutcome,
    set_attributes,
)
from workbench.store import schema as s
from workbench.store import sqlite_extras
from workbench.store.migration_v3 import text_sha256
from workbench.timeutil import now_iso

Progress = Callable[[int, int, str], None]


def exists(conn: Connection, name: str) -> bool:
    return (
        conn.execute(select(s.documents.c.id).where(s.documents.c.name == name)).first() is not None
    )


def store_survey(
    conn: Connection,
    scan: SurveyScan,
    *,
    attributes: dict[str, str] | None = None,
    case: str | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Insert the scanned survey as a new document (the caller has checked that no document
    has its name), inside the caller's transaction."""
    doc_id = conn.execute(
        insert(s.documents).values(
            name=scan.name,
            kind="survey",
            source_name=scan.path.name,
            sha256=scan.sha256,
            imported_at=now_iso(),
            text=scan.text,
            text_sha256=text_sha256(scan.text),
            guid=str(uuid.uuid4()),
            case_name=case if case and case != scan.name else None,
        )
    ).inserted_primary_key[0]
    next_id = sqlite_extras.next_id(conn, "segments")
    idx = 0
    done = 0
    started = time.perf_counter()
    for batch in survey_batches(scan):
        rows: list[tuple[object, ...]] = []
        fts: list[tuple[int, str]] = []
        attrs: list[tuple[object, ...]] = []
        sid = next_id
        for start, end, rid, values in batch:
            parent = sid
            rows.append((sid, doc_id, idx, "response", start, end, rid, None, None))
            fts.append((sid, scan.text[start:end]))
            attrs.extend([(sid, k, v) for k, v in values])
            sid, idx = sid + 1, idx + 1
            for a, b in paragraph_sentences(scan.text, start, end):
                rows.append((sid, doc_id, idx, "sentence", a, b, rid, None, parent))
                sid, idx = sid + 1, idx + 1
        if limit is not None and idx > limit:
            raise WorkbenchError(f"{scan.path}: {too_many_segments(limit)}")
        insert_rows(conn, "segments", SEGMENT_COLUMNS, rows)
        insert_rows(conn, "segment_attributes", SEGMENT_ATTRIBUTE_COLUMNS, attrs)
        sqlite_extras.index_segments(conn, fts)
        next_id = sid
        done += len(batch)
        if progress:
            rate = done / max(time.perf_counter() - started, 1e-6)
            progress(done, scan.responses, f"{scan.name}: {rate:,.0f} rows/s")
    from_case = case_attributes(conn, case_of(scan.name, case))
    if from_case:
        set_attributes(conn, doc_id, from_case)
    set_attributes(conn, doc_id, attributes or {})
    return ImportOutcome(scan.name, "survey", idx, "imported", tuple(scan.warnings))
