"""Exporters that write their own database ids where REFI-QDA wants GUIDs (`code-12`,
`source-r1`, `user-abc`), and one that puts codings outside every source.

The shapes are those of a web tool's REFI-QDA exporter read on GitHub (WISEShift's): codes,
sources, notes, users and sets identified by prefixed database ids, the text at
`internal://Sources/ID.txt` in a capitalised `Sources/` folder, and its highlights in a
top-level `<Coding>` whose `Selection`s name no source. Written here by hand."""

from __future__ import annotations

import json
from pathlib import Path

from refi_support import dump, make_zip

TEXT = "We rely on grants from the council for everything."


def _qde(codings_inside: bool) -> str:
    start = TEXT.index("grants from the council")
    inside = (
        f'<PlainTextSelection guid="sel-h1" startPosition="{start}" endPosition="{start + 23}" '
        'creatingUser="user-abc123"><Coding guid="cod-h1" creatingUser="user-abc123">'
        '<CodeRef targetGUID="code-t2"/></Coding><NoteRef targetGUID="note-n1"/>'
        "</PlainTextSelection>"
        if codings_inside
        else ""
    )
    stray = (
        ""
        if codings_inside
        else '<Coding><CodeRef targetGUID="code-t2"><Selection guid="sel-h1" '
        f'startPosition="{start}" endPosition="{start + 23}"/></CodeRef></Coding>'
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Project name="Survey answers" origin="WISEShift" xmlns="urn:QDA-XML:project:1.0"
  creatingUserGUID="user-abc123" creationDateTime="2026-01-05T10:00:00.000Z">
  <Users><User guid="user-abc123" name="Researcher"/></Users>
  <CodeBook><Codes>
    <Code guid="code-t1" name="Funding" color="#ff0000" isCodable="true">
      <Description></Description>
      <Code guid="code-t2" name="Grants" color="#00ff00" isCodable="true">
        <Description>Money from grants</Description>
      </Code>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="source-r1" plainTextPath="internal://Sources/r1.txt" name="Q1 - Org A">
      {inside}
    </TextSource>
  </Sources>
  {stray}
  <Notes>
    <Note guid="note-n1" name="Note on Q1" creatingUser="user-abc123"
      creationDateTime="2026-01-05T10:00:00.000Z">
      <PlainTextContent>Interesting answer</PlainTextContent>
    </Note>
  </Notes>
</Project>
"""


def _qdpx(path: Path, codings_inside: bool) -> Path:
    return make_zip(
        path,
        {
            "project.qde": _qde(codings_inside).encode("utf-8"),
            "Sources/r1.txt": TEXT.encode("utf-8"),
        },
    )


def test_ids_that_are_not_guids_still_connect_codings_codes_notes_and_users(
    cli, tmp_path: Path
) -> None:
    project = tmp_path / "p.sqlite"
    r = cli("import", _qdpx(tmp_path / "ids.qdpx", True), "--project", project)
    assert r.code == 0, r.err
    assert "ids.qdpx: 1 documents, 2 codes, 1 codings, 1 memos imported" in r.out
    assert "identifiers are not GUIDs (first: 'user-abc123')" in r.out
    d = dump(project)
    assert [row[0] for row in d["documents"]] == ["Q1 - Org A"]
    (coding,) = d["codings"]
    assert TEXT[coding[1] : coding[2]] == "grants from the council"
    assert (coding[3], coding[4]) == ("funding/grants", "Researcher")
    (memo,) = d["memos"]
    assert memo[0] == "coding" and memo[4] == "Interesting answer"
    # the same file imported again gives the same GUIDs: derived from the ids, not random
    again = tmp_path / "again.sqlite"
    assert cli("import", _qdpx(tmp_path / "ids.qdpx", True), "--project", again).code == 0
    assert {r[1] for r in dump(again)["codes"]} == {r[1] for r in d["codes"]}


def test_codings_outside_every_source_refuse_the_import(cli, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    qdpx = _qdpx(tmp_path / "stray.qdpx", False)
    r = cli("import", qdpx, "--project", project)
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        f"{qdpx}: 1 codings outside every source (naming none, not REFI-QDA) cannot "
        "be placed; nothing imported (add --skip-unreadable to import the rest)"
    ]
    assert not project.exists()
    r = cli("import", qdpx, "--skip-unreadable", "--project", project)
    assert r.code == 0, r.err
    assert "stray.qdpx: 1 documents, 2 codes, 0 codings, 1 memos imported" in r.out
    assert "warning: dropped 1 codings outside every source (naming none" in r.out


def test_a_source_in_two_cases_stays_in_the_first_and_cases_lists_it(cli, tmp_path: Path) -> None:
    """A thematic-analysis toolkit's shape: each document is in its dataset's Case and again
    in a sample's; neither Case has variables."""
    src, code = "cccccccc-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000001"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="cta" origin="ComputationalThematicAnalysisToolkit">
 <CodeBook><Codes><Code guid="{code}" name="Funding" isCodable="true"/></Codes></CodeBook>
 <Cases>
  <Case guid="bbbbbbbb-0000-4000-8000-000000000001" name="Reddit dataset">
   <SourceRef targetGUID="{src}"/></Case>
  <Case guid="bbbbbbbb-0000-4000-8000-000000000002" name="Sample 1">
   <SourceRef targetGUID="{src}"/></Case>
 </Cases>
 <Sources><TextSource guid="{src}" name="t3_abc" plainTextPath="internal://{src}.txt">
  <PlainTextSelection guid="dddddddd-0000-4000-8000-000000000001" startPosition="18"
   endPosition="31"><Coding guid="eeeeeeee-0000-4000-8000-000000000001">
   <CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>
 </TextSource></Sources>
</Project>"""
    text = "------title------\nGrants please\n------------\n"
    qdpx = make_zip(
        tmp_path / "cta.qdpx",
        {"project.qde": qde.encode(), "Sources/": b"", f"Sources/{src}.txt": text.encode()},
    )
    project = tmp_path / "p.sqlite"
    r = cli("import", qdpx, "--project", project)
    assert r.code == 0, r.err
    assert "cta.qdpx: 1 documents, 1 codes, 1 codings, 0 memos imported" in r.out
    assert (
        "warning: source 't3_abc' is in case 'Reddit dataset' and case 'Sample 1'; it belongs "
        "to 'Reddit dataset'" in r.out
    )
    (coding,) = dump(project)["codings"]
    assert text[coding[1] : coding[2]] == "Grants please"
    r = cli("cases", "--format", "json", "--project", project)
    assert r.code == 0, r.err
    assert json.loads(r.out) == [
        {"case": "Reddit dataset", "attributes": {}, "documents": ["t3_abc"]}
    ]
