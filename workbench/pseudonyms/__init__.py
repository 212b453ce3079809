"""Pseudonyms (CONTRACT §10): find personal identifiers offline, review them, replace them
on every way out. Stored text never changes. No textual; spaCy only when detecting."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from workbench.pseudonyms.replace import Replacer


def replacer(conn: Connection) -> Replacer | None:
    """A function str -> str replacing every accepted identifier by its stand-in, or None
    when the project has no accepted pseudonyms (the interface the theme report uses)."""
    from workbench.pseudonyms.store import replacer as _replacer

    return _replacer(conn)


def require_replacer(conn: Connection) -> Replacer:
    """The replacer, or a one-line error when nothing has been accepted."""
    from workbench.errors import WorkbenchError

    fn = replacer(conn)
    if fn is None:
        raise WorkbenchError(
            "no accepted pseudonyms in this project: run `workbench pseudonyms detect` first"
        )
    return fn
