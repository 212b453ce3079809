"""Field notes: dated entries in every date style."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import blocks, parse, sentences

from workbench.ingest.fieldnotes import entry_start


def test_markdown_date_headings() -> None:
    doc = parse("fieldnotes_headings.md", kind="field-notes")
    assert doc.kind == "field-notes" and doc.warnings == []
    entries = blocks(doc)
    assert [t for _, t, _ in entries] == [
        None,
        "2021-11-04 09:10",
        "2021-11-04 10:25",
        "2021-11-09",
    ]
    assert all(s.level == "entry" for s in doc.segments if s.level != "sentence")
    assert entries[0][2].startswith("# Field notes: Brookfield")  # the preamble is its own entry
    assert entries[1][2] == (
        "First morning at the desk. The main door is locked and patients wait outside.\n"
        "R1 buzzes them in one at a time."
    )
    # text after the date on a heading stays in the entry, as a sentence of its own
    assert entries[2][2].startswith("Man with a cracked phone\nA man asks")
    assert "Man with a cracked phone" in sentences(doc)


def test_date_lines() -> None:
    entries = blocks(parse("fieldnotes_dateline.txt", kind="field-notes"))
    assert [t for _, t, _ in entries] == ["12/01/2022 08:45", "12/01/2022 10:20", "19/01/2022"]
    assert entries[0][2] == (
        "Arrived before the doors open. There is a one-way system marked with yellow tape."
    )


def test_lines_starting_with_a_date() -> None:
    entries = blocks(parse("fieldnotes_linedates.txt", kind="field-notes"))
    assert [(t, text.split("\n")[0]) for _, t, text in entries] == [
        ("2021-11-18 14:05", "Setting up the first drop-in session."),
        (
            "4 November 2021",
            "The door is still locked. A woman rings the bell and asks to book a blood test.",
        ),
        (
            "18/11/2021 15:30",
            "End of the session. Four people attended; two left with a working app.",
        ),
        ("Thursday 2 December 2021, 9.10am", "quiet morning."),
    ]


def test_dated_text_without_labels_becomes_field_notes() -> None:
    doc = parse("fieldnotes_dateline.txt")
    assert doc.kind == "field-notes"
    assert doc.warnings == [
        "fieldnotes_dateline.txt: no speaker labels but 3 dated entries: imported as field "
        "notes (use --kind interview to import it as an interview)"
    ]
    forced = parse("fieldnotes_dateline.txt", kind="interview")
    assert forced.kind == "interview"
    assert [s.level for s in forced.segments if s.level != "sentence"] == ["turn"]


def test_field_notes_ignore_speaker_like_lines(tmp_path: Path) -> None:
    path = tmp_path / "fn.txt"
    path.write_text("Date: 3 March 2022\nPM: It's all there if people want it.\nR1: Nods.\n")
    doc = parse(path, kind="field-notes")
    assert blocks(doc) == [
        (None, "3 March 2022", "PM: It's all there if people want it.\nR1: Nods."),
    ]


def test_field_notes_without_dates_are_one_entry(tmp_path: Path) -> None:
    path = tmp_path / "fn.md"
    path.write_text("Quiet day at the desk.\n")
    doc = parse(path, kind="field-notes")
    assert blocks(doc) == [(None, None, "Quiet day at the desk.")]
    assert doc.warnings == ["fn.md: no dated entries found; the whole text is one entry"]


@pytest.mark.parametrize(
    ("line", "date", "rest"),
    [
        ("## 2021-11-04 09:10", "2021-11-04 09:10", ""),
        ("### 2021-11-04T09:10 Arrival", "2021-11-04T09:10", "Arrival"),
        ("Date: 12/01/2022 08:45", "12/01/2022 08:45", ""),
        ("**Date:** 12.01.2022", "12.01.2022", ""),
        ("DATE: 3 March 2022 - clinic day", "3 March 2022", "clinic day"),
        ("4th Nov 2021. Quiet day", "4th Nov 2021", "Quiet day"),
        (
            "November 4, 2021 at 10:30 - after the meeting",
            "November 4, 2021 at 10:30",
            "after the meeting",
        ),
        ("12/01/2022 was cold", "12/01/2022", "was cold"),
    ],
)
def test_entry_start_styles(line: str, date: str, rest: str) -> None:
    found = entry_start(line)
    assert found is not None
    assert found[0] == date and line[found[1] :] == rest


@pytest.mark.parametrize(
    "line", ["2021 was a long year", "10 people came", "12/01/20225", "On 4 November 2021 we met"]
)
def test_not_entry_starts(line: str) -> None:
    assert entry_start(line) is None
