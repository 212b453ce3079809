"""Merge plans: the proposed decisions as YAML a team can review, edit and apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbench.codebook.merge.build import build
from workbench.codebook.merge.engine import check_books, result_from_entries, sort_entries
from workbench.codebook.merge.index import SourceIndex
from workbench.codebook.merge.types import (
    DECISION_KINDS,
    MergeOptions,
    MergeResult,
    PlanCode,
    PlanEntry,
    SourceKey,
)
from workbench.codebook.model import MAX_CODE_DEPTH, Codebook, code_depth, depth_text
from workbench.codebook.validate import field_text, validate_model
from workbench.codebook.yamlnodes import LinedYaml, Loc, Problems, format_problems
from workbench.codebook.yamlnodes import read_lined_yaml as _read
from workbench.codebook.yamlout import FlowList, FlowMap, dump_yaml
from workbench.errors import WorkbenchError

PLAN_VERSION = 1
_HELP = """\
# Review each entry, edit it if needed, then apply the plan:
#   workbench codebook merge {files} -o MERGED.yaml --apply THIS_PLAN.yaml
# action: merge          the listed codes (at most one per book) become one code;
#                        `name` (optional) is the merged code's name
#         keep-separate  each listed code stays its own code
#         rename         like keep-separate; each code takes the `name` written on it
# under: {{book: ..., id: ...}}  place the entry's code(s) under that code (optional)
# Every code appears once; a code left out of the plan is kept separate.
# `match`, `score` and `why` are the evidence, for reading; they are not applied.
"""


class PlanInvalid(WorkbenchError):
    def __init__(self, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more, problems)


# --- writing -------------------------------------------------------------------------------


def _ref(ix: SourceIndex, key: SourceKey, name: str | None = None) -> FlowMap:
    out = FlowMap(book=ix.label(key), id=key.id, path=ix[key].path_str)
    if name:
        out["name"] = name
    return out


def _entry_data(ix: SourceIndex, e: PlanEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"action": e.action}
    if e.name:
        out["name"] = e.name
    out["match"] = e.kind
    if e.score is not None:
        out["score"] = round(e.score, 4)
    if e.rule:
        out["why"] = e.rule
    if e.under is not None:
        out["under"] = _ref(ix, e.under)
    out["codes"] = [_ref(ix, c.key, c.name) for c in e.codes]
    return out


def _comments(ix: SourceIndex, e: PlanEntry) -> list[str]:
    out = []
    for c in e.codes:
        text = " ".join((ix[c.key].code.description or "(no definition)").split())
        if len(text) > 140:
            text = text[:139] + "…"
        out.append(f"  # {ix.label(c.key)} | {ix[c.key].code.name}: {text}")
    return out


def plan_text(ix: SourceIndex, entries: list[PlanEntry]) -> str:
    head = {"plan": PLAN_VERSION, "books": FlowList(ix.labels)}
    lines = [
        f"# Workbench merge plan for {', '.join(ix.labels)}",
        _HELP.format(files=" ".join(ix.labels)).rstrip("\n"),
        dump_yaml(head).rstrip("\n"),
        "entries:",
    ]
    for e in entries:
        lines += _comments(ix, e)
        body = dump_yaml([_entry_data(ix, e)]).rstrip("\n")
        lines += [f"  {line}" if line else line for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def write_plan(result: MergeResult) -> str:
    """The result's decisions as an editable YAML plan (deterministic)."""
    return plan_text(SourceIndex(result.sources), result.entries)


# --- reading -------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_line(value: str | None) -> str | None:
    if value is not None and (not value.strip() or "\n" in value.strip()):
        raise ValueError("'name' must be one non-empty line")
    return value.strip() if value else value


class _CodeRef(_Model):
    book: str
    id: str
    path: str | None = None
    name: str | None = None

    _name = field_validator("name")(_one_line)


class _Under(_Model):
    book: str
    id: str
    path: str | None = None


class _Entry(_Model):
    action: Literal["merge", "keep-separate", "rename"]
    name: str | None = None
    match: str | None = None
    score: float | None = None
    why: str | None = None
    under: _Under | None = None
    codes: list[_CodeRef] = Field(min_length=1)

    _name = field_validator("name")(_one_line)


class _Plan(_Model):
    plan: int = PLAN_VERSION
    books: list[str]
    entries: list[_Entry]


_KEYS = {
    "plan": ("plan", "books", "entries"),
    "entry": tuple(_Entry.model_fields),
    "code": tuple(_CodeRef.model_fields),
    "under": tuple(_Under.model_fields),
}


