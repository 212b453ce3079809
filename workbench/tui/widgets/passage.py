"""A passage of a document with some spans highlighted (rich Text), for side-by-side views."""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text


def marked_passage(
    text: str,
    start: int,
    end: int,
    spans: Iterable[tuple[int, int, str]],
    focus: tuple[int, int] | None = None,
) -> Text:
    """`text[start:end]`; each (s, e, colour) span (document offsets) is shown reversed in its
    colour, and `focus` (e.g. the unit under discussion) is underlined."""
    out = Text(text[start:end])
    for s, e, colour in spans:
        s, e = max(s, start), min(e, end)
        if e > s:
            out.stylize(Style(color=colour, reverse=True, bold=True), s - start, e - start)
    if focus is not None:
        s, e = max(focus[0], start), min(focus[1], end)
        if e > s:
            out.stylize(Style(underline=True), s - start, e - start)
    return out
