"""The .docx text is read from the main part alone (ingest/wordfile.py): it must be exactly
the text the earlier reader got through python-docx's whole package, on the sample study's
Word files and on documents with every construct a transcript may hold."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from workbench.errors import WorkbenchError
from workbench.ingest.textio import normalise_newlines
from workbench.ingest.wordfile import _W, docx_text

REPO = Path(__file__).resolve().parents[1]


def reference(raw: bytes) -> str:
    """The text as python-docx's element tree gives it (the reader before 2026-12-06)."""

    def paragraph(p: Any) -> str:
        parts: list[str] = []
        for el in p.iter():
            if el.tag == f"{_W}t":
                parts.append(el.text or "")
            elif el.tag == f"{_W}tab" and el.getparent().tag == f"{_W}r":
                parts.append("\t")
            elif el.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif el.tag == f"{_W}noBreakHyphen":
                parts.append("-")
        return "".join(parts)

    def blocks(parent: Any) -> Iterator[str]:
        for child in parent.iterchildren():
            if child.tag == f"{_W}p":
                yield paragraph(child)
            elif child.tag == f"{_W}tbl":
                for row in child.iterchildren(f"{_W}tr"):
                    cells = row.iterchildren(f"{_W}tc")
                    yield "\t".join(" ".join(blocks(c)) for c in cells)
            elif child.tag == f"{_W}sdt":
                for content in child.iterchildren(f"{_W}sdtContent"):
                    yield from blocks(content)
            elif child.tag == f"{_W}customXml":
                yield from blocks(child)

    body = docx.Document(io.BytesIO(raw)).element.body
    return normalise_newlines("\n".join(blocks(body)))


def rich_document() -> bytes:
    """Headings, runs, tabs, breaks, hyphens, tracked changes, fields, a hyperlink, a
    content control, custom XML, a text box, a nested table, an empty paragraph."""
    d = docx.Document()
    d.add_heading("Interview S07: practice nurse", level=1)
    p = d.add_paragraph("Interviewer:\tWhen did you ")
    p.add_run("start").bold = True
    p.add_run(" helping with the app?")
    p._p.append(parse_xml(f"<w:r {nsdecls('w')}><w:noBreakHyphen/><w:t>e-mail</w:t></w:r>"))
    answer = d.add_paragraph("S07: Last spring.")
    answer.add_run().add_break()
    answer.add_run("Before that, nobody.")
    d.add_paragraph("")
    fields = (
        f"<w:p {nsdecls('w')}><w:r><w:fldChar w:fldCharType='begin'/></w:r>"
        "<w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType='separate'/>"
        "</w:r><w:r><w:t>3</w:t></w:r><w:r><w:fldChar w:fldCharType='end'/></w:r>"
        "<w:ins w:id='1' w:author='A' w:date='2022-01-01T00:00:00Z'><w:r><w:t xml:space='preserve'>"
        " added</w:t></w:r></w:ins><w:del w:id='2' w:author='A' w:date='2022-01-01T00:00:00Z'>"
        "<w:r><w:delText> gone</w:delText></w:r></w:del>"
        "<w:hyperlink w:history='1'><w:r><w:t xml:space='preserve'> www.nhs.uk</w:t></w:r>"
        "</w:hyperlink><w:r><w:cr/><w:t>after a carriage return</w:t></w:r></w:p>"
    )
    textbox = (
        f"<w:p {nsdecls('w')} xmlns:v='urn:schemas-microsoft-com:vml'><w:r>"
        "<w:t>Before the box </w:t></w:r><w:r><w:pict><v:shape>"
        "<v:textbox><w:txbxContent><w:p><w:r><w:t>boxed words</w:t></w:r></w:p>"
        "</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>"
    )
    sdt = (
        f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Interviewer: Thanks.</w:t></w:r>"
        "</w:p></w:sdtContent></w:sdt>"
    )
    custom = (
        f"<w:customXml {nsdecls('w')} w:element='note'><w:p><w:r><w:t>Custom block</w:t></w:r>"
        "</w:p></w:customXml>"
    )
    body = d.element.body
    for xml in (fields, textbox, sdt, custom):
        body.insert(len(body) - 1, parse_xml(xml))
    table = d.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Role"
    table.rows[0].cells[1].text = "Nurse"
    table.rows[1].cells[0].text = "Notes"
    inner = table.rows[1].cells[1].add_table(rows=1, cols=2)
    inner.rows[0].cells[0].text = "inner a"
    inner.rows[0].cells[1].text = "inner b"
    d.add_paragraph("Interviewer: That is all.\r\nThank you.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def renamed_main(raw: bytes) -> bytes:
    """The same package with its main part stored as word/main.xml (as some exporters
    name it), found through _rels/.rels."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            name = info.filename
            if name == "word/document.xml":
                name = "word/main.xml"
            elif name == "word/_rels/document.xml.rels":
                name = "word/_rels/main.xml.rels"
            elif name in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"word/document.xml", b"word/main.xml")
            dst.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "name", ["P02_carer_proxy.docx", "S02_practice_manager.docx", "rich", "renamed"]
)
def test_text_is_python_docx_s(name: str) -> None:
    if name == "rich":
        raw = rich_document()
    elif name == "renamed":
        raw = renamed_main(rich_document())
    else:
        raw = (REPO / "transcripts_sample" / name).read_bytes()
    text = docx_text(Path(name), raw, 20 << 20)
    assert text == reference(raw)
    assert len(text) > 100


def test_every_construct_is_in_the_text() -> None:
    text = docx_text(Path("rich.docx"), rich_document(), 20 << 20)
    for piece in (
        "Interviewer:\tWhen did you start helping with the app?-e-mail",
        "S07: Last spring.\nBefore that, nobody.",
        "3 added www.nhs.uk\nafter a carriage return",
        "Before the box boxed words",
        "Interviewer: Thanks.\nCustom block",
        "Role\tNurse\nNotes\t inner a\tinner b",  # the cell's empty paragraph, then the table
    ):
        assert piece in text
    assert "gone" not in text and "PAGE" not in text


def test_a_main_part_that_is_not_a_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(rich_document())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = b"<?xml version='1.0'?><notes>nothing here</notes>"
            dst.writestr(info, data)
    with pytest.raises(WorkbenchError, match=r"odd\.docx: not a valid \.docx file"):
        docx_text(Path("odd.docx"), out.getvalue(), 20 << 20)
