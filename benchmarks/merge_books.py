"""In books (merge_quality.py): the pairs of one pair file and fold merged together as two
books, and each pair's outcome read off the merge (a merge joining codes of two different
pairs is a wrong merge; a possible match joining them is a stray flag)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.codebook.merge import MergeOptions, MergeResult, merge_codebooks
from workbench.codebook.merge.text import Embed, name_key
from workbench.codebook.model import Code, Codebook, effective_id

if TYPE_CHECKING:
    from merge_quality import Pair


def outcome(result: MergeResult) -> str:
    if any(d.action == "merge" for d in result.decisions):
        return "merge"
    return by_conflicts({c.kind for c in result.conflicts})


def by_conflicts(kinds: set[str]) -> str:
    """A pair's outcome when nothing merged: its strongest conflict (a possible match is a
    flag for a person, never a merge)."""
    for kind in ("clash", "split", "possible"):
        if kind in kinds:
            return kind
    return "separate"


@dataclass
class Run:
    """The outcome of every pair (in pair order) and, in books, the merges per fold that
    joined codes of two different pairs (each one a wrong merge)."""

    outcomes: list[str]
    stray: dict[int, int]
    # possible matches (flags, never merges) per fold that join codes of two different pairs
    stray_flags: dict[int, int] = field(default_factory=dict)


# --- in books: the pairs of one fold and field merged together -------------------------


@dataclass
class Scenario:
    """Two books made of several pairs of one pair file and fold (book A their `a` codes, book B
    their `b` codes): every other code of the books is a distractor for each pair."""

    fold: int
    pairs: list[Pair]
    books: list[tuple[str, Codebook]]


def make_scenarios(pairs: Sequence[Pair]) -> list[Scenario]:
    """Pairs grouped by (fold, pair file); a pair goes into the first book of its group where
    none of its names is taken (names are unique in a book, and a name shared by two pairs
    would make a same-name match that no label covers)."""
    groups: dict[tuple[int, str], list[Pair]] = {}
    for p in pairs:
        groups.setdefault((p.fold, p.file), []).append(p)
    out: list[Scenario] = []
    for (fold, _file), members in sorted(groups.items()):
        bins: list[tuple[set[str], list[Pair]]] = []
        for p in members:
            names = {name_key(c.name) for c in (*p.a, *p.b)}
            for used, held in bins:
                if not used & names:
                    used |= names
                    held.append(p)
                    break
            else:
                bins.append((set(names), [p]))
        for _, held in bins:
            books = [
                ("a.yaml", Codebook(codebook="A", codes=[c for p in held for c in p.a])),
                ("b.yaml", Codebook(codebook="B", codes=[c for p in held for c in p.b])),
            ]
            out.append(Scenario(fold, held, books))
    return out


def _ids(codes: Iterable[Code]) -> set[str]:
    return {effective_id(c, [c.name]) for c in codes}


def scenario_outcomes(sc: Scenario, result: MergeResult) -> tuple[dict[str, str], int, int]:
    """Each pair's outcome (as `outcome`, counting only what joins its own codes) and the
    number of merges that join codes of two different pairs (all wrong)."""
    sides = {p.id: (_ids(p.a), _ids(p.b)) for p in sc.pairs}

    def touches(keys: Sequence[Any], pid: str) -> bool:
        a, b = sides[pid]
        return any(k.book == 0 and k.id in a for k in keys) and any(
            k.book == 1 and k.id in b for k in keys
        )

    merges = [d.keys for d in result.decisions if d.action == "merge"]
    got: dict[str, str] = {}
    for p in sc.pairs:
        if any(touches(keys, p.id) for keys in merges):
            got[p.id] = "merge"
            continue
        got[p.id] = by_conflicts({c.kind for c in result.conflicts if touches(c.keys, p.id)})
    stray = sum(not any(touches(keys, p.id) for p in sc.pairs) for keys in merges)
    flags = [c.keys for c in result.conflicts if c.kind == "possible"]
    stray_flags = sum(not any(touches(keys, p.id) for p in sc.pairs) for keys in flags)
    return got, stray, stray_flags


def run_books(
    pairs: Sequence[Pair], scenarios: Sequence[Scenario], options: MergeOptions, embed: Embed | None
) -> Run:
    got: dict[str, str] = {}
    stray: dict[int, int] = {}
    flags: dict[int, int] = {}
    for sc in scenarios:
        out, n, n_flags = scenario_outcomes(sc, merge_codebooks(sc.books, options, embed))
        got |= out
        stray[sc.fold] = stray.get(sc.fold, 0) + n
        flags[sc.fold] = flags.get(sc.fold, 0) + n_flags
    return Run([got[p.id] for p in pairs], stray, flags)
