"""REFI-QDA codebooks (`.qdc`): read into a Codebook model, write from one.

Mapping (docs/refi-qda.md): `Code` guid/name/color/Description <-> code guid/name/color and the
description layout of description.py (definition, include, exclude, examples, aliases, explicit
id, merge provenance); nesting <-> hierarchy; `Set`s <-> the codes' `groups` (set names). The
codebook's title and version ride in a `<?workbench-codebook {...}?>` processing instruction,
which other tools ignore. The same Code/Set builders serve the `.qdpx` export and import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from workbench.codebook.model import (
    COLOR_RE,
    MAX_CODE_DEPTH,
    Code,
    Codebook,
    check_depth,
    code_depth,
    default_id,
    depth_text,
    normalise_name,
)
from workbench.codebook.refi.description import (
    CodeFields,
    compose_description,
    parse_description,
)
from workbench.codebook.refi.guids import (
    derived_guid,
    foreign_ids_warning,
    normalise_guid,
    read_guid,
)
from workbench.codebook.refi.xmlio import Node, Writer, attr, kid, kid_text, kids, parse_xml
from workbench.errors import WorkbenchError
from workbench.inputcheck import require_regular_file

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PI_TARGET = "workbench-codebook"
MAX_QDC_BYTES = 50 * 1024 * 1024


def origin_label() -> str:
    from workbench import __version__

    return f"Workbench {__version__}"


# --- writing -------------------------------------------------------------------------------


def code_guid(code: Code, path: list[str]) -> str:
    """The code's stored GUID, else a stable one derived from its id."""
    return normalise_guid(code.guid) or derived_guid("code", code.id or default_id(path))


def set_guid(name: str, known: dict[str, str] | None = None) -> str:
    """A set's GUID: the one a file gave it (kept in the project), else derived from its name."""
    return (known or {}).get(name) or derived_guid("set", name)


def code_description(code: Code, path: list[str]) -> str | None:
    explicit = code.id if code.id and code.id != default_id(path) else None
    return compose_description(
        CodeFields(
            description=code.description,
            id=explicit,
            include=code.include,
            exclude=code.exclude,
            examples=list(code.examples),
            aliases=list(code.aliases),
            merged_from=[m.model_dump(exclude_none=True) for m in code.merged_from],
        )
    )


NoteRefs = Callable[[str], list[str]]


def add_code_nodes(
    parent: Node, codes: list[Code], note_refs: NoteRefs | None = None
) -> dict[str, str]:
    """Append `Code` elements (tree) under `parent`; returns {code guid: code id or path}."""
    if code_depth(codes) > MAX_CODE_DEPTH:
        raise WorkbenchError(f"cannot write the codebook: {depth_text()}")
    guids: dict[str, str] = {}

    def visit(node: Node, items: list[Code], parent_path: list[str]) -> None:
        for code in items:
            path = [*parent_path, code.name]
            guid = code_guid(code, path)
            if guid in guids:  # a duplicate GUID in a hand-made codebook: keep both codes
                guid = derived_guid("code", code.id or default_id(path))
            guids[guid] = code.id or default_id(path)
            el = node.add(
                "Code",
                {"guid": guid, "name": code.name, "isCodable": "true", "color": code.color},
            )
            desc = code_description(code, path)
            if desc is not None:
                el.add("Description", text=desc)
            for note in note_refs(guid) if note_refs else []:
                el.add("NoteRef", {"targetGUID": note})
            visit(el, code.children, path)

    visit(parent, codes, [])
    return guids


SET_ATTRIBUTE = "set"  # the document attribute that holds a project's document sets
SET_SEPARATOR = "; "  # between the names when a document is in several sets


def add_sets_node(
    parent: Node,
    codes: list[Code],
    member_attr: str,
    known: dict[str, dict[str, str]] | None = None,
    sources: dict[str, list[str]] | None = None,
) -> None:
    """A `Sets` element with one `Set` per group name: code members in codebook order, then
    (in a project) the sources of each document set."""
    members: dict[str, list[str]] = {}

    def visit(items: list[Code], parent_path: list[str]) -> None:
        for code in items:
            path = [*parent_path, code.name]
            for group in code.groups:
                members.setdefault(group, []).append(code_guid(code, path))
            visit(code.children, path)

    visit(codes, [])
    sources = sources or {}
    names = [*members, *(n for n in sources if n not in members)]
    if not names:
        return
    sets = parent.add("Sets")
    known = known or {}
    for name in names:
        info = known.get(name, {})
        el = sets.add("Set", {"guid": info.get("guid") or set_guid(name), "name": name})
        if info.get("description"):
            el.add("Description", text=info["description"])
        for guid in members.get(name, []):
            el.add("MemberCode", {member_attr: guid})
        for guid in sources.get(name, []):
            el.add("MemberSource", {"targetGUID": guid})


