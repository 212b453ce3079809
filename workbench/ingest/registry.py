"""`parse_file`: pick the importer by extension, read safely, add sentences."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ingest.fieldnotes import dated_entries
from workbench.ingest.model import KINDS, ImportOptions, ParsedDocument, segment_limit
from workbench.ingest.sentences import too_many_segments, with_sentences
from workbench.ingest.spans import Body
from workbench.ingest.subtitles import parse_captions
from workbench.ingest.survey import parse_survey
from workbench.ingest.textio import read_limited, read_text
from workbench.ingest.transcript import heading_ends, speaker_turns
from workbench.ingest.wordfile import docx_text

Parser = Callable[[Path, bytes, ImportOptions], Body]


def _plain(path: Path, raw: bytes, options: ImportOptions) -> Body:
    text, warnings = read_text(path, raw)
    return _prose(path, text, options, warnings)


def _word(path: Path, raw: bytes, options: ImportOptions) -> Body:
    text = docx_text(path, raw, options.max_bytes)
    if not text.strip():
        raise WorkbenchError(f"{path}: the document holds no text")
    return _prose(path, text, options, [])


def _prose(path: Path, text: str, options: ImportOptions, warnings: list[str]) -> Body:
    """Interview turns or field-note entries. With no --kind, a text with dated entries and no
    speaker label at all is taken as field notes (with a warning saying so)."""
    if options.kind == "survey":
        raise WorkbenchError(f"{path}: --kind survey needs a .csv file")
    breaks = heading_ends(text)
    if options.kind == "field-notes":
        entries, dated, line_ends = dated_entries(text)
        if not dated:
            warnings.append(f"{path.name}: no dated entries found; the whole text is one entry")
        return Body("field-notes", text, entries, warnings, breaks + line_ends)
    turns, labelled = speaker_turns(text)
    if not labelled and options.kind is None:
        entries, dated, line_ends = dated_entries(text)
        if dated:
            warnings.append(
                f"{path.name}: no speaker labels but {dated} dated entries: imported as field "
                "notes (use --kind interview to import it as an interview)"
            )
            return Body("field-notes", text, entries, warnings, breaks + line_ends)
    if not labelled:
        warnings.append(f"{path.name}: no speaker labels found; the whole text is one turn")
    return Body("interview", text, turns, warnings, breaks)


def _captions(fmt: str) -> Parser:
    def parse(path: Path, raw: bytes, options: ImportOptions) -> Body:
        if options.kind not in (None, "interview"):
            raise WorkbenchError(f"{path}: caption files import as interviews, not {options.kind}")
        text, warnings = read_text(path, raw)
        body = parse_captions(path, text, fmt)
        body.warnings[:0] = warnings
        return body

    return parse


def _survey(path: Path, raw: bytes, options: ImportOptions) -> Body:
    if options.kind not in (None, "survey"):
        raise WorkbenchError(f"{path}: a .csv file imports as a survey (--kind survey)")
    text, warnings = read_text(path, raw)
    body = parse_survey(path, text, options)
    body.warnings[:0] = warnings
    return body


_PARSERS: dict[str, Parser] = {
    ".txt": _plain,
    ".md": _plain,
    ".docx": _word,
    ".vtt": _captions("vtt"),
    ".srt": _captions("srt"),
    ".csv": _survey,
}


def supported_extensions() -> tuple[str, ...]:
    return tuple(_PARSERS)


def parse_file(path: Path, options: ImportOptions = ImportOptions()) -> ParsedDocument:
    """Read one file into a document (text + segments). Bad input raises WorkbenchError."""
    path = Path(path)
    parser = _PARSERS.get(path.suffix.lower())
    if parser is None:
        what = f"'{path.suffix}'" if path.suffix else "(no extension)"
        raise WorkbenchError(
            f"{path}: unsupported file type {what}; supported: {', '.join(_PARSERS)}"
        )
    if options.kind is not None and options.kind not in KINDS:
        raise WorkbenchError(f"--kind {options.kind}: must be one of {', '.join(KINDS)}")
    name = path.stem if options.name is None else options.name.strip()
    if not name:
        raise WorkbenchError(f"{path}: the document name is empty")
    if path.is_dir():
        raise WorkbenchError(f"{path}: is a folder, not a file")
    raw = read_limited(path, options.max_bytes)
    body = parser(path, raw, options)
    limit = segment_limit(options.max_bytes)
    try:
        if not options.sentences:
            if len(body.blocks) > limit:
                raise too_many_segments(limit)
            segments = body.blocks
        else:
            segments = with_sentences(body.text, body.blocks, body.breaks, limit)
    except WorkbenchError as exc:  # the segment limit: the message names no file yet
        raise WorkbenchError(f"{path}: {exc}") from exc
    return ParsedDocument(
        name=name,
        kind=body.kind,
        text=body.text,
        segments=segments,
        source_name=path.name,
        sha256=hashlib.sha256(raw).hexdigest(),
        warnings=body.warnings,
    )
