"""What a REFI-QDA project holds besides plain text, and where its codings would be lost.

Only text is imported. An audio or video source's `Transcript` is text: it is imported as the
source's document, and a `TranscriptSelection` (from one `SyncPoint` to another) becomes the
character span between the two points' `position`s. Codings that cannot become a span of
text (on PDF page areas, pictures, audio or video time spans, a transcript selection whose
sync points give no position, codings outside every source) are counted here, so that the
import can refuse them rather than drop them (docs/refi-qda.md).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from workbench.codebook.refi.guids import read_guid
from workbench.codebook.refi.xmlio import attr, kid, kids, local

# Selections over something that is not text, by source kind (what they are called in a line).
AREA_SELECTIONS = {
    "PDFSelection": "PDF page areas",
    "PictureSelection": "picture areas",
    "AudioSelection": "audio time spans",
    "VideoSelection": "video time spans",
}
MEDIA_SOURCES = ("PictureSource", "AudioSource", "VideoSource")


def codings_in(*elements: Element) -> int:
    """Every coding the elements carry, at any depth (each counted once)."""
    seen: set[int] = set()
    for el in elements:
        seen.update(id(c) for c in el.iter() if local(c.tag) == "Coding")
    return len(seen)


def area_selections(outer: Element) -> dict[str, tuple[int, int]]:
    """{what: (selections, codings on them)} of the source's selections over pages,
    pictures or time."""
    out: dict[str, tuple[int, int]] = {}
    for sel in outer:
        what = AREA_SELECTIONS.get(local(sel.tag))
        if what is not None:
            n, coded = out.get(what, (0, 0))
            out[what] = (n + 1, coded + sum(1 for _ in kids(sel, "Coding")))
    return out


def sync_points(transcript: Element) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """A transcript's sync points, read once: {GUID: character position} for selections,
    and the (position, milliseconds) of those that give a time, in order."""
    positions: dict[str, int] = {}
    times: list[tuple[int, int]] = []
    for point in kids(transcript, "SyncPoint"):
        position, ms = integer(attr(point, "position")), integer(attr(point, "timeStamp"))
        if position is None or position < 0:
            continue
        if (guid := read_guid(attr(point, "guid"))) is not None:
            positions[guid] = position
        if ms is not None:
            times.append((position, ms))
    return positions, sorted(times)


def integer(value: str | None) -> int | None:
    """An attribute's whole number (spaces allowed), else None."""
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def clock(ms: int) -> str:
    """Milliseconds as the timestamp segments carry: `00:01:02.500`."""
    seconds, ms = divmod(max(ms, 0), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"


def transcript_span(sel: Element, positions: dict[str, int]) -> tuple[int, int] | None:
    """The characters a TranscriptSelection covers, or None when its points give none."""
    start = positions.get(read_guid(attr(sel, "fromSyncPoint")) or "")
    end = positions.get(read_guid(attr(sel, "toSyncPoint")) or "")
    if start is None or end is None:
        return None
    return start, end


def stray_codings(root: Element) -> int:
    """Codings outside every source (one exporter writes a top-level `<Coding>` of
    `CodeRef`/`Selection` pairs that name no source): they cannot be placed."""
    sources = kid(root, "Sources")
    inside = {id(el) for el in sources.iter()} if sources is not None else set()
    return sum(
        max(1, sum(1 for _ in kids(el, "CodeRef")))
        for el in root.iter()
        if local(el.tag) == "Coding" and id(el) not in inside
    )
