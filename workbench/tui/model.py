"""The coding screen's document model: turns, sentences, words, codings, cursor and selection.

Pure Python (no textual): offsets are character offsets into the document text, end
exclusive, exactly as codings store them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from sqlalchemy import Connection

from workbench.services.coding import CodingRow, list_codings
from workbench.services.documents import SegmentRow, document_row, get_segments

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'”’)\]]*|\n|$)")
_WORD = re.compile(r"\S+")

Span = tuple[int, int]


@dataclass
class Turn:
    seg: SegmentRow
    sentences: list[Span]  # absolute offsets


@dataclass
class DocModel:
    doc_id: int
    name: str
    kind: str
    text: str
    turns: list[Turn]
    codings: list[CodingRow] = field(default_factory=list)
    sentences: list[Span] = field(default_factory=list)  # whole document, in order
    sentence_turn: list[int] = field(default_factory=list)  # turn index of each sentence
    words: list[Span] = field(default_factory=list)

    @classmethod
    def load(cls, conn: Connection, name: str) -> DocModel:
        row = document_row(conn, name)
        segs = get_segments(conn, row.id)
        top = [sg for sg in segs if sg.parent_id is None]
        kids: dict[int, list[SegmentRow]] = {}
        for sg in segs:
            if sg.parent_id is not None and sg.level == "sentence":
                kids.setdefault(sg.parent_id, []).append(sg)
        if not top:  # a document without segments: one pseudo-turn over the whole text
            top = [SegmentRow(0, 0, "text", None, None, 0, len(row.text), row.text, None)]
        turns = []
        for sg in top:
            sents = [(k.start, k.end) for k in kids.get(sg.id, [])]
            turns.append(Turn(sg, sents or split_sentences(row.text, sg.start, sg.end)))
        model = cls(row.id, row.name, row.kind, row.text, turns)
        model.reload_codings(conn)
        for i, t in enumerate(turns):
            for span in t.sentences:
                model.sentences.append(span)
                model.sentence_turn.append(i)
                model.words.extend(
                    (span[0] + m.start(), span[0] + m.end())
                    for m in _WORD.finditer(row.text[span[0] : span[1]])
                )
        return model

    def reload_codings(self, conn: Connection) -> None:
        self.codings = list_codings(conn, document_id=self.doc_id)

    def codings_over(self, start: int, end: int) -> list[CodingRow]:
        return [c for c in self.codings if c.start < end and c.end > start]

    def first_sentence_of(self, turn: int) -> int:
        return bisect.bisect_left(self.sentence_turn, turn)

    def sentence_at(self, offset: int) -> int:
        """Index of the sentence holding `offset` (or the last one before it)."""
        starts = [s for s, _ in self.sentences]
        return max(0, bisect.bisect_right(starts, offset) - 1)


def split_sentences(text: str, start: int, end: int) -> list[Span]:
    """Sentence spans of text[start:end], trimmed of surrounding whitespace."""
    out: list[Span] = []
    chunk = text[start:end]
    for m in _SENTENCE.finditer(chunk):
        s, e = m.start(), m.end()
        raw = chunk[s:e]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        if e - trail > s + lead:
            out.append((start + s + lead, start + e - trail))
    return out or [(start, end)] if end > start else out


@dataclass
class Selection:
    """A span built from the keyboard; edges always sit on word or sentence boundaries."""

    start: int
    end: int

    def as_span(self) -> Span:
        return (self.start, self.end)


def extend_end(sel: Selection, units: list[Span], forward: bool) -> Selection:
    """Move the selection's end to the next (or previous) unit end; never below one unit."""
    ends = [e for _, e in units]
    if forward:
        i = bisect.bisect_right(ends, sel.end)
        return Selection(sel.start, ends[i]) if i < len(ends) else sel
    i = bisect.bisect_left(ends, sel.end) - 1
    while i >= 0 and ends[i] > sel.start:
        if units[i][0] >= sel.start:
            return Selection(sel.start, ends[i])
        i -= 1
    return sel


def move_start(sel: Selection, units: list[Span], forward: bool) -> Selection:
    """Move the selection's start to the next (or previous) unit start; never past the end."""
    starts = [s for s, _ in units]
    if forward:
        i = bisect.bisect_right(starts, sel.start)
        if i < len(starts) and units[i][1] <= sel.end:
            return Selection(starts[i], sel.end)
        return sel
    i = bisect.bisect_left(starts, sel.start) - 1
    return Selection(starts[i], sel.end) if i >= 0 else sel
