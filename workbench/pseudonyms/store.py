"""Proposals stored per project: detect, list, accept, reject, add, link (CONTRACT §10)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from workbench.errors import WorkbenchError
from workbench.pseudonyms.patterns import KINDS
from workbench.pseudonyms.replace import Entry, Replacer
from workbench.pseudonyms.standins import StandIns, person_key
from workbench.store import schema as s
from workbench.timeutil import now_iso

STATUSES = ("proposed", "accepted", "rejected")
P = s.pseudonyms
H = s.pseudonym_hits


@dataclass(frozen=True)
class Proposal:
    id: int
    text: str
    kind: str
    replacement: str
    status: str
    count: int

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "kind": self.kind,
            "replacement": self.replacement,
            "status": self.status,
            "count": self.count,
        }


Hit = tuple[int, str, int, int]  # document id, field, start, end


def _insert(
    conn: Connection, text: str, kind: str, rep: str, status: str, origin: str, now: str
) -> int:
    """One new identifier; returns its id."""
    row = dict(text=text, kind=kind, replacement=rep, status=status, origin=origin)
    pk = conn.execute(insert(P).values(**row, created=now, updated=now)).inserted_primary_key
    return int(pk[0])


def _resolve_docs(conn: Connection, names: list[str] | None) -> list[tuple[int, str, str]]:
    rows = [
        tuple(r)
        for r in conn.execute(
            select(s.documents.c.id, s.documents.c.name, s.documents.c.text).order_by(
                s.documents.c.name
            )
        )
    ]
    if not names:
        return rows  # type: ignore[return-value]
    by_name = {r[1]: r for r in rows}
    missing = [n for n in names if n not in by_name]
    if missing:
        lines = [f"no document named {n!r}" for n in missing]
        raise WorkbenchError(lines[0], lines)
    return [by_name[n] for n in dict.fromkeys(names)]  # type: ignore[misc]


def scan(
    conn: Connection, docs: list[tuple[int, str, str]]
) -> dict[tuple[str, str, str], list[Hit]]:
    """Everything the recognisers find: (text, kind, label) -> hits."""
    from workbench.pseudonyms.detect import find_all, speaker_identifier

    found: dict[tuple[str, str, str], list[Hit]] = defaultdict(list)
    texts = [d[2] for d in docs]
    for (doc_id, name, _), items in zip(docs, find_all(texts), strict=True):
        for f in items:
            found[(f.text, f.kind, f.label)].append((doc_id, "text", f.start, f.end))
        found[(name, "document", "")].append((doc_id, "name", 0, len(name)))
        speakers = conn.execute(
            select(s.segments.c.speaker)
            .where(s.segments.c.document_id == doc_id, s.segments.c.speaker.is_not(None))
            .distinct()
        ).scalars()
        for label in speakers:
            f2 = speaker_identifier(label)
            if f2 is not None:
                found[(f2.text, f2.kind, "")].append((doc_id, "speaker", 0, len(f2.text)))
    _add_variants(found, docs)
    return found


def _add_variants(
    found: dict[tuple[str, str, str], list[Hit]], docs: list[tuple[int, str, str]]
) -> None:
    """A full name's first name and surname, where they stand alone, are the same person."""
    from workbench.pseudonyms.names import TITLES, ordinary

    names = {t for t, k, _ in found if k == "person"}
    parts: set[str] = set()
    for name in names:
        words = re.sub(rf"^(?:{TITLES})\.?\s+", "", name).split()
        if len(words) >= 2:
            parts.update(w for w in (words[0], words[-1]) if len(w) > 2 and not ordinary(w))
    taken = [(h[0], h[2], h[3]) for hits in found.values() for h in hits if h[1] == "text"]
    for part in sorted(parts):
        rx = re.compile(rf"(?<![\w-]){re.escape(part)}(?![\w-])")
        for doc_id, _, text in docs:
            for m in rx.finditer(text):
                if not any(d == doc_id and a <= m.start() < b for d, a, b in taken):
                    found[(part, "person", "")].append((doc_id, "text", m.start(), m.end()))


