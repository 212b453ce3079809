"""Search: full-text over every segment (the store's FTS index); Enter jumps to the passage."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from workbench.services.tui_support import SegmentHit, full_text_search
from workbench.tui.errors import guard
from workbench.tui.screens.retrieval import snippet


class SearchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Go to passage"),
        Binding("slash", "edit_query", "New search", key_display="/"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query
        self.hits: list[SegmentHit] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="search-body"):
            yield Input(
                self.initial, placeholder='words or "a phrase" — Enter searches', id="query"
            )
            yield Static("", id="search-summary")
            yield DataTable(id="hits", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#hits", DataTable)
        for label in ("Document", "¶", "Speaker", "Text"):
            table.add_column(label)
        self.query_one("#query", Input).focus()
        if self.initial:
            self.run_search(self.initial)

    @on(Input.Submitted, "#query")
    @guard
    def _submitted(self, event: Input.Submitted) -> None:
        self.run_search(event.value)

    def run_search(self, query: str) -> None:
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
            self.hits = full_text_search(conn, query)
        self.show(f"{len(self.hits)} passages match '{query}'")

    def show(self, summary: str) -> None:
        table = self.query_one("#hits", DataTable)
        table.clear()
        for i, h in enumerate(self.hits):
            table.add_row(h.document, str(h.idx), h.speaker or "", snippet(h.text), key=str(i))
        self.query_one("#search-summary", Static).update(summary)
        if self.hits:
            table.focus()

    @on(DataTable.RowSelected, "#hits")
    @guard
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_jump()

    def action_jump(self) -> None:
        table = self.query_one("#hits", DataTable)
        if not self.hits:
            return
        hit = self.hits[table.cursor_row]
        self.app.open_document(hit.document, hit.start)  # type: ignore[attr-defined]

    def action_edit_query(self) -> None:
        self.query_one("#query", Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
