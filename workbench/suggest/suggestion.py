"""The Suggestion record: one proposed code for one segment (shared by the CLI and the TUI)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    segment_id: int
    document: str
    start: int
    end: int
    code_id: str
    score: float
    reason: str
