"""REFI-QDA GUIDs: normalising what files hold, deriving stable GUIDs for what has none stored.

Stored and exported GUIDs are lowercase 8-4-4-4-12 hex without braces. GUIDs read from files
are normalised the same way (`{ABC...}` -> `abc...`). Elements that have no GUID of their own in
the store (users, variables, cases, sets, selections, a coding's inline memo) get a name-based
UUID (uuid5) in Workbench's namespace, so the same thing gets the same GUID on every export.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

# Workbench's own namespace for name-based GUIDs. Never change it: exported GUIDs depend on it.
WORKBENCH_NS = uuid.UUID("eeacbd1c-7c47-4c1f-991b-ca1f5dfbb6f4")

_GUID_RE = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)


def normalise_guid(value: str | None) -> str | None:
    """`{1FF58B12-...}` -> `1ff58b12-...`; None for a missing or malformed GUID."""
    if value is None:
        return None
    m = _GUID_RE.match(value.strip())
    if m is None or (value.strip().startswith("{") != value.strip().endswith("}")):
        return None
    return m.group(1).lower()


def read_guid(value: str | None) -> str | None:
    """A GUID as a file gives it: normalised; an identifier that is not a GUID (some exporters
    write their own database ids, `code-12`, `source-r1`) becomes a GUID derived from it, the
    same one for every reference to it, so codings still find their code and source. None
    only when there is no identifier at all."""
    if value is None or not value.strip():
        return None
    return normalise_guid(value) or derived_guid("foreign-id", value.strip())


def foreign_ids_warning(root: Any) -> str | None:
    """One line for a file whose elements carry identifiers that are not GUIDs."""
    seen = [
        raw.strip()
        for el in root.iter()
        if (raw := el.get("guid")) is not None and raw.strip() and normalise_guid(raw) is None
    ]
    if not seen:
        return None
    return (
        f"{len(seen)} identifiers are not GUIDs (first: '{seen[0]}'); each was given a GUID "
        "derived from it, so references to it still hold"
    )


def derived_guid(kind: str, *parts: str) -> str:
    """A stable GUID for `kind` (user, variable, case, set, selection, memo) and its key."""
    return str(uuid.uuid5(WORKBENCH_NS, "\x1f".join((kind, *parts))))


def user_guid(coder: str) -> str:
    """The GUID of a coder that no imported file named: uuid5 of the coder's name."""
    return derived_guid("user", coder)
