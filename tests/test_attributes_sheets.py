"""`workbench attributes` on participants sheets as other tools save them: Excel's
semicolon CSV (a comma is the decimal mark), Windows-1252, UTF-16 "Unicode text" (tabs),
trailing empty columns, and the .xlsx workbook itself. Each gives the same attributes."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

EXPECTED = {"P01": {"Role": "patient", "Age": "71", "Site": "Rôsedale"}}


@pytest.fixture
def project(cli, tmp_path: Path) -> Path:
    path = tmp_path / "p.sqlite"
    (tmp_path / "P01.txt").write_text("Interviewer: hi\nP01: hello\n", encoding="utf-8")
    assert cli("import", tmp_path / "P01.txt", "--project", path).code == 0
    return path


def _attributes(cli, project: Path) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    r = cli("documents", "--format", "json", "--project", project)
    assert r.code == 0, r.err
    return {d["name"]: d["attributes"] for d in json.loads(r.out)}


SHEETS = {
    # Excel "CSV (semicolon)" in a comma-decimal locale, with its BOM and CRLF
    "excel-semicolon.csv": "\ufeffParticipant;Role;Age;Site\r\nP01;patient;71;Rôsedale\r\n"
    "P02;staff;45;Moorside\r\n;;;\r\n".encode(),
    # Excel "CSV" on Windows: cp1252, no BOM
    "excel-ansi.csv": "Participant,Role,Age,Site\r\nP01,patient,71,Rôsedale\r\n".encode("cp1252"),
    # Excel "Unicode text": UTF-16 with a BOM, tab-separated
    "unicode.txt": "Participant\tRole\tAge\tSite\r\nP01\tpatient\t71\tRôsedale\r\n".encode(
        "utf-16"
    ),
    # an export that leaves separators for empty columns after the last named one
    "trailing.csv": b"Participant,Role,Age,Site,,\nP01,patient,71,R\xc3\xb4sedale,,\n,,,,,\n",
}


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_every_shape_gives_the_same_attributes(cli, project: Path, tmp_path: Path, name) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(SHEETS[name])
    r = cli("attributes", path, "--project", project)
    assert r.code == 0, r.err
    assert r.out.startswith("1 rows matched documents (1 documents updated)")
    assert _attributes(cli, project) == EXPECTED
    how = {
        "excel-semicolon.csv": "(read: separated by semicolons)",
        "excel-ansi.csv": "(read: not UTF-8, read as Windows-1252 (cp1252))",
        "unicode.txt": "(read: read as UTF-16, separated by tabs)",
        "trailing.csv": "attributes: Role, Age, Site\n",
    }[name]
    assert how in r.out


def test_an_excel_workbook_is_read_from_its_first_sheet(cli, project: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Participants"
    sheet.append(["Participant", "Role", "Age", "Site", "Interviewed", "Consent"])
    sheet.append(["P01", "patient", 71.0, "Rôsedale", dt.datetime(2021, 11, 4), True])
    sheet.append(["P02", "staff", 45, None, dt.date(2021, 11, 5), False])
    book.create_sheet("Notes").append(["not read"])
    path = tmp_path / "participants.xlsx"
    book.save(path)
    r = cli("attributes", path, "--project", project)
    assert r.code == 0, r.err
    assert "1 wait for a document of that name" in r.out and "(read: sheet 'Participants')" in r.out
    attrs = _attributes(cli, project)["P01"]
    assert attrs == {**EXPECTED["P01"], "Interviewed": "2021-11-04", "Consent": "true"}
    con = sqlite3.connect(project)
    waiting = dict(con.execute("SELECT key, value FROM case_attributes WHERE case_name = 'P02'"))
    con.close()
    assert waiting == {
        "Role": "staff",
        "Age": "45",
        "Interviewed": "2021-11-05",
        "Consent": "false",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Participant,,Age\nP01,x,71\n", "p.csv:1: column 2 has no name"),
        (b"Participant,Role,\nP01,patient,oops\n", "p.csv:2: a value in a column with no name"),
        (b"Participant,Role\x00\nP01,x\n", "looks like a binary file, not a CSV"),
    ],
)
def test_a_broken_sheet_is_one_line_and_changes_nothing(
    cli, project: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    r = cli("attributes", path, "--project", project)
    assert r.code == 2 and message in r.err and len(r.err.strip().splitlines()) == 1
    assert _attributes(cli, project) == {"P01": {}}


def test_a_file_that_is_not_a_workbook_is_one_line(cli, project: Path, tmp_path: Path) -> None:
    path = tmp_path / "participants.xlsx"
    path.write_bytes(b"Participant,Role\nP01,patient\n")
    r = cli("attributes", path, "--project", project)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "participants.xlsx: not a readable Excel workbook" in r.err
