"""Sentence segments: exact offsets, paragraph and heading breaks, long paragraphs."""

from __future__ import annotations

import pytest

from workbench.ingest import sentences as sentence_module
from workbench.ingest.model import ParsedSegment
from workbench.ingest.sentences import with_sentences


def _texts(text: str, segments: list[ParsedSegment]) -> list[str]:
    return [text[s.start : s.end] for s in segments if s.level == "sentence"]


def test_offsets_are_exact_with_odd_whitespace() -> None:
    text = "P01:   First one.\t Second\u00a0one!  \n  Third, with Dr. Patel, e.g. today?   "
    turn = ParsedSegment(7, len(text.rstrip()), "turn", speaker="P01")
    out = with_sentences(text, [turn])
    assert out[0] == turn
    assert _texts(text, out) == [
        "First one.",
        "Second\u00a0one!",
        "Third, with Dr. Patel, e.g. today?",
    ]
    assert all(s.parent == 0 and s.speaker == "P01" for s in out[1:])


def test_blank_lines_and_breaks_end_sentences() -> None:
    text = "A heading without a full stop\nbody text here\n\nsecond paragraph no stop\nmore"
    block = ParsedSegment(0, len(text), "entry")
    assert _texts(text, with_sentences(text, [block])) == [
        "A heading without a full stop\nbody text here",
        "second paragraph no stop\nmore",
    ]
    first_line_end = text.index("\n")
    assert _texts(text, with_sentences(text, [block], [first_line_end]))[:2] == [
        "A heading without a full stop",
        "body text here",
    ]


def test_parents_point_at_their_block() -> None:
    text = "One. Two.\n\nThree."
    blocks = [ParsedSegment(0, 9, "turn"), ParsedSegment(11, 17, "turn")]
    out = with_sentences(text, blocks)
    assert [(s.level, s.parent) for s in out] == [
        ("turn", None),
        ("sentence", 0),
        ("sentence", 0),
        ("turn", None),
        ("sentence", 3),
    ]


def test_long_paragraphs_are_cut_without_changing_sentences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parts = ["It works... mostly.", "Does it?", "“Yes,” she said.", "No stop here", "Ok!"]
    text = " ".join(parts[i % len(parts)] for i in range(300))
    block = [ParsedSegment(0, len(text), "turn")]
    whole = _texts(text, with_sentences(text, block))
    monkeypatch.setattr(sentence_module, "_MAX_PIECE", 200)
    assert _texts(text, with_sentences(text, block)) == whole
    monkeypatch.setattr(sentence_module, "_MAX_PIECE", 7)  # shorter than a word: still exact
    cut = with_sentences(text, block)
    assert "".join(_texts(text, cut)).replace(" ", "") == text.replace(" ", "")
