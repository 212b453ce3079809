"""WebVTT and SRT captions (Zoom, Teams, Otter, YouTube): one readable turn per speaker run.

Cues are read with webvtt-py. A cue's speaker comes from a `<v Name>` voice tag or a
`Name: text` prefix; a cue without either continues the current speaker. Consecutive cues of one
speaker merge into one turn that keeps the first cue's start time. The stored text is rendered
as `[00:01:02.500] Name: merged cue text` blocks separated by a blank line; each turn segment
covers the spoken text only.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ingest.labels import accepted, match_line
from workbench.ingest.model import ParsedSegment
from workbench.ingest.spans import Body

_VOICE = re.compile(r"<v(?:\.[^\s>]*)*[ \t]+([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>\n]*>")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")


@dataclass
class _Part:
    start: str
    speaker: str | None
    text: str
    voice: bool  # speaker from a <v> tag (always trusted)


def parse_captions(path: Path, text: str, fmt: str) -> Body:
    """Turns from decoded caption text; `fmt` is "vtt" or "srt"."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        if fmt == "vtt":
            captions = webvtt.from_string(text).captions
        else:
            captions = webvtt.from_buffer(io.StringIO(text), format="srt").captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        label = "WebVTT" if fmt == "vtt" else "SRT"
        raise WorkbenchError(f"{path}: not a valid {label} file ({exc})") from exc
    parts = [p for c in captions for p in _cue_parts(c.start, c.raw_text)]
    _resolve_prefixes(parts)
    turns = _merge(parts)
    if not turns:
        raise WorkbenchError(f"{path}: no caption text found")
    return _render(turns)


def _cue_parts(start: str, raw: str) -> list[_Part]:
    """Split one cue at its voice tags; text outside any voice tag has no speaker yet."""
    parts: list[_Part] = []
    matches = list(_VOICE.finditer(raw))
    cuts = [(m.start(), m.end(), _clean(m.group(1)) or None) for m in matches]
    if not cuts or cuts[0][0] > 0:
        first = cuts[0][0] if cuts else len(raw)
        parts.append(_Part(start, None, _clean(raw[:first]), False))
    for i, (_, end, name) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(raw)
        parts.append(_Part(start, name, _clean(raw[end:stop]), name is not None))
    return [p for p in parts if p.text]


def _clean(raw: str) -> str:
    text = html.unescape(_TAG.sub("", raw))
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def _resolve_prefixes(parts: list[_Part]) -> None:
    """Take `Name: text` cue prefixes as speakers when the style holds across the file."""
    cands = [None if p.voice else match_line(p.text) for p in parts]
    cands = [c if c is None or not c.header else None for c in cands]
    for part, cand, ok in zip(parts, cands, accepted(cands, any_recurrence=True), strict=True):
        if ok and cand is not None:
            rest = part.text[cand.content :].strip()
            part.speaker, part.text = cand.name, rest


def _merge(parts: list[_Part]) -> list[_Part]:
    turns: list[_Part] = []
    for part in parts:
        if turns and (part.speaker is None or part.speaker == turns[-1].speaker):
            if part.text:
                turns[-1].text = f"{turns[-1].text} {part.text}".strip()
            continue
        turns.append(_Part(part.start, part.speaker, part.text, part.voice))
    return [t for t in turns if t.text]


def _render(turns: list[_Part]) -> Body:
    chunks: list[str] = []
    blocks: list[ParsedSegment] = []
    pos = 0
    for turn in turns:
        head = f"[{turn.start}] {turn.speaker}: " if turn.speaker else f"[{turn.start}] "
        start = pos + len(head)
        chunk = head + turn.text
        blocks.append(
            ParsedSegment(
                start, start + len(turn.text), "turn", speaker=turn.speaker, timestamp=turn.start
            )
        )
        chunks.append(chunk)
        pos += len(chunk) + 2
    return Body("interview", "\n\n".join(chunks) + "\n", blocks)
