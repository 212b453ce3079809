"""CSV writing that spreadsheets can open safely (RFC 4180, formula injection neutralised)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence

from workbench.fsutil import atomic_write

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell beginning with = + - @ tab or CR gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def cell(value: object) -> object:
    """Numbers stay numbers (a negative number is not a formula); everything else is text,
    neutralised."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return neutralise(value)


def write_csv(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    """Write rows atomically (temp file + rename); numbers stay numbers. Returns row count."""
    n = 0
    with atomic_write(path, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([cell(v) for v in row])
            n += 1
    return n


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()
