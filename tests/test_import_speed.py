"""The fast import paths (issue 15) give what the plain ones give: bulk inserts, the
codings CSV reader, the count-only check of a .docx part, sentence starts per script."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES

from workbench.ingest import sentences
from workbench.ingest.docxscan import prescan_docx
from workbench.services import bulk_sql
from workbench.store.db import open_project

CORE = FIXTURES / "core"


@pytest.mark.parametrize("n", [0, 1, 29, 30, 2_000, 2_281, 4_567])
def test_insert_rows_writes_every_row_in_order(tmp_path: Path, n: int) -> None:
    proj = open_project(tmp_path / "p.sqlite", create=True)
    rows = [(i, f"v{i}", None if i % 3 else "'=x") for i in range(n)]
    with proj.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE scratch (a INTEGER, "end" TEXT, c TEXT)')
        bulk_sql.insert_rows(conn, "scratch", ("a", "end", "c"), rows)
        got = [
            tuple(r) for r in conn.exec_driver_sql('SELECT a, "end", c FROM scratch ORDER BY rowid')
        ]
    proj.close()
    assert got == rows


def test_insert_rows_uses_few_statement_shapes(tmp_path: Path) -> None:
    """Remainders go in fixed chunk sizes, so the driver caches a handful of statements."""
    proj = open_project(tmp_path / "p.sqlite", create=True)
    shapes: set[int] = set()
    with proj.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (a INTEGER)")
        real = conn.exec_driver_sql

        def spy(sql: str, params: object = None) -> object:
            shapes.add(sql.count("("))
            return real(sql, params)  # type: ignore[arg-type]

        conn.exec_driver_sql = spy  # type: ignore[method-assign]
        for n in range(1, 700, 37):
            bulk_sql.insert_rows(conn, "scratch", ("a",), [(i,) for i in range(n)])
        total = real("SELECT count(*) FROM scratch").scalar_one()
    proj.close()
    assert total == sum(range(1, 700, 37))
    assert len(shapes) <= len(bulk_sql.CHUNKS) + 1


def _project(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    p = tmp_path / "p.sqlite"
    assert cli("import", CORE / "interview_a.txt", "-p", p).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "-p", p).code == 0
    return p


def test_codings_csv_reader_keeps_the_rules(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Blank lines, the formula guard (only on cells that start with '), a repeated
    column (the last wins), short rows, and row numbers as csv.DictReader counted them (a
    blank line is not counted)."""
    project = _project(cli, tmp_path)
    text = (CORE / "interview_a.txt").read_text(encoding="utf-8")
    con = sqlite3.connect(project)
    stored = con.execute("SELECT text FROM documents").fetchone()[0]
    con.close()
    span = stored[10:30]
    path = tmp_path / "codings.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "start", "end", "code", "memo", "memo", "coder", "text"])
        w.writerow(["interview_a", 10, 30, "hidden-work", "x", "'=SUM(A1)", " ann ", span])
        w.writerow([])
        w.writerow(["interview_a", 10, 30, "hidden-work", "", "''=keep one", "bob", span])
        w.writerow(["interview_a", 10, 30, "hidden-work", "", "'plain", "cy"])  # no text cell
        w.writerow(["nowhere", 1, 2, "hidden-work", "", "", "ann", ""])
        w.writerow(["interview_a", 0, 5, "no-such-code", "", "", "ann", stored[0:5]])
    assert text  # the fixture is real
    r = cli("import", path, "-p", project)
    assert r.code == 0, r.err
    assert "3 codings imported" in r.out
    assert f"{path}:5: document 'nowhere' is not in this project" in r.out
    assert f"{path}:6: code 'no-such-code' matches no code" in r.out
    con = sqlite3.connect(project)
    got = sorted(con.execute("SELECT coder, memo FROM codings").fetchall())
    con.close()
    assert got == [("ann", "=SUM(A1)"), ("bob", "'=keep one"), ("cy", "'plain")]


def _docx_with(part: str, data: bytes) -> zipfile.ZipFile:
    import docx

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("Interviewer: Hello.")
    d.save(buf)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, data if info.filename == part else src.read(info))
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize(
    "styles",
    [
        b'<?xml version="1.0"?><!DOCTYPE w:styles [<!ENTITY x "boom">]><w:styles/>',
        ("<w:styles xmlns:w='urn:w'>" + "<w:s/>" * 250_001 + "</w:styles>").encode(),
        b"<w:styles><oops",
    ],
    ids=["dtd", "elements", "not-xml"],
)
def test_parts_other_than_the_main_one_are_never_read(styles: bytes) -> None:
    """The text comes from the main part alone: a styles part with a DTD, a flood of
    elements or no XML at all is never parsed, so it neither stops nor slows the import."""
    from workbench.ingest.wordfile import docx_text

    zf = _docx_with("word/styles.xml", styles)
    assert prescan_docx(zf, Path("x.docx"), 1 << 20) == "word/document.xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in zf.infolist():
            out.writestr(info, zf.read(info))
    assert docx_text(Path("x.docx"), buf.getvalue(), 1 << 20) == "Interviewer: Hello."


def test_the_main_part_is_counted_by_its_parser() -> None:
    from workbench.ingest.docxscan import _Scan

    body = b"<?xml version='1.0'?><!-- a < b --><a><b x='1'/><c>t</c><![CDATA[<d>]]></a>"
    zf = _docx_with("word/document.xml", body)
    scan = _Scan(zf, Path("x.docx"), 20 << 20)
    scan.part(zf.getinfo("word/document.xml"), body=True)
    assert scan.elements == 3


@pytest.mark.parametrize(
    "piece",
    [
        "Plain ASCII. Two sentences! Three? ... no.",
        "It’s curly. “Quoted,” she said. Next。 Then？ End",
        "Brahmi stop𑁇 next one𑁈 and more. Done",
        "Mixed 𑁇. Two  spaces.\tTab. New\nline. x",
    ],
)
def test_sentence_starts_match_spacy_in_every_script(piece: str) -> None:
    fast = sentences._fast_sentences(piece, 0, len(piece))
    assert fast == sentences.spacy_sentences(piece, 0, len(piece))


def test_bulk_guids_are_uuid4_text() -> None:
    import uuid

    from workbench.services.coding_bulk import _guids

    got = _guids(500)
    assert len(set(got)) == 500 and _guids(0) == []
    for text in got:
        u = uuid.UUID(text)
        assert (u.version, u.variant, str(u)) == (4, uuid.RFC_4122, text)
