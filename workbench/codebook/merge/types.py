"""Data of a codebook merge: options, the plan (entries), decisions, conflicts, the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.codebook.model import Codebook

MATCH_KINDS = ("id", "name", "alias", "fuzzy", "meaning")
# "plan": a decision a person wrote into a plan with no matcher evidence
DECISION_KINDS = (*MATCH_KINDS, "clash", "new", "placement", "plan")
ACTIONS = ("merge", "keep-separate", "rename")
KIND_RANK = {kind: rank for rank, kind in enumerate(MATCH_KINDS)}


@dataclass(frozen=True)
class MergeOptions:
    """Thresholds of the matchers (see docs/merging.md). The defaults were chosen by 5-fold
    cross-validation on the labelled pairs of benchmarks/merge_pairs (merge_quality.py)."""

    fuzzy_threshold: float = 90.0  # rapidfuzz token-sort ratio of normalised names, 0-100
    # meaning score: mean of the model cosines of name + definition + examples and of the
    # definitions without their names' words
    meaning_threshold: float = 0.80
    # same (or nearly the same) name: the model's cosine of the two definitions, each without
    # its own name's words, below this -> different meanings (a clash)
    clash_threshold: float = 0.52
    lexical_clash_threshold: float = 0.15  # the same without a model (shared-words cosine)
    split_margin: float = 0.10  # codes this close to the best match of one code: a split
    # meaning scores from here up to the merge threshold are evidence of a split, never a merge
    split_threshold: float = 0.50
    # a stand-out match (model only): a meaning match below `meaning_threshold` is still made
    # when the two codes are each other's best counterpart on the stand-out score (mean of
    # the whole-text cosine and the best name-vs-other-definition cosine), that score is at
    # least `standout_threshold`, and it beats every other code of either side by at least
    # `standout_margin` (so it needs other codes to stand out from)
    standout_threshold: float = 0.50
    standout_margin: float = 0.20
    # a possible match (model only, never merged): two codes left unmatched that are each
    # other's best counterpart on the stand-out score, at least this high, are flagged for a
    # person and listed together in one plan entry (one edit merges them)
    review_threshold: float = 0.35


@dataclass(frozen=True, order=True)
class SourceKey:
    """One code of one input book: the book's position and the code's effective id."""

    book: int
    id: str


@dataclass(frozen=True)
class CodeRef:
    """A source code as shown in reports: book label, id, path and definition."""

    book: str
    id: str
    path: str
    definition: str | None = None


@dataclass
class PlanCode:
    key: SourceKey
    name: str | None = None  # a new name for this code (keep-separate / rename)


@dataclass
class PlanEntry:
    """One reviewable decision: merge these codes, or keep them separate (maybe renamed)."""

    action: str
    kind: str
    codes: list[PlanCode]
    name: str | None = None  # the merged code's name (merge)
    under: SourceKey | None = None  # place under this code's merged code instead
    score: float | None = None
    rule: str = ""
    line: int | None = None  # where the entry sits in a plan file (apply)

    def keys(self) -> list[SourceKey]:
        return [c.key for c in self.codes]


@dataclass
class Decision:
    kind: str  # one of DECISION_KINDS
    action: str  # merge | keep-separate | rename | place
    codes: list[CodeRef]
    rule: str
    score: float | None = None
    result: list[str] = field(default_factory=list)  # resulting path(s) in the merged book
    keys: list[SourceKey] = field(default_factory=list, repr=False)  # the codes, for lookups


@dataclass
class Conflict:
    kind: str  # clash | split | parent | duplicate | alias | possible
    message: str
    codes: list[CodeRef] = field(default_factory=list)
    keys: list[SourceKey] = field(default_factory=list, repr=False)


@dataclass
class MergeResult:
    codebook: Codebook
    books: list[str]
    entries: list[PlanEntry]
    decisions: list[Decision]
    conflicts: list[Conflict]
    options: MergeOptions
    meaning: str  # how meaning matching ran, e.g. "skipped: no embedding model"
    plan_file: str | None = None  # set by apply_plan
    counts: dict[str, int] = field(default_factory=dict)  # input/output code counts
    sources: list[tuple[str, Codebook]] = field(default_factory=list, repr=False)
