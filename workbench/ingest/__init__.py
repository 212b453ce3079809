"""Importers: turn a researcher's files into text + segments (pure parsing, no database).

`parse_file(path, ImportOptions(...)) -> ParsedDocument`; `supported_extensions()`;
`is_codings_csv(path)` tells a coded-excerpt CSV (imported as codings elsewhere) from a survey.

The names load on first use (PEP 562): a command that only needs `ingest.model` (every
command that reads documents) does not import the format parsers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.ingest.model import (
        KINDS,
        LEVELS,
        ImportOptions,
        ParsedDocument,
        ParsedSegment,
    )
    from workbench.ingest.registry import parse_file, supported_extensions
    from workbench.ingest.survey import is_codings_csv

_WHERE = {
    "KINDS": "model",
    "LEVELS": "model",
    "ImportOptions": "model",
    "ParsedDocument": "model",
    "ParsedSegment": "model",
    "parse_file": "registry",
    "supported_extensions": "registry",
    "is_codings_csv": "survey",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
