"""Reading a `.qdpx` into plain data (no database): users, codebook, variables and cases,
text sources with their selections and codings, notes, and the Workbench extras.

Tolerant of what real tools write (any namespace, GUIDs in braces or upper case, inline
`PlainTextContent`, PDF sources with a text `Representation`, missing optional parts); what
cannot be represented is skipped and described in `warnings`. Unsafe or damaged input raises
WorkbenchError before anything is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from workbench.codebook.model import Codebook
from workbench.codebook.refi.guids import derived_guid, foreign_ids_warning, read_guid
from workbench.codebook.refi.qdc import (
    SET_ATTRIBUTE,
    SET_SEPARATOR,
    SetInfo,
    codebook_from_codes_el,
    read_sets,
)
from workbench.codebook.refi.xmlio import attr, kid, kid_text, kids, local, parse_xml
from workbench.errors import WorkbenchError
from workbench.exchange.refi.extras import MEMBER as EXTRAS_MEMBER
from workbench.exchange.refi.extras import Extras, parse_extras
from workbench.exchange.refi.media import (
    MEDIA_SOURCES,
    area_selections,
    codings_in,
    integer,
    stray_codings,
    sync_points,
    transcript_span,
)
from workbench.safezip import SafeZip, open_archive

MAX_QDE_BYTES = (
    64 * 1024 * 1024
)  # project.qde: XML of all codings (parsing takes ~10x this in memory)
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue")


@dataclass
class RCoding:
    guid: str | None
    code: str | None
    user: str | None
    created: str | None
    notes: list[str] = field(default_factory=list)


@dataclass
class RSelection:
    guid: str | None
    start: int
    end: int
    user: str | None
    created: str | None
    codings: list[RCoding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RSource:
    guid: str
    name: str
    text: str
    created: str | None
    selections: list[RSelection] = field(default_factory=list)
    whole: list[RCoding] = field(default_factory=list)  # codings of the whole source
    notes: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    case: str | None = None  # the Case it belongs to, when that is not the source itself
    sync: list[tuple[int, int]] = field(default_factory=list)  # transcript (position, ms)


@dataclass
class RNote:
    guid: str
    text: str
    user: str | None
    created: str | None


@dataclass
class RProject:
    name: str
    users: dict[str, str] = field(default_factory=dict)
    default_user: str | None = None
    codebook: Codebook | None = None
    code_notes: dict[str, list[str]] = field(default_factory=dict)
    sets: list[SetInfo] = field(default_factory=list)
    sources: list[RSource] = field(default_factory=list)
    notes: dict[str, RNote] = field(default_factory=dict)
    project_notes: list[str] = field(default_factory=list)
    description: str | None = None
    extras: Extras = field(default_factory=Extras)
    warnings: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, int, str]] = field(default_factory=list)  # name, codings, why
    unplaceable: dict[str, int] = field(default_factory=dict)  # codings with no text span
    # Cases whose variables are kept as case attributes: those grouping sources under a
    # name of their own, and those with no source yet (CONTRACT §8).
    case_values: dict[str, dict[str, str]] = field(default_factory=dict)

    def user_name(self, guid: str | None) -> str | None:
        """A user's name (else `user-` and the GUID's first 8 digits); None for no user."""
        if guid is None:
            return None
        return self.users.get(guid) or f"user-{guid[:8]}"


def _note_refs(el: Element) -> list[str]:
    return [g for r in kids(el, "NoteRef") if (g := read_guid(attr(r, "targetGUID")))]


class _Reader:
    def __init__(self, archive: SafeZip, max_text: int) -> None:
        self.zip = archive
        self.max_text = max_text
        self.warnings: list[str] = []
        self.skipped: Counter[str] = Counter()
        self.variables: dict[str, str] = {}  # variable GUID -> name
        # Sources that could not be read: (name, codings they carry, why).
        self.unreadable: list[tuple[str, int, str]] = []
        self.unplaceable: Counter[str] = Counter()  # codings that cannot become a span: why

    def member_text(self, path: str, what: str, guid: str | None = None) -> str | None:
        """The UTF-8 text a source's path names; None (with a warning) if unusable.

        Exporters write the path many ways: `internal://NAME` (the spec), a bare `NAME`,
        `sources/NAME`, back-slashed Windows paths, absolute paths or `file://` URLs of the
        exporter's own disk. Whatever the spelling, only a member of the archive is read: the
        one at that path, else the member of `sources/` with the same file name, else the one
        named after the source's GUID (case-insensitive)."""
        name = self._resolve(path, guid)
        if name is None:
            self.warnings.append(f"{what}: '{path}' is missing from the archive")
            return None
        raw = self.zip.read(name, self.max_text)
        try:
            return raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            self.warnings.append(f"{what}: '{name}' is not UTF-8 text; skipped")
            return None

    def _resolve(self, path: str, guid: str | None) -> str | None:
        from urllib.parse import unquote

        rest = path.strip()
        for scheme in ("internal://", "relative:///", "relative://", "file:///", "file://"):
            if rest.casefold().startswith(scheme):
                rest = rest[len(scheme) :]
                break
        rest = unquote(rest).replace("\\", "/")
        base = rest.rsplit("/", 1)[-1]
        tries = [f"sources/{rest}", rest] if "/" not in rest else [rest.lstrip("/")]
        tries += [f"sources/{base}", base]
        for candidate in tries:
            found = self.zip.find(candidate)
            if found is not None:
                return found
        if guid:
            folded = guid.casefold()
            for n in self.zip.names():
                leaf = n.rsplit("/", 1)[-1]
                stem = leaf.rsplit(".", 1)[0].strip("{}").casefold()
                if stem == folded and leaf.casefold().endswith(".txt"):
                    return n
        return None

    def text_of(self, el: Element, what: str, guid: str | None = None) -> str | None:
        inline = kid_text(el, "PlainTextContent")
        if inline is not None:
            return inline
        path = attr(el, "plainTextPath")
        if path:
            return self.member_text(path, what, guid)
        return None

    def coding(self, el: Element) -> RCoding:
        ref = kid(el, "CodeRef")
        return RCoding(
            guid=read_guid(attr(el, "guid")),
            code=read_guid(attr(ref, "targetGUID")) if ref is not None else None,
            user=read_guid(attr(el, "creatingUser")),
            created=attr(el, "creationDateTime"),
            notes=_note_refs(el),
        )

    def text_source(self, el: Element, outer: Element, kind: str) -> RSource | None:
        """A TextSource, the text Representation of a PDF source or the Transcript of an
        audio or video source (`outer` gives identity)."""
        guid = read_guid(attr(outer, "guid"))
        name = " ".join((attr(outer, "name") or "").split()) or f"source-{(guid or 'x')[:8]}"
        what = f"{kind} '{name}'"
        if guid is None:
            self.warnings.append(f"{what}: no GUID; given one")
            guid = derived_guid("source-without-guid", name)
        text = self.text_of(el, what, guid)
        if text is None:
            rich = attr(outer, "richTextPath") or attr(outer, "path") or ""
            reason = f"no readable plain text{f' (only {rich})' if rich else ''}"
            self.unreadable.append((name, codings_in(outer), reason))
            return None
        src = RSource(guid, name, text, attr(outer, "creationDateTime"))
        src.description = kid_text(outer, "Description") or None
        positions, src.sync = sync_points(el)
        for sel in el:
            tag = local(sel.tag)
            if tag == "PlainTextSelection":
                span = integer(attr(sel, "startPosition")), integer(attr(sel, "endPosition"))
            elif tag == "TranscriptSelection":
                span = transcript_span(sel, positions) or (None, None)
            else:
                continue
            start, end = span
            if start is None or end is None:
                n = sum(1 for _ in kids(sel, "Coding"))
                if n:
                    self.unplaceable[f"on selections without character positions in '{name}'"] += n
                else:
                    self.skipped["selections without character positions"] += 1
                continue
            src.selections.append(
                RSelection(
                    read_guid(attr(sel, "guid")),
                    start,
                    end,
                    read_guid(attr(sel, "creatingUser")),
                    attr(sel, "creationDateTime"),
                    [self.coding(c) for c in kids(sel, "Coding")],
                    _note_refs(sel),
                )
            )
        for holder in {id(el): el, id(outer): outer}.values():
            src.whole.extend(self.coding(c) for c in kids(holder, "Coding"))
            src.notes.extend(_note_refs(holder))
            for vv in kids(holder, "VariableValue"):
                self.variable_value(vv, src.values)
        for area, (n, coded) in area_selections(outer).items():
            if coded:
                self.unplaceable[f"on {area} in '{name}'"] += coded
            else:
                self.warnings.append(f"{what}: {n} selections of {area} skipped (no codings)")
        return src

    def media_source(self, child: Element, tag: str) -> RSource | None:
        """An audio or video source through its (first) transcript; a picture, or media with
        no transcript, is skipped, or refused when it carries codings."""
        kind = {"AudioSource": "audio source", "VideoSource": "video source"}.get(tag)
        transcripts = list(kids(child, "Transcript"))
        name = attr(child, "name") or "?"
        if kind is None or not transcripts:
            n = codings_in(child)
            if n:
                self.unreadable.append((name, n, "only the text of a source is imported"))
            else:
                self.skipped[f"{tag}s with no transcript (only text is imported)"] += 1
            return None
        for extra in transcripts[1:]:
            n = codings_in(extra)
            if n:
                self.unreadable.append((f"{name}: a second transcript", n, "one per source"))
            else:
                self.skipped["second transcripts of a source"] += 1
        return self.text_source(transcripts[0], child, kind)

    def variable_value(self, vv: Element, into: dict[str, str]) -> None:
        ref = kid(vv, "VariableRef")
        var = read_guid(attr(ref, "targetGUID")) if ref is not None else None
        value = next(
            (c.text or "" for c in vv if local(c.tag) in (*_VALUE_TAGS, "DateTimeValue")), ""
        ).strip()
        key = self.variables.get(var or "")
        if key is None:
            self.skipped["variable values naming an unknown variable"] += 1
        elif value:
            into.setdefault(key, value)

    def sources(self, root: Element) -> list[RSource]:
        out: list[RSource] = []
        el = kid(root, "Sources")
        for child in el if el is not None else []:
            tag = local(child.tag)
            src: RSource | None = None
            if tag == "TextSource":
                src = self.text_source(child, child, "source")
            elif tag == "PDFSource":
                rep = kid(child, "Representation")
                if rep is None:
                    self.unreadable.append(
                        (attr(child, "name") or "?", codings_in(child), "no text representation")
                    )
                else:
                    src = self.text_source(rep, child, "PDF source")
            elif tag in MEDIA_SOURCES:
                src = self.media_source(child, tag)
            if src is not None:
                out.append(src)
        return out

    def notes(self, root: Element) -> dict[str, RNote]:
        out: dict[str, RNote] = {}
        el = kid(root, "Notes")
        for note in kids(el, "Note") if el is not None else []:
            guid = read_guid(attr(note, "guid"))
            if guid is None or guid in out:
                self.skipped["notes with a missing or repeated GUID"] += 1
                continue
            text = self.text_of(note, f"note '{attr(note, 'name') or guid}'")
            if text is None or not text.strip():
                self.skipped["empty notes"] += 1
                continue
            user = read_guid(attr(note, "creatingUser"))
            out[guid] = RNote(guid, text, user, attr(note, "creationDateTime"))
        return out


