"""Timestamps: ISO 8601, UTC, second precision, as stored and exported."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
