"""Documents: store parsed documents, list them, read their segments and attributes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, func, insert, select

from workbench.errors import WorkbenchError
from workbench.ingest.model import ParsedDocument
from workbench.services.cases import case_attributes, case_of
from workbench.services.memo_targets import memo_target
from workbench.services.where import matches_where, parse_where  # noqa: F401 - re-exported
from workbench.store import schema as s
from workbench.store import sqlite_extras
from workbench.store.migration_v3 import text_sha256
from workbench.timeutil import now_iso


@dataclass(frozen=True)
class ImportOutcome:
    name: str
    kind: str
    segments: int
    status: str  # imported | unchanged | replaced
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    name: str
    kind: str
    source_name: str
    imported_at: str
    sha256: str
    length: int
    segments: int
    codings: int
    attributes: dict[str, str] = field(default_factory=dict)
    case: str = ""  # the case it belongs to: its own name unless imported with --case


@dataclass(frozen=True)
class SegmentRow:
    id: int
    idx: int
    level: str
    speaker: str | None
    timestamp: str | None
    start: int
    end: int
    text: str
    parent_id: int | None


def document_row(conn: Connection, name: str):  # type: ignore[no-untyped-def]
    """The documents row for `name`, or a WorkbenchError naming close matches."""
    row = conn.execute(select(s.documents).where(s.documents.c.name == name)).first()
    if row is None:
        names = [r[0] for r in conn.execute(select(s.documents.c.name))]
        from rapidfuzz import process

        close = [m[0] for m in process.extract(name, names, limit=3, score_cutoff=60)]
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise WorkbenchError(f"{name}: no such document{hint}")
    return row


def document_text(conn: Connection, document_id: int) -> str:
    return conn.execute(
        select(s.documents.c.text).where(s.documents.c.id == document_id)
    ).scalar_one()


def store_document(
    conn: Connection,
    doc: ParsedDocument,
    *,
    replace: bool = False,
    attributes: dict[str, str] | None = None,
    case: str | None = None,
) -> ImportOutcome:
    """Insert one parsed document (inside the caller's transaction). It takes the attributes
    of its case (`case`, else its own name) if a sheet named it earlier; `attributes` (the
    command's --attr) win over them."""
    existing = conn.execute(select(s.documents).where(s.documents.c.name == doc.name)).first()
    status = "imported"
    if existing is not None:
        if existing.sha256 == doc.sha256 and existing.text == doc.text:
            set_attributes(conn, existing.id, attributes or {})
            return ImportOutcome(
                doc.name,
                existing.kind,
                _segment_count(conn, existing.id),
                "unchanged",
                tuple(doc.warnings),
            )
        if not replace:
            raise WorkbenchError(
                f"{doc.source_name}: a different document named '{doc.name}' is already in "
                "the project (use --name to import it under another name, or --replace)"
            )
        n = conn.execute(
            select(func.count())
            .select_from(s.codings)
            .where(s.codings.c.document_id == existing.id)
        ).scalar_one()
        if n:
            raise WorkbenchError(
                f"{doc.source_name}: cannot replace '{doc.name}': it has {n} codings "
                "(remove them first; text under a coding never changes)"
            )
        kept = _detach_for_replace(conn, existing.id)
        conn.execute(delete(s.documents).where(s.documents.c.id == existing.id))
        status = "replaced"
    doc_id = conn.execute(
        insert(s.documents).values(
            name=doc.name,
            kind=doc.kind,
            source_name=doc.source_name,
            sha256=doc.sha256,
            imported_at=now_iso(),
            text=doc.text,
            text_sha256=text_sha256(doc.text),
            guid=str(uuid.uuid4()),
            case_name=case if case and case != doc.name else None,
        )
    ).inserted_primary_key[0]
    _insert_segments(conn, doc_id, doc)
    warnings = list(doc.warnings)
    if status == "replaced":
        warnings.extend(_reattach(conn, doc_id, kept))
    from_case = case_attributes(conn, case_of(doc.name, case))
    if from_case:
        set_attributes(conn, doc_id, from_case)
    set_attributes(conn, doc_id, attributes or {})
    return ImportOutcome(doc.name, doc.kind, len(doc.segments), status, tuple(warnings))


@dataclass
class _Kept:
    """What a replaced document keeps (attributes, its own memos) and what went with its
    old segments (segment memos, suggestion decisions, segment attributes)."""

    attributes: dict[str, str]
    memos: list[dict[str, object]]
    removed: dict[str, int]


def _detach_for_replace(conn: Connection, doc_id: int) -> _Kept:
    attrs = {
        r.key: r.value
        for r in conn.execute(
            select(s.document_attributes).where(s.document_attributes.c.document_id == doc_id)
        )
    }
    m = s.memos
    memos = [
        {"author": r.author, "created": r.created, "text": r.text, "guid": r.guid}
        for r in conn.execute(select(m).where(m.c.document_id == doc_id).order_by(m.c.id))
    ]
    conn.execute(delete(m).where(m.c.document_id == doc_id))
    seg_ids = select(s.segments.c.id).where(s.segments.c.document_id == doc_id)
    removed = {
        label: int(
            conn.execute(
                select(func.count()).select_from(table).where(column.in_(seg_ids))
            ).scalar_one()
        )
        for label, table, column in (
            ("segment memos", m, m.c.segment_id),
            ("suggestion decisions", s.suggestion_feedback, s.suggestion_feedback.c.segment_id),
            ("segment attributes", s.segment_attributes, s.segment_attributes.c.segment_id),
        )
    }
    return _Kept(attrs, memos, removed)


def _reattach(conn: Connection, doc_id: int, kept: _Kept) -> list[str]:
    """Put the kept attributes and memos on the new document; say what was removed."""
    set_attributes(conn, doc_id, kept.attributes)
    if kept.memos:
        conn.execute(
            insert(s.memos),
            [{**memo_target("document", doc_id), **memo} for memo in kept.memos],
        )
    lines = []
    gone = [f"{n} {label}" for label, n in kept.removed.items() if n]
    if gone:
        lines.append(f"removed with the old text's segments: {', '.join(gone)}")
    if kept.attributes or kept.memos:
        lines.append(f"kept: {len(kept.attributes)} attributes, {len(kept.memos)} document memos")
    return lines


# the columns bulk inserts of segments and their attributes write (also survey_import)
SEGMENT_COLUMNS = (
    "id",
    "document_id",
    "idx",
    "level",
    "start",
    "end",
    "speaker",
    "timestamp",
    "parent_id",
)
SEGMENT_ATTRIBUTE_COLUMNS = ("segment_id", "key", "value")


def _insert_segments(conn: Connection, doc_id: int, doc: ParsedDocument) -> None:
    """Insert all segments with multi-row INSERTs (bulk_sql): ids are assigned here (the
    transaction holds the write lock) so a child can name its parent without a round trip."""
    from workbench.services.bulk_sql import insert_rows

    base = sqlite_extras.next_id(conn, "segments")
    search = sqlite_extras.SEARCH_LEVELS
    text = doc.text
    rows: list[tuple[object, ...]] = []
    fts_rows: list[tuple[int, str]] = []
    attr_rows: list[tuple[object, ...]] = []
    for idx, seg in enumerate(doc.segments):
        sid = base + idx
        parent = seg.parent
        rows.append(
            (
                sid,
                doc_id,
                idx,
                seg.level,
                seg.start,
                seg.end,
                seg.speaker,
                seg.timestamp,
                None if parent is None else base + parent,
            )
        )
        if seg.level in search:
            fts_rows.append((sid, text[seg.start : seg.end]))
        if seg.attributes:
            attr_rows.extend((sid, key, value) for key, value in seg.attributes.items())
    insert_rows(conn, "segments", SEGMENT_COLUMNS, rows)
    insert_rows(conn, "segment_attributes", SEGMENT_ATTRIBUTE_COLUMNS, attr_rows)
    sqlite_extras.index_segments(conn, fts_rows)


def set_attributes(conn: Connection, doc_id: int, attributes: dict[str, str]) -> None:
    """Set (an empty value: remove) attributes of a document by id."""
    for key, value in attributes.items():
        conn.execute(
            delete(s.document_attributes).where(
                (s.document_attributes.c.document_id == doc_id)
                & (s.document_attributes.c.key == key)
            )
        )
        if value != "":
            conn.execute(
                insert(s.document_attributes).values(document_id=doc_id, key=key, value=value)
            )


def set_document_attributes(conn: Connection, name: str, attributes: dict[str, str]) -> None:
    set_attributes(conn, document_row(conn, name).id, attributes)


def _segment_count(conn: Connection, doc_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(s.segments).where(s.segments.c.document_id == doc_id)
    ).scalar_one()


def all_attributes(conn: Connection) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for doc_id, key, value in conn.execute(select(s.document_attributes)):
        out[doc_id][key] = value
    return out


def list_documents(
    conn: Connection, where: list[tuple[str, str]] | None = None
) -> list[DocumentInfo]:
    seg_counts = dict(
        conn.execute(
            select(s.segments.c.document_id, func.count()).group_by(s.segments.c.document_id)
        ).all()
    )
    coding_counts = dict(
        conn.execute(
            select(s.codings.c.document_id, func.count()).group_by(s.codings.c.document_id)
        ).all()
    )
    attrs = all_attributes(conn)
    rows = conn.execute(
        select(
            s.documents.c.id,
            s.documents.c.name,
            s.documents.c.kind,
            s.documents.c.source_name,
            s.documents.c.imported_at,
            s.documents.c.sha256,
            func.length(s.documents.c.text),
            s.documents.c.case_name,
        ).order_by(s.documents.c.name)
    )
    out = []
    for r in rows:
        a = dict(attrs.get(r[0], {}))
        if where and not matches_where(a, r[2], where):
            continue
        out.append(
            DocumentInfo(
                id=r[0],
                name=r[1],
                kind=r[2],
                source_name=r[3],
                imported_at=r[4],
                sha256=r[5],
                length=int(r[6]),
                segments=seg_counts.get(r[0], 0),
                codings=coding_counts.get(r[0], 0),
                attributes=a,
                case=r[7] or r[1],
            )
        )
    return out


def get_segments(
    conn: Connection, document_id: int, levels: tuple[str, ...] | None = None
) -> list[SegmentRow]:
    text = document_text(conn, document_id)
    q = select(s.segments).where(s.segments.c.document_id == document_id).order_by(s.segments.c.idx)
    if levels:
        q = q.where(s.segments.c.level.in_(levels))
    return [
        SegmentRow(
            id=r.id,
            idx=r.idx,
            level=r.level,
            speaker=r.speaker,
            timestamp=r.timestamp,
            start=r.start,
            end=r.end,
            text=text[r.start : r.end],
            parent_id=r.parent_id,
        )
        for r in conn.execute(q)
    ]


def segment_attributes(conn: Connection, document_id: int) -> dict[int, dict[str, str]]:
    """Respondent attributes of a survey document's segments, by segment id."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    q = (
        select(s.segment_attributes)
        .join(s.segments, s.segments.c.id == s.segment_attributes.c.segment_id)
        .where(s.segments.c.document_id == document_id)
    )
    for r in conn.execute(q):
        out[r.segment_id][r.key] = r.value
    return out
