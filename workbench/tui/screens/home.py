"""Home: the documents table (filter, sort, open) beside the codebook panel."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from workbench.errors import WorkbenchError
from workbench.services.home_stats import DocumentRow, document_page, document_total
from workbench.services.where import filter_terms, parse_where
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import NothingSelected, guard, show
from workbench.tui.text import clip, plain, plural
from workbench.tui.widgets.codebook import CodebookPanel
from workbench.tui.widgets.footer import WorkbenchFooter

# The sorts `s` cycles through: (label, home_stats sort, descending). Counts come from the
# kept aggregates, so every sort is one indexed query whatever the project's size.
SORTS = (
    ("name", "name", False),
    ("kind", "kind", False),
    ("segments", "segments", True),
    ("codings", "codings", True),
)
PAGE = 100  # documents read at a time (virtual scrolling; a screen shows about 35)
NEAR = 40  # the next page is read when the cursor comes this close to the last row read


def split_filter(text: str) -> tuple[list[tuple[str, str]], str]:
    """`role=patient set="Wave 1" moor` -> ([("role","patient"), ...], "moor")."""
    terms = filter_terms(text)
    pairs = [t for t in terms if "=" in t]
    words = " ".join(t for t in terms if "=" not in t)
    return parse_where(pairs), words.casefold()


# Columns by priority: at a narrow width the later ones are left out (the codebook panel
# can be hidden with B to make room). Role, Case, Set and Practice only when some document has one.
COLUMNS = [  # key, header, minimum width
    ("name", "Document", 12),
    ("kind", "Kind", 4),
    ("segments", "Segs", 4),
    ("coded", "Coded", 5),
    ("role", "Role", 4),
    ("case", "Case", 4),
    ("set", "Set", 4),  # REFI document sets (MAXQDA's document groups)
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
        self.docs: list[DocumentRow] = []  # the rows read so far, in the table's order
        self.total = 0  # documents matching the filter, all pages
        self.everything = 0  # documents in the project
        self.widths: dict[str, int] = {}  # column key -> width, fitted to the first page

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-body"):
            with Vertical(id="documents-pane"):
                yield Input(
                    placeholder="filter: words, kind=interview, role=patient …", id="doc-filter"
                )
                yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
                yield Static("", id="doc-summary", markup=False)
            yield CodebookPanel(id="codebook")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        if self.app.size.width < NARROW:  # 80 columns: the documents get the whole width
            self.query_one(CodebookPanel).display = False
        self.reload()
        self.query_one("#documents", DataTable).focus()

    def reload(self) -> None:
        self.fill_table()
        self.query_one(CodebookPanel).reload()

    def filter_terms(self) -> tuple[list[tuple[str, str]], str]:
        """The filter box as (attribute conditions, name words); a bad one warns."""
        try:
            return split_filter(self.query_one("#doc-filter", Input).value)
        except WorkbenchError as exc:
            show(self, exc, "warning")
            return [], ""

    def read_page(self, offset: int) -> list[DocumentRow]:
        where, words = self.filter_terms()
        _label, sort, descending = SORTS[self.sort_index]
        with self.wb.reading() as conn:  # at start-up: before SQLAlchemy is loaded
            page = document_page(
                conn,
                offset=offset,
                limit=PAGE,
                sort=sort,
                descending=descending,
                where=where,
                words=words,
            )
            self.total = page.total
            if offset == 0:
                unfiltered = not (where or words)
                self.everything = page.total if unfiltered else document_total(conn)
        return page.rows

    def fill_table(self) -> None:
        """The first page of the documents, read from the store (sorted, filtered there)."""
        current = self.selected_name()
        self.docs = self.read_page(0)
        self.lay_out(current)
        if not self.query_one("#documents", DataTable).size.width:
            # mounting: the rows go into the first frame at the width the table will have
            # (expected_width); fitted again, without a redraw if nothing moves, once known
            self.call_after_refresh(self.relayout)

    def relayout(self) -> None:
        """The rows already read, columns fitted again (a resize; the codebook shown or
        hidden): no query, and nothing redrawn when the columns stay as they are."""
        if self.fit_columns([self.cells(d) for d in self.docs]) != self.widths:
            self.lay_out(self.selected_name())

    def lay_out(self, current: str | None) -> None:
        table = self.query_one("#documents", DataTable)
        cells = [self.cells(d) for d in self.docs]
        self.widths = self.fit_columns(cells)
        table.clear(columns=True)
        for col, header, _ in COLUMNS:
            if col in self.widths:
                table.add_column(header, key=col, width=self.widths[col])
        self.add_rows(self.docs, cells)
        if current is not None and current in {d.name for d in self.docs}:
            table.move_cursor(row=table.get_row_index(current))
        self.show_summary()

    def add_rows(self, docs: list[DocumentRow], cells: list[dict[str, str]]) -> None:
        table = self.query_one("#documents", DataTable)
        for d, row in zip(docs, cells, strict=True):
            values = [clip(row[c], self.widths[c]) for c, _, _ in COLUMNS if c in self.widths]
            table.add_row(*map(plain, values), key=d.name)

    def load_more(self) -> bool:
        """Append the next page of documents; False when every one is read already."""
        if len(self.docs) >= self.total:
            return False
        more = self.read_page(len(self.docs))
        self.docs.extend(more)
        self.add_rows(more, [self.cells(d) for d in more])
        self.show_summary()
        return bool(more)

    def show_summary(self) -> None:
        everything = self.everything
        label = SORTS[self.sort_index][0]
        summary = f"{self.total} of {plural(everything, 'document')} · sorted by {label}"
        if not self.query_one(CodebookPanel).display:
            summary += " · b shows the codebook"
        self.query_one("#doc-summary", Static).update(summary)

    def cells(self, d: DocumentRow) -> dict[str, str]:
        return {
            "name": d.name,
            "kind": d.kind,
            "segments": str(d.segments),
            "coded": f"{d.coded:.0%}",
            "role": d.attributes.get("role", ""),
            "case": d.case if d.case != d.name else "",
            "set": d.attributes.get("set", ""),
            "practice": d.attributes.get("practice", ""),
        }

    def expected_width(self) -> int:
        """The documents table's width before the first layout: the screen's, less the
        codebook panel's when it is shown (its width from the stylesheet, in cells)."""
        width = self.app.size.width
        panel = self.query_one(CodebookPanel)
        if panel.display and panel.styles.width is not None and panel.styles.width.is_cells:
            width -= int(panel.styles.width.value)
        return width

    def fit_columns(self, cells: list[dict[str, str]]) -> dict[str, int]:
        """Column key -> width: by priority, as many as the table's width holds; Document
        takes what is left (at least its minimum, names are cut with …)."""
        table = self.query_one("#documents", DataTable)
        avail = (table.size.width or self.expected_width()) - 2  # the scrollbar
        natural = {}
        for col, header, least in COLUMNS:
            longest = max((len(c[col]) for c in cells), default=0)
            if col in {"case", "role", "set", "practice"} and longest == 0:
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
        self.call_after_refresh(self.relayout)

    def selected_name(self) -> str | None:
        table = self.query_one("#documents", DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    @on(DataTable.RowHighlighted, "#documents")
    @guard
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.docs) - NEAR:
            self.load_more()

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
            self.call_after_refresh(self.relayout)  # fewer columns fit beside it
        panel.focus_tree()

    def action_toggle_codebook(self) -> None:
        panel = self.query_one(CodebookPanel)
        panel.display = not panel.display
        if not panel.display:
            self.query_one("#documents", DataTable).focus()
        self.call_after_refresh(self.relayout)

    def action_focus_documents(self) -> None:
        self.query_one("#documents", DataTable).focus()
