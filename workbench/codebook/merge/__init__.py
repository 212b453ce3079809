"""Merging codebooks: match, place, report, plan (docs/merging.md)."""

from __future__ import annotations

from workbench.codebook.merge.engine import merge_codebooks
from workbench.codebook.merge.plan import PlanInvalid, apply_entries, apply_plan, write_plan
from workbench.codebook.merge.report import render_report
from workbench.codebook.merge.text import hashed_bow_embed
from workbench.codebook.merge.types import (
    CodeRef,
    Conflict,
    Decision,
    MergeOptions,
    MergeResult,
    PlanEntry,
)

__all__ = [
    "CodeRef",
    "Conflict",
    "Decision",
    "MergeOptions",
    "MergeResult",
    "PlanEntry",
    "PlanInvalid",
    "apply_entries",
    "apply_plan",
    "hashed_bow_embed",
    "merge_codebooks",
    "render_report",
    "write_plan",
]