def _allowed(loc: Loc) -> tuple[str, ...]:
    if not loc:
        return _KEYS["plan"]
    if loc[-1] == "under":
        return _KEYS["under"]
    if len(loc) >= 2 and loc[-2] == "codes":
        return _KEYS["code"]
    return _KEYS["entry"]


def _describe(loc: Loc) -> tuple[str, Loc]:
    if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
        return f"entry {loc[1] + 1}", loc[2:]
    return "", loc


def _typed(loc: Loc) -> bool:
    return loc == ("plan",) or (bool(loc) and loc[-1] == "score")


class _Checker:
    """Semantic checks of a parsed plan against the books; collects (line, message)."""

    def __init__(self, ix: SourceIndex, doc: LinedYaml) -> None:
        self.ix, self.doc = ix, doc
        self.problems: Problems = []
        self.seen: dict[SourceKey, int] = {}

    def add(self, loc: Loc, message: str) -> None:
        subject, _ = _describe(loc)
        text = f"{subject}: {message}" if subject else message
        self.problems.append((self.doc.line_of(loc), text))

    def resolve(self, ref: _CodeRef | _Under, loc: Loc) -> SourceKey | None:
        if ref.book not in self.ix.labels:
            self.add(
                (*loc, "book"), f"unknown book '{ref.book}' (books: {', '.join(self.ix.labels)})"
            )
            return None
        book = self.ix.labels.index(ref.book)
        key = self.ix.find(book, ref.id)
        if key is None:
            self.add((*loc, "id"), f"no code with id '{ref.id}' in {ref.book}")
            return None
        actual = self.ix[key].path_str
        if ref.path is not None and ref.path.strip() != actual:
            self.add(
                (*loc, "path"),
                f"code '{ref.id}' of {ref.book} is at '{actual}', not "
                f"'{ref.path}' (the path is for reading: fix or remove it)",
            )
        return key

    def entry(self, i: int, e: _Entry) -> PlanEntry | None:
        loc: Loc = ("entries", i)
        codes: list[PlanCode] = []
        for j, ref in enumerate(e.codes):
            key = self.resolve(ref, (*loc, "codes", j))
            if key is None:
                continue
            line = self.doc.line_of((*loc, "codes", j))
            if key in self.seen:
                self.add(
                    (*loc, "codes", j),
                    f"code '{key.id}' of {ref.book} is already in the plan (line {self.seen[key]})",
                )
                continue
            self.seen[key] = line
            codes.append(PlanCode(key, ref.name))
        self._action_rules(loc, e, codes)
        under = self.resolve(e.under, (*loc, "under")) if e.under else None
        if under is not None and under in [c.key for c in codes]:
            self.add((*loc, "under"), "'under' names one of the entry's own codes")
        if e.match is not None and e.match not in DECISION_KINDS:
            self.add((*loc, "match"), f"'match' must be one of {', '.join(DECISION_KINDS)}")
        if not codes:
            return None
        kind = e.match if e.match in DECISION_KINDS else "plan"
        return PlanEntry(
            e.action, kind, codes, e.name, under, e.score, e.why or "", self.doc.line_of(loc)
        )

    def _action_rules(self, loc: Loc, e: _Entry, codes: list[PlanCode]) -> None:
        if e.action == "merge":
            if len(e.codes) < 2:
                self.add((*loc, "codes"), "a merge needs at least two codes")
            books = [c.key.book for c in codes]
            for b in sorted({b for b in books if books.count(b) > 1}):
                self.add(
                    (*loc, "codes"),
                    f"a merge takes one code per book; {self.ix.labels[b]} has {books.count(b)}",
                )
            for j, ref in enumerate(e.codes):
                if ref.name:
                    self.add(
                        (*loc, "codes", j, "name"),
                        "in a merge, give the merged code's name "
                        "as the entry's 'name', not on a code",
                    )
            return
        if e.name:
            self.add(
                (*loc, "name"),
                f"'name' names a merged code; with {e.action}, write "
                "each code's new name on the code",
            )
        if e.action == "rename":
            for j, ref in enumerate(e.codes):
                if not ref.name:
                    self.add(
                        (*loc, "codes", j), f"rename: {field_text(('codes', j))} has no new 'name'"
                    )


