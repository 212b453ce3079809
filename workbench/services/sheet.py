"""A participants sheet read row by row, as other people's tools write it.

`workbench attributes` takes what a research team has: a CSV from Excel, LibreOffice, Google
Sheets, REDCap or Qualtrics, or the Excel workbook itself. The CSV may be UTF-8 (with or
without a byte-order mark), UTF-16 (Excel's "Unicode text", tab-separated) or Windows-1252
(Excel's plain "CSV" on Windows), separated by commas, semicolons (Excel where the decimal
mark is a comma) or tabs. A `.xlsx` is read from its first sheet with openpyxl (read-only;
openpyxl parses through defusedxml, and the archive is checked like a `.qdpx` first).
Empty columns an export leaves after the last named one are ignored.

Rows come out lazily, so a sheet of any length is read in bounded memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.ingest.textio import header_delimiter

_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


@dataclass
class Sheet:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (line or row number, cells), header excluded
    notes: list[str] = field(default_factory=list)  # how it was read, when not plain CSV
    counter: Any = None  # has `.chars`: characters read so far (progress), CSV only

    @property
    def chars(self) -> int:
        return int(getattr(self.counter, "chars", 0))


def open_sheet(path: Path, stack: ExitStack) -> Sheet:
    """The sheet's header (trailing unnamed columns dropped) and its rows; one clear error
    for a file that is not a sheet. Files stay open until `stack` closes."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet = _xlsx(path, stack)
    else:
        sheet = _csv(path, stack)
    return _trim(path, sheet)


class CountingLines:
    """Iterates a text file's lines, counting the characters read (for progress)."""

    def __init__(self, fh: Any) -> None:
        self._it = iter(fh)
        self.chars = 0

    def __iter__(self) -> CountingLines:
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.chars += len(line)
        return line


def _encoding(path: Path) -> tuple[str, str | None]:
    """The file's encoding, and a note when it is not UTF-8."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig", None
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", "read as UTF-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                if b"\x00" in chunk:
                    raise WorkbenchError(
                        f"{path}: looks like a binary file, not a CSV (it contains NUL bytes)"
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252", "not UTF-8, read as Windows-1252 (cp1252)"
    return "utf-8", None


def _csv(path: Path, stack: ExitStack) -> Sheet:
    encoding, note = _encoding(path)
    fh = stack.enter_context(path.open(encoding=encoding, newline="", errors="strict"))
    delimiter = header_delimiter(fh.readline())
    fh.seek(0)
    counted = CountingLines(fh)
    reader = csv.reader(counted, delimiter=delimiter)
    header = next(reader, [])
    notes = [note] if note else []
    if delimiter != ",":
        notes.append(f"separated by {_NAMES[delimiter]}")
    rows = ((i, row) for i, row in enumerate(reader, start=2))
    return Sheet(header, rows, notes, counted)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx(path: Path, stack: ExitStack) -> Sheet:
    from workbench.safezip import open_archive

    open_archive(
        path, "Excel workbook"
    ).close()  # member names, sizes and ratios checked before openpyxl
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise WorkbenchError(f"{path}: cannot read as an Excel workbook ({exc})") from exc
    stack.callback(book.close)
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = [_cell(v) for v in next(values, ())]
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for i, row in enumerate(values, start=2):
            cells = [_cell(v) for v in row]
            yield i, cells + [""] * (width - len(cells))

    notes = [f"sheet '{sheet.title}'"] if len(book.worksheets) > 1 else []
    return Sheet(header, rows(), notes)


def _trim(path: Path, sheet: Sheet) -> Sheet:
    """Strip names; drop unnamed columns after the last named one (an export's trailing
    separators), refusing a value under one of them or a column with no name between."""
    header = [h.strip() for h in sheet.header]
    while header and not header[-1]:
        header.pop()
    for i, name in enumerate(header):
        if not name:
            raise WorkbenchError(f"{path}:1: column {i + 1} has no name")
    width = len(header)
    if width == len(sheet.header):
        return Sheet(header, sheet.rows, sheet.notes, sheet.counter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for i, row in sheet.rows:
            extra = row[width:]
            if any(cell.strip() for cell in extra):
                raise WorkbenchError(f"{path}:{i}: a value in a column with no name")
            yield i, row[:width]

    return Sheet(header, rows(), sheet.notes, sheet.counter)
