"""Search: full-text over every segment (the store's FTS index) or by meaning (the embedder:
a free query, or "passages like this one" from the coding screen); Enter jumps to the passage.

Meaning search embeds what the cache lacks in a thread worker with a progress bar; the model
is imported only then, never at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from workbench.services.segment_hits import (
    SegmentHit,
    full_text_search,
    full_text_total,
    segment_hits,
)
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import guard
from workbench.tui.messages import HitsReady, WorkerProgress
from workbench.tui.text import around_match, clip, plain, plural, query_words
from workbench.tui.widgets.footer import WorkbenchFooter

if TYPE_CHECKING:
    from workbench.suggest.similar import SimilarHit

PAGE = 200  # passages read at a time in a words search
NEAR = 40  # the next page is read when the cursor comes this close to the last row read


class SearchScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Go to passage", id="search.jump"),
        # priority: `/` starts a new search even while typing in the search box
        Binding(
            "slash", "edit_query", "New search", key_display="/", priority=True, id="search.new"
        ),
        Binding("ctrl+t", "toggle_mode", "Words/meaning", key_display="^t", id="search.mode"),
        Binding("escape", "back", "Back", id="search.back"),
    ]

    def __init__(self, query: str = "", like_segment: int | None = None) -> None:
        super().__init__()
        self.initial = query
        self.like_segment = like_segment
        self.meaning = like_segment is not None
        self.hits: list[SegmentHit] = []
        self.words: list[str] = []  # the words searched for (shown in the results)
        self.partial = ""  # summary of a first answer while the rest is embedded
        self.query_text = ""  # the words search shown, while more of its pages can be read
        self.total = 0  # passages matching it, all pages

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="search-body"):
            yield Input(
                self.initial, placeholder='words or "a phrase" — Enter searches', id="query"
            )
            yield Static("", id="search-summary", markup=False)
            yield ProgressBar(id="search-progress", show_eta=False)
            yield DataTable(id="hits", cursor_type="row", zebra_stripes=True)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        table = self.query_one("#hits", DataTable)
        for label in ("Document", "¶", "Speaker", "Text"):
            table.add_column(label)
        self.query_one("#query", Input).focus()
        self.query_one("#search-progress", ProgressBar).display = False
        self.show_mode()
        if self.like_segment is not None:
            self.show([], "finding passages like this one…")
            self.meaning_search(None, self.like_segment)
        elif self.initial:
            self.run_search(self.initial)

    def show_mode(self) -> None:
        query = self.query_one("#query", Input)
        query.border_title = "by meaning" if self.meaning else "words (full text)"
        query.placeholder = (
            "describe what you look for — Enter searches by meaning"
            if self.meaning
            else 'words or "a phrase" — Enter searches'
        )

    def action_toggle_mode(self) -> None:
        self.meaning = not self.meaning
        self.show_mode()
        self.query_one("#query", Input).focus()

    @on(Input.Submitted, "#query")
    @guard
    def _submitted(self, event: Input.Submitted) -> None:
        self.run_search(event.value)

    def run_search(self, query: str) -> None:
        self.words = [] if self.meaning else query_words(query)
        if self.meaning:
            self.show([], f"searching by meaning for '{query}'…")
            self.meaning_search(query, None)
            return
        with self.wb.project.read() as conn:
            hits = full_text_search(conn, query, PAGE)
            total = len(hits) if len(hits) < PAGE else full_text_total(conn, query)
        self.show(hits, f"{plural(total, 'passage')} match '{query}'")
        self.query_text, self.total = query, total

    @on(DataTable.RowHighlighted, "#hits")
    @guard
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if self.query_text and len(self.hits) < self.total:
            if event.cursor_row >= len(self.hits) - NEAR:
                self.load_more()

    def load_more(self) -> None:
        """Append the next page of a words search (virtual scrolling over every match)."""
        with self.wb.project.read() as conn:
            more = full_text_search(conn, self.query_text, PAGE, offset=len(self.hits))
        if not more:
            self.total = len(self.hits)  # the index changed under us: stop here
            return
        self.add_rows(more, start=len(self.hits))
        self.hits.extend(more)

    @work(thread=True, exclusive=True, group="meaning-search", exit_on_error=False)
    def meaning_search(self, query: str | None, segment_id: int | None) -> None:
        """Answer first from the passages already embedded (instant), or on a cold cache
        after embedding the passages sharing words with the query and the shortest (seconds),
        then embed the rest with a progress bar and answer again over the whole corpus."""
        from workbench.suggest.similar import cache_coverage, similar_passages

        worker = get_current_worker()
        app = self.wb
        what = f"'{query}'" if query is not None else "this passage"
        try:
            encoder = app.meaning_encoder()
            cached, total = cache_coverage(app.project, encoder)
            if 0 < cached < total:
                found = similar_passages(
                    app.project,
                    query=query,
                    segment_id=segment_id,
                    encoder=encoder,
                    cached_only=True,
                )
                self.post_hits(
                    found,
                    f"closest to {what} among the {cached} of {total} passages embedded so far",
                    partial=True,
                )

            def early(found: list[SimilarHit], searched: int, total: int) -> None:
                if not worker.is_cancelled:
                    self.post_hits(
                        found,
                        f"closest to {what} among the {searched} of {total} "
                        "passages embedded so far",
                        partial=True,
                    )

            found = similar_passages(
                app.project,
                query=query,
                segment_id=segment_id,
                progress=lambda done, total: self.post_message(WorkerProgress(done, total)),
                cancelled=lambda: worker.is_cancelled,
                encoder=encoder,
                interim=early,
            )
        except Exception as exc:  # a missing model or a bad query is a message, not a crash
            self.post_message(HitsReady([], f"meaning search unavailable: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_hits(found, f"closest in meaning to {what}")

    def post_hits(self, found: list[SimilarHit], summary: str, partial: bool = False) -> None:
        """Send hits found in the worker to the UI thread (with their table rows)."""
        with self.wb.project.read() as conn:
            hits = segment_hits(conn, [(h.segment_id, h.score) for h in found])
        summary = f"{plural(len(hits), 'passage')} {summary}"
        self.post_message(HitsReady(hits, summary, partial))

    @on(HitsReady)
    @guard
    def _hits(self, message: HitsReady) -> None:
        self.partial = message.summary if message.partial else ""
        self.show(message.hits, message.summary)
        if message.partial:  # the bar stays while the rest is embedded
            self.query_one("#search-progress", ProgressBar).display = True

    @on(WorkerProgress)
    @guard
    def _progress(self, message: WorkerProgress) -> None:
        self.progress(message.done, message.total)

    def progress(self, done: int, total: int) -> None:
        bar = self.query_one("#search-progress", ProgressBar)
        bar.display = done < total
        bar.update(total=total, progress=done)
        if done < total:
            self.query_one("#search-summary", Static).update(
                f"{self.partial}; embedding the rest ({done}/{total})"
                if self.partial
                else f"embedding the corpus once ({done}/{total}); later searches are instant"
            )

    def show(self, hits: list[SegmentHit], summary: str) -> None:
        self.hits = list(hits)
        self.query_text, self.total = "", len(hits)  # a words search sets its own after
        self.query_one("#search-progress", ProgressBar).display = False
        table = self.query_one("#hits", DataTable)
        table.clear()
        self.add_rows(self.hits, start=0)
        self.query_one("#search-summary", Static).update(summary)
        if self.hits:
            table.focus()

    def add_rows(self, hits: list[SegmentHit], start: int) -> None:
        table = self.query_one("#hits", DataTable)
        wide = self.app.size.width >= 120
        width = max(30, self.app.size.width - (56 if wide else 46))
        for i, h in enumerate(hits, start):
            text = around_match(h.text, self.words, width)  # the matched words, not the start
            table.add_row(
                plain(clip(h.document, 24 if wide else 18)),
                str(h.paragraph),
                plain(clip(h.speaker or "", 14 if wide else 10)),
                plain(text),
                key=str(i),
            )

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
        self.wb.open_document(hit.document, hit.start)

    def action_edit_query(self) -> None:
        """A new search: the box emptied and focused."""
        query = self.query_one("#query", Input)
        query.value = ""
        query.focus()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "meaning-search")
        self.app.pop_screen()
