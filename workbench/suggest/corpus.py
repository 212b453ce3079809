"""What the suggestion engine reads from the store: the units it scores, what the researcher
taught it (codings and rejected suggestions) and what is already decided per unit.

A unit is an outer segment (turn, entry or response). A long unit (two or more sentence-level
child segments) is scored as a whole and per sentence; `pieces` holds those texts.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from workbench.store import schema as s

MIN_SENTENCES = 2  # a unit with this many sentence children is also scored per sentence
MIN_WORDS = 6  # shorter units are not offered in corpus-wide suggestions
NEAR_DUPLICATE = 0.8  # overlap share at which two coded spans count as one passage
INTERVIEWER_LABELS = frozenset(
    {"interviewer", "int", "i", "moderator", "facilitator", "researcher"}
)


@dataclass(frozen=True)
class Unit:
    segment_id: int
    document_id: int
    document: str
    idx: int
    start: int
    end: int
    text: str
    pieces: tuple[str, ...]  # the unit's text first, then its sentences when it is long
    speaker: str | None = None

    @property
    def worth_suggesting(self) -> bool:
        """Corpus-wide suggestions skip the interviewer's prompts and back-channel turns
        ("Mm-hm.", "Right."): researchers code what participants say."""
        if len(self.text.split()) < MIN_WORDS:
            return False
        return (self.speaker or "").strip().casefold().rstrip(".") not in INTERVIEWER_LABELS


@dataclass
class TrainingData:
    """Labelled passages: positives[i] = codes applied to texts[i], negatives[i] = rejected."""

    texts: list[str]
    positives: list[set[str]]
    negatives: list[set[str]]

    def __len__(self) -> int:
        return len(self.texts)


def _clean(text: str) -> str:
    return " ".join(text.split())


def load_units(
    conn: Connection,
    *,
    document: str | None = None,
    segment_ids: Iterable[int] | None = None,
) -> list[Unit]:
    """Units of the project (or of one document, or the given segments), in document order.
    A segment id of a sentence gives that sentence as a unit of its own."""
    seg, doc = s.segments, s.documents
    q = select(
        seg.c.id,
        seg.c.document_id,
        doc.c.name,
        seg.c.idx,
        seg.c.start,
        seg.c.end,
        seg.c.parent_id,
        seg.c.speaker,
    ).join(doc, doc.c.id == seg.c.document_id)
    wanted: set[int] | None = None
    if segment_ids is not None:
        wanted = set(segment_ids)
        q = q.where(seg.c.id.in_(wanted) | seg.c.parent_id.in_(wanted))
    if document is not None:
        q = q.where(doc.c.name == document)
    rows = conn.execute(q.order_by(doc.c.name, seg.c.start, seg.c.idx)).all()
    texts: dict[int, str] = {}
    for doc_id in {r.document_id for r in rows}:
        texts[doc_id] = conn.execute(select(doc.c.text).where(doc.c.id == doc_id)).scalar_one()
    children: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        if r.parent_id is not None:
            piece = _clean(texts[r.document_id][r.start : r.end])
            if piece:
                children[r.parent_id].append(piece)
    out: list[Unit] = []
    for r in rows:
        is_outer = r.parent_id is None
        if not (is_outer if wanted is None else r.id in wanted):
            continue
        text = _clean(texts[r.document_id][r.start : r.end])
        if not text:
            continue
        kids = children.get(r.id, []) if is_outer else []
        pieces = (text, *kids) if len(kids) >= MIN_SENTENCES else (text,)
        out.append(
            Unit(r.id, r.document_id, r.name, r.idx, r.start, r.end, text, pieces, r.speaker)
        )
    return out


def sample_passages(conn: Connection, n: int, *, uncoded: bool = False) -> list[str]:
    """About `n` unit texts (outer segments worth suggesting for) spread evenly over the
    project, read by segment id without scanning the segments table or whole documents:
    the passages from which the ranker estimates how common each code is. `uncoded`: only
    units no coding overlaps (by anyone), the ones self-training may learn from."""
    seg, doc = s.segments, s.documents
    # min and max apart: together SQLite scans an index for them, apart each is one seek
    lo, hi = conn.execute(
        select(
            select(func.min(seg.c.id)).scalar_subquery(),
            select(func.max(seg.c.id)).scalar_subquery(),
        )
    ).one()
    if lo is None or n <= 0:
        return []
    step = max((hi - lo + 1) / (4 * n), 1.0)  # about one segment in four is an outer one
    ids = sorted({int(lo + i * step) for i in range(4 * n) if lo + i * step <= hi})
    q = (
        select(
            seg.c.id,
            func.substr(doc.c.text, seg.c.start + 1, seg.c.end - seg.c.start),
            seg.c.speaker,
        )
        .join(doc, doc.c.id == seg.c.document_id)
        .where(seg.c.parent_id.is_(None))
    )
    if uncoded:  # two seeks per unit in the (document_id, start) index of codings
        c = s.codings
        starts_inside = (
            select(c.c.id)
            .where(
                c.c.document_id == seg.c.document_id,
                c.c.start >= seg.c.start,
                c.c.start < seg.c.end,
            )
            .exists()
        )
        # the coding starting last before the unit, reaching into it (a coding that starts
        # earlier still and spans past it is not looked for: rare, and the price is a scan)
        before = (
            select(c.c.end)
            .where(c.c.document_id == seg.c.document_id, c.c.start < seg.c.start)
            .order_by(c.c.start.desc())
            .limit(1)
            .scalar_subquery()
        )
        q = q.where(~starts_inside, func.coalesce(before, -1) <= seg.c.start)
    out: list[str] = []
    for lo_i in range(0, len(ids), 500):
        chunk = ids[lo_i : lo_i + 500]
        for _id, raw, speaker in conn.execute(q.where(seg.c.id.in_(chunk))):
            unit = Unit(0, 0, "", 0, 0, 0, _clean(raw or ""), (), speaker)
            if unit.text and unit.worth_suggesting:
                out.append(unit.text)
    return out[:n] if len(out) > n else out


def merge_near_duplicates(
    spans: dict[tuple[int, int, int], set[str]], share: float = NEAR_DUPLICATE
) -> dict[tuple[int, int, int], set[str]]:
    """One training row per passage: spans of one document that overlap by at least `share`
    of the longer one (the same passage coded by several coders, with slightly different
    boundaries; not a sentence inside a turn) become one row (the longer span) with the union
    of their codes. Otherwise
    a passage counted twice makes the held-out scores, and so the calibration, overconfident."""
    out: dict[tuple[int, int, int], set[str]] = {}
    ordered = sorted(spans, key=lambda k: (k[0], -(k[2] - k[1]), k[1]))  # longest first
    kept: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for key in ordered:
        doc, start, end = key
        for other in kept[doc]:
            overlap = min(end, other[2]) - max(start, other[1])
            if overlap >= share * max(1, other[2] - other[1]):  # `other` is the longer one
                out[other] |= spans[key]
                break
        else:
            kept[doc].append(key)
            out[key] = set(spans[key])
    return out


def training_data(conn: Connection) -> TrainingData:
    """Every coded span (all coders, manual, imported and accepted suggestions) with its codes
    as positives; every segment with a rejected suggestion, with the rejected codes as
    negatives (and the codes coded on exactly that span as positives)."""
    c = s.codings
    raw: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    for r in conn.execute(select(c.c.document_id, c.c.start, c.c.end, c.c.code_id)):
        raw[(r.document_id, r.start, r.end)].add(r.code_id)
    spans = merge_near_duplicates(raw)
    f, seg = s.suggestion_feedback, s.segments
    rejected: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    q = (
        select(seg.c.document_id, seg.c.start, seg.c.end, f.c.code_id)
        .join(seg, seg.c.id == f.c.segment_id)
        .where(f.c.decision == "rejected")
    )
    for r in conn.execute(q):
        rejected[(r.document_id, r.start, r.end)].add(r.code_id)
    keys = sorted(set(spans) | set(rejected))
    texts: dict[int, str] = {}
    for doc_id in {k[0] for k in keys}:
        texts[doc_id] = conn.execute(
            select(s.documents.c.text).where(s.documents.c.id == doc_id)
        ).scalar_one()
    data = TrainingData([], [], [])
    for key in keys:
        text = _clean(texts[key[0]][key[1] : key[2]])
        if not text:
            continue
        pos = spans.get(key, set())
        data.texts.append(text)
        data.positives.append(set(pos))
        data.negatives.append(rejected.get(key, set()) - pos)
    return data


def decided(
    conn: Connection, units: list[Unit], widen: Callable[[str], Iterable[str]] | None = None
) -> dict[int, set[str]]:
    """Per unit, the codes not to suggest: applied by any coding overlapping the unit (with
    `widen(code)`, e.g. its ancestors), or rejected for it."""
    out: dict[int, set[str]] = {u.segment_id: set() for u in units}
    by_doc: dict[int, list[Unit]] = defaultdict(list)
    for u in units:
        by_doc[u.document_id].append(u)
    memo: dict[str, set[str]] = {}

    def applied(code: str) -> set[str]:
        if code not in memo:
            memo[code] = {code, *(widen(code) if widen else ())}
        return memo[code]

    c = s.codings
    for doc_id, doc_units in by_doc.items():
        doc_units.sort(key=lambda u: u.start)
        starts = [u.start for u in doc_units]
        reach = list(itertools.accumulate((u.end for u in doc_units), max))
        q = select(c.c.start, c.c.end, c.c.code_id).where(c.c.document_id == doc_id)
        for cs, ce, code in conn.execute(q):
            i = bisect.bisect_left(starts, ce) - 1
            while i >= 0 and reach[i] > cs:  # no unit at or before i ends after cs
                if doc_units[i].end > cs:
                    out[doc_units[i].segment_id].update(applied(code))
                i -= 1
    f = s.suggestion_feedback
    ids = list(out)
    for lo in range(0, len(ids), 500):
        q = select(f.c.segment_id, f.c.code_id).where(
            (f.c.decision == "rejected") & f.c.segment_id.in_(ids[lo : lo + 500])
        )
        for sid, code in conn.execute(q):
            out[sid].add(code)
    return out


def store_signature(conn: Connection) -> tuple[object, ...]:
    """Changes whenever what the learner learns from changes: codings, suggestion decisions
    and the codebook's codes. Store triggers bump a counter on every insert, update and
    delete of those tables, whichever program made it (a delete followed by an insert, which
    leaves count and largest id alike, still moves it)."""
    value = conn.execute(
        select(s.change_counters.c.value).where(s.change_counters.c.name == "learner")
    ).scalar_one()
    return (int(value),)
