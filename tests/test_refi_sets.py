"""Document sets (MAXQDA's document groups and sets, NVivo's and ATLAS.ti's sets of sources)
survive a REFI-QDA import as the attribute `set` and go back out as Sets with their GUIDs.

The project below is written by hand in the shape MAXQDA 24 exports (read from a public
MAXQDA 24.7 export): upper-case GUIDs, `internal://GUID.txt` paths, Sets holding only
MemberSource elements, after the Sources."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from refi_support import assert_valid_qdpx, dump, make_zip

A = "C5E4C960-5296-4FDE-8C63-DEABA4E17F92"
B = "7391D47A-323D-4291-8202-ED599C250828"
C = "1C693BD8-FFE2-4398-AB33-0831971751F4"
CODE = "088164C3-4BB6-4C84-8FCF-E550D479867D"
TEXTS = {
    A: "Interviewer: How do you book?\nPatient: By phone, always by phone.\n",
    B: "Interviewer: And the app?\nPatient: My grandson set it up for me.\n",
    C: "Field note: the queue at reception was out of the door.\n",
}


def _source(guid: str, name: str, coded: str | None = None) -> str:
    sel = ""
    if coded is not None:
        start = TEXTS[guid].index(coded)
        sel = (
            f'<PlainTextSelection guid="{guid[:-4]}0001" startPosition="{start}" '
            f'endPosition="{start + len(coded)}"><Coding guid="{guid[:-4]}0002">'
            f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>'
        )
    return (
        f'<TextSource guid="{guid}" name="{name}" plainTextPath="internal://{guid}.txt" '
        f'creationDateTime="2024-10-18T23:23:46Z">{sel}</TextSource>'
    )


QDE = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" origin="MAXQDA 24 (Release 24.7.0)" name="Groups">
 <CodeBook><Codes>
  <Code guid="{CODE}" name="Access" isCodable="true"/>
 </Codes></CodeBook>
 <Variables>
  <Variable guid="11111111-2222-4333-8444-555555555555" name="set" typeOfVariable="Text"/>
 </Variables>
 <Cases>
  <Case guid="21111111-2222-4333-8444-555555555555" name="Reception">
   <VariableValue><VariableRef targetGUID="11111111-2222-4333-8444-555555555555"/>
    <TextValue>observations</TextValue></VariableValue>
   <SourceRef targetGUID="{C}"/>
  </Case>
 </Cases>
 <Sources>
  {_source(A, "Patient 1", "By phone, always by phone.")}
  {_source(B, "Patient 2", "My grandson set it up for me.")}
  {_source(C, "Reception")}
 </Sources>
 <Sets>
  <Set guid="45FE4439-9BF4-47FC-AFAF-D87305293172" name="Wave 1">
   <Description>First round, spring.</Description>
   <MemberSource targetGUID="{A}"/>
   <MemberSource targetGUID="{B}"/>
   <MemberNote targetGUID="31111111-2222-4333-8444-555555555555"/>
  </Set>
  <Set guid="FEEDCF5C-1D45-4CE1-B551-586A9CD14F09" name="Older patients">
   <MemberSource targetGUID="{B}"/>
   <MemberSource targetGUID="{C}"/>
   <MemberSource targetGUID="99999999-1D45-4CE1-B551-586A9CD14F09"/>
  </Set>
 </Sets>
</Project>
"""


def _qdpx(path: Path) -> Path:
    members = {"project.qde": QDE.encode("utf-8")}
    members |= {f"sources/{g}.txt": t.encode("utf-8") for g, t in TEXTS.items()}
    return make_zip(path, members)


def _attrs(project: Path) -> set[tuple[str, str, str]]:
    return set(dump(project)["attributes"])


def test_document_sets_become_the_attribute_set(cli, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    r = cli("import", _qdpx(tmp_path / "groups.qdpx"), "--project", project)
    assert r.code == 0, r.err
    assert "groups.qdpx: 3 documents, 1 codes, 2 codings, 0 memos imported" in r.out
    assert "2 document sets kept as the attribute 'set': 'Wave 1', 'Older patients'" in r.out
    assert "set 'Wave 1': 1 note members skipped" in r.out
    assert "source/note" not in r.out
    assert "a member names no source (99999999-1d45-4ce1-b551-586a9cd14f09)" in r.out
    # the Case's own variable `set` wins over the set membership, and says so
    assert "source 'Reception': its variable 'set' is 'observations'" in r.out
    assert _attrs(project) == {
        ("Patient 1", "set", "Wave 1"),
        ("Patient 2", "set", "Wave 1; Older patients"),
        ("Reception", "set", "observations"),
    }
    r = cli("documents", "--where", "set=wave 1", "--format", "json", "--project", project)
    assert r.code == 0, r.err
    assert [d["name"] for d in json.loads(r.out)] == ["Patient 1"]


def test_document_sets_go_back_out_as_sets(cli, tmp_path: Path) -> None:
    project, again = tmp_path / "p.sqlite", tmp_path / "again.sqlite"
    assert cli("import", _qdpx(tmp_path / "groups.qdpx"), "--project", project).code == 0
    out = tmp_path / "out.qdpx"
    r = cli("export", "qdpx", "-o", out, "--project", project)
    assert r.code == 0, r.err
    qde = assert_valid_qdpx(out).decode("utf-8")
    # the sets keep their GUIDs and description; `set` is written as Sets, not as a variable
    assert '<Set guid="45fe4439-9bf4-47fc-afaf-d87305293172" name="Wave 1">' in qde
    assert "<Description>First round, spring.</Description>" in qde
    assert qde.count("<MemberSource ") == 4  # Wave 1: two, Older patients: one, observations
    assert 'name="set"' not in qde
    r = cli("import", out, "--project", again)
    assert r.code == 0, r.err
    assert _attrs(again) == _attrs(project)
    assert dump(again)["codings"] == dump(project)["codings"]


def test_a_sheet_column_named_set_is_exported_as_sets(cli, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    note = tmp_path / "note.txt"
    note.write_text("Field note: a quiet morning.\n", encoding="utf-8")
    assert cli("import", note, "--project", project).code == 0
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("document,set,site\nnote,Pilot; Site B,Moorside\n", encoding="utf-8")
    assert cli("attributes", sheet, "--project", project).code == 0
    out = tmp_path / "out.qdpx"
    assert cli("export", "qdpx", "-o", out, "--project", project).code == 0
    qde = zipfile.ZipFile(out).read("project.qde").decode("utf-8")
    assert 'name="Pilot"' in qde and 'name="Site B"' in qde and 'name="set"' not in qde
    again = tmp_path / "again.sqlite"
    assert cli("import", out, "--project", again).code == 0
    assert ("note", "set", "Pilot; Site B") in _attrs(again)
    assert ("note", "site", "Moorside") in _attrs(again)
