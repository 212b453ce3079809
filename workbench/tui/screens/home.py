"""Home: the documents table (filter, sort, open) beside the codebook panel."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Connection
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from workbench.errors import WorkbenchError
from workbench.services.documents import DocumentInfo, list_documents, parse_where
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import NothingSelected, guard, show
from workbench.tui.text import clip, plural
from workbench.tui.widgets.codebook import CodebookPanel
from workbench.tui.widgets.footer import WorkbenchFooter

SORTS = ("name", "kind", "segments", "coded")


def coded_fraction(conn: Connection, docs: list[DocumentInfo]) -> dict[int, float]:
    """Share of each document's characters under at least one coding."""
    from workbench.services.coding import list_codings

    spans: dict[int, list[tuple[int, int]]] = {}
    for c in list_codings(conn):
        spans.setdefault(c.document_id, []).append((c.start, c.end))
    out: dict[int, float] = {}
    for d in docs:
        covered, reach = 0, 0
        for s, e in sorted(spans.get(d.id, [])):
            s = max(s, reach)
            if e > s:
                covered += e - s
                reach = e
        out[d.id] = covered / d.length if d.length else 0.0
    return out


def split_filter(text: str) -> tuple[list[tuple[str, str]], str]:
    """`role=patient kind=interview moor` -> ([("role","patient"), ...], "moor")."""
    pairs = [t for t in text.split() if "=" in t]
    words = " ".join(t for t in text.split() if "=" not in t)
    return parse_where(pairs), words.casefold()


# Columns by priority: at a narrow width the later ones are left out (the codebook panel
# can be hidden with B to make room). Case only when some document belongs to another case.
COLUMNS = [  # key, header, minimum width
    ("name", "Document", 12),
    ("kind", "Kind", 4),
    ("segments", "Segs", 4),
    ("coded", "Coded", 5),
    ("role", "Role", 4),
    ("case", "Case", 4),
    ("practice", "Practice", 8),
]


NARROW = 100  # below this width the codebook panel starts hidden (b shows it, B hides it)


class HomeScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True, id="home.open"),
        Binding("slash", "filter", "Filter", key_display="/", id="home.filter"),
        Binding("s", "sort", "Sort", id="home.sort"),
        Binding("r", "retrieval", "Retrieve", id="home.retrieve"),
        Binding("f", "search", "Search", id="home.search"),
        Binding("x", "analysis", "Analyse", id="home.analysis"),
        Binding("b", "focus_codebook", "Codebook", id="home.codebook"),
        Binding(
            "B",
            "toggle_codebook",
            "Hide/show codebook",
            key_display="B",
            show=False,
            id="home.toggle_codebook",
        ),
        Binding("d", "focus_documents", "Documents", show=False, id="home.documents"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="home.clear_filter"),
        Binding(
            "M",
            "merge_codebooks",
            "Merge codebooks",
            key_display="M",
            show=False,
            id="home.merge_codebooks",
        ),
        Binding(
            "D",
            "disagreements",
            "Coder disagreements",
            key_display="D",
            show=False,
            id="home.disagreements",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_index = 0
        self.docs: list[DocumentInfo] = []
        self.coded: dict[int, float] = {}
        self.columns: list[str] = []  # keys of the columns shown, by priority

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-body"):
            with Vertical(id="documents-pane"):
                yield Input(
                    placeholder="filter: words, kind=interview, role=patient …", id="doc-filter"
                )
                yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
                yield Static("", id="doc-summary")
            yield CodebookPanel(id="codebook")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        if self.app.size.width < NARROW:  # 80 columns: the documents get the whole width
            self.query_one(CodebookPanel).display = False
        self.reload()
        self.query_one("#documents", DataTable).focus()

    def reload(self) -> None:
        with self.wb.project.read() as conn:
            self.docs = list_documents(conn)
            self.coded = coded_fraction(conn, self.docs)
        self.fill_table()
        self.query_one(CodebookPanel).reload()

    def fill_table(self) -> None:
        table = self.query_one("#documents", DataTable)
        text = self.query_one("#doc-filter", Input).value
        try:
            where, words = split_filter(text)
        except WorkbenchError as exc:
            show(self, exc, "warning")
            where, words = [], ""
        from workbench.services.documents import matches_where

        shown = [
            d
            for d in self.docs
            if matches_where(d.attributes, d.kind, where) and words in d.name.casefold()
        ]
        key = SORTS[self.sort_index]
        sorters = {
            "name": lambda d: d.name.casefold(),
            "kind": lambda d: (d.kind, d.name.casefold()),
            "segments": lambda d: -d.segments,
            "coded": lambda d: -self.coded.get(d.id, 0.0),
        }
        shown.sort(key=sorters[key])
        current = self.selected_name()
        cells = [self.cells(d) for d in shown]
        widths = self.fit_columns(cells)
        table.clear(columns=True)
        for col, header, _ in COLUMNS:
            if col in widths:
                table.add_column(header, key=col, width=widths[col])
        for d, row in zip(shown, cells, strict=True):
            values = [clip(row[c], widths[c]) for c, _, _ in COLUMNS if c in widths]
            table.add_row(*values, key=d.name)
        if current is not None and current in {d.name for d in shown}:
            table.move_cursor(row=table.get_row_index(current))
        summary = f"{len(shown)} of {plural(len(self.docs), 'document')} · sorted by {key}"
        if not self.query_one(CodebookPanel).display:
            summary += " · b shows the codebook"
        self.query_one("#doc-summary", Static).update(summary)

    def cells(self, d: DocumentInfo) -> dict[str, str]:
        return {
            "name": d.name,
            "kind": d.kind,
            "segments": str(d.segments),
            "coded": f"{self.coded.get(d.id, 0.0):.0%}",
            "role": d.attributes.get("role", ""),
            "case": d.case if d.case != d.name else "",
            "practice": d.attributes.get("practice", ""),
        }

    def fit_columns(self, cells: list[dict[str, str]]) -> dict[str, int]:
        """Column key -> width: by priority, as many as the table's width holds; Document
        takes what is left (at least its minimum, names are cut with …)."""
        table = self.query_one("#documents", DataTable)
        avail = (table.size.width or self.app.size.width) - 2  # the scrollbar
        natural = {}
        for col, header, least in COLUMNS:
            longest = max((len(c[col]) for c in cells), default=0)
            if col in {"case", "role", "practice"} and longest == 0:
                continue  # an empty column says nothing
            natural[col] = max(least, len(header), longest)
        pad = 2  # DataTable's cell padding
        name_min = min(natural["name"], COLUMNS[0][2] + 4)
        used = name_min + pad
        chosen = {"name": name_min}
        for col, _, _ in COLUMNS[1:]:
            if col not in natural:
                continue
            if used + natural[col] + pad > avail:
                break
            chosen[col] = natural[col]
            used += natural[col] + pad
        chosen["name"] = max(name_min, min(natural["name"], avail - used + name_min))
        return chosen

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self.fill_table)

    def selected_name(self) -> str | None:
        table = self.query_one("#documents", DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    @on(Input.Changed, "#doc-filter")
    @guard
    def _filter_changed(self) -> None:
        self.fill_table()

    @on(Input.Submitted, "#doc-filter")
    @guard
    def _filter_done(self) -> None:
        self.query_one("#documents", DataTable).focus()

    @on(DataTable.RowSelected, "#documents")
    @guard
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        name = self.selected_name()
        if name is None:
            show(self, NothingSelected("no document selected"))
            return
        self.wb.open_document(name)

    def action_filter(self) -> None:
        self.query_one("#doc-filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#doc-filter", Input).value = ""
        self.query_one("#documents", DataTable).focus()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.fill_table()

    def action_retrieval(self) -> None:
        code = self.query_one(CodebookPanel).selected_code_id()
        self.wb.action_retrieval(code)

    def action_search(self) -> None:
        self.wb.action_search()

    def action_merge_codebooks(self) -> None:
        self.wb.action_merge_codebooks()

    def action_disagreements(self) -> None:
        self.wb.action_disagreements()

    def action_analysis(self) -> None:
        self.wb.action_analysis()

    def action_focus_codebook(self) -> None:
        panel = self.query_one(CodebookPanel)
        if not panel.display:
            panel.display = True
            self.call_after_refresh(self.fill_table)  # fewer columns fit beside it
        panel.focus_tree()

    def action_toggle_codebook(self) -> None:
        panel = self.query_one(CodebookPanel)
        panel.display = not panel.display
        if not panel.display:
            self.query_one("#documents", DataTable).focus()
        self.call_after_refresh(self.fill_table)

    def action_focus_documents(self) -> None:
        self.query_one("#documents", DataTable).focus()
