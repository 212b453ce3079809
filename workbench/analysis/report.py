"""Theme report: per code its definition, when to use it and when not, memos, counts by an
attribute (from `count_matrix`), then every excerpt with document, speaker, timestamp and
attributes, ordered by document. `build_report` gathers it; the writers (report_docx.py,
report_text.py) only lay it out."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Connection, select

from workbench.analysis.matrix import COUNT_TITLES, count_matrix, describe_filters
from workbench.analysis.units import Filters, Scope
from workbench.errors import WorkbenchError
from workbench.services.excerpts import Excerpt, excerpts
from workbench.store import schema as s
from workbench.timeutil import now_iso

FORMATS = ("docx", "md", "html")
NO_PSEUDONYMS = "no accepted pseudonyms in this project: run `workbench pseudonyms detect` first"


@dataclass(frozen=True)
class Memo:
    author: str
    created: str
    text: str


@dataclass(frozen=True)
class ReportExcerpt:
    document: str
    segment: int | None
    speaker: str | None
    timestamp: str | None
    start: int
    end: int
    coder: str
    created: str
    text: str
    attributes: tuple[tuple[str, str], ...]
    memos: tuple[Memo, ...] = ()

    def source(self) -> str:
        """'S01_receptionist · P01 · 00:12:31 · role: staff; practice: Moorside Surgery'."""
        parts = [self.document]
        if self.speaker:
            parts.append(self.speaker)
        if self.timestamp:
            parts.append(self.timestamp)
        if self.attributes:
            parts.append("; ".join(f"{k}: {v}" for k, v in self.attributes))
        return " · ".join(parts)

    def where(self) -> str:
        seg = f"segment {self.segment}, " if self.segment is not None else ""
        return (
            f"{seg}characters {self.start}-{self.end}; coded by {self.coder}, {self.created[:10]}"
        )


@dataclass(frozen=True)
class ReportCode:
    id: str
    name: str
    path: str
    heading: int  # 1 for a chosen (or top-level) code, 2 for its descendants
    title: str  # the heading text: the name, or the path below the chosen code
    description: str | None
    include: str | None
    exclude: str | None
    examples: tuple[str, ...]
    memos: tuple[Memo, ...]
    total: int  # the count (rolled up: descendants included)
    counts: tuple[tuple[str, int], ...]  # (column label, count) for this code's row
    # chosen codes: one row per code of the subtree (label, depth, cells, row total)
    table: tuple[tuple[str, int, tuple[int, ...], int], ...] = ()
    excerpts: tuple[ReportExcerpt, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    project: str
    created: str
    filters: str
    by: str | None  # the column dimension of the counts (attr:role, document, coder) or None
    by_title: str
    count: str
    columns: tuple[str, ...]
    codes: tuple[ReportCode, ...]
    pseudonymised: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def count_title(self) -> str:
        return COUNT_TITLES[self.count]

    def excerpt_count(self) -> int:
        return sum(len(c.excerpts) for c in self.codes)

    def summary(self) -> str:
        return f"{len(self.codes)} codes, {self.excerpt_count()} excerpts"

    def mapped(self, fn: Callable[[str], str]) -> Report:
        """The same report with `fn` applied to every text taken from the project."""

        def m(x: str | None) -> str | None:
            return None if x is None else fn(x)

        def memo(mm: Memo) -> Memo:
            return replace(mm, text=fn(mm.text), author=fn(mm.author))

        codes = []
        for c in self.codes:
            exs = tuple(
                replace(
                    e,
                    document=fn(e.document),
                    speaker=m(e.speaker),
                    text=fn(e.text),
                    coder=fn(e.coder),
                    attributes=tuple((k, fn(v)) for k, v in e.attributes),
                    memos=tuple(memo(x) for x in e.memos),
                )
                for e in c.excerpts
            )
            codes.append(
                replace(
                    c,
                    name=fn(c.name),
                    path=fn(c.path),
                    title=fn(c.title),
                    description=m(c.description),
                    include=m(c.include),
                    exclude=m(c.exclude),
                    examples=tuple(fn(x) for x in c.examples),
                    memos=tuple(memo(x) for x in c.memos),
                    counts=tuple((fn(k), v) for k, v in c.counts),
                    table=tuple((fn(lbl), d, row, n) for lbl, d, row, n in c.table),
                    excerpts=exs,
                )
            )
        return replace(
            self,
            title=fn(self.title),
            filters=fn(self.filters),
            columns=tuple(fn(x) for x in self.columns),
            codes=tuple(codes),
            pseudonymised=True,
        )


def pseudonymiser(conn: Connection) -> Callable[[str], str]:
    """The replacement function of the pseudonyms feature (CONTRACT §10):
    `workbench.pseudonyms.replacer(conn)` returns a function str -> str, or None when the
    project has no accepted pseudonyms."""
    try:
        module = importlib.import_module("workbench.pseudonyms")
    except ModuleNotFoundError as exc:
        if exc.name not in ("workbench.pseudonyms",):
            raise
        raise WorkbenchError(NO_PSEUDONYMS) from None
    factory = getattr(module, "replacer", None)
    fn = factory(conn) if callable(factory) else None
    if fn is None:
        raise WorkbenchError(NO_PSEUDONYMS)
    return fn  # type: ignore[no-any-return]


def report_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise WorkbenchError(f"{path}: -o takes a .docx, .md or .html file")
    return suffix


def default_by(scope: Scope) -> str | None:
    if "role" in scope.document_keys() or scope.is_segment_key("role"):
        return "attr:role"
    return "document"


def _memos(conn: Connection, column: str, ids: list[object]) -> dict[object, list[Memo]]:
    m = s.memos
    out: dict[object, list[Memo]] = defaultdict(list)
    col = getattr(m.c, column)
    for i in range(0, len(ids), 500):
        q = select(col, m.c.author, m.c.created, m.c.text).where(col.in_(ids[i : i + 500]))
        for key, author, created, text in conn.execute(q.order_by(m.c.created, m.c.id)):
            out[key].append(Memo(author, created, text))
    return out


def _timestamps(conn: Connection, doc_ids: set[int]) -> dict[tuple[int, int], str]:
    sg = s.segments
    out: dict[tuple[int, int], str] = {}
    ids = sorted(doc_ids)
    for i in range(0, len(ids), 500):
        q = select(sg.c.document_id, sg.c.idx, sg.c.timestamp).where(
            sg.c.document_id.in_(ids[i : i + 500]), sg.c.timestamp.is_not(None)
        )
        for doc_id, idx, ts in conn.execute(q):
            out[(doc_id, idx)] = ts
    return out


def _excerpt(e: Excerpt, ts: dict[tuple[int, int], str], memos: list[Memo]) -> ReportExcerpt:
    own = [Memo(e.coder, e.created, e.memo)] if e.memo else []
    return ReportExcerpt(
        document=e.document,
        segment=e.segment,
        speaker=e.speaker,
        timestamp=ts.get((e.document_id, e.segment)) if e.segment is not None else None,
        start=e.start,
        end=e.end,
        coder=e.coder,
        created=e.created,
        text=e.text,
        attributes=tuple(sorted(e.attributes.items())),
        memos=(*own, *memos),
    )


def build_report(
    conn: Connection,
    filters: Filters,
    *,
    by: str | None = None,
    count: str = "codings",
    project: str = "",
    pseudonymise: bool = False,
) -> Report:
    """Gather the report for the chosen codes (each with its descendants; default: all).
    With `pseudonymise`, every text from the project goes through the accepted pseudonyms
    (CONTRACT §10), each excerpt cut from the pseudonymised document so that a coding whose
    span cuts a name in half still shows the whole stand-in."""
    fn = pseudonymiser(conn) if pseudonymise else None
    scope = Scope.build(conn, filters)
    shown = scope.shown_codes()
    if not shown:
        raise WorkbenchError("the project has no codes: import a codebook first")
    by = default_by(scope) if by is None else (None if by.strip() == "none" else by.strip())
    matrix = count_matrix(conn, "code", by, count=count, filters=filters)
    row_of = {r.key: i for i, r in enumerate(matrix.rows)}
    rows = excerpts(
        conn, codes=list(filters.codes) or None, where=list(filters.where), coder=filters.coder
    )
    if fn is not None:
        from workbench.pseudonyms.apply import excerpts as pseudonymised_excerpts

        rows = pseudonymised_excerpts(conn, rows, fn)  # type: ignore[arg-type]
    ts = _timestamps(conn, {e.document_id for e in rows})
    coding_memos = _memos(conn, "coding_id", [e.coding_id for e in rows])
    code_memos = _memos(conn, "code_id", [sc.code.id for sc in shown])
    by_code: dict[str, list[ReportExcerpt]] = defaultdict(list)
    for e in rows:
        by_code[e.code_id].append(_excerpt(e, ts, coding_memos.get(e.coding_id, [])))
    out: list[ReportCode] = []
    top_path = ""
    for i, sc in enumerate(shown):
        code = sc.code
        path = scope.tree.path_str(code.id)
        table: tuple[tuple[str, int, tuple[int, ...], int], ...] = ()
        if sc.depth == 0:
            top_path = path
            j = i + 1
            while j < len(shown) and shown[j].depth > 0:
                j += 1
            table = tuple(
                (
                    x.label,
                    x.depth,
                    tuple(matrix.cells[row_of[x.code.id]]),
                    matrix.row_totals[row_of[x.code.id]],
                )
                for x in shown[i:j]
            )
        title = code.name if sc.depth == 0 else path[len(top_path) + 3 :] or code.name
        r = row_of[code.id]
        out.append(
            ReportCode(
                id=code.id,
                name=code.name,
                path=path,
                heading=1 if sc.depth == 0 else 2,
                title=title,
                description=code.description,
                include=code.include,
                exclude=code.exclude,
                examples=code.examples,
                memos=tuple(code_memos.get(code.id, [])),
                total=matrix.row_totals[r],
                counts=tuple(
                    (c.label, v) for c, v in zip(matrix.cols, matrix.cells[r], strict=True)
                ),
                table=table,
                excerpts=tuple(by_code.get(code.id, [])),
            )
        )
    names = ", ".join(sc.code.name for sc in shown if sc.depth == 0)
    chosen = bool(filters.codes)
    report = Report(
        title=f"Theme report: {names}" if chosen else "Theme report: the whole codebook",
        project=project,
        created=now_iso(),
        filters=describe_filters(filters),
        by=by,
        by_title=matrix.col_dim.title if matrix.col_dim else "",
        count=count,
        columns=tuple(matrix.col_labels) if by else (),
        codes=tuple(out),
    )
    return report if fn is None else report.mapped(fn)


def write_report(report: Report, path: Path, fmt: str) -> None:
    if fmt == "docx":
        from workbench.analysis.report_docx import write_docx

        write_docx(report, path)
    else:
        from workbench.analysis.report_text import write_html, write_markdown

        (write_markdown if fmt == "md" else write_html)(report, path)