def qdc_bytes(cb: Codebook) -> bytes:
    """The codebook as a `.qdc` document (valid against Codebook.xsd)."""
    check_depth(cb)
    root = Node("CodeBook", {"xmlns": CODEBOOK_NS, "origin": origin_label()})
    add_code_nodes(root.add("Codes"), cb.codes)
    add_sets_node(root, cb.codes, "guid")
    meta: dict[str, Any] = {"codebook": cb.codebook}
    if cb.version is not None:
        meta["version"] = cb.version
    pi = json.dumps(meta, ensure_ascii=False).replace(">", "\\u003e")
    return Writer().document(root, [(PI_TARGET, pi)])


# --- reading -------------------------------------------------------------------------------


@dataclass
class SetInfo:
    name: str
    guid: str | None
    description: str | None
    members: list[str] = field(default_factory=list)  # code GUIDs
    sources: list[str] = field(default_factory=list)  # source GUIDs (a project's sets)


def read_sets(
    sets_el: Element | None, member_attr: str, warnings: list[str], with_sources: bool = False
) -> list[SetInfo]:
    """Code sets, and with `with_sources` (a project) the sources of document sets; members
    that cannot be represented (notes; sources in a codebook) are reported."""
    out: list[SetInfo] = []
    if sets_el is None:
        return out
    for el in kids(sets_el, "Set"):
        name = " ".join((attr(el, "name") or "").split())
        if not name:
            warnings.append("skipped a set with no name")
            continue
        info = SetInfo(name, read_guid(attr(el, "guid")), kid_text(el, "Description") or None)
        for member in kids(el, "MemberCode"):
            guid = read_guid(attr(member, member_attr) or attr(member, "guid"))
            if guid:
                info.members.append(guid)
        if with_sources:
            for member in kids(el, "MemberSource"):
                guid = read_guid(attr(member, "targetGUID") or attr(member, "guid"))
                if guid and guid not in info.sources:
                    info.sources.append(guid)
        skipped = ("MemberNote",) if with_sources else ("MemberSource", "MemberNote")
        others = sum(1 for c in el if c.tag.rsplit("}", 1)[-1] in skipped)
        if others:
            what, why = (
                ("note", "notes cannot be set members here")
                if with_sources
                else ("source/note", "a codebook keeps only code sets, as code groups")
            )
            warnings.append(f"set '{name}': {others} {what} members skipped ({why})")
        out.append(info)
    return out


def memberships(sets: list[SetInfo]) -> dict[str, list[str]]:
    """{code guid: [set names]} in set order, no repeats."""
    out: dict[str, list[str]] = {}
    for info in sets:
        for guid in info.members:
            names = out.setdefault(guid, [])
            if info.name not in names:
                names.append(info.name)
    return out


def _clean_name(raw: str | None, warnings: list[str]) -> str:
    name = " ".join((raw or "").split())
    if raw is not None and name != raw.strip():
        warnings.append(f"code '{name}': line breaks in the name replaced by spaces")
    return name or "(unnamed code)"


def _code_dict(
    el: Element, parent_path: list[str], groups: dict[str, list[str]], ctx: _ReadCtx
) -> dict[str, Any]:
    name = _clean_name(attr(el, "name"), ctx.warnings)
    path = [*parent_path, name]
    shown = " > ".join(path)
    raw_guid = attr(el, "guid")
    guid = read_guid(raw_guid)
    if guid is None:
        ctx.warnings.append(f"code '{shown}': no GUID; a new one")
    elif guid in ctx.guids:
        ctx.warnings.append(f"code '{shown}': GUID {guid} used twice; this one gets a new GUID")
        guid = None
    if guid:
        ctx.guids.add(guid)
    fields = parse_description(kid_text(el, "Description"))
    item: dict[str, Any] = {"name": name}
    if fields.id and fields.id == fields.id.strip() and "\n" not in fields.id:
        item["id"] = fields.id
    for key in ("description", "include", "exclude"):
        if getattr(fields, key):
            item[key] = getattr(fields, key)
    for key in ("examples", "aliases", "merged_from"):
        if getattr(fields, key):
            item[key] = list(getattr(fields, key))
    color = (attr(el, "color") or "").strip()
    if color and COLOR_RE.match(color):
        item["color"] = color
    elif color:
        ctx.warnings.append(f"code '{shown}': colour {color!r} is not #RGB or #RRGGBB; dropped")
    if guid:
        item["guid"] = guid
        if guid in groups:
            item["groups"] = list(groups[guid])
    item["children"] = _code_dicts(el, path, groups, ctx)
    return item


