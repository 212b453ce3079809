"""Caption files, Word documents and survey CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import FIX, blocks, parse, sentences

from workbench.errors import WorkbenchError
from workbench.ingest import is_codings_csv, supported_extensions


def test_teams_vtt_voice_tags_merge_consecutive_cues() -> None:
    doc = parse("teams.vtt")
    assert doc.kind == "interview"
    turns = blocks(doc)
    assert [(s, t) for s, t, _ in turns] == [
        ("Interviewer", "00:00:01.000"),
        ("Dr Anil Mehta", "00:01:02.500"),  # three cues, first cue's start time
        ("Interviewer", "00:01:12.500"),
        ("Dr Anil Mehta", "00:01:15.200"),  # <v.loud Name> class on the voice tag
    ]
    assert turns[1][2] == (
        "So the first thing to say is that we went digital-first overnight, in March 2020. "
        "Overnight. Nobody planned it & nobody trained for it."
    )
    assert "<" not in doc.text and "&amp;" not in doc.text
    assert doc.text.startswith(
        "[00:00:01.000] Interviewer: Thanks for agreeing to talk to me.\n\n"
        "[00:01:02.500] Dr Anil Mehta: So the first thing"
    )
    assert "Overnight." in sentences(doc)


def test_zoom_vtt_name_prefixes() -> None:
    turns = blocks(parse("zoom.vtt"))
    assert turns == [
        ("Jane Smith", "00:00:00.500", "Is it recording now?"),
        (
            "Sam Okoro",
            "00:00:03.100",
            "Yes, I can see the red dot. Shall I start with the drop-in sessions?",
        ),
        ("Jane Smith", "00:00:08.100", "Please."),
    ]


def test_srt_prefixes_and_unlabelled_continuation_cues() -> None:
    doc = parse("captions.srt")
    assert blocks(doc) == [
        ("Interviewer", "00:00:01.000", "How do you order your prescriptions now?"),
        (
            "Jordan",
            "00:00:03.600",
            "On the app, always. I work nights, so I can't ring at eight in the morning. "
            "which is when they open.",
        ),
        ("Interviewer", "00:00:11.500", "That makes sense."),
    ]


def test_vtt_without_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.vtt"
    path.write_text("00:00:01.000 --> 00:00:02.000\nHello\n")
    with pytest.raises(WorkbenchError, match=r"bad\.vtt: not a valid WebVTT file"):
        parse(path)


def test_caption_file_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "silent.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<i></i>\n")
    with pytest.raises(WorkbenchError, match="no caption text"):
        parse(path)


def test_docx_written_by_python_docx(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Interview P02: carer", level=1)
    document.add_paragraph("Recorded at the practice, 2 March 2022.")
    document.add_paragraph("Interviewer: How do you manage your mother's prescriptions?")
    document.add_paragraph("Carer: I use proxy access on the app.")
    document.add_paragraph("It took three visits to set up.")
    document.add_paragraph("Interviewer: Who helped you?")
    document.add_paragraph("Carer: Nobody, in the end. I worked it out.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Carer"
    table.rows[0].cells[1].text = "PS: I still ring sometimes."
    path = tmp_path / "P02_carer_proxy.docx"
    document.save(str(path))

    doc = parse(path)
    assert doc.name == "P02_carer_proxy" and doc.source_name == "P02_carer_proxy.docx"
    assert doc.text.startswith(
        "Interview P02: carer\nRecorded at the practice, 2 March 2022.\nInterviewer: How"
    )
    assert blocks(doc) == [
        (None, None, "Interview P02: carer\nRecorded at the practice, 2 March 2022."),
        ("Interviewer", None, "How do you manage your mother's prescriptions?"),
        ("Carer", None, "I use proxy access on the app.\nIt took three visits to set up."),
        ("Interviewer", None, "Who helped you?"),
        ("Carer", None, "Nobody, in the end. I worked it out.\nCarer\tPS: I still ring sometimes."),
    ]


def test_docx_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(WorkbenchError, match=r"broken\.docx: not a valid \.docx file"):
        parse("broken.docx")


def test_zip_that_is_not_word_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(WorkbenchError, match=r"not a valid \.docx file \(a zip archive, but not"):
        parse(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(WorkbenchError, match=r"fake\.docx: not a valid \.docx file \(\w+"):
        parse(path)


def test_docx_tracked_changes_breaks_and_content_controls(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    para = document.add_paragraph("Interviewer: Who set it up")
    para._p.append(
        parse_xml(
            f"<w:ins {nsdecls('w')} w:id='1' w:author='A' w:date='2022-01-01T00:00:00Z'>"
            "<w:r><w:t xml:space='preserve'> for you?</w:t></w:r></w:ins>"
        )
    )
    para._p.append(
        parse_xml(
            f"<w:del {nsdecls('w')} w:id='2' w:author='A' w:date='2022-01-01T00:00:00Z'>"
            "<w:r><w:delText> DELETED</w:delText></w:r></w:del>"
        )
    )
    answer = document.add_paragraph("P02: My son.")
    answer.add_run().add_break()
    answer.add_run("He lives in Bristol.")
    document.element.body.insert(
        len(document.element.body) - 1,
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Interviewer: Thanks.</w:t>"
            "</w:r></w:p></w:sdtContent></w:sdt>"
        ),
    )
    path = tmp_path / "tracked.docx"
    document.save(str(path))
    doc = parse(path)
    assert doc.text == (
        "Interviewer: Who set it up for you?\nP02: My son.\nHe lives in Bristol.\n"
        "Interviewer: Thanks."
    )


def test_survey_csv_one_document_response_segments() -> None:
    doc = parse("survey.csv", kind="survey", text_column="answer", id_column="respondent_id")
    assert doc.kind == "survey" and doc.name == "survey"
    responses = [s for s in doc.segments if s.level == "response"]
    assert [s.speaker for s in responses] == ["R001", "R002", "R003", "R005"]  # R004 is empty
    assert [doc.text[s.start : s.end] for s in responses][1:3] == [
        "Nothing, it's fine",
        'Better signal.\nAnd a "proper" phone line, not a queue.',  # quoted CRLF newline
    ]
    assert responses[0].attributes == {"practice": "Brookfield Health Centre", "age_band": "75+"}
    assert responses[2].attributes == {"practice": "Moorside Surgery"}  # empty cells left out
    assert doc.text.split("\n\n")[0] == "Someone to show me how. I dont know what to press."
    assert doc.warnings == ["survey.csv: 1 row with an empty 'answer' skipped"]
    assert "Better signal." in sentences(doc)


def test_survey_kind_defaults_from_extension() -> None:
    doc = parse("survey.csv", text_column="Answer", id_column="respondent_id")  # case-insensitive
    assert doc.kind == "survey"


def test_survey_needs_columns_and_names_them() -> None:
    with pytest.raises(WorkbenchError) as err:
        parse("survey.csv", kind="survey")
    assert str(err.value) == (
        f"{FIX / 'survey.csv'}: a survey CSV needs --text-column and --id-column "
        "(columns: respondent_id, practice, age_band, answer)"
    )
    with pytest.raises(WorkbenchError, match=r"--text-column comment: no such column \(columns:"):
        parse("survey.csv", text_column="comment", id_column="respondent_id")


def test_survey_semicolon_delimited_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id;site;text\n1;A;Fine\n2;B\n3;C;More staff;\n")
    doc = parse(path, text_column="text", id_column="id")
    assert [(s, t) for s, _, t in blocks(doc)] == [("1", "Fine"), ("3", "More staff")]
    path.write_text("id,text\n1,Fine,extra\n")
    with pytest.raises(WorkbenchError, match=r"s\.csv:2: 3 cells, but the header has 2"):
        parse(path, text_column="text", id_column="id")


def test_codings_csv_is_recognised() -> None:
    assert is_codings_csv(FIX / "codings.csv")
    assert not is_codings_csv(FIX / "survey.csv")
    assert not is_codings_csv(FIX / "binary.txt")
    assert not is_codings_csv(FIX / "does-not-exist.csv")


def test_csv_with_another_kind_is_refused() -> None:
    with pytest.raises(WorkbenchError, match="imports as a survey"):
        parse("survey.csv", kind="interview", text_column="answer", id_column="respondent_id")


def test_survey_kind_needs_csv() -> None:
    with pytest.raises(WorkbenchError, match=r"needs a \.csv file"):
        parse("i_r.txt", kind="survey")


def test_registry_and_unknown_extension(tmp_path: Path) -> None:
    assert supported_extensions() == (".txt", ".md", ".docx", ".vtt", ".srt", ".csv")
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(WorkbenchError) as err:
        parse(path)
    assert str(err.value) == (
        f"{path}: unsupported file type '.pdf'; supported: .txt, .md, .docx, .vtt, .srt, .csv"
    )


def test_name_option_and_bad_kind() -> None:
    assert parse("i_r.txt", name="K02 national lead").name == "K02 national lead"
    with pytest.raises(WorkbenchError, match="--kind memo: must be one of"):
        parse("i_r.txt", kind="memo")


def test_sentences_can_be_turned_off() -> None:
    doc = parse("i_r.txt", sentences=False)
    assert {s.level for s in doc.segments} == {"turn"}
