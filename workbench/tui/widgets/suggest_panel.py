"""The suggestions panel of the coding screen: top suggestions for the current segment."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from workbench.tui.suggestions import Suggestion


class SuggestionPanel(Vertical):
    """Filled by a thread worker; the coding screen's y / n act on the highlighted row."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.items: list[Suggestion] = []
        self.segment_id: int | None = None
        self.warmed = False  # the learner's texts are embedded (once per app run)

    def compose(self) -> ComposeResult:
        yield Label("Suggestions  (y accept · n reject)", classes="panel-title")
        yield Static("press t to load the model", id="suggest-status")
        yield OptionList(id="suggest-list")

    def status(self, text: str) -> None:
        self.query_one("#suggest-status", Static).update(text)

    def request(self, segment_id: int, names: dict[str, str]) -> None:
        if segment_id == self.segment_id and self.items:
            return
        self.segment_id = segment_id
        self.status("thinking…")
        self.fetch(segment_id, names)

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def fetch(self, segment_id: int, names: dict[str, str]) -> None:
        worker = get_current_worker()
        app = self.app
        try:
            engine = app.get_engine()  # type: ignore[attr-defined]
            warm_up = getattr(engine, "warm_up", None)
            if warm_up is not None and not self.warmed:

                def progress(done: int, total: int) -> None:
                    if total and done < total:
                        app.call_from_thread(
                            self.status, f"learning the codebook and codings… {done}/{total}"
                        )

                if not warm_up(progress, lambda: worker.is_cancelled):
                    return
                self.warmed = True
            items = engine.for_segment(segment_id)
        except Exception as exc:
            app.call_from_thread(self.status, f"unavailable: {exc}")
            return
        if not worker.is_cancelled:
            app.call_from_thread(self.show, segment_id, items, names)

    def show(self, segment_id: int, items: list[Suggestion], names: dict[str, str]) -> None:
        if segment_id != self.segment_id:
            return
        self.items = items
        view = self.query_one("#suggest-list", OptionList)
        view.clear_options()
        view.add_options(
            Option(f"{s.score:.2f} {names.get(s.code_id, s.code_id)}\n  [dim]{s.reason}[/]")
            for s in items
        )
        if items:
            view.highlighted = 0
        self.status(f"{len(items)} for this segment" if items else "no suggestions here")

    def highlighted(self) -> Suggestion | None:
        i = self.query_one("#suggest-list", OptionList).highlighted
        return self.items[i] if i is not None and i < len(self.items) else None

    def drop(self, suggestion: Suggestion) -> None:
        self.items = [s for s in self.items if s != suggestion]
        self.show(suggestion.segment_id, self.items, {})
