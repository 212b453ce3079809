"""Review mode: corpus-wide suggestions one at a time, like an annotation queue.

The engine loads and embeds the corpus in a thread worker (progress bar, `c` cancels); the
UI stays responsive. y accepts (codes the passage and records the decision), n rejects,
space skips, o switches between most confident first and most uncertain first (the
suggestions the learner gains most from)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static
from textual.worker import get_current_worker

from workbench.tui.suggestions import Suggestion

CONTEXT = 300  # characters of context either side of the passage


class ReviewScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide(True)", "Accept"),
        Binding("n", "decide(False)", "Reject"),
        Binding("space", "skip", "Skip"),
        Binding("o", "toggle_order", "Confident/uncertain first"),
        Binding("c", "cancel", "Cancel embedding"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.current: Suggestion | None = None
        self.queue: Iterator[Suggestion] | None = None
        self.reviewed = 0
        self.order = "confident"  # or "uncertain": closest to the code's threshold first

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-body"):
            yield Static("model loading…", id="review-status")
            yield ProgressBar(id="review-progress", show_eta=False)
            yield Static("", id="review-passage")
            yield Static("", id="review-proposal")
        yield Footer()

    def on_mount(self) -> None:
        self.prepare()

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def prepare(self) -> None:
        worker = get_current_worker()
        app = self.app
        try:
            engine = app.get_engine()  # type: ignore[attr-defined]
            app.call_from_thread(self.status, "embedding the corpus… (c cancels)")

            def progress(done: int, total: int) -> None:
                app.call_from_thread(self.progress, done, total)

            engine.prepare(progress, lambda: worker.is_cancelled)
            if worker.is_cancelled:
                return
            self.queue = self.make_queue(engine)
        except Exception as exc:
            app.call_from_thread(self.status, f"suggestions unavailable: {exc}")
            return
        app.call_from_thread(self.advance)

    def status(self, text: str) -> None:
        self.query_one("#review-status", Static).update(text)

    def progress(self, done: int, total: int) -> None:
        self.query_one("#review-progress", ProgressBar).update(total=total, progress=done)

    def advance(self) -> None:
        """Show the next suggestion in the queue (or say the queue is empty)."""
        self.current = next(self.queue, None) if self.queue is not None else None
        if self.current is None:
            self.status(f"review done: {self.reviewed} decided · nothing more to review")
            self.query_one("#review-passage", Static).update("")
            self.query_one("#review-proposal", Static).update("")
            return
        s = self.current
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
            from workbench.services.codes import CodeTree
            from workbench.services.documents import document_row

            text = document_row(conn, s.document).text
            tree = CodeTree.load(conn)
        passage = Text(text[max(0, s.start - CONTEXT) : s.start], style="dim")
        passage.append(text[s.start : s.end], style="bold reverse")
        passage.append(text[s.end : s.end + CONTEXT], style="dim")
        code = tree.path_str(s.code_id) if s.code_id in tree.codes else s.code_id
        self.status(f"{self.reviewed} decided · {s.document} · y accept · n reject · space skip")
        self.query_one("#review-passage", Static).update(passage)
        self.query_one("#review-proposal", Static).update(
            f"→ {code}   score {s.score:.2f}\n  {s.reason}"
        )

    def action_decide(self, accepted: bool) -> None:
        if self.current is None:
            return
        self.app.decide(self.current, accepted)  # type: ignore[attr-defined]
        self.reviewed += 1
        self.advance()

    def make_queue(self, engine) -> Iterator[Suggestion]:  # type: ignore[no-untyped-def]
        coder = self.app.coder  # type: ignore[attr-defined]
        if self.order == "confident":
            return engine.queue(coder)  # type: ignore[no-any-return]
        return engine.queue(coder, order=self.order)  # type: ignore[no-any-return]

    def action_toggle_order(self) -> None:
        """Restart the queue in the other order (decided suggestions stay out of it)."""
        self.order = "uncertain" if self.order == "confident" else "confident"
        self.notify(
            "most uncertain first: the answers that teach the learner most"
            if self.order == "uncertain"
            else "most confident first"
        )
        if self.queue is None:  # still preparing: the new order applies when it is ready
            return
        try:
            self.queue = self.make_queue(self.app.get_engine())  # type: ignore[attr-defined]
        except Exception as exc:
            self.status(f"suggestions unavailable: {exc}")
            return
        self.advance()

    def action_skip(self) -> None:
        if self.current is not None:
            self.advance()

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "review")
        self.status("embedding cancelled")

    def action_back(self) -> None:
        self.workers.cancel_group(self, "review")
        self.app.refresh_data()  # type: ignore[attr-defined]
        self.app.pop_screen()
