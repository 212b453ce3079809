"""Word .docx files: the body's paragraphs (and table rows) in document order, joined with LF.

The text is read from the paragraph XML so that nothing the reader sees is lost: runs inside
tracked insertions, hyperlinks, fields and content controls are included; tracked deletions
(`w:delText`) and field codes (`w:instrText`) are not. Table rows become one line each, cells
separated by a tab.

Only the main document part is parsed (through defusedxml, after docxscan.py has streamed
it with its limits): loading the whole package with python-docx parsed every part, styles
and themes included (800 KB of XML in a Word file), for a text that lives in one, and cost
20 ms a file, a quarter of a transcript import (issue 15). tests/test_docx_reader.py
checks the text is python-docx's own, paragraph for paragraph, on every .docx we have.
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
    try:  # the main part streamed with every limit first: see docxscan.py
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            main = prescan_docx(archive, path, max_bytes)
            if main not in names:
                raise WorkbenchError(
                    f"{path}: not a valid .docx file (no main document part '{main}')"
                )
            xml = archive.read(main)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise WorkbenchError(f"{path}: not a valid .docx file ({exc})") from exc
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(xml, forbid_dtd=True)
        body = root.find(f"{_W}body")
        if root.tag != f"{_W}document" or body is None:
            raise ValueError(f"'{main}' is not a Word document body ({root.tag})")
        text = "\n".join(_blocks(body))
    except Exception as exc:  # expat and defusedxml raise several types for a damaged file
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
    for child in parent:
        tag = child.tag
        if tag == f"{_W}p":
            yield _paragraph(child)
        elif tag == f"{_W}tbl":
            for row in child.iterfind(f"{_W}tr"):
                cells = row.iterfind(f"{_W}tc")
                yield "\t".join(" ".join(_blocks(cell)) for cell in cells)
        elif tag == f"{_W}sdt":
            for content in child.iterfind(f"{_W}sdtContent"):
                yield from _blocks(content)
        elif tag == f"{_W}customXml":
            yield from _blocks(child)


_TEXT, _TAB, _RUN = f"{_W}t", f"{_W}tab", f"{_W}r"
_LINE_BREAKS = (f"{_W}br", f"{_W}cr")
_HYPHEN = f"{_W}noBreakHyphen"


def _paragraph(p: Any) -> str:
    """The text of everything under one paragraph, in document order (an explicit stack:
    nesting as deep as a crafted file likes never reaches Python's recursion limit)."""
    parts: list[str] = []
    stack: list[tuple[Any, str]] = [(p, "")]
    while stack:
        el, parent = stack.pop()
        tag = el.tag
        if tag == _TEXT:
            parts.append(el.text or "")
        elif tag == _TAB and parent == _RUN:  # not a tab-stop definition
            parts.append("\t")
        elif tag in _LINE_BREAKS:
            parts.append("\n")
        elif tag == _HYPHEN:
            parts.append("-")
        stack.extend((child, tag) for child in reversed(el))
    return "".join(parts)
