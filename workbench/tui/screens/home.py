"""Home: the documents table (filter, sort, open) beside the codebook panel."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from workbench.errors import WorkbenchError
from workbench.services.documents import DocumentInfo, list_documents, parse_where
from workbench.tui.errors import guard
from workbench.tui.widgets.codebook import CodebookPanel

KEY_ATTRIBUTES = ("role", "practice")
SORTS = ("name", "kind", "segments", "coded")


def coded_fraction(conn, docs: list[DocumentInfo]) -> dict[int, float]:  # type: ignore[no-untyped-def]
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


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("s", "sort", "Sort"),
        Binding("r", "retrieval", "Retrieve"),
        Binding("f", "search", "Search"),
        Binding("b", "focus_codebook", "Codebook"),
        Binding("d", "focus_documents", "Documents", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("M", "merge_codebooks", "Merge codebooks", key_display="M", show=False),
        Binding("D", "disagreements", "Coder disagreements", key_display="D", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_index = 0
        self.docs: list[DocumentInfo] = []
        self.coded: dict[int, float] = {}

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
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#documents", DataTable)
        table.add_column("Document", key="name")
        table.add_column("Kind", key="kind")
        table.add_column("Segs", key="segments")
        table.add_column("Coded", key="coded")
        for attr in KEY_ATTRIBUTES:  # last: long values must not push the counts off-screen
            table.add_column(attr.capitalize(), key=attr)
        self.reload()
        table.focus()

    def reload(self) -> None:
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
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
            self.notify(str(exc), severity="warning")
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
        table.clear()
        for d in shown:
            table.add_row(
                d.name,
                d.kind,
                str(d.segments),
                f"{self.coded.get(d.id, 0.0):.0%}",
                *(d.attributes.get(a, "") for a in KEY_ATTRIBUTES),
                key=d.name,
            )
        if current is not None and current in {d.name for d in shown}:
            table.move_cursor(row=table.get_row_index(current))
        summary = f"{len(shown)} of {len(self.docs)} documents · sorted by {key}"
        self.query_one("#doc-summary", Static).update(summary)

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
            self.notify("no document selected", severity="warning")
            return
        self.app.open_document(name)  # type: ignore[attr-defined]

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
        self.app.action_retrieval(code)  # type: ignore[attr-defined]

    def action_search(self) -> None:
        self.app.action_search()  # type: ignore[attr-defined]

    def action_merge_codebooks(self) -> None:
        self.app.action_merge_codebooks()  # type: ignore[attr-defined]

    def action_disagreements(self) -> None:
        self.app.action_disagreements()  # type: ignore[attr-defined]

    def action_focus_codebook(self) -> None:
        self.query_one(CodebookPanel).focus_tree()

    def action_focus_documents(self) -> None:
        self.query_one("#documents", DataTable).focus()