_KIND_ORDER = ("person", "place", "organisation")


def _one_kind_per_text(
    found: dict[tuple[str, str, str], list[Hit]],
) -> dict[tuple[str, str, str], list[Hit]]:
    """One kind per identifier text: person if any occurrence was found as one (a small
    model calls the same first name a person here and an organisation there), else the
    kind most occurrences were found as."""
    by_text: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key in found:
        by_text[key[0]].append(key)
    out: dict[tuple[str, str, str], list[Hit]] = {}
    for keys in by_text.values():
        best = max(
            keys,
            key=lambda k: (
                k[1] == "person",
                len(found[k]),
                -_KIND_ORDER.index(k[1]) if k[1] in _KIND_ORDER else 0,
                k[2],
            ),
        )
        out[best] = [h for k in keys for h in found[k]]
    return out


def detect(conn: Connection, doc_names: list[str] | None = None) -> Counter[str]:
    """Find identifiers in the documents and store new ones as proposals (kept decisions
    stay as they were); returns the number of distinct identifiers found per kind."""
    docs = _resolve_docs(conn, doc_names)
    found = scan(conn, docs)
    existing = {r.text: r for r in conn.execute(select(P))}
    stand = StandIns([(r.text, r.kind, r.replacement) for r in existing.values()])
    now = now_iso()
    doc_ids = [d[0] for d in docs]
    if doc_ids:
        detected = select(P.c.id).where(P.c.origin == "detected")
        conn.execute(delete(H).where(H.c.document_id.in_(doc_ids), H.c.pseudonym_id.in_(detected)))
    counts: Counter[str] = Counter()
    ids: dict[str, int] = {t: r.id for t, r in existing.items()}
    merged = _one_kind_per_text(found)
    # full names first, so that variants find the stand-in of the name they belong to
    order = sorted(merged, key=lambda k: (k[1] != "person", -len(person_key(k[0])), k[0]))
    for text, kind, label in order:
        counts[kind] += 1
        if text not in ids:
            rep = stand.assign(text, kind, label)
            ids[text] = _insert(conn, text, kind, rep, "proposed", "detected", now)
        _insert_hits(conn, ids[text], merged[(text, kind, label)])
    return counts


def _insert_hits(conn: Connection, pid: int, hits: Iterable[Hit]) -> int:
    """Store where a pseudonym was found, leaving out what is stored already (portable SQL:
    no INSERT OR IGNORE). Returns how many were new."""
    have = {
        (r.document_id, r.field, r.start)
        for r in conn.execute(
            select(H.c.document_id, H.c.field, H.c.start).where(H.c.pseudonym_id == pid)
        )
    }
    new: dict[tuple[int, str, int], int] = {}
    for d, f, a, b in hits:
        if (d, f, a) not in have:
            new.setdefault((d, f, a), b)
    if new:
        conn.execute(
            insert(H),
            [
                {"pseudonym_id": pid, "document_id": d, "field": f, "start": a, "end": b}
                for (d, f, a), b in sorted(new.items())
            ],
        )
    return len(new)


def proposals(conn: Connection, status: str | None = None) -> list[Proposal]:
    n = select(H.c.pseudonym_id, func.count().label("n")).group_by(H.c.pseudonym_id).subquery()
    q = select(P, func.coalesce(n.c.n, 0).label("count")).outerjoin(n, n.c.pseudonym_id == P.c.id)
    if status is not None:
        if status not in STATUSES:
            raise WorkbenchError(f"--status takes one of {', '.join(STATUSES)}, not {status!r}")
        q = q.where(P.c.status == status)
    rows = conn.execute(q.order_by(P.c.kind, P.c.replacement, P.c.text))
    return [Proposal(r.id, r.text, r.kind, r.replacement, r.status, int(r.count)) for r in rows]


