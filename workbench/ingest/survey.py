"""Survey free text in a CSV: one document per file, one `response` segment per answer.

`--text-column` names the answer column and `--id-column` the respondent id (the segment's
speaker); every other column becomes an attribute of that response. The document's text is the
non-empty answers, each stripped and with CRLF normalised, joined by a blank line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ingest.model import ImportOptions, ParsedSegment
from workbench.ingest.spans import Body
from workbench.ingest.textio import header_delimiter, normalise_newlines

CODINGS_COLUMNS = frozenset({"document", "start", "end", "code"})


def is_codings_csv(path: Path) -> bool:
    """True when the CSV's header holds `document, start, end, code` (a coded-excerpt file),
    as exported or as a spreadsheet saves it again (semicolons or tabs; UTF-16, cp1252)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    codecs = ("utf-16",) if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    for codec in codecs:
        try:
            first = head.decode(codec, errors="strict" if codec != "utf-16" else "ignore")
            first = first.splitlines()[0] if first.strip() else ""
            break
        except (UnicodeDecodeError, IndexError):
            continue
    else:
        return False
    cells = next(csv.reader([first], delimiter=header_delimiter(first)), [])
    return CODINGS_COLUMNS <= {cell.strip().casefold() for cell in cells}


def survey_columns(path: Path, header: list[str], options: ImportOptions) -> tuple[int, int]:
    """The positions of the answer and respondent-id columns named by the options."""
    if not options.text_column or not options.id_column:
        raise WorkbenchError(
            f"{path}: a survey CSV needs --text-column and --id-column "
            f"(columns: {', '.join(header)})"
        )
    text_i = _column(path, header, options.text_column, "--text-column")
    id_i = _column(path, header, options.id_column, "--id-column")
    if text_i == id_i:
        raise WorkbenchError(f"{path}: --text-column and --id-column name the same column")
    return text_i, id_i


@dataclass
class Answers:
    """The rows' answers as both survey readers take them: stripped, CRLF normalised, empty
    ones counted and skipped, a repeated respondent id warned about (the first use kept)."""

    path: Path
    header: list[str]
    text_i: int
    id_i: int
    warnings: list[str] = field(default_factory=list)
    empty: int = 0
    _seen: dict[str, int] = field(default_factory=dict)

    def take(self, lineno: int, row: list[str]) -> tuple[str, str] | None:
        """(answer, respondent id) of a row, or None for an empty answer."""
        answer = normalise_newlines(row[self.text_i]).strip()
        if not answer:
            self.empty += 1
            return None
        rid = row[self.id_i].strip() or f"line {lineno}"
        if rid in self._seen:
            self.warnings.append(
                f"{self.path.name}:{lineno}: respondent id {rid} repeats line {self._seen[rid]}"
            )
        self._seen.setdefault(rid, lineno)
        return answer, rid

    def finish(self, found: int) -> list[str]:
        """Refuse a file with no answers; the warnings, the skipped empty rows last."""
        column = self.header[self.text_i]
        if not found:
            raise WorkbenchError(f"{self.path}: column '{column}' has no answers")
        if self.empty:
            rows_word = "row" if self.empty == 1 else "rows"
            self.warnings.append(
                f"{self.path.name}: {self.empty} {rows_word} with an empty '{column}' skipped"
            )
        return self.warnings


def parse_survey(path: Path, text: str, options: ImportOptions) -> Body:
    """Responses from decoded CSV text (line ends as in the file)."""
    header, rows = _read_rows(path, text)
    text_i, id_i = survey_columns(path, header, options)
    chunks: list[str] = []
    blocks: list[ParsedSegment] = []
    answers = Answers(path, header, text_i, id_i)
    pos = 0
    for lineno, row in rows:
        taken = answers.take(lineno, row)
        if taken is None:
            continue
        answer, rid = taken
        attrs = {
            header[i]: value.strip()
            for i, value in enumerate(row)
            if i not in (text_i, id_i) and value.strip()
        }
        blocks.append(
            ParsedSegment(pos, pos + len(answer), "response", speaker=rid, attributes=attrs)
        )
        chunks.append(answer)
        pos += len(answer) + 2
    warnings = answers.finish(len(blocks))
    return Body("survey", "\n\n".join(chunks), blocks, warnings)


def _read_rows(path: Path, text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    delimiter = header_delimiter(text)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = [h.strip() or f"column {i + 1}" for i, h in enumerate(next(reader, []))]
        rows: list[tuple[int, list[str]]] = []
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                if any(cell.strip() for cell in row[len(header) :]):
                    raise WorkbenchError(
                        f"{path}:{lineno}: {len(row)} cells, but the header has {len(header)}"
                    )
                row = row[: len(header)]
            rows.append((lineno, row + [""] * (len(header) - len(row))))
    except csv.Error as exc:
        raise WorkbenchError(f"{path}: not a readable CSV file ({exc})") from exc
    finally:
        csv.field_size_limit(limit)
    if not header:
        raise WorkbenchError(f"{path}: no header row")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise WorkbenchError(f"{path}: duplicate column names in the header: {', '.join(dupes)}")
    return header, rows


def _column(path: Path, header: list[str], wanted: str, option: str) -> int:
    if wanted in header:
        return header.index(wanted)
    folded = [i for i, h in enumerate(header) if h.casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise WorkbenchError(
        f"{path}: {option} {wanted}: no such column (columns: {', '.join(header)})"
    )
