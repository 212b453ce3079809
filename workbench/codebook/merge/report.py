"""The Markdown merge report: every decision with its evidence, every conflict."""

from __future__ import annotations

from collections import Counter

from workbench.codebook.markdown import md_escape
from workbench.codebook.merge.types import CodeRef, Conflict, Decision, MergeResult

CONFLICT_TITLES = {
    "clash": "Name clash",
    "split": "Possible split",
    "parent": "Different parents",
    "duplicate": "Possible duplicate",
    "alias": "Ambiguous alias",
    "possible": "Possible match",
}
RULES = (
    "Codes are matched by id (same explicit id, REFI-QDA GUID or source code), then normalised "
    "name, then alias, then fuzzy name, then meaning (a meaning score over the threshold, or "
    "with the model a stand-out match: two codes that are each other's clear best match); "
    "each code merges with at most one code of each other book.",
    "A merged code keeps the name, definition and place of its code from the earliest book "
    "(the first book's placement wins); the other names become aliases and every source code "
    "is listed under `merged_from`.",
    "Children of merged codes merge recursively; codes found in one book only keep their "
    "place under their (merged) parent.",
    "Same name but clearly different definitions: never merged; both kept and renamed "
    "with their book's name, and flagged.",
    "Several codes of a later book that all match one code: kept as its sub-codes, flagged. "
    "One later code matching several earlier codes: kept separate, flagged.",
)


def _score(value: float | None) -> str:
    return "" if value is None else f" ({value:.2f})"


def _ref(ref: CodeRef) -> str:
    definition = (
        md_escape(" ".join(ref.definition.split())) if ref.definition else "*(no definition)*"
    )
    return f"- **{md_escape(ref.book)}** · {md_escape(ref.path)} (id {md_escape(ref.id)}): " + (
        definition
    )


def _header(result: MergeResult) -> list[str]:
    opt = result.options
    books = "; ".join(
        f"{i}. {md_escape(label)} ({result.counts.get(label, 0)} codes)"
        for i, label in enumerate(result.books, 1)
    )
    lines = [
        "# Codebook merge report",
        "",
        f"- **Books:** {books}",
        f"- **Result:** {result.counts.get('merged', 0)} codes",
        f"- **Meaning matching:** {md_escape(result.meaning)}",
        f"- **Thresholds:** fuzzy name ratio >= {opt.fuzzy_threshold:.0f}; meaning score >= "
        f"{opt.meaning_threshold:.2f}; name clash when definitions' similarity < "
        f"{opt.clash_threshold:.2f} (model) or < {opt.lexical_clash_threshold:.2f} (shared "
        f"words); split margin {opt.split_margin:.2f}, split evidence from a meaning score of "
        f"{opt.split_threshold:.2f}; stand-out match (model) from a stand-out score of "
        f"{opt.standout_threshold:.2f} ahead of every other code by {opt.standout_margin:.2f}",
    ]
    if result.plan_file:
        lines.append(f"- **Plan:** decisions applied from {md_escape(result.plan_file)}")
    lines += ["", "Rules:", "", *(f"{i}. {r}" for i, r in enumerate(RULES, 1)), ""]
    return lines


def _summary(result: MergeResult) -> list[str]:
    merges = Counter(d.kind for d in result.decisions if d.action == "merge")
    others = Counter((d.kind, d.action) for d in result.decisions if d.action != "merge")
    lines = ["## Summary", ""]
    if merges:
        detail = ", ".join(f"{n} by {kind}" for kind, n in sorted(merges.items()))
        lines.append(f"- {sum(merges.values())} merges ({detail})")
    for (kind, action), n in sorted(others.items()):
        lines.append(f"- {n} × {kind}: {action}")
    lines.append(f"- {len(result.conflicts)} conflicts for a human")
    return [*lines, ""]


def _conflicts(conflicts: list[Conflict]) -> list[str]:
    lines = [f"## Conflicts for a human ({len(conflicts)})", ""]
    if not conflicts:
        return [*lines, "None.", ""]
    for i, c in enumerate(conflicts, 1):
        title = CONFLICT_TITLES.get(c.kind, c.kind)
        lines += [f"### C{i}. {title}", "", md_escape(c.message), ""]
        lines += [_ref(r) for r in c.codes]
        lines.append("")
    return lines


def _decisions(decisions: list[Decision]) -> list[str]:
    lines = [f"## Decisions ({len(decisions)})", ""]
    for i, d in enumerate(decisions, 1):
        lines += [f"### D{i}. {d.action} — {d.kind}{_score(d.score)}", ""]
        if d.result:
            lines.append(f"- **Result:** {'; '.join(md_escape(p) for p in d.result)}")
        lines.append(f"- **Rule:** {md_escape(d.rule)}")
        lines += [_ref(r) for r in d.codes]
        lines.append("")
    return lines


def render_report(result: MergeResult) -> str:
    """Markdown: header (books, thresholds, rules), summary, conflicts, then every decision."""
    lines = [
        *_header(result),
        *_summary(result),
        *_conflicts(result.conflicts),
        *_decisions(result.decisions),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
