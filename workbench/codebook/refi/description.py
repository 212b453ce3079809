"""The layout of a code's REFI `Description`: the definition, then Workbench's extra fields.

REFI-QDA gives a code one free-text description. Workbench codes also have include/exclude
notes, examples, aliases, an explicit id and merge provenance. They are written after the
definition, below a marker line, one `Label: value` line each:

    Support initiated by the practice with no person-to-person contact.

    --- Workbench fields ---
    Id: passive-facilitation
    Include: Text messages, leaflets, website banners.
    Exclude: Answering a patient's own question.
    Example: We text everyone on repeat medication.
    Alias: passive support
    Merged from: {"codebook": "coder-a.yaml", "id": "passive"}

A value that spans several lines continues on lines indented by two spaces. A description
without the marker (from another tool) is just the definition. A description whose part after
the marker does not parse completely is kept whole as the definition, so nothing is lost.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

MARKER = "--- Workbench fields ---"
_MARKER_LINE = re.compile(r"(?m)^" + re.escape(MARKER) + r"(\r?)$")
_SINGLE = ("Id", "Include", "Exclude")
_REPEATED = ("Example", "Alias", "Merged from")
_LABEL = re.compile(r"^(Id|Include|Exclude|Example|Alias|Merged from): (.*)$", re.S)
_CONTINUATION = "  "


@dataclass
class CodeFields:
    """What a code's REFI description carries."""

    description: str | None = None
    id: str | None = None
    include: str | None = None
    exclude: str | None = None
    examples: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    merged_from: list[dict[str, str]] = field(default_factory=list)


def _field_lines(label: str, value: str) -> list[str]:
    first, *rest = value.split("\n")
    return [f"{label}: {first}", *(_CONTINUATION + line for line in rest)]


def compose_description(f: CodeFields) -> str | None:
    """The REFI description for a code (None when there is nothing to say)."""
    lines: list[str] = []
    for label, value in (("Id", f.id), ("Include", f.include), ("Exclude", f.exclude)):
        if value:
            lines.extend(_field_lines(label, value))
    for example in f.examples:
        lines.extend(_field_lines("Example", example))
    for alias in f.aliases:
        lines.extend(_field_lines("Alias", alias))
    for origin in f.merged_from:
        lines.append("Merged from: " + json.dumps(origin, ensure_ascii=False, sort_keys=True))
    desc = f.description or None
    # A definition that itself holds the marker line always gets a block, so that reading
    # back splits at the last marker, which is ours.
    if not lines and not (desc and _MARKER_LINE.search(desc)):
        return desc
    block = "\n".join([MARKER, *lines])
    return f"{desc}\n\n{block}" if desc else block


def _parse_block(lines: list[str]) -> CodeFields | None:
    """The fields below the marker, or None if any line is not in the layout."""
    out = CodeFields()
    entries: list[list[str]] = []  # [label, value] in order
    for line in lines:
        if line.startswith(_CONTINUATION) and entries:
            entries[-1][1] += "\n" + line[len(_CONTINUATION) :]
            continue
        m = _LABEL.match(line)
        if m is None:
            return None
        entries.append([m.group(1), m.group(2)])
    seen: set[str] = set()
    for label, value in entries:
        if label in _SINGLE:
            if label in seen:
                return None
            seen.add(label)
            setattr(out, label.lower(), value)
        elif label == "Example":
            out.examples.append(value)
        elif label == "Alias":
            out.aliases.append(value)
        else:
            origin = _merged_origin(value)
            if origin is None:
                return None
            out.merged_from.append(origin)
    return out


def _merged_origin(value: str) -> dict[str, str] | None:
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return None
    if "codebook" not in data or "id" not in data or set(data) - {"codebook", "id", "path"}:
        return None
    return data


def parse_description(text: str | None) -> CodeFields:
    """Split a REFI description into the definition and Workbench's fields."""
    if text is None or not text.strip():
        return CodeFields()
    matches = list(_MARKER_LINE.finditer(text))
    if not matches:
        return CodeFields(description=text)
    m = matches[-1]
    crlf = m.group(1) == "\r"
    rest = text[m.end() :]
    rest = rest.removeprefix("\n")
    lines = rest.split("\n") if rest else []
    if crlf:
        lines = [line.removesuffix("\r") for line in lines]
    if lines and lines[-1] == "":
        lines.pop()  # a trailing newline added by another tool
    fields = _parse_block(lines)
    if fields is None:
        return CodeFields(description=text)
    before = text[: m.start()]
    sep = "\r\n\r\n" if crlf else "\n\n"
    before = before[: -len(sep)] if before.endswith(sep) else before.rstrip("\r\n")
    fields.description = before or None
    return fields
