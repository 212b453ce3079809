"""The replacer: accepted identifiers to their stand-ins, applied to text on the way out.

One regular expression over every accepted identifier, longest first, on word boundaries;
numbers match whatever separators they are written with, e-mail addresses in any case. A
document name is replaced where it is a whole value (a document column, a source name)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_DIGIT_KINDS = {"nhs_number", "phone"}


@dataclass(frozen=True)
class Entry:
    text: str
    kind: str
    replacement: str


def _pattern(e: Entry) -> str:
    if e.kind in _DIGIT_KINDS:
        digits = re.sub(r"\D", "", e.text)
        lead = r"\+" if e.text.lstrip().startswith("+") else ""
        return lead + r"[ \-()]{0,3}".join(digits)
    body = r"\s+".join(re.escape(w) for w in e.text.split())
    return f"(?i:{body})" if e.kind == "email" else body


@dataclass
class Replacer:
    """Callable str -> str; `map_text` also returns where old offsets went."""

    entries: list[Entry]
    _whole: dict[str, str] = field(init=False, default_factory=dict)
    _regex: re.Pattern[str] | None = field(init=False, default=None)
    _by_key: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        parts: list[tuple[int, str]] = []
        for e in self.entries:
            if e.kind == "document":
                self._whole[e.text] = e.replacement
                continue
            parts.append((len(e.text), f"(?P<g{len(parts)}>{_pattern(e)})"))
            self._by_key[f"g{len(parts) - 1}"] = e.replacement
        if parts:
            ordered = [p for _, p in sorted(parts, key=lambda x: -x[0])]
            self._regex = re.compile(r"(?<![\w@.])(?:" + "|".join(ordered) + r")(?![\w@])")

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __call__(self, value: str) -> str:
        if value in self._whole:
            return self._whole[value]
        return self.map_text(value)[0]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        if self._regex is None:
            return []
        out = []
        for m in self._regex.finditer(text):
            key = m.lastgroup
            out.append((m.start(), m.end(), self._by_key[key] if key else m.group()))
        return out

    def map_text(self, text: str) -> tuple[str, OffsetMap]:
        pieces: list[str] = []
        moves: list[tuple[int, int, int, int]] = []
        pos = 0
        new_len = 0
        for start, end, rep in self.spans(text):
            pieces.append(text[pos:start])
            new_len += start - pos
            moves.append((start, end, new_len, new_len + len(rep)))
            pieces.append(rep)
            new_len += len(rep)
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces), OffsetMap(moves)


@dataclass(frozen=True)
class OffsetMap:
    """Old offsets into new ones; an offset inside a replaced span moves to its start (as a
    start) or its end (as an end), so a span never keeps half an identifier."""

    moves: list[tuple[int, int, int, int]]

    def _at(self, offset: int, as_end: bool) -> int:
        i = bisect.bisect_right([m[0] for m in self.moves], offset) - 1
        if i < 0:
            return offset
        old_s, old_e, new_s, new_e = self.moves[i]
        if offset < old_e and (offset > old_s or as_end):
            return new_e if as_end else new_s
        if offset == old_s:
            return new_s
        return new_e + (offset - old_e)

    def start(self, offset: int) -> int:
        return self._at(offset, as_end=False)

    def end(self, offset: int) -> int:
        if offset == 0:
            return 0
        return (
            self._at(offset - 1, as_end=True)
            if self._inside(offset - 1)
            else self._at(offset, as_end=False)
        )

    def _inside(self, offset: int) -> bool:
        i = bisect.bisect_right([m[0] for m in self.moves], offset) - 1
        return i >= 0 and self.moves[i][0] <= offset < self.moves[i][1]


def build(entries: Iterable[Entry]) -> Replacer:
    return Replacer(list(entries))
