"""People, places and organisations (spaCy NER plus rules) on positive and negative cases."""

from __future__ import annotations

import pytest

from workbench.pseudonyms.detect import find_all
from workbench.pseudonyms.names import speaker_identifier


def found(text: str) -> set[tuple[str, str]]:
    return {(f.kind, f.text) for f in find_all([text])[0]}


def test_people_practices_streets_and_places() -> None:
    got = found(
        "My daughter Sophie Marsh rang Riverside Surgery. Dr Okafor and Mrs Haddock were "
        "lovely. We moved from Leeds to 4 Mill Lane last year."
    )
    assert {
        ("person", "Sophie Marsh"),
        ("organisation", "Riverside Surgery"),
        ("person", "Dr Okafor"),
        ("person", "Mrs Haddock"),
        ("place", "Leeds"),
        ("place", "Mill Lane"),
    } <= got


@pytest.mark.parametrize(
    "text",
    [
        "I had my review in May and it was fine.",
        "Bath time is the hardest part of the day.",
        "I take the Victoria line to the hospital.",
        "The Trust changed the letters last year, and the NHS App logs me out.",
        "Rang, forty minutes in the queue. Broadband, some days, is hopeless.",
        "Transcribed by the team. Field notes follow.",
        "My Mum can't use the app, and neither can Nan.",
    ],
)
def test_ordinary_words_that_look_like_names_are_not_found(text: str) -> None:
    assert {k for k, _ in found(text)} & {"person", "place", "organisation"} == set()


def test_patterns_win_over_names_where_they_overlap() -> None:
    got = found("Her NHS number is 943 476 5919 and she was born on 14/02/1938.")
    assert got == {("nhs_number", "943 476 5919"), ("date_of_birth", "14/02/1938")}


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Dr Patel", "Dr Patel"), ("Janet Pryce", "Janet Pryce"), ("Janet", "Janet")],
)
def test_speaker_labels_that_name_someone(label: str, expected: str) -> None:
    f = speaker_identifier(label)
    assert f is not None and (f.kind, f.text) == ("person", expected)


@pytest.mark.parametrize(
    "label", ["Interviewer", "P07", "Participant 2", "R1", "Speaker 3", "Interpreter", "IV"]
)
def test_generic_speaker_labels_are_not_identifiers(label: str) -> None:
    assert speaker_identifier(label) is None
