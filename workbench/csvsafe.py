"""CSV writing that spreadsheets can open safely (RFC 4180, formula injection neutralised).

The formula rule, and how our own import undoes it exactly:
- on export, a text cell beginning with `= + - @`, tab or CR gets a leading `'` (so a
  spreadsheet shows it as text instead of running it); a cell that already begins with `'`
  followed by one of those characters (after any number of `'`) gets one more `'`, so the
  rule can be undone without loss: `=x` -> `'=x`, `'=x` -> `''=x`, `'hello` stays `'hello`;
- on import of our excerpt CSV, a cell beginning with `'` followed by one of those
  characters (or by more `'` and then one of them) loses exactly one `'` (`restore`).
Numbers written as numbers are never prefixed (a negative number is not a formula).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence

from workbench.fsutil import atomic_write

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _guarded(text: str) -> bool:
    """Starts with a formula character, possibly behind apostrophes we added."""
    return text.lstrip("'").startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> str:
    """A cell beginning with = + - @ tab or CR (or `'` then one of them) gets a leading `'`."""
    text = "" if value is None else str(value)
    return "'" + text if _guarded(text) else text


def restore(cell: object) -> object:
    """Undo `neutralise` on a cell read back: `'=x` -> `=x`, `''=x` -> `'=x`; a leading
    apostrophe before anything else is kept. Non-text cells are returned as they are."""
    if isinstance(cell, str) and cell.startswith("'") and _guarded(cell[1:]):
        return cell[1:]
    return cell


_FIRST = frozenset("=+-@\t\r'")  # a cell starting otherwise needs no look


def cell(value: object) -> object:
    """Numbers stay numbers (a negative number is not a formula); everything else is text,
    neutralised."""
    if type(value) is str:  # most cells: checked by their first character alone
        return value if not value or value[0] not in _FIRST else neutralise(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return neutralise(value)


def write_csv(
    path: str | os.PathLike[str],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    project: str | os.PathLike[str] | None = None,
    stdout_ok: bool = False,
) -> int:
    """Write rows atomically (temp file + rename; `-` is stdout when `stdout_ok`), through
    the output guard of `workbench.fsutil`. Numbers stay numbers. Returns the row count."""
    n = 0
    with atomic_write(path, newline="", project=project, stdout_ok=stdout_ok) as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([cell(v) for v in row])
            n += 1
    return n


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()
