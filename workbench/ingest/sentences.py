"""Sentence segments inside each turn, entry or response (spaCy blank English + sentencizer).

spaCy is imported on first use and the pipeline is cached. A blank line always ends a
sentence: each paragraph of a segment is split on its own, so no sentence spans two paragraphs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError
from workbench.ingest.model import ParsedSegment
from workbench.ingest.spans import strip_span

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<!\.)[.!?][\"'”’)\]]*\s+")  # not after "..." (nor does spaCy)
_MAX_PIECE = 20_000  # longer paragraphs are cut at a sentence end first: bounded memory


@lru_cache(maxsize=1)
def _nlp() -> Language:
    from workbench.ingest.spacy_import import import_spacy

    nlp = import_spacy().blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 10**9  # the import size limit bounds the text; spaCy's own cap is 1M chars
    return nlp


@lru_cache(maxsize=1)
def _rules() -> tuple[Tokenizer, frozenset[str], re.Pattern[str]]:
    """spaCy's tokenizer, the sentencizer's punctuation set and a pattern for a
    whitespace-delimited run holding one of those characters."""
    nlp = _nlp()
    punct = frozenset(nlp.get_pipe("sentencizer").punct_chars)
    return nlp.tokenizer, punct, _punct_run(punct)


def _punct_run(chars: Iterable[str]) -> re.Pattern[str]:
    cls = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(rf"(?<!\S)\S*[{cls}]\S*")


@lru_cache(maxsize=1)
def _run_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """`_rules`' run pattern for an ASCII piece, a piece within the BMP, and any piece.
    The full set holds characters beyond the BMP, and `re` then tests every character of
    the text against each member in turn (about 10 us per 100 characters); the narrower
    sets compile to a bitmap. On a piece with no character outside them they match alike."""
    _, punct, full = _rules()
    ascii_set = [c for c in punct if c.isascii()]
    bmp_set = [c for c in punct if c < "\U00010000"]
    return _punct_run(ascii_set), _punct_run(bmp_set), full


_NONSPACE = re.compile(r"\S")
_RUN = re.compile(r"\S+")
_SUMMARY_CACHE = 200_000
_summaries: dict[tuple[str, bool], tuple[tuple[int, ...], bool]] = {}


def _summary(run: str, seen_period: bool) -> tuple[tuple[int, ...], bool]:
    """What spaCy's sentencizer does over one whitespace-delimited run: the offsets (in the
    run) of the tokens that start a sentence, and whether a sentence end is pending after
    it. spaCy tokenizes each run on its own, so this is cached by run text."""
    key = (run, seen_period)
    hit = _summaries.get(key)
    if hit is None:
        tokenizer, punct, _ = _rules()
        starts: list[int] = []
        state = seen_period
        for tok in tokenizer(run):
            in_punct = tok.text in punct
            if state and not tok.is_punct and not in_punct:  # Sentencizer.predict
                starts.append(tok.idx)
                state = False
            elif in_punct:
                state = True
        hit = (tuple(starts), state)
        if len(_summaries) >= _SUMMARY_CACHE:
            _summaries.clear()
        _summaries[key] = hit
    return hit


def sentence_starts(piece: str) -> list[int]:
    """Offsets in `piece` where spaCy's blank-English sentencizer starts a sentence, without
    building a Doc: only runs holding sentence punctuation (and what follows them until the
    next sentence starts) are tokenized, each once. The whitespace rules are the
    tokenizer's: a single space after a token is its trailing space; any other whitespace
    is a token of its own (and so starts a sentence after a period)."""
    ascii_run, bmp_run, full_run = _run_patterns()
    if piece.isascii():
        punct_run = ascii_run
    else:
        punct_run = bmp_run if max(piece) < "\U00010000" else full_run
    starts = [0]
    n = len(piece)
    pos = 0
    cache = _summaries
    # finditer, not a search per run: a match before `pos` lies in a run already read
    # (runs are whole and `pos` is always at the end of one), so skipping it is the same
    for m in punct_run.finditer(piece):
        first = m.start()
        if first < pos:
            continue
        run = m.group()
        hit = cache.get((run, False)) or _summary(run, False)
        if hit[0]:
            starts.extend(first + x for x in hit[0])
        pending = hit[1]
        p = m.end()
        while pending and p < n:
            if piece[p] == " " and p + 1 < n and not piece[p + 1].isspace():
                q = p + 1  # the common case: one trailing space, then the next run
            else:
                nxt = _NONSPACE.search(piece, p)
                q = nxt.start() if nxt else n
                if q > p:
                    token = p + 1 if piece[p] == " " else p
                    if token < q:  # a whitespace token: not punctuation, so it starts one
                        starts.append(token)
                        pending = False
                        break
                if q >= n:
                    break
            end = _RUN.match(piece, q).end()  # type: ignore[union-attr]
            run = piece[q:end]
            hit = cache.get((run, True)) or _summary(run, True)
            if hit[0]:
                starts.extend(q + x for x in hit[0])
            pending = hit[1]
            p = end
        pos = p
    return starts


def _fast_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    piece = text[start:end]
    cuts = [*sentence_starts(piece), len(piece)]
    out = []
    for a, b in pairwise(cuts):
        span = strip_span(text, start + a, start + b)
        if span is not None:
            out.append(span)
    return out


def paragraph_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence spans of one block `text[start:end]` with no breaks inside: what
    `with_sentences` gives it (each paragraph, bounded in length, split on its own)."""
    if end - start <= _MAX_PIECE and _PARAGRAPH_BREAK.search(text, start, end) is None:
        return _fast_sentences(text, start, end)  # one piece: what _pieces would give
    block = ParsedSegment(start, end, "response")
    return [span for _, a, b in _pieces(text, [block], ()) for span in _fast_sentences(text, a, b)]


def spacy_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The reference: spaCy's own pipeline over text[start:end] (tests compare with it)."""
    doc = _nlp()(text[start:end])
    spans = (strip_span(text, start + s.start_char, start + s.end_char) for s in doc.sents)
    return [sp for sp in spans if sp is not None]


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
    for bi, a, b in pieces:
        found = _fast_sentences(text, a, b)
        sentences[bi].extend(found)
        total += len(found)
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
