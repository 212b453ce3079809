"""Match the codes of one book against the merged tree of the books before it.

Each (new code, merged code) pair gets its strongest kind of evidence: id > name > alias >
fuzzy > meaning. Pairs are taken greedily in that order (then by score, then by whether their
parents look alike, then by position), one partner each. Same-name and fuzzy pairs whose
definitions clearly differ are not merged: same-name ones become a flagged clash (both
renamed), fuzzy ones stay separate. Definitions are compared without the words of each
code's own name, so a shared name word is not taken for agreement. Fuzzy and meaning matches
between opposite poles (`Barriers` / `Facilitators`) are not made. With a model, a meaning
match below the threshold is still made for a stand-out pair: each other's best counterpart on
the stand-out score, clearly ahead of every other code of both sides (`standout_gaps`).
Splits (one code matching several) are handled in `workbench.codebook.merge.splits`; for
them, meaning matches below the merge threshold (down to `split_threshold`) are kept as
`near` candidates that never merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.codebook.merge.build import Built, Group
from workbench.codebook.merge.index import SourceCode, SourceIndex
from workbench.codebook.merge.text import (
    VectorCache,
    definition_text,
    definition_without_name,
    fuzzy_ratio,
    head_text,
    is_lexical,
    meaning_text,
    name_key,
    opposite_poles,
)
from workbench.codebook.merge.types import (
    KIND_RANK,
    Conflict,
    Decision,
    MergeOptions,
    PlanCode,
    PlanEntry,
    SourceKey,
)


@dataclass
class Candidate:
    b: SourceKey
    g: Group
    kind: str
    score: float
    ctx: int
    rule: str
    g_order: tuple[int, int]
    near: bool = False  # a meaning match just below the threshold: only evidence of a split

    def sort_key(self, ix: SourceIndex) -> tuple[int, float, int, tuple[int, int], tuple[int, int]]:
        return (KIND_RANK[self.kind], -self.score, -self.ctx, ix[self.b].sort_key, self.g_order)


@dataclass
class _Side:
    """What a code (or merged code) offers to the matchers."""

    names: set[str]  # name keys of the code's own name(s)
    all_names: set[str]  # names and aliases
    ids: set[str]
    guids: set[str]
    provenance: set[tuple[str, str]]
    label_of: dict[str, str] = field(default_factory=dict)  # name key -> text (for rules)


def _side(ix: SourceIndex, keys: list[SourceKey], extra_name: str | None = None) -> _Side:
    side = _Side(set(), set(), set(), set(), set())
    for key in keys:
        code = ix[key].code
        side.names.add(name_key(code.name))
        side.label_of.setdefault(name_key(code.name), code.name)
        for alias in code.aliases:
            side.label_of.setdefault(name_key(alias), alias)
            side.all_names.add(name_key(alias))
        if code.id:
            side.ids.add(code.id)
        if code.guid:
            side.guids.add(code.guid)
        side.provenance.add((ix.label(key), key.id))
        side.provenance.update((m.codebook, m.id) for m in code.merged_from)
    if extra_name:
        side.names.add(name_key(extra_name))
        side.label_of.setdefault(name_key(extra_name), extra_name)
    side.all_names |= side.names
    side.all_names.discard("")
    return side


class Round:
    """One book (`book`) against the merged tree `built` of the books before it."""

    def __init__(
        self,
        ix: SourceIndex,
        book: int,
        built: Built,
        options: MergeOptions,
        model: VectorCache | None,
        lexical: VectorCache,
    ) -> None:
        self.ix, self.book, self.built, self.opt = ix, book, built, options
        self.model, self.lexical = model, lexical
        self.label = ix.labels[book]
        self.bkeys = ix.by_book[book]
        self.groups = built.groups
        self.decisions: list[Decision] = []
        self.conflicts: list[Conflict] = []
        self.partner: dict[SourceKey, Candidate] = {}  # b -> its accepted candidate
        self.taken: dict[int, Candidate] = {}  # id(group) -> accepted candidate
        self.clashed: set[SourceKey] = set()
        self.blocked: dict[SourceKey, list[Candidate]] = {}
        self.clash_pairs: list[tuple[SourceKey, Group, float]] = []
        self.standout: np.ndarray | None = None  # stand-out scores (new code x merged code)
        self.candidates = self._candidates()

    # --- evidence ----------------------------------------------------------------------

    def _meaning_scores(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(meaning, stand-out) scores of every (new code, merged code) pair; None without
        a model (stand-out also None with a shared-words stand-in).

        The meaning score is the mean of two model cosines, of the whole texts (name +
        definition + examples) and of the definitions without their own names' words (the
        whole text where nothing is left). The stand-out score is the mean of the whole-text
        cosine and the best cross cosine of one code's name (and aliases) with the other's
        definition: measured on the labelled pairs, it ranks a code's true counterpart first
        among the other book's codes more often than the meaning score (docs/merging.md)."""
        codes = [self.ix[k].code for k in self.bkeys] + [g.code for g in self.groups]
        definitions = [definition_without_name(c) for c in codes if c is not None]
        self.lexical.add(definitions)
        if self.model is None or not self.bkeys or not self.groups:
            return None, None
        b_codes = [self.ix[k].code for k in self.bkeys]
        g_codes = [g.code for g in self.groups if g.code is not None]
        assert len(g_codes) == len(self.groups)  # every merged code has its fields
        whole = self._cosines(
            [meaning_text(c) for c in b_codes], [meaning_text(c) for c in g_codes]
        )
        if is_lexical(self.model.embed):  # a shared-words stand-in: whole texts only
            return np.round(whole, 4), None
        b_def = [definition_without_name(c) or meaning_text(c) for c in b_codes]
        g_def = [definition_without_name(c) or meaning_text(c) for c in g_codes]
        meaning = np.round((whole + self._cosines(b_def, g_def)) / 2, 4)
        b_head, g_head = [head_text(c) for c in b_codes], [head_text(c) for c in g_codes]
        b_full = [definition_text(c) or head_text(c) for c in b_codes]
        g_full = [definition_text(c) or head_text(c) for c in g_codes]
        cross = np.maximum(self._cosines(b_head, g_full), self._cosines(b_full, g_head))
        return meaning, np.round((whole + cross) / 2, 4)

    def _cosines(self, rows: list[str], cols: list[str]) -> np.ndarray:
        assert self.model is not None
        self.model.add([*rows, *cols])
        bm = np.array([self.model.vectors[t] for t in rows])
        gm = np.array([self.model.vectors[t] for t in cols])
        return bm @ gm.T

    def _parent_names(self, sc: SourceCode) -> set[str] | None:
        return None if sc.parent is None else {name_key(self.ix[sc.parent].code.name)}

    def _candidates(self) -> list[Candidate]:
        meaning, standout = self._meaning_scores()
        self.standout = standout
        gaps = None if standout is None else standout_gaps(standout)
        g_sides = [_side(self.ix, g.members, g.name) for g in self.groups]
        g_parents = [
            None if g.parent is None else _side(self.ix, g.parent.members, g.parent.name).names
            for g in self.groups
        ]
        out = []
        for i, bkey in enumerate(self.bkeys):
            sc = self.ix[bkey]
            b_side = _side(self.ix, [bkey])
            b_parent = self._parent_names(sc)
            for j, g in enumerate(self.groups):
                cosine = meaning[i, j] if meaning is not None else None
                found = self._evidence(b_side, g_sides[j], cosine)
                if found is None and gaps is not None and standout is not None:
                    found = self._standout(b_side, g_sides[j], standout[i, j], gaps[i, j])
                    if found is not None and cosine is not None:
                        found = (found[0], float(cosine), found[2])
                near = False
                if found is None and cosine is not None and self._near(b_side, g_sides[j], cosine):
                    found, near = (
                        ("meaning", float(cosine), "meaning score below the merge threshold"),
                        True,
                    )
                if found is None:
                    continue
                kind, score, rule = found
                same_place = (b_parent is None and g_parents[j] is None) or bool(
                    b_parent and g_parents[j] and b_parent & g_parents[j]
                )
                out.append(
                    Candidate(
                        bkey, g, kind, score, int(same_place), rule, self.ix[g.rep].sort_key, near
                    )
                )
        out.sort(key=lambda c: c.sort_key(self.ix))
        return out

    def _evidence(self, b: _Side, g: _Side, cosine: float | None) -> tuple[str, float, str] | None:
        if b.ids & g.ids:
            return "id", 1.0, f"same id '{sorted(b.ids & g.ids)[0]}'"
        if b.guids & g.guids:
            return "id", 1.0, "same REFI-QDA GUID"
        if b.provenance & g.provenance:
            book, cid = sorted(b.provenance & g.provenance)[0]
            return "id", 1.0, f"both come from code '{cid}' of {book}"
        if b.names & g.names:
            return "name", 1.0, "same name (ignoring case, accents, spacing and punctuation)"
        shared = b.all_names & g.all_names
        if shared:
            text = b.label_of.get(min(shared)) or g.label_of.get(min(shared))
            return "alias", 1.0, f"'{text}' is a name or alias of both"
        if _opposite(b, g):
            return None
        best = max((fuzzy_ratio(x, y) for x in b.all_names for y in g.all_names), default=0.0)
        if best >= self.opt.fuzzy_threshold:
            return (
                "fuzzy",
                round(best / 100, 4),
                f"names nearly the same (ratio {best:.0f} >= {self.opt.fuzzy_threshold:.0f})",
            )
        if cosine is not None and cosine >= self.opt.meaning_threshold:
            return (
                "meaning",
                float(cosine),
                f"similar meaning of name, definition and examples "
                f"(score {cosine:.2f} >= {self.opt.meaning_threshold:.2f})",
            )
        return None

    def _standout(
        self, b: _Side, g: _Side, score: float, gap: float
    ) -> tuple[str, float, str] | None:
        """A meaning match below the merge threshold that stands out (see MergeOptions)."""
        if score < self.opt.standout_threshold or gap < self.opt.standout_margin:
            return None
        if _opposite(b, g):
            return None
        return (
            "meaning",
            float(score),
            f"each other's best match by meaning (stand-out score {score:.2f} >= "
            f"{self.opt.standout_threshold:.2f}, ahead of every other code by {gap:.2f} >= "
            f"{self.opt.standout_margin:.2f})",
        )

    def _near(self, b: _Side, g: _Side, cosine: float) -> bool:
        low = min(self.opt.split_threshold, self.opt.meaning_threshold - self.opt.split_margin)
        return low <= cosine < self.opt.meaning_threshold and not _opposite(b, g)

    def definition_similarity(self, bkey: SourceKey, g: Group) -> tuple[float, float] | None:
        """(model score or -1 without a model, shared-words cosine) of two codes' meanings;
        None when either definition has nothing left without its name's words.

        The shared-words cosine compares the definitions, each without the words of its own
        code's name. The model score is the mean of the model cosines of those definitions
        and of the whole texts (name, definition and examples): measured on the labelled
        pairs, the mean separates same-name pairs that agree from those that clash better
        than either cosine alone (docs/merging.md)."""
        code_a, code_b = self.ix[bkey].code, g.code
        assert code_b is not None
        a, b = definition_without_name(code_a), definition_without_name(code_b)
        if not a or not b:
            return None
        words = self.lexical.cosine(a, b) or 0.0
        if self.model is None:
            return -1.0, words
        defs = self.model.cosine(a, b) or 0.0
        whole = self.model.cosine(meaning_text(code_a), meaning_text(code_b)) or 0.0
        return round((defs + whole) / 2, 4), words

    # --- greedy assignment -------------------------------------------------------------

    def assign(self) -> None:
        for cand in self.candidates:
            b, g = cand.b, cand.g
            if b in self.partner or b in self.clashed or cand.near:
                continue
            if id(g) in self.taken:
                self.blocked.setdefault(b, []).append(cand)
                continue
            if cand.kind in ("name", "fuzzy") and not self._definitions_agree(cand):
                continue
            self.partner[b] = cand
            self.taken[id(g)] = cand

    def _definitions_agree(self, cand: Candidate) -> bool:
        """Different meaning = the model's cosine of the two definitions (without their
        names' words) is below `clash_threshold`; without a model (or with a shared-words
        stand-in for one), their shared-words cosine is below `lexical_clash_threshold`."""
        sims = self.definition_similarity(cand.b, cand.g)
        if sims is None:
            cand.rule += "; no definition on one side to compare"
            return True
        model, words = sims
        if self.model is not None and is_lexical(self.model.embed):
            model = -1.0  # a shared-words stand-in: judged on the shared-words scale
        evidence = f"words {words:.2f}" + (f", model {model:.2f}" if model >= 0 else "")
        if model >= 0:
            far = model < self.opt.clash_threshold
        else:
            far = words < self.opt.lexical_clash_threshold
        if not far:
            cand.rule += f"; definitions compatible ({evidence})"
            return True
        keys = [cand.g.rep, cand.b]
        score = model if model >= 0 else words
        limits = (
            f"model < {self.opt.clash_threshold:.2f}"
            if model >= 0
            else f"words < {self.opt.lexical_clash_threshold:.2f}"
        )
        if cand.kind == "name":
            self.clashed.add(cand.b)
            msg = (
                f"'{self.ix[cand.b].code.name}' means different things in "
                f"{self.ix.label(cand.g.rep)} and {self.label} (definition similarity "
                f"{evidence}; {limits}): both kept, each renamed with its book's name"
            )
            self.decisions.append(self.ix.decision("clash", "rename", keys, msg, score))
            self.conflicts.append(self.ix.conflict("clash", msg, keys))
            self.clash_pairs.append((cand.b, cand.g, score))
        else:
            msg = f"{cand.rule}, but definitions differ ({evidence}; {limits}): not merged"
            self.decisions.append(self.ix.decision("fuzzy", "keep-separate", keys, msg, score))
        return False

    def best_of_b(self) -> dict[SourceKey, Candidate]:
        """Each new code's best candidate (a `near` one when it has nothing better)."""
        out: dict[SourceKey, Candidate] = {}
        for cand in self.candidates:
            if cand.b not in self.clashed:
                out.setdefault(cand.b, cand)
        return out

    def best_of_g(self) -> dict[int, Candidate]:
        out: dict[int, Candidate] = {}
        for cand in self.candidates:
            if cand.b not in self.clashed:
                out.setdefault(id(cand.g), cand)
        return out

    def poles_apart(self, b: SourceKey, g: Group) -> bool:
        """True when the names of `b` and `g` are opposite poles (`Barriers` / `Facilitators`)."""
        return _opposite(_side(self.ix, [b]), _side(self.ix, g.members, g.name))

    def unassign(self, b: SourceKey) -> None:
        cand = self.partner.pop(b, None)
        if cand is not None:
            self.taken.pop(id(cand.g), None)


