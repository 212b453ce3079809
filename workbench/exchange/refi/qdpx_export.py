"""`workbench export qdpx`: the whole project as a REFI-QDA `.qdpx` (valid against Project.xsd).

The archive holds `project.qde`, each document's text as `sources/GUID.txt` (UTF-8, exactly the
stored text, so selection offsets are the store's character offsets) and
`workbench/extras.json` (extras.py). Stored GUIDs are reused; elements the store has no GUID
for get stable derived ones (guids.py). See docs/refi-qda.md.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from workbench.codebook.model import Codebook
from workbench.codebook.refi.guids import derived_guid, user_guid
from workbench.codebook.refi.qdc import (
    SET_ATTRIBUTE,
    SET_SEPARATOR,
    add_code_nodes,
    add_sets_node,
    origin_label,
)
from workbench.codebook.refi.xmlio import Node, Writer
from workbench.exchange.refi.dates import canonical_datetime
from workbench.exchange.refi.extras import MEMBER as EXTRAS_MEMBER
from workbench.exchange.refi.extras import DocExtras, Extras, dump_extras, text_hash
from workbench.fsutil import atomic_write_bytes
from workbench.ingest.model import ParsedSegment
from workbench.services.cases import case_of, list_cases
from workbench.services.codes import CodeTree, get_meta
from workbench.services.coding import CodingRow, list_codings
from workbench.services.documents import all_attributes
from workbench.store import schema as s
from workbench.store.db import Project

PROJECT_NS = "urn:QDA-XML:project:1.0"
META_USERS = "refi.users"  # JSON {coder name: user GUID} remembered from imported files
META_SETS = "refi.sets"  # JSON {set name: {"guid", "description"}}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same project gives the same bytes


@dataclass
class NoteOut:
    guid: str
    author: str
    created: str
    text: str


@dataclass
class Collected:
    docs: list[Any]
    segments: dict[int, list[Any]]
    seg_attrs: dict[int, dict[str, str]]
    attrs: dict[int, dict[str, str]]  # without `set`: that is written as REFI Sets
    doc_sets: dict[int, list[str]]  # a document's sets, from its attribute `set`
    cases: dict[str, dict[str, str]]  # every case with stored attributes (waiting ones too)
    codebook: Codebook | None
    tree: CodeTree
    codings: list[CodingRow]
    memos: list[Any]
    meta: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _meta_json(conn: Connection, key: str) -> dict[str, Any]:
    raw = get_meta(conn, key)
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def collect(conn: Connection) -> Collected:
    from workbench.services.codebook_sync import export_codebook

    docs = list(conn.execute(select(s.documents).order_by(s.documents.c.name)))
    segments: dict[int, list[Any]] = defaultdict(list)
    for r in conn.execute(select(s.segments).order_by(s.segments.c.document_id, s.segments.c.idx)):
        segments[r.document_id].append(r)
    seg_attrs: dict[int, dict[str, str]] = defaultdict(dict)
    for r in conn.execute(select(s.segment_attributes)):
        seg_attrs[r.segment_id][r.key] = r.value
    tree = CodeTree.load(conn)
    attrs = all_attributes(conn)
    doc_sets = {
        doc_id: [n for n in (p.strip() for p in value.split(SET_SEPARATOR.strip())) if n]
        for doc_id, a in attrs.items()
        if (value := a.pop(SET_ATTRIBUTE, None)) is not None
    }
    return Collected(
        docs=docs,
        segments=segments,
        seg_attrs=seg_attrs,
        attrs=attrs,
        doc_sets=doc_sets,
        cases={c.name: c.attributes for c in list_cases(conn)},
        codebook=export_codebook(conn) if tree.codes else None,
        tree=tree,
        codings=list_codings(conn),
        memos=list(conn.execute(select(s.memos).order_by(s.memos.c.id))),
        meta={
            "users": _meta_json(conn, META_USERS),
            "sets": _meta_json(conn, META_SETS),
            "title": get_meta(conn, "codebook_title"),
            "version": get_meta(conn, "codebook_version"),
        },
    )


def _shared(attribute_sets: Iterable[dict[str, str]]) -> dict[str, str]:
    """The attributes (key and value) that every one of the sets holds."""
    shared: dict[str, str] | None = None
    for attrs in attribute_sets:
        shared = (
            dict(attrs)
            if shared is None
            else {k: v for k, v in shared.items() if attrs.get(k) == v}
        )
    return shared or {}


class _Builder:
    """Turns collected rows into the project.qde tree, the source files and the extras."""

    def __init__(self, c: Collected, name: str) -> None:
        self.c = c
        self.name = name
        self.users: dict[str, str] = {}
        self.notes: list[NoteOut] = []
        self.refs: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, key) -> notes
        self.source_values: dict[int, dict[str, str]] = {}  # a document's own attributes
        self.extras = Extras(title=c.meta["title"], version=c.meta["version"])
        self.doc_guid = {d.id: d.guid for d in c.docs}
        self.seg_by_id = {r.id: r for rows in c.segments.values() for r in rows}
        self.selection_spans: dict[str, set[tuple[int, int]]] = defaultdict(set)
        self.codings_by_doc: dict[int, list[CodingRow]] = defaultdict(list)
        for coding in c.codings:
            self.codings_by_doc[coding.document_id].append(coding)

    def user(self, name: str) -> str:
        if name not in self.users:
            known = self.c.meta["users"].get(name)
            self.users[name] = known if isinstance(known, str) else user_guid(name)
        return self.users[name]

    def when(self, value: str | None) -> str | None:
        out = canonical_datetime(value)
        if value and out is None:
            self.c.warnings.append(f"timestamp {value!r} is not ISO 8601; left out")
        return out

    def _note(self, guid: str, author: str, created: str, text: str, target: tuple[str, str]):  # type: ignore[no-untyped-def]
        self.notes.append(NoteOut(guid, author, created, text))
        self.refs[target].append(guid)

    def memos(self) -> None:
        for coding in self.c.codings:
            if coding.memo:
                guid = derived_guid("coding-memo", coding.guid)
                self._note(guid, coding.coder, coding.created, coding.memo, ("coding", coding.guid))
        codings = {str(c.id): c for c in self.c.codings}
        for m in self.c.memos:
            target = self._memo_target(m, codings)
            if target is None:
                self.c.warnings.append(
                    f"memo {m.guid}: its {m.target_type} {m.target_id} is gone; "
                    "exported as a project note"
                )
                target = ("project", "")
            self._note(m.guid, m.author, m.created, m.text, target)

    def _memo_target(self, m: Any, codings: dict[str, CodingRow]) -> tuple[str, str] | None:
        if m.target_type == "project":
            return ("project", "")
        if m.target_type == "document":
            guid = self.doc_guid.get(int(m.target_id)) if m.target_id.isdigit() else None
            return ("source", guid) if guid else None
        if m.target_type == "code":
            code = self.c.tree.codes.get(m.target_id)
            return ("code", code.guid) if code else None
        if m.target_type == "coding":
            coding = codings.get(m.target_id)
            return ("coding", coding.guid) if coding else None
        if m.target_type == "segment" and m.target_id.isdigit():
            seg = self.seg_by_id.get(int(m.target_id))
            if seg is None:
                return None
            doc = self.doc_guid[seg.document_id]
            self.selection_spans[doc].add((seg.start, seg.end))
            self.extras.segment_memos[m.guid] = (doc, seg.idx)
            return ("selection", derived_guid("selection", doc, str(seg.start), str(seg.end)))
        return None

    def project(self) -> Node:
        c = self.c
        root = Node("Project", {"xmlns": PROJECT_NS, "name": self.name, "origin": origin_label()})
        users = root.add("Users")
        if c.codebook is not None:
            add_code_nodes(
                root.add("CodeBook").add("Codes"),
                c.codebook.codes,
                note_refs=lambda guid: self.refs.get(("code", guid), []),
            )
        self._variables_and_cases(root)
        if c.docs:
            sources = root.add("Sources")
            for doc in c.docs:
                self._source(sources, doc)
        if self.notes:
            notes = root.add("Notes")
            for n in self.notes:
                note = notes.add(
                    "Note",
                    {
                        "guid": n.guid,
                        "name": _snippet(n.text),
                        "creatingUser": self.user(n.author),
                        "creationDateTime": self.when(n.created),
                    },
                )
                note.add("PlainTextContent", text=n.text)
        doc_sets: dict[str, list[str]] = defaultdict(list)
        for doc in c.docs:
            for name in c.doc_sets.get(doc.id, []):
                doc_sets[name].append(doc.guid)
        codes = c.codebook.codes if c.codebook is not None else []
        add_sets_node(root, codes, "targetGUID", known=c.meta["sets"], sources=doc_sets)
        for guid in self.refs.get(("project", ""), []):
            root.add("NoteRef", {"targetGUID": guid})
        for name, guid in sorted(self.users.items()):
            users.add("User", {"guid": guid, "name": name})
        if not users.children:
            root.children.remove(users)
        return root

    def _variables_and_cases(self, root: Node) -> None:
        """One REFI Case per case (a participant, a site): its variables and a SourceRef to
        each of its documents. A case's variables are its stored attributes (the
        participants sheet), else the attributes all its documents share; a document's own
        differing attributes go on its TextSource. Cases still waiting for their documents
        are written too, with no SourceRef, so nothing of the sheet is lost. The attribute
        `set` of a case with documents goes out as those documents' Sets instead."""
        c = self.c
        groups: dict[str, list[Any]] = defaultdict(list)
        for doc in c.docs:
            groups[case_of(doc.name, doc.case_name)].append(doc)
        case_values: dict[str, dict[str, str]] = {}
        for name in sorted(set(groups) | set(c.cases)):
            docs = groups.get(name, [])
            values = c.cases.get(name) or _shared(c.attrs.get(d.id, {}) for d in docs)
            if docs:
                values = {k: v for k, v in values.items() if k != SET_ATTRIBUTE}
            for doc in docs:
                own = c.attrs.get(doc.id, {})
                self.source_values[doc.id] = {k: v for k, v in own.items() if values.get(k) != v}
            case_values[name] = values
        keys = sorted(
            {k for a in self.source_values.values() for k in a}
            | {k for a in case_values.values() for k in a}
        )
        if keys:
            variables = root.add("Variables")
            for key in keys:
                variables.add(
                    "Variable",
                    {"guid": derived_guid("variable", key), "name": key, "typeOfVariable": "Text"},
                )
        if not case_values:
            return
        cases = root.add("Cases")
        for name, values in case_values.items():
            case = cases.add("Case", {"guid": derived_guid("case", name), "name": name})
            self._values(case, values)
            for doc in groups.get(name, []):
                case.add("SourceRef", {"targetGUID": doc.guid})

    @staticmethod
    def _values(el: Node, values: dict[str, str]) -> None:
        for key, value in sorted(values.items()):
            vv = el.add("VariableValue")
            vv.add("VariableRef", {"targetGUID": derived_guid("variable", key)})
            vv.add("TextValue", text=value)

    def _source(self, sources: Node, doc: Any) -> None:
        el = sources.add(
            "TextSource",
            {
                "guid": doc.guid,
                "name": doc.name,
                "plainTextPath": f"internal://{doc.guid}.txt",
                "creationDateTime": self.when(doc.imported_at),
            },
        )
        by_span: dict[tuple[int, int], list[CodingRow]] = defaultdict(list)
        for coding in self.codings_by_doc.get(doc.id, []):
            by_span[(coding.start, coding.end)].append(coding)
        spans = sorted(set(by_span) | self.selection_spans.get(doc.guid, set()))
        for start, end in spans:
            self._selection(el, doc, start, end, by_span.get((start, end), []))
        for guid in self.refs.get(("source", doc.guid), []):
            el.add("NoteRef", {"targetGUID": guid})
        self._values(el, self.source_values.get(doc.id, {}))
        self._doc_extras(doc)

    def _selection(
        self, el: Node, doc: Any, start: int, end: int, codings: list[CodingRow]
    ) -> None:
        guid = derived_guid("selection", doc.guid, str(start), str(end))
        first = min(codings, key=lambda c: (c.created, c.id)) if codings else None
        sel = el.add(
            "PlainTextSelection",
            {
                "guid": guid,
                "name": _snippet(doc.text[start:end]),
                "startPosition": str(start),
                "endPosition": str(end),
                "creatingUser": self.user(first.coder) if first else None,
                "creationDateTime": self.when(first.created) if first else None,
            },
        )
        for coding in sorted(codings, key=lambda c: (c.created, c.id)):
            cel = sel.add(
                "Coding",
                {
                    "guid": coding.guid,
                    "creatingUser": self.user(coding.coder),
                    "creationDateTime": self.when(coding.created),
                },
            )
            cel.add("CodeRef", {"targetGUID": self.c.tree.codes[coding.code_id].guid})
            for note in self.refs.get(("coding", coding.guid), []):
                cel.add("NoteRef", {"targetGUID": note})
            self.extras.coding_origin[coding.guid] = coding.origin
        for note in self.refs.get(("selection", guid), []):
            sel.add("NoteRef", {"targetGUID": note})

    def _doc_extras(self, doc: Any) -> None:
        rows = self.c.segments.get(doc.id, [])
        index = {r.id: i for i, r in enumerate(rows)}
        segs = [
            ParsedSegment(
                r.start,
                r.end,
                r.level,
                speaker=r.speaker,
                timestamp=r.timestamp,
                parent=index.get(r.parent_id) if r.parent_id is not None else None,
                attributes=dict(self.c.seg_attrs.get(r.id, {})),
            )
            for r in rows
        ]
        self.extras.documents[doc.guid] = DocExtras(
            text_hash(doc.text), doc.kind, doc.source_name, segs, doc.sha256
        )


