"""Splits: one code in one book matching several codes in another (by fuzzy name or meaning).

- Several codes of the later book all match one earlier code best, within `split_margin` of
  each other (and none of them is an ancestor of another): the later codes are treated as a
  finer split of the earlier one. They are kept as sub-codes of it, and flagged.
- Several earlier codes all match one later code best: the later code is not merged into any
  of them (that would fold a broad code into a narrow one); it is kept separate and flagged.
Matches by id, name or alias are never treated as splits. A meaning match below the merge
threshold (down to `split_threshold`: a `near` candidate) counts towards a split; a split made
of such matches only is flagged but moves nothing (the later codes stay where they are).
"""

from __future__ import annotations

from workbench.codebook.merge.build import Group
from workbench.codebook.merge.match import Candidate, EntryBook, Round
from workbench.codebook.merge.types import PlanCode, PlanEntry, SourceKey

SOFT = ("fuzzy", "meaning")


def _outermost(rnd: Round, cands: list[Candidate]) -> list[Candidate]:
    return [c for c in cands if not any(rnd.ix.is_ancestor(o.b, c.b) for o in cands)]


def _within_margin(rnd: Round, cands: list[Candidate]) -> list[Candidate]:
    top = max(c.score for c in cands)
    return [c for c in cands if c.score >= top - rnd.opt.split_margin]


def split_later(rnd: Round, plan: EntryBook) -> set[SourceKey]:
    """Later-book codes that split one earlier code: placed under it. Returns those codes."""
    by_group: dict[int, list[Candidate]] = {}
    for cand in rnd.best_of_b().values():
        if cand.kind in SOFT:
            by_group.setdefault(id(cand.g), []).append(cand)
    done: set[SourceKey] = set()
    for cands in by_group.values():
        g = cands[0].g
        members = _outermost(rnd, cands)
        if len(members) < 2:
            continue
        members = _within_margin(rnd, members)
        partner = rnd.taken.get(id(g))
        bs = sorted((c.b for c in members), key=lambda k: rnd.ix[k].sort_key)
        if len(members) < 2:
            continue
        if partner is not None and partner.b not in bs:
            continue
        weak = all(c.near for c in members)  # no score reaches the merge threshold
        for b in bs:
            rnd.unassign(b)
        names = ", ".join(f"'{rnd.ix[b].code.name}'" for b in bs)
        how = f"{members[0].kind}, below the merge threshold" if weak else members[0].kind
        what = "left where they are" if weak else "kept as its sub-codes"
        rule = (
            f"split: {names} in {rnd.label} all match '{g.name}' of "
            f"{rnd.ix.label(g.rep)} ({how}); {what}"
        )
        score = max(c.score for c in members)
        plan.entries.append(
            PlanEntry(
                "keep-separate",
                members[0].kind,
                [PlanCode(b) for b in bs],
                under=None if weak else g.rep,
                score=score,
                rule=rule,
            )
        )
        rnd.decisions.append(
            rnd.ix.decision(members[0].kind, "keep-separate", [g.rep, *bs], rule, score)
        )
        rnd.conflicts.append(
            rnd.ix.conflict(
                "split",
                f"{rule}. Check whether they "
                + ("belong under it" if weak else "should merge instead"),
                [g.rep, *bs],
            )
        )
        done.update(bs)
    return done


def split_earlier(rnd: Round, plan: EntryBook, skip: set[SourceKey]) -> set[SourceKey]:
    """A later-book code that several earlier codes match best: kept separate, flagged."""
    by_b: dict[SourceKey, list[Candidate]] = {}
    for cand in rnd.best_of_g().values():
        if cand.kind in SOFT and cand.b not in skip:
            by_b.setdefault(cand.b, []).append(cand)
    done: set[SourceKey] = set()
    for b in sorted(by_b, key=lambda k: rnd.ix[k].sort_key):
        cands = [c for c in by_b[b] if not any(_inside(c.g, o.g) for o in by_b[b])]
        if len(cands) < 2:
            continue
        cands = sorted(_within_margin(rnd, cands), key=lambda c: rnd.ix[c.g.rep].sort_key)
        partner = rnd.partner.get(b)
        if len(cands) < 2:
            continue
        if partner is not None and partner.g not in [c.g for c in cands]:
            continue
        rnd.unassign(b)
        names = ", ".join(f"'{c.g.name}'" for c in cands)
        rule = (
            f"split: '{rnd.ix[b].code.name}' of {rnd.label} matches {names} "
            f"({cands[0].kind}); it may cover them all, so it is kept separate"
        )
        keys = [b, *(c.g.rep for c in cands)]
        score = max(c.score for c in cands)
        plan.entries.append(
            PlanEntry("keep-separate", cands[0].kind, [PlanCode(b)], score=score, rule=rule)
        )
        rnd.decisions.append(rnd.ix.decision(cands[0].kind, "keep-separate", keys, rule, score))
        rnd.conflicts.append(rnd.ix.conflict("split", f"{rule}. Decide how they relate", keys))
        done.add(b)
    return done


def _inside(g: Group, other: Group) -> bool:
    """True when `other` is a proper ancestor of `g` in the merged tree."""
    cur = g.parent
    while cur is not None:
        if cur is other:
            return True
        cur = cur.parent
    return False