def _users(root: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    el = kid(root, "Users")
    for user in kids(el, "User") if el is not None else []:
        guid = read_guid(attr(user, "guid"))
        if guid is None:
            continue
        name = " ".join((attr(user, "name") or attr(user, "id") or "").split())
        out[guid] = name or f"user-{guid[:8]}"
    return out


def _variables(root: Element) -> dict[str, str]:
    el = kid(root, "Variables")
    out: dict[str, str] = {}
    for var in kids(el, "Variable") if el is not None else []:
        guid, name = read_guid(attr(var, "guid")), (attr(var, "name") or "").strip()
        if guid and name:
            out[guid] = name
    return out


def _code_notes(codes_el: Element | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if codes_el is None:
        return out
    for code in codes_el.iter():
        if local(code.tag) == "Code":
            guid = read_guid(attr(code, "guid"))
            if guid and (refs := _note_refs(code)):
                out.setdefault(guid, []).extend(refs)
    return out


def _cases(reader: _Reader, rp: RProject, root: Element) -> None:
    """Case variables become attributes of the sources each case refers to. A case named
    otherwise than its one source (a participant with two interviews, say) is kept as the
    documents' case; a case with no source is kept waiting for its documents."""
    by_guid = {s.guid: s for s in rp.sources}
    el = kid(root, "Cases")
    for case in kids(el, "Case") if el is not None else []:
        values: dict[str, str] = {}
        for vv in kids(case, "VariableValue"):
            reader.variable_value(vv, values)
        refs = [read_guid(attr(r, "targetGUID")) for r in kids(case, "SourceRef")]
        name = (attr(case, "name") or "").strip()
        sources = [src for g in refs if (src := by_guid.get(g or "")) is not None]
        if not sources:
            if values and name:
                rp.case_values[name] = values
            elif values:
                reader.warnings.append(
                    "a case with no name refers to no whole source; its variables were not kept"
                )
            continue
        if name and any(src.name != name for src in sources):
            rp.case_values.setdefault(name, {}).update(values)
        for src in sources:
            if name and src.name != name and src.case is None:
                src.case = name
            elif name and src.case is not None and src.case != name:
                reader.warnings.append(
                    f"source '{src.name}' is in case '{src.case}' and case '{name}'; it "
                    f"belongs to '{src.case}' (a document belongs to one case)"
                )
            for key, value in values.items():
                if src.values.setdefault(key, value) != value:
                    reader.warnings.append(
                        f"source '{src.name}': two values for '{key}'; kept '{src.values[key]}'"
                    )


def _document_sets(reader: _Reader, rp: RProject, root: Element) -> None:
    """A document set (MAXQDA's document groups and sets, NVivo's and ATLAS.ti's sets of
    sources) becomes the attribute `set` of its documents: the set's name, or the names of
    all its sets in set order, separated by `; `. A source's own variable `set` wins."""
    names: dict[str, list[str]] = {}
    for info in rp.sets:
        for guid in info.sources:
            names.setdefault(guid, []).append(info.name)
    if not names:
        return
    by_guid = {s.guid: s for s in rp.sources}
    known = set(by_guid) | {
        g for el in root.iter() if (g := read_guid(attr(el, "guid"))) is not None
    }
    for guid, sets in names.items():
        src = by_guid.get(guid)
        if src is None:
            if guid not in known:
                reader.warnings.append(
                    f"set '{sets[0]}': a member names no source ({guid}); skipped"
                )
            continue
        value = SET_SEPARATOR.join(sets)
        if src.values.setdefault(SET_ATTRIBUTE, value) != value:
            reader.warnings.append(
                f"source '{src.name}': its variable '{SET_ATTRIBUTE}' is "
                f"'{src.values[SET_ATTRIBUTE]}', its sets are '{value}'; kept the variable"
            )


def _skipped_parts(reader: _Reader, root: Element) -> None:
    for part, what in (("Links", "Link"), ("Graphs", "Graph")):
        el = kid(root, part)
        n = sum(1 for _ in kids(el, what)) if el is not None else 0
        if n:
            reader.skipped[f"{part.lower()} (not supported)"] += n


def read_qdpx(path: Path, max_text: int) -> RProject:
    """Open, check and read a .qdpx completely (nothing is written)."""
    archive = open_archive(path)
    try:
        qde = [n for n in archive.names() if "/" not in n and n.lower().endswith(".qde")]
        if len(qde) != 1:
            found = "no project.qde" if not qde else f"{len(qde)} .qde files"
            raise WorkbenchError(f"{path}: not a REFI-QDA project: {found} at the top level")
        doc = parse_xml(archive.read(qde[0], MAX_QDE_BYTES), f"{path}:{qde[0]}", "Project")
        root = doc.root
        reader = _Reader(archive, max_text)
        if foreign := foreign_ids_warning(root):
            reader.warnings.append(foreign)
        rp = RProject(name=(attr(root, "name") or "").strip() or path.stem)
        rp.users = _users(root)
        rp.default_user = read_guid(attr(root, "creatingUserGUID"))
        reader.variables = _variables(root)
        extras_name = archive.find(EXTRAS_MEMBER)
        if extras_name:
            rp.extras, more = parse_extras(archive.read(extras_name, MAX_QDE_BYTES))
            reader.warnings.extend(more)
        rp.sets = read_sets(kid(root, "Sets"), "targetGUID", reader.warnings, with_sources=True)
        book = kid(root, "CodeBook")
        codes_el = kid(book, "Codes") if book is not None else None
        rp.codebook = codebook_from_codes_el(
            codes_el,
            rp.sets,
            rp.extras.title or rp.name,
            rp.extras.version,
            reader.warnings,
            str(path),
        )
        rp.code_notes = _code_notes(codes_el)
        rp.sources = reader.sources(root)
        _cases(reader, rp, root)
        _document_sets(reader, rp, root)
        rp.notes = reader.notes(root)
        rp.project_notes = _note_refs(root)
        rp.description = kid_text(root, "Description") or None
        _skipped_parts(reader, root)
        if stray := stray_codings(root):
            reader.unplaceable["outside every source (naming none, not REFI-QDA)"] += stray
    finally:
        archive.close()
    rp.unreadable = reader.unreadable
    rp.unplaceable = dict(reader.unplaceable)
    rp.warnings = reader.warnings + [f"skipped {n} {what}" for what, n in reader.skipped.items()]
    return rp