def standout_gaps(scores: np.ndarray) -> np.ndarray:
    """For each cell: how far it beats every other cell of its row and its column, where it
    is the best of both (each other's best match); -1 elsewhere and where the row or the
    column has no other cell to beat."""
    rows, cols = scores.shape
    out = np.full(scores.shape, -1.0)
    if rows < 2 or cols < 2:
        return out
    for i in range(rows):
        j = int(np.argmax(scores[i]))
        if int(np.argmax(scores[:, j])) != i:
            continue
        others = max(np.delete(scores[i], j).max(), np.delete(scores[:, j], i).max())
        out[i, j] = round(float(scores[i, j] - others), 4)
    return out


def _opposite(b: _Side, g: _Side) -> bool:
    return any(opposite_poles(x, y) for x in b.label_of.values() for y in g.label_of.values())


class EntryBook:
    """The growing plan: at most one entry governs each source code."""

    def __init__(self) -> None:
        self.entries: list[PlanEntry] = []

    def entry_of(self, key: SourceKey) -> PlanEntry | None:
        for entry in self.entries:
            if key in entry.keys():
                return entry
        return None

    def own_entry(self, g: Group, kind: str, action: str = "keep-separate") -> PlanEntry:
        """An entry that governs exactly the merged code `g` (split off a shared one)."""
        entry = self.entry_of(g.rep)
        if entry is not None and (entry.action == "merge" or len(entry.codes) == 1):
            return entry
        pc = PlanCode(g.rep)
        if entry is not None:
            pc = next(c for c in entry.codes if c.key == g.rep)
            entry.codes.remove(pc)
            new = PlanEntry(entry.action, entry.kind, [pc], under=entry.under, rule=entry.rule)
        else:
            new = PlanEntry(action, kind, [pc])
        self.entries.append(new)
        return new

    def join(self, g: Group, b: SourceKey, cand: Candidate, label: str) -> PlanEntry:
        """Merge source code `b` into merged code `g`."""
        entry = self.entry_of(g.rep)
        if entry is not None and entry.action == "merge":
            entry.codes.append(PlanCode(b))
            entry.rule += f"; {label}: {cand.kind}: {cand.rule}"
            return entry
        name, under = None, None
        if entry is not None:  # g was kept separate (maybe renamed); now it merges
            pc = next(c for c in entry.codes if c.key == g.rep)
            entry.codes.remove(pc)
            if not entry.codes:
                self.entries.remove(entry)
            name, under = pc.name, entry.under
        new = PlanEntry(
            "merge",
            cand.kind,
            [PlanCode(g.rep), PlanCode(b)],
            name=name,
            under=under,
            score=cand.score,
            rule=cand.rule,
        )
        self.entries.append(new)
        return new
