"""Speaker labels at the start of a line: which names count, and how sure we are.

A label is "strong" when its shape alone says it is a speaker (a role word such as
`Interviewer` or `Int`, an id such as `P07`, `Participant 3`, `Speaker 2`, a title and a name such
as `Dr Patel`, or any name after a `[00:12:31]` timestamp). It is "weak" when it is merely a short
capitalised name (`Jane Smith`, `Carer`): a weak label only counts when it recurs, so that a
one-off `Summary:` or `Yes:` line stays ordinary text. Sentences (`He said: no`) never match.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

STRONG = "strong"
WEAK = "weak"

TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_WORD = r"[^\W\d_][\w'’.\-]*"
_NAME = rf"{_WORD}(?:[ \t]+[\w'’.\-]+){{0,3}}"

# `[00:12:31] Speaker 2: text`, `Interviewer: text`, `**Interviewer:** text`,
# `**Interviewer**: text`, `Speaker 1 (00:02): text`
_LABEL = re.compile(
    rf"""[ \t]*
    (?:(?:\[(?P<ts1>{TIME})\]|\((?P<ts2>{TIME})\)|(?P<ts3>{TIME}))[ \t]+)?
    (?P<bold>\*\*|__)?
    (?P<name>{_NAME})
    (?:[ \t]*[\[(](?P<ts4>{TIME})[\])])?
    [ \t]*(?P<close1>\*\*|__)?:(?P<close2>\*\*|__)?
    (?![/\\\d:])
    """,
    re.VERBOSE,
)
# Otter / Zoom / Teams export: a line with only a name and a time; the text follows.
_HEADER = re.compile(rf"[ \t]*(?P<name>{_NAME})[ \t]+(?P<ts>{TIME})[ \t]*$")

_ROLE = re.compile(
    r"""(?:interviewer|interviewee|int|intv|iv|ie|respondent|participant|moderator|facilitator
    |researcher|interpreter|translator|observer|speaker|person|patient|carer|caregiver|doctor
    |gp|nurse|pharmacist|receptionist|clinician|manager|practice[ ]manager|q|a|i|r|p|unknown
    [ ]speaker)(?:[ ]?\d{1,3}|[ ][A-Z])?""",
    re.VERBOSE | re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]{1,3}\d{1,4}[a-z]?")
_TITLE = re.compile(
    r"(?:dr|mr|mrs|ms|miss|mx|prof|professor|sister|rev|cllr|sir|dame)\.?[ ]\S.*",
    re.IGNORECASE,
)
_PARTICLES = frozenset("de van von der den da di du la le bin al el ter ten y".split())
_NOT_NAMES = frozenset(
    """note notes nb ps re fyi date time day location place setting site study project title
    subject topic duration length transcript transcribed transcribed by transcriber
    transcription interview interview date interview time recording recorded file audio video
    source summary abstract keywords tags present attendees warning caution important tip
    example examples update edit edited comment comments aside observation observations context
    background consent question questions answer answers agenda action actions theme themes
    code codes memo quote reference references link url email tel phone fax address name age
    gender sex role practice region id version status author total start end started ended
    key legend abbreviations translation see also please thanks monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august september
    october november december today yesterday tomorrow morning afternoon evening""".split()
) | frozenset({"transcribed by", "interview date", "interview time", "see also"})


@dataclass(frozen=True)
class Label:
    """A candidate speaker label found on one line."""

    name: str
    strength: str
    timestamp: str | None
    content: int  # offset (within the line) where the spoken text starts
    header: bool = False  # Otter-style "name  time" line; the text is on the next lines


def classify(name: str) -> str | None:
    """STRONG, WEAK, or None when `name` cannot be a speaker label."""
    words = name.split()
    if not words or len(words) > 4 or len(name) > 40:
        return None
    norm = " ".join(words)
    if norm.casefold().rstrip(".") in _NOT_NAMES or words[0].casefold() in _NOT_NAMES:
        return None
    if _ROLE.fullmatch(norm) or _CODE.fullmatch(norm) or _TITLE.fullmatch(norm):
        return STRONG if _capitalised(words) else None
    return WEAK if _capitalised(words) else None


def _capitalised(words: list[str]) -> bool:
    if not words[0][0].isupper():
        return False
    for word in words[1:]:
        if not (word[0].isupper() or word.isdigit() or word.casefold() in _PARTICLES):
            return False
    return True


def match_line(line: str) -> Label | None:
    """The speaker-label candidate at the start of `line`, if its shape allows one."""
    if ":" not in line:
        return None
    m = _LABEL.match(line)
    if m is not None:
        bold, close = m.group("bold"), m.group("close1") or m.group("close2")
        if bool(bold) != bool(close) or (m.group("close1") and m.group("close2")):
            return None
        name = " ".join(m.group("name").split())
        strength = classify(name)
        if strength is None:
            return _header(line)
        ts = m.group("ts1") or m.group("ts2") or m.group("ts3") or m.group("ts4")
        if ts is not None:
            strength = STRONG  # a timestamped label is an explicit transcript style
        return Label(name, strength, ts, m.end())
    return _header(line)


def _header(line: str) -> Label | None:
    m = _HEADER.match(line)
    if m is None:
        return None
    name = " ".join(m.group("name").split())
    strength = classify(name)
    if strength is None:
        return None
    return Label(name, strength, m.group("ts"), len(line), header=True)


def accepted(labels: Iterable[Label | None], *, any_recurrence: bool = False) -> list[bool]:
    """Which candidates count as speaker labels.

    Strong labels always count. A weak label counts when the same name occurs at least twice
    (or, with `any_recurrence`, when at least two candidates occur at all: subtitle cues).
    Otter-style header lines count when there are at least two of them.
    """
    items = list(labels)
    names = Counter(lab.name.casefold() for lab in items if lab is not None)
    headers = sum(1 for lab in items if lab is not None and lab.header)
    total = sum(names.values())
    out: list[bool] = []
    for lab in items:
        if lab is None:
            out.append(False)
        elif lab.header:
            out.append(headers >= 2 or lab.strength == STRONG)
        elif lab.strength == STRONG:
            out.append(True)
        else:
            out.append(total >= 2 if any_recurrence else names[lab.name.casefold()] >= 2)
    return out
