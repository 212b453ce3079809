"""Small wording helpers for the TUI: counts with the right noun, snippets cut at words."""

from __future__ import annotations

import re

from rich.text import Text

IRREGULAR = {"match": "matches", "passage": "passages", "entry": "entries"}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 coding`, `2 codings`, `0 excerpts`."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {many or IRREGULAR.get(noun, noun + 's')}"


def plain(value: object) -> Text:
    """A table cell shown exactly as written. DataTable reads a `str` cell as Rich markup:
    a transcript's "[laughs]" or "[inaudible]" vanished from the retrieval table, and a
    "[/]" would fail to render. Text objects are kept as they are."""
    return value if isinstance(value, Text) else Text(str(value))


def clip(text: str, width: int) -> str:
    """`text` on one line, at most `width` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > width // 2 else cut).rstrip() + "…"


def word_window(text: str, start: int, end: int, context: int) -> tuple[int, int]:
    """About `context` characters either side of text[start:end], widened or narrowed to the
    nearest word boundary so no word is cut in half."""
    lo = max(0, start - context)
    if lo > 0 and not text[lo - 1].isspace():  # lo is inside a word: go to the next one
        m = re.search(r"\s", text[lo:start])
        lo = lo + m.end() if m else start
    hi = min(len(text), end + context)
    if hi < len(text) and not text[hi].isspace():  # hi is inside a word: back to its start
        spaces = [m.start() for m in re.finditer(r"\s", text[end:hi])]
        hi = end + spaces[-1] if spaces else end
    return lo, hi


def around_match(text: str, words: list[str], width: int) -> str:
    """A one-line snippet of `text` of about `width` characters that shows the first place
    where one of `words` (prefixes, case-insensitive) occurs; the start when none does."""
    flat = " ".join(text.split())
    hit = None
    for w in words:
        m = re.search(r"\b" + re.escape(w), flat, re.IGNORECASE)
        if m and (hit is None or m.start() < hit):
            hit = m.start()
    if hit is None or hit < width // 3 or len(flat) <= width:
        return clip(flat, width)
    # a third of the room before the match, more when the text ends soon after it
    lo = max(0, min(hit - width // 3, len(flat) - width + 1))
    space = flat.find(" ", lo, hit)
    lo = space + 1 if space >= 0 and lo > 0 else lo
    return "…" + clip(flat[lo:], width - 1)


def query_words(query: str) -> list[str]:
    """The words of a full-text query (quotes, `*` and FTS operators dropped)."""
    words = re.findall(r"[\w'’-]+", query)
    return [w for w in words if w not in {"AND", "OR", "NOT", "NEAR"}]