def _rows(conn: Connection, texts: Iterable[str]) -> dict[str, int]:
    wanted = list(dict.fromkeys(texts))
    found = {
        r.text: r.id for r in conn.execute(select(P.c.text, P.c.id).where(P.c.text.in_(wanted)))
    }
    missing = [t for t in wanted if t not in found]
    if missing:
        lines = [
            f"not in the pseudonym list: {t!r} (see `workbench pseudonyms list`; "
            "add it with `workbench pseudonyms add TEXT --as REPLACEMENT`)"
            for t in missing
        ]
        raise WorkbenchError(lines[0], lines)
    return found


def _check_replacement(rep: str) -> str:
    rep = rep.strip()
    if not rep:
        raise WorkbenchError("the replacement is empty")
    if len(rep) > 200:
        raise WorkbenchError("the replacement is longer than 200 characters")
    return rep


def set_status(
    conn: Connection, texts: list[str] | None, status: str, replacement: str | None = None
) -> int:
    """Accept or reject these texts (None: every proposed one); `replacement` also sets the
    stand-in (the same stand-in on two texts links them). Returns how many changed."""
    values: dict[str, str] = {"status": status, "updated": now_iso()}
    if replacement is not None:
        values["replacement"] = _check_replacement(replacement)
    if texts is None:
        q = update(P).where(P.c.status == "proposed")
    else:
        q = update(P).where(P.c.id.in_(list(_rows(conn, texts).values())))
    return conn.execute(q.values(**values)).rowcount


def set_replacement(conn: Connection, text: str, replacement: str) -> None:
    """Edit a stand-in without changing the decision."""
    ids = _rows(conn, [text])
    conn.execute(
        update(P)
        .where(P.c.id == ids[text])
        .values(replacement=_check_replacement(replacement), updated=now_iso())
    )


def link(conn: Connection, text: str, to: str) -> str:
    """Give `text` the stand-in of `to` (variants of one person); returns that stand-in."""
    ids = _rows(conn, [text, to])
    rep = conn.execute(select(P.c.replacement).where(P.c.id == ids[to])).scalar_one()
    conn.execute(update(P).where(P.c.id == ids[text]).values(replacement=rep, updated=now_iso()))
    return str(rep)


def add(conn: Connection, text: str, replacement: str, kind: str = "person") -> int:
    """Add (or re-decide) an identifier by hand, accepted; returns where it occurs."""
    text = text.strip()
    if not text:
        raise WorkbenchError("the identifier text is empty")
    if kind not in KINDS:
        raise WorkbenchError(f"--kind takes one of {', '.join(KINDS)}, not {kind!r}")
    rep = _check_replacement(replacement)
    now = now_iso()
    row = conn.execute(select(P.c.id).where(P.c.text == text)).first()
    if row is None:
        pid = _insert(conn, text, kind, rep, "accepted", "added", now)
    else:
        pid = row.id
        conn.execute(
            update(P)
            .where(P.c.id == pid)
            .values(kind=kind, replacement=rep, status="accepted", updated=now)
        )
    hits = []
    rx = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")
    for doc_id, name, body in conn.execute(
        select(s.documents.c.id, s.documents.c.name, s.documents.c.text)
    ):
        hits += [(doc_id, "text", m.start(), m.end()) for m in rx.finditer(body)]
        if name == text:
            hits.append((doc_id, "name", 0, len(name)))
    _insert_hits(conn, pid, hits)
    return len(hits)


def hits(conn: Connection, text: str) -> list[tuple[str, str, int, int, str]]:
    """Where `text` was found: (document, field, start, end, document text)."""
    ids = _rows(conn, [text])
    rows = conn.execute(
        select(s.documents.c.name, H.c.field, H.c.start, H.c.end, s.documents.c.text)
        .join(s.documents, s.documents.c.id == H.c.document_id)
        .where(H.c.pseudonym_id == ids[text])
        .order_by(s.documents.c.name, H.c.start)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def replacer(conn: Connection) -> Replacer | None:
    """The replacement function for every way out, or None when nothing is accepted."""
    rows = conn.execute(
        select(P.c.text, P.c.kind, P.c.replacement).where(P.c.status == "accepted")
    ).all()
    if not rows:
        return None
    return Replacer([Entry(t, k, r) for t, k, r in rows])
