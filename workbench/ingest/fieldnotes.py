"""Field notes: dated observation entries.

A line that starts an entry holds a date (and maybe a time) in one of three places:
a Markdown heading (`## 2021-11-04 09:10`), a `Date:` line (`Date: 12/01/2022 08:45`), or the
very start of the line (`2021-11-18 14:05 — short heading`, `4 November 2021`). The date is
kept as the entry's timestamp exactly as written; the entry covers the rest of that line (after
a separator such as `—`, `-` or `:`) and every line up to the next dated line.
"""

from __future__ import annotations

import re

from workbench.ingest.model import ParsedSegment
from workbench.ingest.spans import make_segment
from workbench.ingest.transcript import iter_lines

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tue(?:s)?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?[ \t]+)"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"  # ISO 2021-11-04
    r"|\d{1,2}(?P<sep>[/.\-])\d{1,2}(?P=sep)(?:\d{4}|\d{2})"  # 12/01/2022, 12.01.22
    rf"|{_WEEKDAY}?\d{{1,2}}{_ORD}[ \t]+{_MONTH},?[ \t]+\d{{4}}"  # (Thursday) 4 November 2021
    rf"|{_WEEKDAY}?{_MONTH}[ \t]+\d{{1,2}}{_ORD},?[ \t]+\d{{4}})"  # November 4, 2021
)
_TIME = (
    r"(?:(?:[ \t]*,[ \t]*|[ \t]+at[ \t]+|[ \t]+|T)"
    r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:[ \t]*[ap]\.?m\.?)?(?!\w|:\d))"
)
_ENTRY = re.compile(
    rf"""[ \t]*(?:\#{{1,6}}[ \t]+)?(?:\*\*|__)?(?:date[ \t]*(?:\*\*|__)?:(?:\*\*|__)?[ \t]*)?
    (?P<date>{_DATE}{_TIME}?)(?![\w/])
    (?:\*\*|__)?[ \t]*(?:[—–\-:|,.]+[ \t]*)?""",
    re.VERBOSE | re.IGNORECASE,
)


def entry_start(line: str) -> tuple[str, int] | None:
    """(date as written, offset in the line where the entry's own text starts) or None."""
    m = _ENTRY.match(line)
    if m is None:
        return None
    return m.group("date").strip(), m.end()


def dated_entries(text: str) -> tuple[list[ParsedSegment], int, list[int]]:
    """Entry segments of `text`, how many dated lines were found, and the ends of dated lines
    that carry text after the date (a sentence ends there: it is usually a short heading)."""
    marks: list[tuple[int, int, str]] = []  # (line start, content start, date)
    line_ends: list[int] = []
    for pos, line in iter_lines(text):
        found = entry_start(line)
        if found is not None:
            marks.append((pos, pos + found[1], found[0]))
            if line[found[1] :].strip():
                line_ends.append(pos + len(line))
    segments: list[ParsedSegment] = []
    first = marks[0][0] if marks else len(text)
    preamble = make_segment(text, 0, first, "entry")
    if preamble is not None:
        segments.append(preamble)
    for i, (_, content, date) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        seg = make_segment(text, content, end, "entry", timestamp=date)
        if seg is not None:
            segments.append(seg)
    return segments, len(marks), line_ends
