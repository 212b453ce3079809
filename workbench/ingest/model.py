"""What an importer produces: a document's text and its segments, with no database involved."""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("turn", "entry", "response", "sentence")
KINDS = ("interview", "field-notes", "survey")
# A document may hold at most one segment per this many bytes of the import size limit
# (524,288 at 20 MB; ordinary prose has one per ~85 characters), and never fewer than
# MIN_SEGMENTS: 20 MB of "Ok. Ok. ..." would otherwise be 5 million sentences.
BYTES_PER_SEGMENT = 40
MIN_SEGMENTS = 10_000


def segment_limit(max_bytes: int) -> int:
    """The most segments (turns, entries, responses and sentences) one document may have."""
    return max(MIN_SEGMENTS, max_bytes // BYTES_PER_SEGMENT)


@dataclass(frozen=True)
class ParsedSegment:
    """A span of `ParsedDocument.text`: `text[start:end]` is the segment's text, stripped."""

    start: int
    end: int
    level: str
    speaker: str | None = None
    timestamp: str | None = None
    parent: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedDocument:
    """One document ready to store. `text` never changes after import."""

    name: str
    kind: str
    text: str
    segments: list[ParsedSegment]
    source_name: str
    sha256: str
    warnings: list[str]


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file. `kind=None`: survey for .csv, else interview (field notes when the
    file has dated entries and no speaker labels)."""

    kind: str | None = None
    name: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    max_bytes: int = 20 * 1024 * 1024
    sentences: bool = True
