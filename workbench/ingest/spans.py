"""Small shared pieces: exact, whitespace-trimmed spans and a format parser's result."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.ingest.model import ParsedSegment


def strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) past surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def make_segment(
    text: str,
    start: int,
    end: int,
    level: str,
    *,
    speaker: str | None = None,
    timestamp: str | None = None,
    attributes: dict[str, str] | None = None,
) -> ParsedSegment | None:
    """A segment over the trimmed span, or None if the span holds only whitespace."""
    span = strip_span(text, start, end)
    if span is None:
        return None
    return ParsedSegment(
        span[0],
        span[1],
        level,
        speaker=speaker,
        timestamp=timestamp,
        attributes=dict(attributes or {}),
    )


@dataclass
class Body:
    """What a format parser hands back: the stored text and its top-level segments."""

    kind: str
    text: str
    blocks: list[ParsedSegment]
    warnings: list[str] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)  # offsets where a sentence must end
