"""Text and segments for an imported REFI source.

REFI-QDA has no segments. A source exported by Workbench brings its segments back from the
extras (when the text is unchanged); any other source is re-segmented by the ingest package,
exactly as if the text had been imported from a `.txt` file, so speaker turns, dated entries
and sentences come back. Before that the text is normalised the way every import is (leading
BOM removed, CRLF and CR turned into LF), and selection offsets are mapped through the same
change (`OffsetMap`).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ingest import ImportOptions, ParsedDocument, ParsedSegment, parse_file

_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")


@dataclass(frozen=True)
class OffsetMap:
    """Maps character offsets in a source's original text to offsets in its normalised text."""

    removed: tuple[int, ...]  # positions (in the original) of characters dropped
    length: int  # length of the original text

    def __call__(self, offset: int) -> int:
        return offset - bisect_left(self.removed, offset)


def normalise_text(text: str) -> tuple[str, OffsetMap]:
    """Drop a leading BOM, turn CRLF and lone CR into LF; and the offset map for that."""
    removed: list[int] = []
    if text.startswith("\ufeff"):
        removed.append(0)
    for m in re.finditer("\r\n", text):
        removed.append(m.start())
    out = text[1:] if text.startswith("\ufeff") else text
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    return out, OffsetMap(tuple(removed), len(text))


def _paragraphs(text: str) -> list[ParsedSegment]:
    return [ParsedSegment(m.start(), m.end(), "entry") for m in _PARAGRAPH.finditer(text)]


def segment_text(
    name: str, text: str, kind: str | None, max_bytes: int
) -> tuple[ParsedDocument, list[str]]:
    """Parse `text` (already normalised) with the ingest package; the document and warnings."""
    options = ImportOptions(
        kind=kind if kind in ("interview", "field-notes") else None,
        name=name,
        max_bytes=max_bytes,
    )
    with tempfile.TemporaryDirectory(prefix="workbench-refi-") as tmp:
        path = Path(tmp) / "source.txt"
        path.write_bytes(text.encode("utf-8"))
        try:
            doc = parse_file(path, options)
        except WorkbenchError as exc:
            message = str(exc).replace(str(path), f"source '{name}'")
            raise WorkbenchError(message) from exc
    warnings = [w.replace("source.txt", f"source '{name}'") for w in doc.warnings]
    if doc.text != text:  # the importer changed the text: keep the text, use paragraphs
        warnings.append(
            f"source '{name}': segmented by paragraph (the importer would change its text)"
        )
        doc = ParsedDocument(
            name=name,
            kind=kind or "interview",
            text=text,
            segments=_paragraphs(text),
            source_name=doc.source_name,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            warnings=[],
        )
    return doc, warnings


def with_sync_times(
    doc: ParsedDocument, sync: list[tuple[int, int]], omap: OffsetMap
) -> ParsedDocument:
    """A transcript's turns (top-level segments) take the time of the last sync point at or
    before their start (`00:01:02.500`), unless the text gave them one already."""
    from workbench.exchange.refi.media import clock

    if not sync:
        return doc
    points = sorted((omap(pos), ms) for pos, ms in sync)
    starts = [p for p, _ in points]
    segments = []
    for seg in doc.segments:
        i = bisect_right(starts, seg.start) - 1
        if seg.parent is None and seg.timestamp is None and i >= 0:
            seg = replace(seg, timestamp=clock(points[i][1]))
        segments.append(seg)
    doc.segments = segments
    return doc
