"""Speaker turns in .txt/.md transcripts: every label style, preambles, false positives."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import blocks, parse, sentences

from workbench.ingest.labels import STRONG, WEAK, classify, match_line


def speakers(name: str) -> list[str | None]:
    return [speaker for speaker, _, _ in blocks(parse(name))]


def test_interviewer_and_participant_id() -> None:
    doc = parse("interviewer_p07.txt")
    assert doc.kind == "interview" and doc.name == "interviewer_p07"
    assert speakers("interviewer_p07.txt") == ["Interviewer", "P07"] * 3
    turns = blocks(doc)
    # the label stays in the stored text; the turn covers only the spoken words
    assert doc.text.startswith("Interviewer: Thanks")
    assert turns[0][2] == (
        "Thanks for making time today. Could you start by telling me about your job?"
    )
    # continuation lines belong to the current turn
    assert turns[1][2].endswith("When it's busy, it's really busy.")
    # a turn right after the previous one (no blank line) still starts a new turn
    assert turns[4][2] == "Who showed you how the app works?"


def test_he_said_colon_is_not_a_speaker() -> None:
    doc = parse("interviewer_p07.txt")
    answer = blocks(doc)[3][2]
    assert answer.startswith("All the time. He said: no")
    assert answer.endswith("He said: no again the next week.")
    assert "He said: no again the next week." in sentences(doc)


def test_int_and_participant_n_with_preamble() -> None:
    turns = blocks(parse("int_participant.txt"))
    assert [s for s, _, _ in turns] == [None, "Int", "Participant 7", "Int", "Participant 7"]
    preamble = turns[0][2]
    assert preamble.startswith("Study: Digital facilitation")
    assert preamble.endswith("Transcribed by: A. Transcriber")


def test_i_and_r() -> None:
    turns = blocks(parse("i_r.txt"))
    assert [s for s, _, _ in turns] == ["I", "R", "I", "R"]
    assert turns[3][2].endswith("It isn't anyone's job as such.")


def test_titled_names_and_one_off_labels() -> None:
    turns = blocks(parse("dr_patel.txt"))
    assert [s for s, _, _ in turns] == [
        "Interviewer",
        "Dr Patel",
        "Interviewer",
        "Dr Patel",
        "Interviewer",
        "Mrs Okafor",  # a title + name counts even when it occurs once
        "Dr Patel",
    ]
    # "Note:" and "He said:" at line start stay inside Dr Patel's turn
    assert turns[3][2] == (
        "She looked at me and said\nNote: this is what she said, word for word.\n"
        "He said: no. Well, she said no."
    )


def test_markdown_bold_labels_title_and_headings() -> None:
    doc = parse("pharmacist.md")
    turns = blocks(doc)
    assert [s for s, _, _ in turns] == [
        None,
        "Interviewer",
        "Pharmacist",
        "Interviewer",
        "Pharmacist",
        None,  # "## Closing questions" is not part of anyone's words
        "Interviewer",
        "Pharmacist",
    ]
    assert turns[0][2].startswith("# Interview S06: clinical pharmacist")
    assert turns[0][2].endswith("Names changed.")
    assert turns[2][2].startswith("I review the medication")
    assert turns[2][2].endswith("why an item is missing.")  # paragraph 2 of the same turn
    assert turns[3][2] == "Is that written into your role?"  # **Interviewer**: style
    assert turns[5][2] == "## Closing questions"
    assert "# Interview S06: clinical pharmacist" in sentences(doc)  # a heading is a sentence


def test_timestamped_speaker_labels() -> None:
    turns = blocks(parse("timestamped.txt"))
    assert [(s, t) for s, t, _ in turns] == [
        ("Speaker 1", "00:12:31"),
        ("Speaker 2", "00:12:40"),
        ("Speaker 1", "00:13:05"),
        ("Speaker 2", "00:13:09"),
    ]
    assert turns[1][2] == (
        "I'm on hold for forty minutes. It makes my anxiety worse, honestly.\n"
        "I'd much rather fill in the form online."
    )


def test_otter_export_style() -> None:
    doc = parse("otter.txt")
    turns = blocks(doc)
    assert [(s, t) for s, t, _ in turns] == [
        (None, None),
        ("Jane Smith", "00:38"),
        ("Sam Okoro", "00:45"),
        ("Jane Smith", "1:02"),
        ("Sam Okoro", "1:10"),
        ("Interviewer", "1:02:10"),
        ("Sam Okoro", "1:02:15"),
    ]
    assert turns[0][2] == "Digital champion interview - Otter.ai export"
    assert turns[2][2] == (
        "Busy. People bring two phones and a carrier bag of letters.\n"
        "Half the time the phone is locked."
    )


def test_no_labels_is_one_turn_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("We talked about the app for a while.\nThen the phone rang.\n")
    doc = parse(path)
    assert blocks(doc) == [
        (None, None, "We talked about the app for a while.\nThen the phone rang.")
    ]
    assert doc.warnings == ["notes.txt: no speaker labels found; the whole text is one turn"]


def test_weak_label_must_recur(tmp_path: Path) -> None:
    once = tmp_path / "once.txt"
    once.write_text("Interviewer: What helps?\nSummary Point: nothing much.\nJordan: Hello.\n")
    assert [s for s, _, _ in blocks(parse(once))] == ["Interviewer"]
    twice = tmp_path / "twice.txt"
    twice.write_text("Interviewer: Hi.\nJordan: Hello.\nInterviewer: And?\nJordan: The app.\n")
    assert [s for s, _, _ in blocks(parse(twice))] == ["Interviewer", "Jordan"] * 2


def test_label_with_text_on_the_next_line(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("**Interviewer:**\nWhat helps?\n\n**P02:**\n\nSomeone to ask.\n")
    assert blocks(parse(path)) == [
        ("Interviewer", None, "What helps?"),
        ("P02", None, "Someone to ask."),
    ]


def test_empty_turn_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Interviewer:\nP01: Yes.\n")
    assert blocks(parse(path)) == [("P01", None, "Yes.")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Interviewer", STRONG),
        ("INTERVIEWER", STRONG),
        ("Int", STRONG),
        ("P07", STRONG),
        ("Participant 3", STRONG),
        ("Speaker 2", STRONG),
        ("Dr Patel", STRONG),
        ("Prof. Sarah Jones", STRONG),
        ("Jane Smith", WEAK),
        ("Ana de la Cruz", WEAK),
        ("Note", None),
        ("Transcribed by", None),
        ("He said", None),
        ("interviewer", None),
        ("One Two Three Four Five", None),
    ],
)
def test_classify(name: str, expected: str | None) -> None:
    assert classify(name) == expected


@pytest.mark.parametrize(
    "line",
    [
        "http://example.org",
        "10:30 we met",
        "So what he said was: this",
        "Monday  10:30",
        "Ratio 3:2 in favour",
        "C:\\Users\\me",
    ],
)
def test_lines_that_are_not_labels(line: str) -> None:
    assert match_line(line) is None


def test_rev_style_timestamp_after_name() -> None:
    label = match_line("Speaker 1 (00:02): Hello there")
    assert label is not None
    assert (label.name, label.timestamp) == ("Speaker 1", "00:02")
    assert "Speaker 1 (00:02): Hello there"[label.content :].strip() == "Hello there"


def test_label_without_a_space_after_the_colon(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Interviewer:Did it work?\nP07:\u201cNot really.\u201d\n")
    assert blocks(parse(path)) == [
        ("Interviewer", None, "Did it work?"),
        ("P07", None, "\u201cNot really.\u201d"),
    ]
