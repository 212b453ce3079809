"""A .docx checked before its text is read (wordfile.py parses the main part alone).

The parts that are read (`_rels/.rels`, to find the main part, and that main document) are
streamed from the zip through defusedxml as they really inflate, the sizes the zip declares
never trusted; no other part (styles, themes, settings) is read:

- no part read may declare a DTD or entities;
- the parts read may inflate to at most `INFLATE_FACTOR` times the import size limit, and
  hold at most `element_limit(max_bytes)` elements (an element tree needs about 200 bytes
  of memory per element);
- the main document part (named by `_rels/.rels`) is refused as soon as its text passes the
  import size limit or it holds more than `MAX_PARAGRAPHS` paragraphs.

Each refusal is one WorkbenchError line naming the file.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ingest.textio import format_size

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"  # the end of the main part's relationship type
# A .docx is compressed; refuse one whose XML would inflate beyond this many times the import
# size limit (a zip bomb, or far more text than anyone transcribes).
INFLATE_FACTOR = 20
# The body may hold at most this many paragraphs (a transcript of 20 MB has far fewer; an
# inflated file of empty paragraphs would otherwise become millions of segments).
MAX_PARAGRAPHS = 250_000
ELEMENTS_PER_MB = 100_000  # of the import size limit: 2,000,000 elements at 20 MB
MIN_ELEMENTS = 200_000
_CHUNK = 1 << 20
_MARKS = tuple(
    mark.encode(codec) for mark in ("<!doctype", "<!entity") for codec in ("utf-8", "utf-16-le")
) + tuple(mark.encode("utf-16-be") for mark in ("<!doctype", "<!entity"))


def element_limit(max_bytes: int) -> int:
    """How many XML elements a .docx may hold, all parts together."""
    return max(MIN_ELEMENTS, round(max_bytes / (1024 * 1024) * ELEMENTS_PER_MB))


class _Target:
    """A parser target that counts as it goes and stops the parse at the first excess."""

    def __init__(self, scan: _Scan, member: str, body: bool, collect: tuple[str, ...]) -> None:
        self.scan, self.member, self.body, self.collect = scan, member, body, collect
        self.in_text = False
        self.found: list[tuple[str, dict[str, str]]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.scan.count_element(self.member)
        if tag in self.collect:
            self.found.append((tag, dict(attrib)))
        if self.body:
            if tag == f"{W}t":
                self.in_text = True
            elif tag in (f"{W}tab", f"{W}br", f"{W}cr"):
                self.scan.add_text(1)

    def end(self, tag: str) -> None:
        if self.body:
            if tag == f"{W}t":
                self.in_text = False
            elif tag == f"{W}p":
                self.scan.add_paragraph()

    def data(self, text: str) -> None:
        if self.in_text:
            self.scan.add_text(len(text))

    def close(self) -> None:
        return None


class _Scan:
    def __init__(self, archive: zipfile.ZipFile, path: Path, max_bytes: int) -> None:
        self.archive, self.path, self.max_bytes = archive, path, max_bytes
        self.max_inflated = INFLATE_FACTOR * max_bytes
        self.max_elements = element_limit(max_bytes)
        self.inflated = self.elements = self.chars = self.paragraphs = 0

    def count_element(self, member: str, n: int = 1) -> None:
        self.elements += n
        if self.elements > self.max_elements:
            raise WorkbenchError(
                f"{self.path}: refused: its XML holds more than {self.max_elements:,} elements "
                f"(at '{member}'); far more than its text needs"
            )

    def add_text(self, n: int) -> None:
        self.chars += n
        if self.chars > self.max_bytes:
            raise WorkbenchError(
                f"{self.path}: its text is over the import size limit of "
                f"{format_size(self.max_bytes)}"
            )

    def add_paragraph(self) -> None:
        self.paragraphs += 1
        self.add_text(1)  # the line end between paragraphs
        if self.paragraphs > MAX_PARAGRAPHS:
            raise WorkbenchError(f"{self.path}: more than {MAX_PARAGRAPHS:,} paragraphs; refused")

    def part(
        self, info: zipfile.ZipInfo, body: bool = False, collect: tuple[str, ...] = ()
    ) -> list[tuple[str, dict[str, str]]]:
        """Stream one member through defusedxml; the elements named in `collect` (tag and
        attributes).

        A package part (`_rels/.rels`) that is not well-formed XML
        yields what was read of it and its remaining bytes are still searched for a DTD;
        a main document that is not is refused."""
        import defusedxml
        from defusedxml.ElementTree import DefusedXMLParser, ParseError

        target = _Target(self, info.filename, body, collect)
        parser: DefusedXMLParser | None = DefusedXMLParser(
            target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        tail = b""
        try:
            for chunk in self._chunks(info):
                if parser is not None:
                    try:
                        parser.feed(chunk)
                        continue
                    except ParseError as exc:
                        if body:
                            raise self._invalid(info, exc) from exc
                        parser = None
                self._search_dtd(info, tail + chunk)
                tail = chunk[-32:]
            if parser is not None:
                parser.close()
        except defusedxml.DefusedXmlException as exc:
            raise self._dtd(info) from exc
        except ParseError as exc:
            if body:
                raise self._invalid(info, exc) from exc
        return target.found

    def _chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member as it really inflates, refused once all parts pass the limit."""
        with self.archive.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                self.inflated += len(chunk)
                if self.inflated > self.max_inflated:
                    raise WorkbenchError(
                        f"{self.path}: unpacks to more than {format_size(self.max_inflated)}"
                        " of XML, over the limit"
                    )
                yield chunk

    def _search_dtd(self, info: zipfile.ZipInfo, window: bytes) -> None:
        """Refuse a DTD or entity declaration in these bytes (UTF-8 or UTF-16)."""
        if b"!" in window and any(mark in window.lower() for mark in _MARKS):
            raise self._dtd(info)

    def _dtd(self, info: zipfile.ZipInfo) -> WorkbenchError:
        return WorkbenchError(
            f"{self.path}: refused: '{info.filename}' declares a DTD or entities (a Word file "
            "has none; it may be crafted to attack the reader)"
        )

    def _invalid(self, info: zipfile.ZipInfo, exc: Exception) -> WorkbenchError:
        return WorkbenchError(f"{self.path}: not a valid .docx file ('{info.filename}': {exc})")


def prescan_docx(archive: zipfile.ZipFile, path: Path, max_bytes: int) -> str:
    """Refuse a hostile or oversized .docx before its main part is parsed; return that
    part's name (from `_rels/.rels`, else `word/document.xml`). The other parts (styles,
    themes, settings) are never parsed (wordfile.py reads the text from the main part
    alone), so they are not read at all."""
    scan = _Scan(archive, path, max_bytes)
    infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
    main = "word/document.xml"
    if "_rels/.rels" in infos:
        for _, rel in scan.part(infos["_rels/.rels"], collect=(f"{_PKG_RELS}Relationship",)):
            if rel.get("Type", "").endswith(_OFFICE_DOCUMENT) and rel.get("Target"):
                main = posixpath.normpath(rel["Target"].lstrip("/"))
                break
    if main in infos:
        scan.part(infos[main], body=True)
    return main
