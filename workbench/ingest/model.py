"""What an importer produces: a document's text and its segments, with no database involved."""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("turn", "entry", "response", "sentence")
KINDS = ("interview", "field-notes", "survey")


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
