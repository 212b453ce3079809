"""Reviewing a proposed codebook merge one decision at a time (the TUI's merge screen).

The merge engine (`workbench.codebook.merge`) proposes plan entries; a `MergeReview` holds
the ones worth a person's look (every entry except codes only one book has) and what the
reviewer made of each:

- **accept**: the proposal as it stands;
- **reject**: every code of the entry stays its own code, where its book put it (a merge is
  undone, a proposed placement under another code is dropped, proposed new names go);
- **rename**: a new name for the merged code (merge) or for one code of the entry (others);
- **merge**: the entry's codes become one code after all (a possible match the engine only
  flagged, or any entry kept separate whose codes come from different books);
- entries left pending are, at the end, either applied as proposed or kept separate.

`merged()` applies the reviewed entries with `apply_entries`; `write()` saves the YAML and the
report with temp-file + rename. No textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.codebook.merge import (
    Conflict,
    MergeResult,
    PlanEntry,
    apply_entries,
    merge_codebooks,
    render_report,
)
from workbench.codebook.merge.cli_glue import load_books
from workbench.codebook.merge.text import Embed
from workbench.codebook.merge.types import PlanCode
from workbench.codebook.model import Code, Codebook, effective_id, iter_codes
from workbench.codebook.yaml_io import save_codebook
from workbench.errors import WorkbenchError
from workbench.fsutil import atomic_write

STATUSES = ("pending", "accepted", "rejected", "renamed", "merged")
PENDING_CHOICES = ("proposed", "separate")


@dataclass
class CodeView:
    """One code of an entry, as the reviewer sees it."""

    book: str
    id: str
    path: str
    code: Code
    new_name: str | None = None


@dataclass
class ReviewItem:
    proposed: PlanEntry
    current: PlanEntry
    status: str = "pending"
    conflicts: list[Conflict] = field(default_factory=list)


def _copy(e: PlanEntry, **changes: object) -> PlanEntry:
    codes = [PlanCode(c.key, c.name) for c in e.codes]
    out = PlanEntry(e.action, e.kind, codes, e.name, e.under, e.score, e.rule, e.line)
    for key, value in changes.items():
        setattr(out, key, value)
    return out


def _separate(e: PlanEntry, rule: str) -> PlanEntry:
    codes = [PlanCode(c.key) for c in e.codes]
    return PlanEntry("keep-separate", e.kind, codes, score=e.score, rule=rule)


def _one_line(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise WorkbenchError("a code name cannot be empty")
    return name


class MergeReview:
    def __init__(self, files: list[Path], books: list[tuple[str, Codebook]], result: MergeResult):
        self.files = files
        self.books = books
        self.result = result
        self.codes: dict[tuple[int, str], tuple[Code, str]] = {}
        for b, (_, cb) in enumerate(books):
            for code, path, _parent in iter_codes(cb):
                self.codes[(b, effective_id(code, path))] = (code, " > ".join(path))
        self.items: list[ReviewItem] = []
        self.unchanged: list[PlanEntry] = []  # codes only one book has: kept as they are
        for e in result.entries:
            if e.kind == "new" and e.under is None:
                self.unchanged.append(e)
                continue
            keys = set(e.keys())
            related = [c for c in result.conflicts if keys & set(c.keys)]
            self.items.append(ReviewItem(e, _copy(e), conflicts=related))

    @classmethod
    def start(cls, files: list[Path], embed: Embed | None = None, why: str = "") -> MergeReview:
        """Load and validate the books, then let the engine propose (slow with `embed`)."""
        books = load_books(files)
        result = merge_codebooks(books, embed=embed)
        if embed is None and why:
            result.meaning = f"skipped: {why}"
        return cls(files, books, result)

    # What the reviewer sees -----------------------------------------------------------------

    def code_views(self, item: ReviewItem) -> list[CodeView]:
        out = []
        for pc in item.current.codes:
            code, path = self.codes[(pc.key.book, pc.key.id)]
            out.append(CodeView(self.books[pc.key.book][0], pc.key.id, path, code, pc.name))
        return out

    def under_path(self, item: ReviewItem) -> str | None:
        under = item.current.under
        if under is None:
            return None
        return f"{self.codes[(under.book, under.id)][1]} ({self.books[under.book][0]})"

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for item in self.items:
            out[item.status] += 1
        return out

    # Decisions -------------------------------------------------------------------------------

    def accept(self, i: int) -> None:
        item = self.items[i]
        item.current, item.status = _copy(item.proposed), "accepted"

    def reject(self, i: int) -> None:
        item = self.items[i]
        p = item.proposed
        rule = f"proposed {p.action} rejected in review" + (f" ({p.rule})" if p.rule else "")
        item.current, item.status = _separate(p, rule), "rejected"

    def can_merge(self, i: int) -> str:
        """Why entry `i`'s codes cannot be merged into one ("" when they can)."""
        codes = self.items[i].proposed.codes
        books = [c.key.book for c in codes]
        if len(codes) < 2:
            return "this entry has one code: nothing to merge it with"
        if len(set(books)) < len(books):
            return "two of these codes come from the same book; a merge takes one code per book"
        return ""

    def merge(self, i: int) -> None:
        """Merge the codes of entry `i` into one code (the earliest book's name)."""
        why = self.can_merge(i)
        if why:
            raise WorkbenchError(why)
        item = self.items[i]
        p = item.proposed
        rule = f"merged in review; proposed {p.action}" + (f" ({p.rule})" if p.rule else "")
        codes = [PlanCode(c.key) for c in p.codes]
        item.current = PlanEntry("merge", p.kind, codes, score=p.score, rule=rule)
        item.status = "merged"

    def rename(self, i: int, name: str, code: int | None = None) -> None:
        """Name the merged code (a merge) or code number `code` of the entry (others)."""
        item = self.items[i]
        name = _one_line(name)
        cur = _copy(item.current)
        if cur.action == "merge":
            cur.name = name
        else:
            if code is None:
                if len(cur.codes) > 1:
                    raise WorkbenchError("say which of the entry's codes to rename")
                code = 0
            cur.codes[code].name = name
            if all(c.name for c in cur.codes):
                cur.action = "rename"
        cur.rule = (cur.rule + "; " if cur.rule else "") + "renamed in review"
        item.current, item.status = cur, "renamed"

    # The result ------------------------------------------------------------------------------

    def entries(self, pending: str = "proposed") -> list[PlanEntry]:
        """The reviewed entries; pending ones as proposed or kept separate."""
        if pending not in PENDING_CHOICES:
            raise WorkbenchError(f"pending: one of {', '.join(PENDING_CHOICES)}")
        out = []
        for item in self.items:
            if item.status != "pending":
                out.append(item.current)
            elif pending == "proposed":
                rule = "not reviewed; applied as proposed" + (
                    f" ({item.proposed.rule})" if item.proposed.rule else ""
                )
                out.append(_copy(item.proposed, rule=rule))
            else:
                out.append(_separate(item.proposed, "not reviewed; kept separate"))
        return out + [_copy(e) for e in self.unchanged]

    def merged(self, pending: str = "proposed") -> MergeResult:
        result = apply_entries(self.books, self.entries(pending), self.result.options)
        result.meaning = f"reviewed in the TUI; proposal: meaning matching {self.result.meaning}"
        return result

    def write(self, result: MergeResult, output: Path, report: Path | None = None) -> list[str]:
        """Save the merged codebook (and the report); refuses to overwrite an input book."""
        inputs = {f.resolve() for f in self.files}
        for out in (output, report):
            if out is not None and out.resolve() in inputs:
                raise WorkbenchError(f"{out} is one of the input codebooks; write elsewhere")
        if output.suffix.lower() not in (".yaml", ".yml"):
            raise WorkbenchError(f"{output}: the merged codebook is written as .yaml or .yml")
        save_codebook(result.codebook, output)
        lines = [f"wrote {output} ({result.counts.get('merged', 0)} codes)"]
        if report is not None:
            with atomic_write(report, newline="\n") as fh:
                fh.write(render_report(result))
            lines.append(f"wrote report {report}")
        return lines