@dataclass
class _ReadCtx:
    warnings: list[str]
    guids: set[str] = field(default_factory=set)


def _code_dicts(
    parent: Element, parent_path: list[str], groups: dict[str, list[str]], ctx: _ReadCtx
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for el in kids(parent, "Code"):
        item = _code_dict(el, parent_path, groups, ctx)
        base, n = item["name"], 1
        while normalise_name(item["name"]) in names:
            n += 1
            item["name"] = f"{base} ({n})"
        if n > 1:
            where = " > ".join(parent_path) or "the top level"
            ctx.warnings.append(
                f"two codes named '{base}' under {where}: the second is now '{item['name']}'"
            )
        names.add(normalise_name(item["name"]))
        out.append(item)
    return out


def _unique_ids(items: list[dict[str, Any]], warnings: list[str]) -> None:
    """Give a code an explicit id where its id would clash with an earlier code's."""
    used: set[str] = set()

    def visit(level: list[dict[str, Any]], parent_path: list[str]) -> None:
        for item in level:
            path = [*parent_path, item["name"]]
            cid = item.get("id") or default_id(path)
            if cid in used:
                n = 2
                while f"{cid}-{n}" in used:
                    n += 1
                warnings.append(f"code '{' > '.join(path)}': id '{cid}' taken; using '{cid}-{n}'")
                cid = f"{cid}-{n}"
                item["id"] = cid
            used.add(cid)
            visit(item["children"], path)

    visit(items, [])


def _element_depth(codes_el: Element) -> int:
    """How deep `Code` elements nest under `codes_el` (no recursion: files may be hostile)."""
    deepest = 0
    stack = [(el, 1) for el in kids(codes_el, "Code")]
    while stack:
        el, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_CODE_DEPTH:
            stack.extend((child, level + 1) for child in kids(el, "Code"))
    return deepest


def codebook_from_codes_el(
    codes_el: Element | None,
    sets: list[SetInfo],
    title: str,
    version: int | str | None,
    warnings: list[str],
    label: str,
) -> Codebook | None:
    """A Codebook from a `Codes` element (None when it holds no codes)."""
    if codes_el is None or kid(codes_el, "Code") is None:
        return None
    if _element_depth(codes_el) > MAX_CODE_DEPTH:
        raise WorkbenchError(f"{label}: {depth_text()}")
    items = _code_dicts(codes_el, [], memberships(sets), _ReadCtx(warnings))
    _unique_ids(items, warnings)
    data: dict[str, Any] = {"codebook": title, "codes": items}
    if version is not None:
        data["version"] = version
    try:
        return Codebook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WorkbenchError(f"{label}: cannot use the codebook ({where}: {first['msg']})") from exc


def _title_from_pis(pis: list[tuple[str, str]]) -> tuple[str | None, int | str | None]:
    for target, data in pis:
        if target != PI_TARGET:
            continue
        try:
            meta = json.loads(data)
        except ValueError:
            return None, None
        if isinstance(meta, dict) and isinstance(meta.get("codebook"), str):
            version = meta.get("version")
            ok = isinstance(version, int | str) and not isinstance(version, bool)
            return meta["codebook"].strip() or None, version if ok else None
    return None, None


def parse_qdc(data: bytes, label: str, fallback_title: str) -> tuple[Codebook, list[str]]:
    """A `.qdc` document's codebook and what could not be carried over."""
    doc = parse_xml(data, label, "CodeBook")
    warnings: list[str] = [w] if (w := foreign_ids_warning(doc.root)) else []
    sets = read_sets(kid(doc.root, "Sets"), "guid", warnings)
    title, version = _title_from_pis(doc.pis)
    cb = codebook_from_codes_el(
        kid(doc.root, "Codes"), sets, title or fallback_title, version, warnings, label
    )
    if cb is None:
        raise WorkbenchError(f"{label}: the codebook has no codes")
    for info in sets:
        if not info.members:
            warnings.append(f"set '{info.name}' has no codes; not kept")
    return cb, warnings


def read_qdc_report(path: Path) -> tuple[Codebook, list[str]]:
    """Read a `.qdc` file: (codebook, warnings about what was adjusted or skipped)."""
    path = Path(path)
    try:
        size = require_regular_file(path, "codebook")
        if size > MAX_QDC_BYTES:
            raise WorkbenchError(f"{path}: {size:,} bytes is too large for a codebook")
        data = path.read_bytes()
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    return parse_qdc(data, str(path), path.stem)


def read_qdc(path: Path) -> Codebook:
    """A REFI-QDA codebook file as a Codebook (see read_qdc_report for the warnings)."""
    return read_qdc_report(path)[0]
