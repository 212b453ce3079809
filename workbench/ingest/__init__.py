"""Importers: turn a researcher's files into text + segments (pure parsing, no database).

`parse_file(path, ImportOptions(...)) -> ParsedDocument`; `supported_extensions()`;
`is_codings_csv(path)` tells a coded-excerpt CSV (imported as codings elsewhere) from a survey.
"""

from workbench.ingest.model import (
    KINDS,
    LEVELS,
    ImportOptions,
    ParsedDocument,
    ParsedSegment,
)
from workbench.ingest.registry import parse_file, supported_extensions
from workbench.ingest.survey import is_codings_csv

__all__ = [
    "KINDS",
    "LEVELS",
    "ImportOptions",
    "ParsedDocument",
    "ParsedSegment",
    "is_codings_csv",
    "parse_file",
    "supported_extensions",
]
