"""Interview transcripts in plain text (.txt, .md, and .docx paragraphs): speaker turns.

Each accepted speaker label starts a turn that covers the spoken text after the label and every
continuation line up to the next label. Text before the first label (a title, a header block)
is a preamble: its own turn with no speaker. A Markdown heading (`# ...`) also starts a
speakerless turn, so headings never end up inside someone's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from workbench.ingest.labels import Label, accepted, match_line
from workbench.ingest.model import ParsedSegment
from workbench.ingest.spans import make_segment

_HEADING = re.compile(r"[ \t]*#{1,6}(?:[ \t]|$)")


@dataclass(frozen=True)
class _Mark:
    line_start: int
    content: int  # absolute offset where the turn's text starts
    speaker: str | None
    timestamp: str | None


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) for every line of LF-separated text."""
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def speaker_turns(text: str) -> tuple[list[ParsedSegment], int]:
    """Turn segments of `text` and how many speaker labels were recognised."""
    lines = list(iter_lines(text))
    candidates: list[Label | None] = [match_line(line) for _, line in lines]
    ok = accepted(candidates)
    marks: list[_Mark] = []
    labelled = 0
    for (pos, line), cand, good in zip(lines, candidates, ok, strict=True):
        if good and cand is not None:
            content = min(pos + cand.content + (1 if cand.header else 0), len(text))
            marks.append(_Mark(pos, content, cand.name, cand.timestamp))
            labelled += 1
        elif _HEADING.match(line) and (marks and marks[-1].speaker is not None):
            marks.append(_Mark(pos, pos, None, None))
    segments: list[ParsedSegment] = []
    first = marks[0].line_start if marks else len(text)
    preamble = make_segment(text, 0, first, "turn")
    if preamble is not None:
        segments.append(preamble)
    for i, mark in enumerate(marks):
        end = marks[i + 1].line_start if i + 1 < len(marks) else len(text)
        seg = make_segment(
            text, mark.content, end, "turn", speaker=mark.speaker, timestamp=mark.timestamp
        )
        if seg is not None:
            segments.append(seg)
    return segments, labelled


def heading_ends(text: str) -> list[int]:
    """End offsets of Markdown heading lines: a heading is always a sentence of its own."""
    if "#" not in text:
        return []
    return [pos + len(line) for pos, line in iter_lines(text) if _HEADING.match(line)]