def read_plan(path: Path, ix: SourceIndex) -> list[PlanEntry]:
    """Parse and check a plan file; raise PlanInvalid with `FILE:LINE: message` lines."""
    label = str(path)
    doc, problems = _read(Path(path), file=label, typed=_typed, what="merge plan")
    if doc is None:
        raise PlanInvalid(format_problems(label, problems))
    if not isinstance(doc.data, dict):
        raise PlanInvalid(
            format_problems(
                label, [(1, "a merge plan must be a mapping with 'books' and 'entries'")]
            )
        )
    model, more = validate_model(_Plan, doc, _describe, _allowed)
    problems += more
    if model is None:
        raise PlanInvalid(format_problems(label, problems))
    checker = _Checker(ix, doc)
    if model.plan != PLAN_VERSION:
        checker.add(
            ("plan",), f"unknown plan version {model.plan} (this Workbench writes {PLAN_VERSION})"
        )
    if model.books != ix.labels:
        checker.add(
            ("books",),
            f"the plan is for {', '.join(model.books)} but the merge was "
            f"given {', '.join(ix.labels)}; give the same files in the "
            "same order",
        )
        raise PlanInvalid(format_problems(label, problems + checker.problems))
    entries = [e for i, raw in enumerate(model.entries) if (e := checker.entry(i, raw))]
    problems += checker.problems
    if not problems:
        problems += _build_issues(ix, entries, doc.line_of(("entries",)))
    if problems:
        raise PlanInvalid(format_problems(label, problems))
    return entries


def _build_issues(ix: SourceIndex, entries: list[PlanEntry], line: int) -> Problems:
    """What keeps `entries` from being applied, including `under` placements that would nest
    the merged codes deeper than the one codebook limit (MAX_CODE_DEPTH)."""
    too_deep = [(line, f"with the plan's 'under' placements, {depth_text()}")]
    try:
        built = build(ix, entries)
    except RecursionError:  # only a chain of placements far past the limit gets here
        return too_deep
    if code_depth(built.codebook.codes) > MAX_CODE_DEPTH:
        return too_deep
    return [(issue_line or 1, msg) for issue_line, msg in built.issues]


def apply_plan(
    books: list[tuple[str, Codebook]], plan_path: Path, options: MergeOptions | None = None
) -> MergeResult:
    """Merge `books` as an (edited) plan file says; codes the plan leaves out stay separate."""
    check_books(books)
    ix = SourceIndex(books)
    entries = read_plan(Path(plan_path), ix)
    return _apply(ix, entries, options, str(plan_path))


def apply_entries(
    books: list[tuple[str, Codebook]],
    entries: list[PlanEntry],
    options: MergeOptions | None = None,
) -> MergeResult:
    """Merge `books` as reviewed entries say (e.g. a result's entries after a person edited
    them in the TUI). Raises PlanInvalid when the entries cannot be applied."""
    check_books(books)
    ix = SourceIndex(books)
    seen: set[SourceKey] = set()
    problems: Problems = []
    for n, e in enumerate(entries, 1):
        for key in e.keys():
            if key not in ix.codes:
                problems.append((n, f"entry {n}: no code '{key.id}' in book {key.book + 1}"))
            elif key in seen:
                problems.append((n, f"entry {n}: code '{key.id}' of {ix.label(key)} is twice"))
            seen.add(key)
        if e.action == "merge" and len({k.book for k in e.keys()}) != len(e.codes):
            problems.append((n, f"entry {n}: a merge takes one code per book"))
    if not problems:
        problems = _build_issues(ix, entries, 1)
    if problems:
        raise PlanInvalid([msg for _, msg in problems])
    return _apply(ix, [_copy(e) for e in entries], options, None)


def _copy(e: PlanEntry) -> PlanEntry:
    codes = [PlanCode(c.key, c.name) for c in e.codes]
    return PlanEntry(e.action, e.kind, codes, e.name, e.under, e.score, e.rule, e.line)


def _apply(
    ix: SourceIndex, entries: list[PlanEntry], options: MergeOptions | None, plan_file: str | None
) -> MergeResult:
    source = "from the plan, line {}" if plan_file else "reviewed"
    decisions = [
        ix.decision(
            e.kind,
            e.action,
            e.keys(),
            source.format(e.line) + (f": {e.rule}" if e.rule else ""),
            e.score,
        )
        for e in entries
    ]
    covered = {k for e in entries for k in e.keys()}
    for book in range(len(ix.books)):
        for key in ix.by_book[book]:
            if key not in covered:
                entries.append(PlanEntry("keep-separate", "new", [PlanCode(key)]))
                decisions.append(
                    ix.decision("new", "keep-separate", [key], "not in the plan: kept separate")
                )
    entries = sort_entries(ix, entries)
    meaning = "not used: decisions come from the plan" if plan_file else "not used: reviewed"
    return result_from_entries(
        ix, entries, decisions, [], options or MergeOptions(), meaning, plan_file
    )
