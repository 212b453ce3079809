"""`.qdpx` export and import through the CLI: schema validity, exact round trips, stable GUIDs,
merging, and tolerance of what other tools write (docs/refi-qda.md)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from refi_support import (
    REFI,
    assert_valid_qdpx,
    build_study,
    dump,
    make_zip,
    raw_tables,
    sorted_csv,
    zip_folder,
)


@pytest.fixture
def study(cli, tmp_path: Path) -> Path:
    return build_study(cli, tmp_path, tmp_path / "study.sqlite")


def _export(cli, project: Path, out: Path) -> Path:  # type: ignore[no-untyped-def]
    r = cli("export", "qdpx", "-o", out, "--project", project)
    assert r.code == 0, r.err
    return out


def _excerpts(cli, project: Path, out: Path) -> list[str]:  # type: ignore[no-untyped-def]
    r = cli("export", "excerpts", "-o", out, "--project", project)
    assert r.code == 0, r.err
    return sorted_csv(out)


def test_round_trip_is_exact(cli, study: Path, tmp_path: Path) -> None:
    qdpx = _export(cli, study, tmp_path / "study.qdpx")
    assert_valid_qdpx(qdpx)
    fresh = tmp_path / "fresh.sqlite"
    r = cli("import", qdpx, "--project", fresh)
    assert r.code == 0, r.err
    assert "staff_interview\tinterview\t18 segments" in r.out
    assert "2 documents, 6 codes, 5 codings, 6 memos imported" in r.out
    before, after = dump(study), dump(fresh)
    for table in before:
        assert after[table] == before[table], table
    rows = _excerpts(cli, study, tmp_path / "a.csv")
    assert len(rows) == 6
    assert _excerpts(cli, fresh, tmp_path / "b.csv") == rows


def test_export_is_deterministic_and_guids_are_stable(cli, study: Path, tmp_path: Path) -> None:
    first = _export(cli, study, tmp_path / "one.qdpx").read_bytes()
    assert _export(cli, study, tmp_path / "two.qdpx").read_bytes() == first
    fresh = tmp_path / "fresh.sqlite"
    assert cli("import", tmp_path / "one.qdpx", "--project", fresh).code == 0
    again = assert_valid_qdpx(_export(cli, fresh, tmp_path / "three.qdpx"))
    guids = re.compile(rb'(?:guid|targetGUID|creatingUser)="([^"]+)"')
    qde = zipfile.ZipFile(tmp_path / "one.qdpx").read("project.qde")
    assert sorted(guids.findall(again)) == sorted(guids.findall(qde))
    # the store's GUIDs are the ones exported
    d = dump(study)
    for table, col in (("documents", 5), ("codes", 1), ("codings", 8), ("memos", 5)):
        for row in d[table]:
            assert row[col].encode() in qde, (table, row)


def test_offsets_are_code_points_of_the_stored_text(cli, study: Path, tmp_path: Path) -> None:
    qdpx = _export(cli, study, tmp_path / "study.qdpx")
    zf = zipfile.ZipFile(qdpx)
    qde = zf.read("project.qde").decode()
    guid = re.search(r'<TextSource guid="([^"]+)" name="staff_interview"', qde).group(1)
    text = zf.read(f"sources/{guid}.txt").decode("utf-8")
    assert text == (REFI / "staff_interview.txt").read_text(encoding="utf-8")
    block = qde.split(f'<TextSource guid="{guid}"')[1].split("</TextSource>")[0]
    spans = {
        (int(a), int(b)) for a, b in re.findall(r'startPosition="(\d+)" endPosition="(\d+)"', block)
    }
    start = text.index("Well, they come")  # after an emoji: 1 code point, 2 UTF-16 units
    assert (start, start + 38) in spans
    assert (text.index("日本語"), text.index("日本語") + 3) in spans
    assert text[118:119] == "😀" and (118, 119) in spans  # the segment memo's selection


def test_users_cases_and_notes_in_the_project_file(cli, study: Path, tmp_path: Path) -> None:
    from workbench.codebook.refi.guids import user_guid

    qde = assert_valid_qdpx(_export(cli, study, tmp_path / "s.qdpx")).decode()
    for coder in ("tester", "bob", "alice"):
        assert f'<User guid="{user_guid(coder)}" name="{coder}"/>' in qde
    assert qde.count("<Case ") == 2 and qde.count("<SourceRef ") == 2
    assert '<TextValue>=not a formula, "quoted"</TextValue>' in qde
    assert "<PlainTextContent>first line\nsecond line</PlainTextContent>" in qde
    assert "Overlaps with staff capacity?&#13;\nCheck." in qde
    assert "Tone: &lt;ironic&gt; &amp; tired" in qde
    assert qde.index("<Notes>") < qde.index("<Sets>") < qde.rindex("<NoteRef ")


def test_without_extras_text_is_resegmented(cli, study: Path, tmp_path: Path) -> None:
    """Another tool keeps only REFI parts: turns come back from the ingest package."""
    qdpx = _export(cli, study, tmp_path / "study.qdpx")
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(qdpx).extractall(folder)
    (folder / "workbench" / "extras.json").unlink()
    bare = zip_folder(folder, tmp_path / "bare.qdpx")
    fresh = tmp_path / "fresh.sqlite"
    r = cli("import", bare, "--project", fresh)
    assert r.code == 0, r.err
    assert "reception_notes\tfield-notes\t5 segments" in r.out
    assert _excerpts(cli, fresh, tmp_path / "b.csv") == _excerpts(cli, study, tmp_path / "a.csv")
    before, after = dump(study), dump(fresh)
    assert after["segments"] == before["segments"]
    assert [c[:7] for c in after["codings"]] == [c[:7] for c in before["codings"]]
    assert {c[7] for c in after["codings"]} == {"imported"}


def test_non_empty_project_needs_merge(cli, study: Path, tmp_path: Path) -> None:
    qdpx = _export(cli, study, tmp_path / "study.qdpx")
    before, before_dump = raw_tables(study), dump(study)
    r = cli("import", qdpx, "--project", study)
    assert r.code == 2 and "--merge" in r.err and len(r.err.strip().splitlines()) == 1
    assert raw_tables(study) == before
    r = cli("import", qdpx, "--merge", "--project", study)
    assert r.code == 0, r.err
    assert "merged: source 'staff_interview': merged into document 'staff_interview'" in r.out
    assert "merged: 5 codings were already in the project; kept once" in r.out
    assert dump(study) == before_dump  # its own export merged into it adds nothing


def test_merge_adds_only_new_things_and_reports(cli, study: Path, tmp_path: Path) -> None:
    qdpx = _export(cli, study, tmp_path / "study.qdpx")
    other = tmp_path / "other.sqlite"
    notes = (REFI / "reception_notes.txt").read_text(encoding="utf-8")
    (tmp_path / "reception_notes.txt").write_text(notes + "\nA later entry.\n", "utf-8")
    assert cli("import", tmp_path / "reception_notes.txt", "--project", other).code == 0
    r = cli("import", qdpx, "--merge", "--project", other)
    assert r.code == 0, r.err
    assert (
        "merged: source 'reception_notes': name already used; imported as "
        "'reception_notes (2)'" in r.out
    )
    d = dump(other)
    assert {row[0] for row in d["documents"]} == {
        "reception_notes",
        "reception_notes (2)",
        "staff_interview",
    }
    assert len(d["codings"]) == 5 and len(d["codes"]) == 6


def test_foreign_project_is_read_tolerantly(cli, tmp_path: Path) -> None:
    qdpx = zip_folder(REFI / "foreign", tmp_path / "foreign.qdpx")
    project = tmp_path / "p.sqlite"
    r = cli("import", qdpx, "--project", project)
    # a selection with a coding lies outside its text: refused unless asked, nothing written
    assert r.code == 2 and "outside the text" in r.err and "--skip-unreadable" in r.err
    assert not project.exists()
    r = cli("import", qdpx, "--skip-unreadable", "--project", project)
    assert r.code == 0, r.err
    assert "foreign.qdpx: 3 documents, 3 codes, 5 codings, 5 memos imported" in r.out
    for expected in (
        "code 'Trust': colour '#12345' is not #RGB or #RRGGBB; dropped",
        "skipped source 'Rich only' (no readable plain text",
        "PDF source 'Leaflet': 1 selections of PDF page areas skipped (no codings)",
        "skipped 1 PictureSources",
        "skipped 1 links",
        "skipped 1 selections outside their text or empty",
        "1 document sets kept as the attribute 'set': 'Barriers'",
    ):
        assert expected in r.out, expected
    d = dump(project)
    codes = {row[0]: row for row in d["codes"]}
    assert codes["access"][1] == "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"  # braces, case
    assert codes["access"][11] == "#46AA00"
    assert codes["access/passwords"][9] == '["Barriers"]'
    texts = {row[0]: row[4] for row in d["documents"]}
    assert "\r" not in texts["Desk interview"]  # CRLF normalised, BOM dropped
    codings = {(row[0], row[3]): row for row in d["codings"]}
    desk = codings[("Desk interview", "access/passwords")]
    assert texts["Desk interview"][desk[1] : desk[2]] == "I show them how to reset a password."
    assert desk[4] == "REV"
    pat = codings[("Patient interview", "access/passwords")]
    assert texts["Patient interview"][pat[1] : pat[2]] == "I never remember my password."
    assert (pat[4], pat[5]) == ("Dana Reyes", "2018-03-27T19:29:27+00:00")
    assert codings[("Patient interview", "trust")][5] == "2018-03-28T08:00:00+02:00"
    leaflet = codings[("Leaflet", "access")]
    assert texts["Leaflet"][leaflet[1] : leaflet[2]] == "Download the NHS App"
    assert set(d["attributes"]) == {
        ("Patient interview", "Role", "patient"),
        ("Patient interview", "Age", "71"),
        ("Patient interview", "set", "Barriers"),
        ("Desk interview", "Role", "staff"),
    }
    memos = {row[4]: row for row in d["memos"]}
    assert memos["Split into passwords and everything else?"][:2] == ("code", '"access"')
    assert memos["Interview done by phone."][:2] == ("document", '"Patient interview"')
    assert memos["Typical of older patients."][0] == "coding"
    assert memos["Said with a laugh."][0] == "segment"
    assert memos["Remember to ask about proxy access."][0] == "project"
    segs = [row for row in d["segments"] if row[0] == "Desk interview" and row[2] == "turn"]
    assert [row[5] for row in segs] == ["Interviewer", "R", "R"]  # speaker turns came back


def test_foreign_round_trip_keeps_their_guids(cli, tmp_path: Path) -> None:
    qdpx = zip_folder(REFI / "foreign", tmp_path / "foreign.qdpx")
    project = tmp_path / "p.sqlite"
    assert cli("import", qdpx, "--skip-unreadable", "--project", project).code == 0
    qde = assert_valid_qdpx(_export(cli, project, tmp_path / "back.qdpx")).decode()
    for guid in (
        "ad68fbe7-e1ee-4a82-a279-23cc698c89eb",
        "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294",
        "eca18d76-2b8b-4f26-bc1d-19eca19fb3f0",
        "d1d1d1d1-8888-4888-8888-888888888881",
        "0b0b0b0b-6666-4666-8666-666666666666",
        "a1a1a1a1-0000-4000-8000-000000000003",
    ):
        assert f'"{guid}"' in qde, guid
    assert "<Description>Things in the way.</Description>" in qde


def test_empty_project_exports_valid_file(cli, tmp_path: Path) -> None:
    project = tmp_path / "empty.sqlite"
    assert cli("init", "--project", project).code == 0
    out = _export(cli, project, tmp_path / "empty.qdpx")
    assert_valid_qdpx(out)
    r = cli("import", out, "--project", tmp_path / "again.sqlite")
    assert r.code == 0, r.err
    assert "0 documents, 0 codes, 0 codings, 0 memos imported" in r.out


def test_minimal_project_without_namespace_or_optional_parts(cli, tmp_path: Path) -> None:
    text = "Interviewer: Hello.\nP1: Hi there, nice to meet you."
    qde = (
        '<Project name="Bare"><Sources>'
        '<TextSource guid="{0B0B0B0B-6666-4666-8666-666666666666}" name="Chat">'
        f"<PlainTextContent>{text}</PlainTextContent>"
        '<PlainTextSelection guid="C1C1C1C1-7777-4777-8777-777777777771" startPosition="24" '
        'endPosition="33"><Coding guid="D1D1D1D1-8888-4888-8888-888888888881">'
        '<CodeRef targetGUID="2A2A2A2A-1111-4111-8111-111111111111"/></Coding>'
        "</PlainTextSelection></TextSource>"
        '<TextSource guid="0C0C0C0C-6666-4666-8666-666666666666" name="Chat">'
        "<PlainTextContent>Another text.</PlainTextContent></TextSource>"
        '<TextSource guid="0c0c0c0c-6666-4666-8666-666666666666" name="Copy">'
        "<PlainTextContent>Same GUID again.</PlainTextContent></TextSource>"
        "</Sources></Project>"
    ).encode()
    project = tmp_path / "p.sqlite"
    bare = make_zip(tmp_path / "bare.qdpx", {"project.qde": qde})
    r = cli("import", bare, "--project", project)
    assert r.code == 2 and "1 codings name a code the file's codebook does not hold" in r.err
    r = cli("import", bare, "--skip-unreadable", "--project", project)
    assert r.code == 0, r.err
    assert "bare.qdpx: 2 documents, 0 codes, 0 codings, 0 memos imported" in r.out
    assert "skipped 1 codings whose code is not in the file's codebook" in r.out
    assert "source 'Chat': name already used; imported as 'Chat (2)'" in r.out
    assert "skipped source 'Copy' (GUID 0c0c0c0c-6666-4666-8666-666666666666 used twice" in r.out
    d = dump(project)
    assert [row[5] for row in d["segments"] if row[0] == "Chat" and row[2] == "turn"] == [
        "Interviewer",
        "P1",
    ]