def _snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def build_archive(c: Collected, name: str) -> tuple[bytes, dict[str, int]]:
    """The .qdpx bytes and counts of what went in."""
    b = _Builder(c, name)
    b.memos()
    root = b.project()
    writer = Writer()
    qde = writer.document(root)
    if writer.replaced:
        c.warnings.append(
            f"{writer.replaced} characters that XML cannot hold were replaced by U+FFFD "
            "in names, descriptions or memos"
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _add(zf, "project.qde", qde)
        for doc in c.docs:
            _add(zf, f"sources/{doc.guid}.txt", doc.text.encode("utf-8"))
        _add(zf, EXTRAS_MEMBER, dump_extras(b.extras))
    counts = {
        "documents": len(c.docs),
        "codes": len(c.tree.codes),
        "codings": len(c.codings),
        "memos": len(b.notes),
        "users": len(b.users),
    }
    return buf.getvalue(), counts


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def export_qdpx(
    project: Project, path: str | os.PathLike[str], *, pseudonymise: bool = False
) -> list[str]:
    """Write the project as a .qdpx; returns a summary line and any warnings. With
    `pseudonymise`, accepted identifiers are replaced in sources, names and memos."""
    with project.read() as conn:
        collected = collect(conn)
        if pseudonymise:
            from workbench.pseudonyms import apply, require_replacer

            collected = apply.collected(collected, require_replacer(conn))
    title = collected.meta["title"] or project.path.stem
    data, n = build_archive(collected, title)
    atomic_write_bytes(path, data, project=project.path, what="a .qdpx archive")
    summary = (
        f"wrote {path}: {n['documents']} documents, {n['codes']} codes, {n['codings']} codings, "
        f"{n['memos']} memos, {n['users']} users"
    )
    return [summary, *(f"warning: {w}" for w in collected.warnings)]
