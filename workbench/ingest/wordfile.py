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
from workbench.ingest.docxscan import INFLATE_FACTOR, W, prescan_docx
from workbench.ingest.textio import format_size, normalise_newlines

_W = W


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
    if inflated > INFLATE_FACTOR * max_bytes:
        raise WorkbenchError(
            f"{path}: unpacks to {format_size(inflated)}, over the limit of "
            f"{format_size(INFLATE_FACTOR * max_bytes)}"
        )
    try:  # before python-docx (lxml) reads any of it: see docxscan.py
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            prescan_docx(archive, path, max_bytes)
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
