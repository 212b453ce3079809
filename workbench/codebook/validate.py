"""Codebook validation with lines: pydantic errors mapped back to YAML nodes, plus the checks
that span several codes (duplicate sibling names, duplicate ids)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from workbench.codebook.model import (
    CODE_KEYS,
    CODEBOOK_KEYS,
    MAX_CODE_DEPTH,
    MERGED_FROM_KEYS,
    Codebook,
    default_id,
    depth_text,
    normalise_name,
)
from workbench.codebook.yamlnodes import LinedYaml, Loc, type_name

Describe = Callable[[Loc], tuple[str, Loc]]
Allowed = Callable[[Loc], Sequence[str]]

_CODE_LISTS = ("codes", "children")
_TOP_HINTS = {
    "missing 'codebook'": "missing 'codebook' (the codebook's title)",
    "missing 'codes'": "missing 'codes' (the list of codes)",
    "'codes' is empty: give at least one entry": "'codes' is empty: a codebook needs at least "
    "one code",
}


def field_text(floc: Loc) -> str:
    return " ".join(f"item {p + 1}" if isinstance(p, int) else f"'{p}'" for p in floc)


def _join(subject: str, message: str) -> str:
    return f"{subject}: {message}" if subject else message


def error_message(err: Any, subject: str, floc: Loc, allowed: Sequence[str]) -> str:
    """One pydantic error as a sentence a researcher can act on."""
    kind = err["type"]
    where = field_text(floc)
    head = field_text(floc[:-1])
    last = floc[-1] if floc else ""
    if kind == "missing":
        return _join(subject, f"{head + ': ' if head else ''}missing '{last}'")
    if kind == "extra_forbidden":
        prefix = f"{head}: " if head else ""
        return _join(subject, f"{prefix}unknown key '{last}' (allowed: {', '.join(allowed)})")
    if kind == "string_type":
        return _join(subject, f"{where} must be text, not {type_name(err['input'])}")
    if kind == "list_type":
        return _join(subject, f"{where} must be a list, not {type_name(err['input'])}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        target = where or "this entry"
        return _join(
            subject, f"{target} must be a mapping (key: value lines), not {type_name(err['input'])}"
        )
    if kind in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        return _join(subject, f"{where} must be {expected}, not {err['input']!r}")
    if kind == "too_short":
        return _join(subject, f"{where} is empty: give at least one entry")
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        return _join(subject, f"{head + ': ' if head else ''}{msg}")
    return _join(subject, f"{where}: {err['msg']}" if where else str(err["msg"]))


def pydantic_problems(
    exc: ValidationError, doc: LinedYaml, describe: Describe, allowed: Allowed
) -> list[tuple[int, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        subject, floc = describe(loc)
        container = loc[:-1] if err["type"] == "extra_forbidden" else loc
        msg = error_message(err, subject, floc, allowed(container))
        out.append((doc.line_of(loc), msg))
    return out


def validate_model(
    model: type[BaseModel], doc: LinedYaml, describe: Describe, allowed: Allowed
) -> tuple[Any, list[tuple[int, str]]]:
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, doc, describe, allowed)


# --- codebook-specific -------------------------------------------------------------------


def _code_label(item: Any, index: int, parent: str | None) -> str:
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
        return f"code '{item['name'].strip()}'"
    return f"code #{index + 1} under '{parent}'" if parent else f"code #{index + 1} in 'codes'"


def describe_codebook_loc(data: Any) -> Describe:
    """loc -> (the code it is in, e.g. "code 'Passive'", and the rest of the loc)."""

    def describe(loc: Loc) -> tuple[str, Loc]:
        subject, rest_start = "", 0
        node: Any = data
        parent: str | None = None
        i = 0
        while i < len(loc):
            key = loc[i]
            if (
                key in _CODE_LISTS
                and i + 1 < len(loc)
                and isinstance(loc[i + 1], int)
                and isinstance(node, dict)
                and isinstance(node.get(key), list)
                and (i == 0 or key == "children")
            ):
                index = int(loc[i + 1])
                items = node[key]
                item = items[index] if index < len(items) else None
                subject = _code_label(item, index, parent)
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    parent = item["name"].strip()
                node, rest_start, i = item, i + 2, i + 2
                continue
            node = node.get(key) if isinstance(node, dict) else None
            i += 1
        return subject, loc[rest_start:]

    return describe


def allowed_codebook_keys(loc: Loc) -> Sequence[str]:
    if not loc:
        return CODEBOOK_KEYS
    if len(loc) >= 2 and loc[-2] == "merged_from":
        return MERGED_FROM_KEYS
    return CODE_KEYS


def cross_check_codes(doc: LinedYaml) -> list[tuple[int, str]]:
    """Duplicate sibling names and duplicate ids; tolerant of malformed parts."""
    out: list[tuple[int, str]] = []
    ids: dict[str, tuple[int, str, bool]] = {}  # id -> (line, path, explicit)

    def walk(items: Any, loc: Loc, parent_path: list[str] | None) -> None:
        if not isinstance(items, list):
            return
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = item.get("name")
            path = None
            if isinstance(name, str) and name.strip() and parent_path is not None:
                name = name.strip()
                path = [*parent_path, name]
                key = normalise_name(name)
                name_line = doc.line_of((*loc, i, "name"))
                if key in seen:
                    under = f"under '{parent_path[-1]}'" if parent_path else "at the top level"
                    out.append(
                        (
                            name_line,
                            f"duplicate name '{name}' among the codes {under} "
                            f"(first at line {seen[key]}; sibling names must "
                            "differ, ignoring case and spacing)",
                        )
                    )
                else:
                    seen[key] = name_line
                    _check_id(item, path, (*loc, i))
            walk(item.get("children"), (*loc, i, "children"), path)

    def _check_id(item: dict[str, Any], path: list[str], loc: Loc) -> None:
        explicit = isinstance(item.get("id"), str) and bool(item["id"].strip())
        cid = item["id"] if explicit else default_id(path)
        line = doc.line_of((*loc, "id")) if explicit else doc.line_of(loc)
        shown = " > ".join(path)
        if cid not in ids:
            ids[cid] = (line, shown, explicit)
            return
        first_line, first_path, first_explicit = ids[cid]
        if explicit and first_explicit:
            out.append(
                (
                    line,
                    f"duplicate id '{cid}' (first used at line {first_line}, code '{first_path}')",
                )
            )
        else:
            how = "its explicit id" if explicit else "its default id (slug of its path)"
            out.append(
                (
                    line,
                    f"code '{shown}': {how} '{cid}' is also the id of code "
                    f"'{first_path}' (line {first_line}); give one of them an "
                    "explicit 'id'",
                )
            )

    if isinstance(doc.data, dict):
        walk(doc.data.get("codes"), ("codes",), [])
    return out


def too_deep(doc: LinedYaml) -> list[tuple[int, str]]:
    """The first code (in file order) nested deeper than MAX_CODE_DEPTH, as a problem."""
    codes = doc.data.get("codes") if isinstance(doc.data, dict) else None
    stack: list[tuple[Any, Loc, int]] = [(codes, ("codes",), 1)]
    found: list[int] = []
    while stack:
        items, loc, level = stack.pop()
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if level > MAX_CODE_DEPTH:
                found.append(doc.line_of((*loc, i)))
                break
            if isinstance(item, dict):
                stack.append((item.get("children"), (*loc, i, "children"), level + 1))
    return [(min(found), depth_text())] if found else []


def validate_codebook_doc(doc: LinedYaml) -> tuple[Codebook | None, list[tuple[int, str]]]:
    """Validate parsed YAML as a codebook; returns (model or None, [(line, message)])."""
    if not isinstance(doc.data, dict):
        return None, [
            (
                doc.line_of(()),
                "a codebook must be a mapping with 'codebook' (title) "
                f"and 'codes', not {type_name(doc.data)}",
            )
        ]
    deep = too_deep(doc)
    if deep:  # the only problem reported: the rest of such a file is not worth reading
        return None, deep
    describe = describe_codebook_loc(doc.data)
    cb, problems = validate_model(Codebook, doc, describe, allowed_codebook_keys)
    problems = [(line, _TOP_HINTS.get(msg, msg)) for line, msg in problems]
    problems.extend(cross_check_codes(doc))
    return (cb if not problems else None), problems
