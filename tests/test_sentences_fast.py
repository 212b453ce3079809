"""The fast sentence splitter gives exactly spaCy's sentences (blank English + sentencizer):
on every paragraph of the sample study, its survey answers and the tricky cases below."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workbench.ingest.sentences import _fast_sentences, sentence_starts, spacy_sentences

SAMPLE = Path(__file__).resolve().parents[1] / "transcripts_sample"
TRICKY = [
    'Hello.  "World" again.',
    'Hello. "World" again.',
    "e.g . this one",
    "Dr. Smith went home. He was tired!Really?",
    'Wait... what? Yes.\n"Quote." Next',
    "U.K. based. 3.5 mg. Ok",
    "(Yes.) (No.) Fine",
    "Hi.\xa0There",
    "A. B. C.",
    '"Hello," she said. "Bye."',
    "No.\n\n\nYes",
    "ok .  .  . fine",
    "...and then. ",
    " . x",
    "  leading. spaces",
    "Mr.Jones.Arrived",
    "Is it? ¿Sí? ¡Claro! Done。次",
    "end.\tTab",
    "",
    "   ",
    "no punctuation at all",
    "www.nhs.uk/app. Then",
]


def paragraphs() -> list[str]:
    out = []
    for path in sorted(SAMPLE.glob("*")):
        if path.suffix in (".txt", ".md", ".vtt", ".srt"):
            out.extend(path.read_text(encoding="utf-8").split("\n\n"))
    with (SAMPLE / "survey_online_services.csv").open(encoding="utf-8") as fh:
        out.extend(row["answer"] for row in csv.DictReader(fh))
    return out


def test_same_as_spacy_on_the_sample_study() -> None:
    pieces = paragraphs()
    assert len(pieces) > 500
    differ = [p for p in pieces if _fast_sentences(p, 0, len(p)) != spacy_sentences(p, 0, len(p))]
    assert differ == []


@pytest.mark.parametrize("piece", TRICKY)
def test_same_as_spacy_on_tricky_text(piece: str) -> None:
    assert _fast_sentences(piece, 0, len(piece)) == spacy_sentences(piece, 0, len(piece))


def test_offsets_inside_a_larger_text() -> None:
    text = "Intro.\n\nP01: It was fine. Then it was not!  Odd."
    start = text.index("It")
    assert _fast_sentences(text, start, len(text)) == spacy_sentences(text, start, len(text))
    assert len(_fast_sentences(text, start, len(text))) == 3
    assert sentence_starts("One. Two") == [0, 5]
