"""Helpers for the importer tests (tests/test_ingest_*.py)."""

from __future__ import annotations

from pathlib import Path

from workbench.ingest import LEVELS, ImportOptions, ParsedDocument, parse_file

FIX = Path(__file__).parent / "fixtures" / "ingest"


def parse(source: str | Path, **options: object) -> ParsedDocument:
    path = source if isinstance(source, Path) else FIX / source
    doc = parse_file(path, ImportOptions(**options))  # type: ignore[arg-type]
    check_segments(doc)
    return doc


def check_segments(doc: ParsedDocument) -> None:
    """The invariants every importer must keep, for every segment of every document."""
    text = doc.text
    assert "\r" not in text
    assert not text.startswith("\ufeff")
    last_parent: int | None = None
    for i, seg in enumerate(doc.segments):
        assert seg.level in LEVELS, seg
        assert 0 <= seg.start < seg.end <= len(text), seg
        piece = text[seg.start : seg.end]
        assert piece == piece.strip() and piece, (i, piece)
        if seg.level == "sentence":
            assert seg.parent is not None and seg.parent == last_parent, (i, seg)
            parent = doc.segments[seg.parent]
            assert parent.start <= seg.start < seg.end <= parent.end
            prev = doc.segments[i - 1]
            if prev.level == "sentence":
                assert prev.end <= seg.start  # in order, no overlap
        else:
            assert seg.parent is None
            if last_parent is not None:
                assert doc.segments[last_parent].end <= seg.start  # blocks in order
            last_parent = i


def blocks(doc: ParsedDocument) -> list[tuple[str | None, str | None, str]]:
    """(speaker, timestamp, text) of every turn/entry/response."""
    return [
        (s.speaker, s.timestamp, doc.text[s.start : s.end])
        for s in doc.segments
        if s.level != "sentence"
    ]


def sentences(doc: ParsedDocument) -> list[str]:
    return [doc.text[s.start : s.end] for s in doc.segments if s.level == "sentence"]
