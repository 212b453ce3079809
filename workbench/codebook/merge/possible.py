"""Possible matches: two codes the merge left apart that may still be one code.

Merging differently named codes by meaning is where the embedding model runs out: on the
labelled pairs (docs/merging.md) about half of the paraphrased codes stay below every rule
that keeps wrong merges out. Rather than merge on a guess, the merge flags them for a person:
after the matching, a code of the later book that found no partner, and a merged code that
none took, that are each other's best counterpart on the stand-out score (at least
`review_threshold`) are a *possible match*. Nothing merges; both codes are listed together in
one `keep-separate` plan entry, so changing its action to `merge` (or `m` in the TUI review)
merges them, and a `possible` conflict names them in the report.
"""

from __future__ import annotations

import numpy as np

from workbench.codebook.merge.match import EntryBook, Round
from workbench.codebook.merge.types import PlanCode, PlanEntry, SourceKey


def possible_matches(rnd: Round, plan: EntryBook, skip: set[SourceKey]) -> None:
    """Flag the round's unmatched mutual-best pairs (after `assign` and the splits)."""
    scores = rnd.standout
    if scores is None or not scores.size:
        return
    busy = {k for c in rnd.conflicts for k in c.keys}
    rows = [
        i
        for i, b in enumerate(rnd.bkeys)
        if b not in rnd.partner and b not in rnd.clashed and b not in skip and b not in busy
    ]
    cols = [
        j
        for j, g in enumerate(rnd.groups)
        if id(g) not in rnd.taken and not any(k in busy for k in g.members)
    ]
    if not rows or not cols:
        return
    free = scores[np.ix_(rows, cols)]  # the codes still unmatched, against each other
    for r, i in enumerate(rows):
        c = int(np.argmax(free[r]))
        score = float(free[r, c])
        if int(np.argmax(free[:, c])) != r or score < rnd.opt.review_threshold:
            continue
        b, g = rnd.bkeys[i], rnd.groups[cols[c]]
        if rnd.poles_apart(b, g):
            continue
        rule = (
            f"possible match: '{rnd.ix[b].code.name}' of {rnd.label} and '{g.name}' of "
            f"{rnd.ix.label(g.rep)} are each other's closest code by meaning (stand-out "
            f"score {score:.2f} >= {rnd.opt.review_threshold:.2f}) but not close enough to "
            "merge: kept separate"
        )
        keys = [g.rep, b]
        if plan.entry_of(g.rep) is None:
            plan.entries.append(
                PlanEntry(
                    "keep-separate", "meaning", [PlanCode(k) for k in keys], score=score, rule=rule
                )
            )
        rnd.decisions.append(rnd.ix.decision("meaning", "keep-separate", keys, rule, score))
        rnd.conflicts.append(
            rnd.ix.conflict("possible", f"{rule}. Merge them if they mean the same", keys)
        )
        busy.update(keys)
