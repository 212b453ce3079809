"""The replacer on each way out: excerpt rows, REFI-QDA collections, search hits. Stored
text is never touched: these functions copy what they are given."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePath
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from workbench.pseudonyms.replace import OffsetMap, Replacer
from workbench.store import schema as s

if TYPE_CHECKING:
    from workbench.exchange.refi.qdpx_export import Collected
    from workbench.services.excerpts import Excerpt


def _opt(rep: Replacer, value: str | None) -> str | None:
    return None if value is None else rep(value)


def excerpts(conn: Connection, rows: list[Excerpt], rep: Replacer) -> list[Excerpt]:
    """Excerpt rows with identifiers replaced in document, speaker, text, memo and
    attribute values. The text is cut from the pseudonymised document, so an identifier
    the coding's span cuts in half is replaced whole."""
    maps: dict[int, tuple[str, OffsetMap]] = {}
    ids = sorted({r.document_id for r in rows})
    for doc_id, text in conn.execute(
        select(s.documents.c.id, s.documents.c.text).where(s.documents.c.id.in_(ids))
    ):
        maps[doc_id] = rep.map_text(text)
    out = []
    for r in rows:
        new, m = maps[r.document_id]
        out.append(
            replace(
                r,
                document=rep(r.document),
                speaker=_opt(rep, r.speaker),
                text=new[m.start(r.start) : m.end(r.end)],
                memo=_opt(rep, r.memo),
                attributes={k: rep(v) for k, v in r.attributes.items()},
            )
        )
    return out


def _row(row: Any, **changes: Any) -> SimpleNamespace:
    data = dict(row._asdict()) if hasattr(row, "_asdict") else dict(vars(row))
    data.update(changes)
    return SimpleNamespace(**data)


def collected(c: Collected, rep: Replacer) -> Collected:
    """A REFI-QDA collection with pseudonymised sources, names, speakers, attributes and
    memos; selection and segment offsets moved to the new texts."""
    maps: dict[int, OffsetMap] = {}
    docs = []
    for d in c.docs:
        text, m = rep.map_text(d.text)
        maps[d.id] = m
        docs.append(
            _row(
                d,
                text=text,
                name=rep(d.name),
                source_name=rep(d.name) + PurePath(d.source_name).suffix,
                case_name=_opt(rep, getattr(d, "case_name", None)),
            )
        )
    segments = {
        doc_id: [
            _row(
                r,
                start=maps[doc_id].start(r.start),
                end=maps[doc_id].end(r.end),
                speaker=_opt(rep, r.speaker),
            )
            for r in rows
        ]
        for doc_id, rows in c.segments.items()
    }
    codings = [
        replace(
            k,
            start=maps[k.document_id].start(k.start),
            end=maps[k.document_id].end(k.end),
            memo=_opt(rep, k.memo),
        )
        for k in c.codings
    ]
    extra: dict[str, Any] = {}
    if hasattr(c, "cases"):  # cases with stored attributes, by case name
        extra["cases"] = {
            rep(name): {k: rep(v) for k, v in values.items()} for name, values in c.cases.items()
        }
    return replace(
        c,
        **extra,
        docs=docs,
        segments=segments,
        seg_attrs={i: {k: rep(v) for k, v in a.items()} for i, a in c.seg_attrs.items()},
        attrs={i: {k: rep(v) for k, v in a.items()} for i, a in c.attrs.items()},
        codings=codings,
        memos=[_row(m, text=rep(m.text)) for m in c.memos],
        meta={**c.meta, "users": dict(c.meta.get("users", {}))},
    )
