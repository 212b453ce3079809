"""`workbench import X.qdpx`: a REFI-QDA project into this project, in the caller's transaction.

The file is read and checked completely (qdpx_read.py) and every source's text is segmented
(resegment.py) before the first write; any WorkbenchError leaves the project as it was. Into a
project that already holds documents, codes or memos only with `allow_merge`, and then every
merge decision is reported. GUIDs from the file are kept (normalised: no braces, lower case).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from workbench.codebook.refi.guids import derived_guid
from workbench.errors import WorkbenchError
from workbench.exchange.refi.dates import canonical_datetime
from workbench.exchange.refi.extras import segments_for, text_hash
from workbench.exchange.refi.memo_import import MemoPlan, plan_memos, write_memos
from workbench.exchange.refi.place_codes import place_codes
from workbench.exchange.refi.qdpx_export import META_SETS, META_USERS
from workbench.exchange.refi.qdpx_read import RCoding, RProject, RSource, read_qdpx
from workbench.exchange.refi.resegment import (
    OffsetMap,
    normalise_text,
    segment_text,
    with_sync_times,
)
from workbench.ingest import ParsedDocument
from workbench.services.codes import get_meta, set_meta
from workbench.services.documents import store_document
from workbench.store import schema as s
from workbench.timeutil import now_iso


@dataclass
class Placed:
    """A source ready to write: a new document, or an existing one it merges into."""

    src: RSource
    omap: OffsetMap
    text: str
    doc: ParsedDocument | None = None
    existing_id: int | None = None
    exact_segments: bool = False  # segments came from the extras, so segment indexes hold
    doc_id: int = 0
    coding_ids: dict[str, int] = field(default_factory=dict)  # coding GUID -> store id


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lost: list[tuple[str, int, str]] = field(default_factory=list)  # source, codings, why
    merged: list[str] = field(default_factory=list)

    def lose(self, src: RSource, why: str) -> None:
        """A source that cannot be placed: refused with its codings (see unreadable_lines)."""
        n = len(src.whole) + sum(len(sel.codings) for sel in src.selections)
        self.lost.append((src.name, n, why))


def _identity(text: str) -> OffsetMap:
    return OffsetMap((), len(text))


def _count(conn: Connection, table: Any) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _unique_name(name: str, taken: set[str]) -> str:
    out, n = name, 1
    while out in taken:
        n += 1
        out = f"{name} ({n})"
    taken.add(out)
    return out


def _place_sources(
    conn: Connection, rp: RProject, path: Path, max_bytes: int, out: Outcome
) -> list[Placed]:
    """Decide, for every source, where it goes; parse the new ones (no writes)."""
    existing = {r.guid: r for r in conn.execute(select(s.documents))}
    names = {r.name for r in existing.values()}
    placed: list[Placed] = []
    seen: set[str] = set()
    for src in rp.sources:
        if src.guid in seen:
            out.lose(src, f"GUID {src.guid} used twice")
            continue
        seen.add(src.guid)
        ex = rp.extras.documents.get(src.guid)
        exact = ex is not None and ex.text_sha256 == text_hash(src.text)
        text, omap = (src.text, _identity(src.text)) if exact else normalise_text(src.text)
        old = existing.get(src.guid)
        if old is not None:
            if old.text != text:
                out.lose(
                    src,
                    f"the project has a document with its GUID ('{old.name}') but a different text",
                )
                continue
            out.merged.append(f"source '{src.name}': merged into document '{old.name}'")
            placed.append(Placed(src, omap, text, existing_id=old.id))
            continue
        if not text.strip():
            out.lose(src, "empty text")
            continue
        name = _unique_name(src.name, names)
        if name != src.name:
            (out.merged if existing else out.warnings).append(
                f"source '{src.name}': name already used; imported as '{name}'"
            )
        segs = segments_for(ex, text) if exact else None
        if segs is not None and ex is not None:
            doc = ParsedDocument(
                name=name,
                kind=ex.kind or "interview",
                text=text,
                segments=list(segs),
                source_name=ex.source_name or f"{path.name}:{src.name}",
                sha256=ex.file_sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(),
                warnings=[],
            )
        else:
            try:
                doc, warnings = segment_text(name, text, ex.kind if ex else None, max_bytes)
            except WorkbenchError as exc:
                out.lose(src, str(exc))
                continue
            doc.source_name = f"{path.name}:{src.name}"
            doc = with_sync_times(doc, src.sync, omap)
            out.warnings.extend(warnings)
        placed.append(Placed(src, omap, text, doc=doc, exact_segments=segs is not None))
    return placed


class _CodingWriter:
    def __init__(self, conn: Connection, rp: RProject, codes: dict[str, str], out: Outcome):
        self.conn, self.rp, self.codes, self.out = conn, rp, codes, out
        self.db_guids = {r[0] for r in conn.execute(select(s.codings.c.guid))}
        self.db_spans = {
            tuple(r)
            for r in conn.execute(
                select(
                    s.codings.c.document_id,
                    s.codings.c.start,
                    s.codings.c.end,
                    s.codings.c.code_id,
                    s.codings.c.coder,
                )
            )
        }
        self.guids: set[str] = set()
        self.spans: set[tuple[Any, ...]] = set()
        self.skipped: dict[str, int] = {}
        self.lost: dict[str, int] = {}  # codings that cannot be placed, by why
        self.added = 0
        self.present = 0
        self.inline_memos = 0

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def write(self, p: Placed, start: int, end: int, c: RCoding, fallback_user: str | None) -> None:
        code_id = self.codes.get(c.code or "")
        if code_id is None:
            self.skip("codings whose code is not in the file's codebook")
            self.lost["name a code the file's codebook does not hold"] = (
                self.lost.get("name a code the file's codebook does not hold", 0) + 1
            )
            return
        coder = self.rp.user_name(c.user or fallback_user or self.rp.default_user) or "unknown"
        span = (p.doc_id, start, end, code_id, coder)
        if c.guid in self.db_guids or span in self.db_spans:
            self.present += 1
            return
        if c.guid in self.guids or span in self.spans:
            self.skip("codings repeated in the file (same span, code and coder)")
            return
        created = canonical_datetime(c.created) or now_iso()
        guid = c.guid or str(uuid.uuid4())
        inline = next(
            (n for n in c.notes if n == derived_guid("coding-memo", guid) and n in self.rp.notes),
            None,
        )
        origin = self.rp.extras.coding_origin.get(guid, "imported")
        cid = self.conn.execute(
            insert(s.codings).values(
                document_id=p.doc_id,
                start=start,
                end=end,
                code_id=code_id,
                coder=coder,
                created=created,
                memo=self.rp.notes[inline].text if inline else None,
                origin=origin,
                guid=guid,
            )
        ).inserted_primary_key[0]
        self.guids.add(guid)
        self.spans.add(span)
        p.coding_ids[guid] = cid
        self.added += 1
        self.inline_memos += inline is not None

    def source(self, p: Placed) -> None:
        length = len(p.text)
        for sel in p.src.selections:
            start, end = p.omap(sel.start), p.omap(sel.end)
            if not (0 <= start < end <= length):
                self.skip("selections outside their text or empty")
                if sel.codings:
                    why = f"lie outside the text of '{p.src.name}' (or are empty)"
                    self.lost[why] = self.lost.get(why, 0) + len(sel.codings)
                continue
            for c in sel.codings:
                self.write(p, start, end, c, sel.user)
        for c in p.src.whole:
            self.write(p, 0, length, c, None)
        if p.src.whole:
            self.out.warnings.append(
                f"source '{p.src.name}': {len(p.src.whole)} codings of the whole source "
                "imported as codings of its whole text"
            )


def _write_documents(
    conn: Connection, placed: list[Placed], out: Outcome, cases: dict[str, dict[str, str]]
) -> None:
    from workbench.services.cases import case_attributes, set_case_attributes
    from workbench.services.documents import set_document_attributes

    for name, values in sorted(cases.items()):  # first, so new documents of the case get them
        kept = case_attributes(conn, name)
        set_case_attributes(conn, name, {k: v for k, v in values.items() if k not in kept})
        out.merged.extend(
            f"case '{name}': attribute {k}: kept '{kept[k]}', not '{v}'"
            for k, v in values.items()
            if k in kept and kept[k] != v
        )
    for p in placed:
        if p.doc is None:
            assert p.existing_id is not None
            p.doc_id = p.existing_id
            _merge_attributes(conn, p, out)
            continue
        outcome = store_document(conn, p.doc, case=p.src.case)
        row = conn.execute(select(s.documents.c.id).where(s.documents.c.name == p.doc.name)).one()
        p.doc_id = row[0]
        conn.execute(
            update(s.documents).where(s.documents.c.id == p.doc_id).values(guid=p.src.guid)
        )
        set_document_attributes(conn, p.doc.name, p.src.values)
        out.lines.append(f"{outcome.name}\t{outcome.kind}\t{outcome.segments} segments")


def _merge_attributes(conn: Connection, p: Placed, out: Outcome) -> None:
    current = {
        r.key: r.value
        for r in conn.execute(
            select(s.document_attributes).where(s.document_attributes.c.document_id == p.doc_id)
        )
    }
    for key, value in p.src.values.items():
        if key not in current:
            conn.execute(
                insert(s.document_attributes).values(document_id=p.doc_id, key=key, value=value)
            )
        elif current[key] != value:
            out.merged.append(
                f"source '{p.src.name}': attribute {key}: kept '{current[key]}', not '{value}'"
            )


def _merge_meta(conn: Connection, key: str, data: dict[str, Any]) -> None:
    raw = get_meta(conn, key)
    try:
        current = json.loads(raw) if raw else {}
    except ValueError:
        current = {}
    if not isinstance(current, dict):
        current = {}
    for k, v in data.items():
        current.setdefault(k, v)
    if current:
        set_meta(conn, key, json.dumps(current, ensure_ascii=False, sort_keys=True))


def _write_meta(conn: Connection, rp: RProject) -> None:
    users: dict[str, str] = {}
    for guid, name in rp.users.items():
        users.setdefault(name, guid)
    _merge_meta(conn, META_USERS, users)
    sets = {
        info.name: {k: v for k, v in (("guid", info.guid), ("description", info.description)) if v}
        for info in rp.sets
        if info.members or info.sources
    }
    _merge_meta(conn, META_SETS, sets)
    if rp.codebook is not None and get_meta(conn, "codebook_title") is None:
        set_meta(conn, "codebook_title", rp.codebook.codebook)
        if rp.codebook.version is not None:
            set_meta(conn, "codebook_version", str(rp.codebook.version))


def unreadable_lines(
    path: Path,
    lost: list[tuple[str, int, str]],
    skip: bool,
    unplaceable: dict[str, int] | None = None,
) -> list[str]:
    """A source that carries codings and cannot be read, and codings that cannot become a
    span of text, refuse the whole import (one line each); with `skip` the import goes on
    and says what was dropped."""
    coded = [(name, n, why) for name, n, why in lost if n]
    unplaceable = unplaceable or {}
    if (coded or unplaceable) and not skip:
        lines = [
            f"{path}: source '{name}' cannot be read ({why}) and carries {n} codings"
            for name, n, why in coded
        ] + [f"{path}: {n} codings {why} cannot be placed" for why, n in unplaceable.items()]
        lines[-1] += "; nothing imported (add --skip-unreadable to import the rest)"
        raise WorkbenchError(lines[0], lines)
    out = [
        f"dropped source '{name}' ({why}) with its {n} codings"
        if n
        else f"skipped source '{name}' ({why}; it had no codings)"
        for name, n, why in lost
    ]
    return out + [f"dropped {n} codings {why}" for why, n in unplaceable.items()]


def import_qdpx_into(
    conn: Connection, path: Path, allow_merge: bool, skip_unreadable: bool = False
) -> list[str]:
    """Import a .qdpx inside the caller's transaction; one line per document, then a summary,
    what merged, and warnings about what was skipped."""
    from workbench.config import load_config

    path = Path(path)
    max_bytes = load_config().max_import_bytes
    rp = read_qdpx(path, max_bytes)
    occupied = sum(_count(conn, t) for t in (s.documents, s.codes, s.memos))
    if occupied and not allow_merge:
        raise WorkbenchError(
            f"{path}: this project already holds documents, codes or memos; import the .qdpx "
            "into a new project, or add --merge to merge it into this one"
        )
    out = Outcome(warnings=list(rp.warnings))
    placed = _place_sources(conn, rp, path, max_bytes, out)
    dropped = unreadable_lines(path, [*rp.unreadable, *out.lost], skip_unreadable, rp.unplaceable)
    memo_plan: MemoPlan = plan_memos(rp, placed, out.warnings)
    # --- everything is parsed and checked: write --------------------------------------------
    codes, added_codes = place_codes(conn, rp.codebook, out.merged)
    _write_documents(conn, placed, out, rp.case_values)
    writer = _CodingWriter(conn, rp, codes, out)
    for p in placed:
        writer.source(p)
    if writer.lost and not skip_unreadable:
        lines = [f"{path}: {n} codings {why}" for why, n in writer.lost.items()]
        lines[-1] += "; nothing imported (add --skip-unreadable to import the rest)"
        raise WorkbenchError(lines[0], lines)  # the caller's transaction rolls back
    dropped += [f"dropped {n} codings that {why}" for why, n in writer.lost.items()]
    n_memos = write_memos(conn, memo_plan, rp, placed, codes, out.merged)
    _write_meta(conn, rp)
    new_docs = sum(1 for p in placed if p.doc is not None)
    out.lines.append(
        f"{path.name}: {new_docs} documents, {added_codes} codes, {writer.added} codings, "
        f"{n_memos + writer.inline_memos} memos imported"
    )
    doc_sets = [info.name for info in rp.sets if info.sources]
    if doc_sets:
        out.lines.append(
            f"{len(doc_sets)} document sets kept as the attribute 'set': "
            + ", ".join(f"'{n}'" for n in doc_sets)
        )
    if writer.present:
        out.merged.append(f"{writer.present} codings were already in the project; kept once")
    out.warnings.extend(f"skipped {n} {why}" for why, n in writer.skipped.items())
    return [
        *out.lines,
        *(f"merged: {m}" for m in out.merged),
        *(f"warning: {w}" for w in dropped),
        *(f"warning: {w}" for w in out.warnings),
    ]
