"""Word .docx files: the body's paragraphs (and table rows) in document order, joined with LF.

The text is read from the paragraph XML so that nothing the reader sees is lost: runs inside
tracked insertions, hyperlinks, fields and content controls are included; tracked deletions
(`w:delText`) and field codes (`w:instrText`) are not. Table rows become one line each, cells
separated by a tab.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.ingest.textio import format_size, normalise_newlines

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A .docx is compressed; refuse one that would inflate beyond this many times the import size
# limit (a zip bomb, or far more text than anyone transcribes).
_INFLATE_FACTOR = 20
# The body may hold at most this many paragraphs (a transcript of 20 MB has far fewer; an
# inflated file of empty paragraphs would otherwise become millions of segments).
MAX_PARAGRAPHS = 250_000
_CHUNK = 1 << 20
_DTD_MARKS = (b"<!doctype", b"<!entity")


def _prescan(archive: zipfile.ZipFile, path: Path, max_bytes: int) -> None:
    """Before python-docx (lxml) sees the file: every XML part is read as it really inflates
    (never trusting the sizes the zip declares) and must hold no DTD; the body is streamed
    through defusedxml, counting its text and paragraphs, and refused as soon as the text
    passes the import size limit."""
    cap = _INFLATE_FACTOR * max_bytes
    total = 0
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue
        tail = b""
        with archive.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise WorkbenchError(
                        f"{path}: unpacks to more than {format_size(cap)}, over the limit"
                    )
                window = (tail + chunk).lower()
                if any(mark in window for mark in _DTD_MARKS):
                    raise WorkbenchError(
                        f"{path}: refused: '{info.filename}' declares a DTD (a Word file has "
                        "none; it may be crafted to attack the reader)"
                    )
                tail = chunk[-16:]
    _scan_body(archive, path, max_bytes)


def _scan_body(archive: zipfile.ZipFile, path: Path, max_bytes: int) -> None:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    try:
        member = archive.open("word/document.xml")
    except KeyError:
        return  # python-docx reports a missing body itself
    chars = paragraphs = 0
    try:
        with member as fh:
            for _event, el in iterparse(fh, events=("end",), forbid_dtd=True):
                if el.tag == f"{_W}t":
                    chars += len(el.text or "")
                    if chars > max_bytes:
                        raise WorkbenchError(
                            f"{path}: its text is over the import size limit of "
                            f"{format_size(max_bytes)}"
                        )
                elif el.tag == f"{_W}p":
                    paragraphs += 1
                    if paragraphs > MAX_PARAGRAPHS:
                        raise WorkbenchError(
                            f"{path}: more than {MAX_PARAGRAPHS:,} paragraphs; refused"
                        )
                    el.clear()
    except (ParseError, DefusedXmlException) as exc:
        raise WorkbenchError(f"{path}: not a valid .docx file ({exc})") from exc


def docx_text(path: Path, raw: bytes, max_bytes: int) -> str:
    """The document's text: paragraphs joined with "\\n"."""
    buffer = io.BytesIO(raw)
    if not zipfile.is_zipfile(buffer):
        raise WorkbenchError(f"{path}: not a valid .docx file (it is not a zip archive)")
    try:
        with zipfile.ZipFile(buffer) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise WorkbenchError(f"{path}: not a valid .docx file ({exc})") from exc
    if "[Content_Types].xml" not in names:
        raise WorkbenchError(f"{path}: not a valid .docx file (a zip archive, but not Word)")
    if inflated > _INFLATE_FACTOR * max_bytes:
        raise WorkbenchError(
            f"{path}: unpacks to {format_size(inflated)}, over the limit of "
            f"{format_size(_INFLATE_FACTOR * max_bytes)}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            _prescan(archive, path, max_bytes)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise WorkbenchError(f"{path}: not a valid .docx file ({exc})") from exc
    import docx

    try:
        body = docx.Document(io.BytesIO(raw)).element.body
        text = "\n".join(_blocks(body))
    except Exception as exc:  # python-docx and lxml raise many types for a damaged file
        detail = str(exc).split("\n")[0][:80]
        raise WorkbenchError(
            f"{path}: not a valid .docx file ({type(exc).__name__}: {detail})"
        ) from exc
    if len(text) > max_bytes:
        raise WorkbenchError(
            f"{path}: its text is over the import size limit of {format_size(max_bytes)}"
        )
    return normalise_newlines(text)


def _blocks(parent: Any) -> Iterator[str]:
    """One string per paragraph or table row under `parent`, in document order."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            yield _paragraph(child)
        elif tag == f"{_W}tbl":
            for row in child.iterchildren(f"{_W}tr"):
                cells = row.iterchildren(f"{_W}tc")
                yield "\t".join(" ".join(_blocks(cell)) for cell in cells)
        elif tag == f"{_W}sdt":
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _blocks(content)
        elif tag == f"{_W}customXml":
            yield from _blocks(child)


def _paragraph(p: Any) -> str:
    parts: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == f"{_W}t":
            parts.append(el.text or "")
        elif tag == f"{_W}tab" and el.getparent().tag == f"{_W}r":  # not a tab-stop definition
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
    return "".join(parts)
