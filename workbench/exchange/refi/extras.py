"""`workbench/extras.json` in a `.qdpx`: what REFI-QDA cannot say, for exact round trips.

REFI-QDA has no segments, document kinds, coding origins or memos on segments. Workbench adds
them in one JSON member that other tools ignore. On import it is used per document only when
the document's text is unchanged (same SHA-256), and every value is checked; anything that
does not fit is dropped and the text is re-segmented by the ingest package instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from workbench.ingest.model import KINDS, LEVELS, ParsedSegment

MEMBER = "workbench/extras.json"
FORMAT = "workbench-qdpx-extras"
VERSION = 1
ORIGINS = ("manual", "suggested", "imported", "resolved")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def segment_row(seg: ParsedSegment) -> list[Any]:
    return [
        seg.start,
        seg.end,
        seg.level,
        seg.speaker,
        seg.timestamp,
        seg.parent,
        dict(seg.attributes),
    ]


@dataclass
class DocExtras:
    text_sha256: str
    kind: str | None = None
    source_name: str | None = None
    segments: list[ParsedSegment] | None = None
    file_sha256: str | None = None  # documents.sha256: the hash of the originally imported file


@dataclass
class Extras:
    title: str | None = None
    version: int | str | None = None
    documents: dict[str, DocExtras] = field(default_factory=dict)
    coding_origin: dict[str, str] = field(default_factory=dict)
    segment_memos: dict[str, tuple[str, int]] = field(default_factory=dict)  # note -> (doc, idx)


def dump_extras(ex: Extras) -> bytes:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "codebook": {"title": ex.title, "version": ex.version},
        "documents": {
            guid: {
                "text_sha256": d.text_sha256,
                "kind": d.kind,
                "source_name": d.source_name,
                "file_sha256": d.file_sha256,
                "segments": [segment_row(s) for s in d.segments or []],
            }
            for guid, d in ex.documents.items()
        },
        "coding_origin": ex.coding_origin,
        "segment_memos": {k: list(v) for k, v in ex.segment_memos.items()},
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _segment(row: Any, index: int, length: int) -> ParsedSegment | None:
    if not isinstance(row, list) or len(row) != 7:
        return None
    start, end, level, speaker, timestamp, parent, attrs = row
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length):
        return None
    if level not in LEVELS or (
        parent is not None and not (isinstance(parent, int) and 0 <= parent < index)
    ):
        return None
    if speaker is not None and not isinstance(speaker, str):
        return None
    if timestamp is not None and not isinstance(timestamp, str):
        return None
    if not isinstance(attrs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()
    ):
        return None
    return ParsedSegment(
        start, end, level, speaker=speaker, timestamp=timestamp, parent=parent, attributes=attrs
    )


def segments_for(doc: DocExtras | None, text: str) -> list[ParsedSegment] | None:
    """The stored segments of a document, if its text is unchanged and every row is sound."""
    if doc is None or doc.segments is None or doc.text_sha256 != text_hash(text):
        return None
    if any(seg.end > len(text) for seg in doc.segments):
        return None
    return doc.segments


def parse_extras(raw: bytes) -> tuple[Extras, list[str]]:
    """Read the member defensively; a malformed one is ignored with a warning."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Extras(), [f"{MEMBER}: not valid JSON; ignored"]
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return Extras(), [f"{MEMBER}: not Workbench's format; ignored"]
    ex = Extras()
    cb = data.get("codebook") if isinstance(data.get("codebook"), dict) else {}
    ex.title = _str(cb.get("title"))
    version = cb.get("version")
    ex.version = (
        version if isinstance(version, int | str) and not isinstance(version, bool) else None
    )
    docs = data.get("documents") if isinstance(data.get("documents"), dict) else {}
    for guid, d in docs.items():
        if not isinstance(d, dict) or not isinstance(d.get("text_sha256"), str):
            continue
        kind = d.get("kind") if d.get("kind") in KINDS else None
        rows = d.get("segments")
        sha = _str(d.get("file_sha256"))
        ex.documents[guid.lower()] = DocExtras(
            d["text_sha256"],
            kind,
            _str(d.get("source_name")),
            _rows(rows),
            sha if sha and len(sha) == 64 else None,
        )
    origins = data.get("coding_origin") if isinstance(data.get("coding_origin"), dict) else {}
    ex.coding_origin = {k.lower(): v for k, v in origins.items() if v in ORIGINS}
    memos = data.get("segment_memos") if isinstance(data.get("segment_memos"), dict) else {}
    for note, target in memos.items():
        if (
            isinstance(target, list)
            and len(target) == 2
            and isinstance(target[0], str)
            and isinstance(target[1], int)
        ):
            ex.segment_memos[note.lower()] = (target[0].lower(), target[1])
    return ex, []


def _rows(rows: Any) -> list[ParsedSegment] | None:
    """Segments from JSON rows; bounds are checked against the text later (segments_for)."""
    if not isinstance(rows, list):
        return None
    out: list[ParsedSegment] = []
    for i, row in enumerate(rows):
        seg = _segment(row, i, 1 << 62)
        if seg is None:
            return None
        out.append(seg)
    return out
