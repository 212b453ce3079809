"""Sentence segments inside each turn, entry or response (spaCy blank English + sentencizer).

spaCy is imported on first use and the pipeline is cached. A blank line always ends a
sentence: each paragraph of a segment is split on its own, so no sentence spans two paragraphs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError
from workbench.ingest.model import ParsedSegment
from workbench.ingest.spans import strip_span

if TYPE_CHECKING:
    from spacy.language import Language

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<!\.)[.!?][\"'”’)\]]*\s+")  # not after "..." (nor does spaCy)
_BATCH = 512
_MAX_PIECE = 20_000  # longer paragraphs are cut at a sentence end first: bounded memory


@lru_cache(maxsize=1)
def _nlp() -> Language:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 10**9  # the import size limit bounds the text; spaCy's own cap is 1M chars
    return nlp


def _pieces(
    text: str, blocks: list[ParsedSegment], breaks: Sequence[int]
) -> list[tuple[int, int, int]]:
    """(block index, start, end) for every paragraph (or piece between breaks) of every block."""
    marks = sorted(set(breaks))
    out: list[tuple[int, int, int]] = []
    for bi, seg in enumerate(blocks):
        gaps = [(m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text, seg.start, seg.end)]
        lo, hi = bisect_right(marks, seg.start), bisect_left(marks, seg.end)
        gaps.extend((b, b) for b in marks[lo:hi])
        pos = seg.start
        for gap_start, gap_end in sorted(gaps):
            if gap_start > pos:
                out.extend((bi, a, b) for a, b in _bounded(text, pos, gap_start))
            pos = max(pos, gap_end)
        out.extend((bi, a, b) for a, b in _bounded(text, pos, seg.end))
    return out


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut into pieces of at most _MAX_PIECE chars, preferably after a sentence
    end (else after whitespace), so a huge unbroken paragraph never becomes one spaCy Doc."""
    out: list[tuple[int, int]] = []
    while end - start > _MAX_PIECE:
        limit = start + _MAX_PIECE
        cut = None
        for m in _SENTENCE_END.finditer(text, limit - _MAX_PIECE // 2, limit):
            cut = m.end()
        if cut is None:
            space = max(text.rfind(" ", start, limit), text.rfind("\n", start, limit))
            cut = space + 1 if space > start else limit
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def too_many_segments(limit: int) -> WorkbenchError:
    """The refusal of a document with more than `limit` segments (without the file name)."""
    return WorkbenchError(
        f"more than {limit:,} segments (turns and sentences), the most one document may "
        "have under the import size limit; split the file"
    )


def with_sentences(
    text: str,
    blocks: list[ParsedSegment],
    breaks: Sequence[int] = (),
    limit: int | None = None,
) -> list[ParsedSegment]:
    """`blocks` in order, each followed by its sentence segments (parent = the block's index).

    Sentences never cross a blank line or an offset in `breaks` (e.g. the end of a heading).
    With `limit`, more than that many segments in all raises WorkbenchError("more than N
    segments") as soon as the count passes it (no file name: the caller adds it).
    """
    total = len(blocks)
    if limit is not None and total > limit:
        raise too_many_segments(limit)
    pieces = _pieces(text, blocks, breaks)
    sentences: list[list[tuple[int, int]]] = [[] for _ in blocks]
    docs = _nlp().pipe((text[a:b] for _, a, b in pieces), batch_size=_BATCH)
    for (bi, offset, _), doc in zip(pieces, docs, strict=True):
        for sent in doc.sents:
            span = strip_span(text, offset + sent.start_char, offset + sent.end_char)
            if span is not None:
                sentences[bi].append(span)
                total += 1
        if limit is not None and total > limit:
            raise too_many_segments(limit)
    out: list[ParsedSegment] = []
    for block, spans in zip(blocks, sentences, strict=True):
        parent = len(out)
        out.append(block)
        out.extend(
            ParsedSegment(a, b, "sentence", speaker=block.speaker, parent=parent) for a, b in spans
        )
    return out
