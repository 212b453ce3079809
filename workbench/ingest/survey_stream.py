"""Large survey CSVs, streamed: the same document as `survey.parse_survey` gives, built in
two passes over the file so memory does not grow with the number of rows (issue 15).

Pass 1 (`scan_survey`, before anything is written) checks every row and keeps only the
answers, which are the document's text anyway. Pass 2 (`survey_batches`, inside the write
transaction) reads the rows again and yields batches of responses with their attributes.
A file that is not plain UTF-8 (a cp1252 or UTF-16 file) or looks binary is left to the
ordinary importer, which reads it whole and says what is wrong with it.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ingest.model import ImportOptions
from workbench.ingest.survey import Answers, survey_columns
from workbench.ingest.textio import _is_binaryish, header_delimiter, normalise_newlines

STREAM_BYTES = 4 * 1024 * 1024  # survey CSVs from this size up are streamed
BATCH = 5000  # responses per batch in pass 2


class NotStreamable(Exception):
    """The file needs the ordinary importer (encoding, binary content)."""


@dataclass
class SurveyScan:
    path: Path
    name: str
    text: str
    responses: int
    sha256: str
    delimiter: str
    text_i: int
    id_i: int
    header: list[str]
    warnings: list[str] = field(default_factory=list)


def _rows(path: Path, delimiter: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row after the header; the header first as
    (1, header). Cells are as `survey._read_rows` gives them (padded, trimmed)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, path.stat().st_size + 1))
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
            if "\x00" in first or _is_binaryish(first):
                raise NotStreamable
            delim = delimiter or header_delimiter(first)
            reader = csv.reader(chain([first], fh), delimiter=delim, strict=True)
            header = [h.strip() or f"column {i + 1}" for i, h in enumerate(next(reader, []))]
            yield 1, header
            width = len(header)
            for row in reader:
                if not "".join(row).strip():  # no cell holds anything but whitespace
                    continue
                if len(row) > width:
                    if any(cell.strip() for cell in row[width:]):
                        raise WorkbenchError(
                            f"{path}:{reader.line_num}: {len(row)} cells, but the header "
                            f"has {width}"
                        )
                    row = row[:width]
                yield reader.line_num, row + [""] * (width - len(row))
    except UnicodeDecodeError as exc:
        raise NotStreamable from exc
    except csv.Error as exc:
        raise WorkbenchError(f"{path}: not a readable CSV file ({exc})") from exc
    finally:
        csv.field_size_limit(limit)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def scan_survey(path: Path, options: ImportOptions, max_segments: int) -> SurveyScan:
    """Pass 1: every check `parse_survey` makes, keeping only the answers. Raises
    NotStreamable when the ordinary importer must read the file."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise NotStreamable
    rows = _rows(path)
    _, header = next(rows)
    if not header:
        raise WorkbenchError(f"{path}: no header row")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise WorkbenchError(f"{path}: duplicate column names in the header: {', '.join(dupes)}")
    text_i, id_i = survey_columns(path, header, options)
    answers: list[str] = []
    taker = Answers(path, header, text_i, id_i)
    for lineno, row in rows:
        if len(answers) < 20 and _is_binaryish(row[text_i]):
            raise NotStreamable
        taken = taker.take(lineno, row)
        if taken is None:
            continue
        answers.append(taken[0])
        if len(answers) > max_segments:
            raise WorkbenchError(
                f"{path}: more than {max_segments:,} segments (turns and sentences), the most "
                "one document may have under the import size limit; split the file"
            )
    warnings = taker.finish(len(answers))
    name = path.stem if options.name is None else options.name.strip()
    if not name:
        raise WorkbenchError(f"{path}: the document name is empty")
    text = "\n\n".join(answers)
    delim = header_delimiter(_first_line(path))
    return SurveyScan(
        path, name, text, len(answers), _sha256(path), delim, text_i, id_i, header, warnings
    )


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return fh.readline().split("\n", 1)[0]


# start, end, respondent id, attributes (name, value) in column order, empty ones left out
Response = tuple[int, int, str, list[tuple[str, str]]]


def survey_batches(scan: SurveyScan) -> Iterator[list[Response]]:
    """Pass 2: the responses (start and end in `scan.text`, respondent id, the other columns
    as attributes) in batches of BATCH, in file order."""
    rows = _rows(scan.path, scan.delimiter)
    next(rows)
    batch: list[Response] = []
    pos = 0
    skip = (scan.text_i, scan.id_i)
    kept = [(i, name) for i, name in enumerate(scan.header) if i not in skip]
    for lineno, row in rows:
        answer = normalise_newlines(row[scan.text_i]).strip()
        if not answer:
            continue
        cells = [(name, row[i].strip()) for i, name in kept]
        attrs = [cell for cell in cells if cell[1]]
        rid = row[scan.id_i].strip() or f"line {lineno}"
        batch.append((pos, pos + len(answer), rid, attrs))
        pos += len(answer) + 2
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
