"""The suggestions panel of the coding screen: top suggestions for the current segment.

A thread worker asks the engine; its results come back as typed messages (`WorkerStatus`,
`SuggestionsReady`) handled on the UI thread. The list is not focusable: `J`/`K` on the
coding screen move the highlight, `y`/`n` accept or reject it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from workbench.tui.base import UsesWorkbench
from workbench.tui.messages import SuggestionsReady, WorkerStatus
from workbench.tui.suggestions import Suggestion


class SuggestionList(OptionList, can_focus=False):
    """Highlight moved from the coding screen (J/K), never by focus."""


class SuggestionPanel(UsesWorkbench, Vertical):
    """Filled by a thread worker; the coding screen's y / n act on the highlighted row."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[Suggestion] = []
        self.names: dict[str, str] = {}  # code id -> name, set by the coding screen
        self.segment_id: int | None = None
        self.warmed = False  # the learner's texts are embedded (once per app run)

    def compose(self) -> ComposeResult:
        yield Label("Suggestions  y/n · J/K move", classes="panel-title")
        yield Static("press t to load the model", id="suggest-status", markup=False)
        yield SuggestionList(id="suggest-list")

    def status(self, text: str) -> None:
        self.query_one("#suggest-status", Static).update(text)

    def request(self, segment_id: int) -> None:
        if segment_id == self.segment_id and self.items:
            return
        self.segment_id = segment_id
        self.status("thinking…")
        self.fetch(segment_id)

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def fetch(self, segment_id: int) -> None:
        """The current passage first: on a cold start a codebook-only answer (the code
        profiles and this passage embedded: seconds), then, once the learner's texts are
        embedded, the learned answer; then the rest of the corpus in the background."""
        worker = get_current_worker()
        try:
            engine = self.wb.get_engine()
            warm_up = getattr(engine, "warm_up", None)
            if warm_up is not None and not self.warmed:
                first = getattr(engine, "first_for_segment", None)
                if first is not None:
                    items, learned = first(segment_id)
                    if worker.is_cancelled:
                        return
                    if learned:
                        self.warmed = True
                        self.post_message(SuggestionsReady(segment_id, items))
                        self.wb.embed_corpus_later()
                        return
                    self.post_message(SuggestionsReady(segment_id, items, preliminary=True))

                def progress(done: int, total: int) -> None:
                    if total and done < total:
                        self.post_message(
                            WorkerStatus(f"learning the codebook and codings… {done}/{total}")
                        )

                if not warm_up(progress, lambda: worker.is_cancelled):
                    return
                self.warmed = True
            items = engine.for_segment(segment_id)
        except Exception as exc:
            self.post_message(WorkerStatus(f"unavailable: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_message(SuggestionsReady(segment_id, items))
            self.wb.embed_corpus_later()

    @on(WorkerStatus)
    def _status(self, message: WorkerStatus) -> None:
        message.stop()
        self.status(message.text)

    @on(SuggestionsReady)
    def _ready(self, message: SuggestionsReady) -> None:
        message.stop()
        self.show(message.segment_id, message.items, message.preliminary)

    def label(self, s: Suggestion) -> Text:
        """Score, code and reason as written (a reason quotes a passage: "[laughs]")."""
        out = Text(f"{s.score:.2f} {self.names.get(s.code_id, s.code_id)}\n")
        out.append(f"  {s.reason}", style="dim")
        return out

    def show(self, segment_id: int, items: list[Suggestion], preliminary: bool = False) -> None:
        if segment_id != self.segment_id:
            return
        self.items = items
        view = self.query_one(SuggestionList)
        view.clear_options()
        view.add_options(Option(self.label(s)) for s in items)
        if items:
            view.highlighted = 0
        if preliminary:  # the learner's answer follows when its texts are embedded
            self.status(f"{len(items)} from the codebook · learning from your codings…")
        else:
            self.status(f"{len(items)} for this segment" if items else "no suggestions here")

    def move(self, step: int) -> None:
        view = self.query_one(SuggestionList)
        if view.option_count:
            cur = view.highlighted or 0
            view.highlighted = max(0, min(view.option_count - 1, cur + step))

    def highlighted(self) -> Suggestion | None:
        i = self.query_one(SuggestionList).highlighted
        return self.items[i] if i is not None and i < len(self.items) else None

    def drop(self, suggestion: Suggestion) -> None:
        self.items = [s for s in self.items if s != suggestion]
        self.show(suggestion.segment_id, self.items)
