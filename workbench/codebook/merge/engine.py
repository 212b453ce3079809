"""merge_codebooks: fold each book into the merged tree of the books before it."""

from __future__ import annotations

from workbench.codebook.merge.build import Built, build
from workbench.codebook.merge.index import SourceIndex
from workbench.codebook.merge.match import EntryBook, Round
from workbench.codebook.merge.possible import possible_matches
from workbench.codebook.merge.splits import split_earlier, split_later
from workbench.codebook.merge.text import Embed, VectorCache, hashed_bow_embed
from workbench.codebook.merge.types import (
    Conflict,
    Decision,
    MergeOptions,
    MergeResult,
    PlanCode,
    PlanEntry,
    SourceKey,
)
from workbench.codebook.model import PATH_SEP, Codebook
from workbench.errors import WorkbenchError


def check_books(books: list[tuple[str, Codebook]]) -> None:
    if len(books) < 2:
        raise WorkbenchError("a merge needs at least two codebooks")
    labels = [label for label, _ in books]
    if len(set(labels)) != len(labels):
        raise WorkbenchError(f"two codebooks share a label: {', '.join(labels)}")


def _record(rnd: Round, plan: EntryBook, skip: set[SourceKey]) -> None:
    """Turn the round's accepted matches and clashes into plan entries."""
    for b in sorted(rnd.partner, key=lambda k: rnd.ix[k].sort_key):
        cand = rnd.partner[b]
        plan.join(cand.g, b, cand, rnd.label)
        rnd.decisions.append(
            rnd.ix.decision(cand.kind, "merge", [cand.g.rep, b], cand.rule, cand.score)
        )
    for b, g, sim in rnd.clash_pairs:
        g_name = f"{g.name} ({rnd.ix.short_label(g.rep)})"
        b_code = PlanCode(b, f"{rnd.ix[b].code.name} ({rnd.ix.short_label(b)})")
        entry = plan.entry_of(g.rep)
        if entry is None:
            plan.entries.append(
                PlanEntry(
                    "rename",
                    "clash",
                    [PlanCode(g.rep, g_name), b_code],
                    score=sim,
                    rule="same name, different meaning",
                )
            )
            continue
        entry = plan.own_entry(g, "clash", "rename")
        if entry.action == "merge":
            entry.name = entry.name or g_name
        else:
            entry.action = "rename"
            entry.codes[0].name = entry.codes[0].name or g_name
        plan.entries.append(
            PlanEntry("rename", "clash", [b_code], score=sim, rule="same name, different meaning")
        )
    for b in rnd.bkeys:
        if b in rnd.partner or b in rnd.clashed or b in skip:
            continue
        held = [c for c in rnd.blocked.get(b, []) if id(c.g) in rnd.taken]
        if not held:
            continue
        cand = held[0]
        other = rnd.taken[id(cand.g)].b
        msg = (
            f"'{rnd.ix[b].code.name}' of {rnd.label} also matches '{cand.g.name}' "
            f"({cand.kind}, {cand.score:.2f}), which was merged with "
            f"'{rnd.ix[other].code.name}'; kept separate"
        )
        rnd.conflicts.append(rnd.ix.conflict("duplicate", msg, [b, cand.g.rep, other]))


def _finish(ix: SourceIndex, plan: EntryBook, conflicts: list[Conflict]) -> list[Decision]:
    """Codes no entry mentions stay as they are: a `new` entry and decision for each (its
    rule names the conflict it takes part in, e.g. the code another book split)."""
    covered = {k for e in plan.entries for k in e.keys()}
    involved: dict[SourceKey, str] = {}
    for c in conflicts:
        for k in c.keys:
            involved.setdefault(k, c.kind)
    decisions = []
    n = len(ix.labels)
    for book in range(n):
        for key in ix.by_book[book]:
            if key in covered:
                continue
            others = "the other book" if n == 2 else "any other book"
            if key in involved:
                rule = f"only in {ix.label(key)}; see the {involved[key]} conflict"
            else:
                rule = f"only in {ix.label(key)}: no match in {others}"
            plan.entries.append(PlanEntry("keep-separate", "new", [PlanCode(key)], rule=rule))
            decisions.append(ix.decision("new", "keep-separate", [key], rule))
    return decisions


def sort_entries(ix: SourceIndex, entries: list[PlanEntry]) -> list[PlanEntry]:
    for e in entries:
        e.codes.sort(key=lambda c: ix[c.key].sort_key)
    return sorted(entries, key=lambda e: ix[e.codes[0].key].sort_key)


def fill_results(built: Built, decisions: list[Decision]) -> None:
    for d in decisions:
        if d.result:
            continue
        paths = {PATH_SEP.join(built.group_of[k].path): None for k in d.keys}
        d.result = list(paths)


def order_findings(
    ix: SourceIndex, decisions: list[Decision], conflicts: list[Conflict]
) -> tuple[list[Decision], list[Conflict]]:
    def key(keys: list[SourceKey]) -> tuple[int, int]:
        return min((ix[k].sort_key for k in keys), default=(0, 0))

    return (
        sorted(decisions, key=lambda d: key(d.keys)),
        sorted(conflicts, key=lambda c: key(c.keys)),
    )


def meaning_note(embed: Embed | None, options: MergeOptions) -> str:
    if embed is None:
        return (
            "skipped: no embedding model (matching used ids, names, aliases and fuzzy "
            "names; same-name definitions compared by shared words)"
        )
    return f"used (meaning score >= {options.meaning_threshold:.2f})"


def merge_codebooks(
    books: list[tuple[str, Codebook]],
    options: MergeOptions | None = None,
    embed: Embed | None = None,
) -> MergeResult:
    """Merge `books` (label, codebook), the first book's structure first.

    `embed(texts) -> array (n, dim)` enables meaning matching; without it that matcher is
    skipped and the result says so. Output is deterministic for the same inputs."""
    check_books(books)
    opt = options or MergeOptions()
    ix = SourceIndex(books)
    model = VectorCache(embed) if embed is not None else None
    lexical = VectorCache(hashed_bow_embed)
    plan = EntryBook()
    decisions: list[Decision] = []
    conflicts: list[Conflict] = []
    for k in range(1, len(books)):
        rnd = Round(ix, k, build(ix, plan.entries, n_books=k), opt, model, lexical)
        rnd.assign()
        split = split_later(rnd, plan)
        split |= split_earlier(rnd, plan, split)
        _record(rnd, plan, split)
        possible_matches(rnd, plan, split)
        decisions += rnd.decisions
        conflicts += rnd.conflicts
    decisions += _finish(ix, plan, conflicts)
    entries = sort_entries(ix, plan.entries)
    return result_from_entries(ix, entries, decisions, conflicts, opt, meaning_note(embed, opt))


def result_from_entries(
    ix: SourceIndex,
    entries: list[PlanEntry],
    decisions: list[Decision],
    conflicts: list[Conflict],
    options: MergeOptions,
    meaning: str,
    plan_file: str | None = None,
) -> MergeResult:
    built = build(ix, entries)
    decisions = decisions + built.decisions
    fill_results(built, decisions)
    decisions, conflicts = order_findings(ix, decisions, conflicts + built.conflicts)
    counts = {label: len(ix.by_book[i]) for i, label in enumerate(ix.labels)}
    counts["merged"] = len(built.groups)
    sources = list(zip(ix.labels, ix.books, strict=True))
    return MergeResult(
        built.codebook,
        list(ix.labels),
        entries,
        decisions,
        conflicts,
        options,
        meaning,
        plan_file,
        counts,
        sources,
    )
