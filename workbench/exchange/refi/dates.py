"""Timestamps between the store (ISO 8601 text) and REFI-QDA (`xsd:dateTime`).

One canonical form both ways: parse, treat a time without a zone as UTC, keep the zone
otherwise, write `datetime.isoformat()` (`2024-03-01T09:30:00+00:00`; `Z` becomes `+00:00`).
The store's own timestamps are already canonical, so they round-trip unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime


def canonical_datetime(value: str | None) -> str | None:
    """The canonical form of an ISO 8601 / xsd:dateTime value, or None if it is not one."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if "T" not in text and " " not in text:
        return None  # a bare date is not a dateTime
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat()
