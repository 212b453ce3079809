"""Review mode: corpus-wide suggestions one at a time, like an annotation queue.

The engine loads and embeds the corpus in a thread worker (progress bar, `c` cancels while it
runs; results come back as typed messages); the UI stays responsive. y accepts (codes the passage and records the decision), n rejects,
space skips, o switches between most confident first and most uncertain first (the
suggestions the learner gains most from)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, Static
from textual.worker import get_current_worker

from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import guard
from workbench.tui.messages import QueueReady, WorkerProgress, WorkerStatus
from workbench.tui.suggestions import Suggestion, SuggestionEngine
from workbench.tui.text import word_window
from workbench.tui.widgets.footer import WorkbenchFooter

CONTEXT = 300  # characters of context either side of the passage


class ReviewScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide(True)", "Accept", id="review.accept"),
        Binding("n", "decide(False)", "Reject", id="review.reject"),
        Binding("space", "skip", "Skip", id="review.skip"),
        Binding("o", "toggle_order", "Confident/uncertain first", id="review.order"),
        Binding("c", "cancel", "Cancel embedding", id="review.cancel"),  # only while loading
        Binding("escape", "back", "Back", id="review.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.current: Suggestion | None = None
        self.queue: Iterator[Suggestion] | None = None
        self.reviewed = 0
        self.order = "confident"  # or "uncertain": closest to the code's threshold first
        self.loading = True  # the engine loads / the corpus is embedded (c cancels)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-body"):
            yield Static("model loading…", id="review-status", markup=False)
            yield ProgressBar(id="review-progress", show_eta=False)
            yield Static("", id="review-passage", markup=False)
            yield Static("", id="review-proposal", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.loading = True
        self.prepare()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`c` (cancel embedding) only while the corpus is being embedded: hidden otherwise."""
        if action == "cancel":
            return self.loading
        return True

    def set_loading(self, loading: bool) -> None:
        self.loading = loading
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def prepare(self) -> None:
        worker = get_current_worker()
        try:
            engine = self.wb.get_engine()
            self.post_message(WorkerStatus("embedding the corpus… (c cancels)"))

            def progress(done: int, total: int) -> None:
                self.post_message(WorkerProgress(done, total))

            engine.prepare(progress, lambda: worker.is_cancelled)
            if worker.is_cancelled:
                return
            queue = self.make_queue(engine)
        except Exception as exc:
            self.post_message(WorkerStatus(f"suggestions unavailable: {exc}", done=True))
            return
        self.post_message(QueueReady(queue))

    @on(WorkerStatus)
    def _status(self, message: WorkerStatus) -> None:
        self.status(message.text)
        if message.done:
            self.set_loading(False)

    @on(WorkerProgress)
    def _progress(self, message: WorkerProgress) -> None:
        self.progress(message.done, message.total)

    @on(QueueReady)
    @guard
    def _queue_ready(self, message: QueueReady) -> None:
        self.queue = message.queue
        self.set_loading(False)
        self.advance()

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
        with self.wb.project.read() as conn:
            from workbench.services.codes import CodeTree
            from workbench.services.documents import document_row

            text = document_row(conn, s.document).text
            tree = CodeTree.load(conn)
        lo, hi = word_window(text, s.start, s.end, CONTEXT)  # never cut mid-word
        passage = Text(("…" if lo > 0 else "") + text[lo : s.start], style="dim")
        passage.append(text[s.start : s.end], style="bold reverse")
        passage.append(text[s.end : hi] + ("…" if hi < len(text) else ""), style="dim")
        code = tree.path_str(s.code_id) if s.code_id in tree.codes else s.code_id
        self.status(f"{self.reviewed} decided · {s.document} · y accept · n reject · space skip")
        self.query_one("#review-passage", Static).update(passage)
        self.query_one("#review-proposal", Static).update(
            f"→ {code}   score {s.score:.2f}\n  {s.reason}"
        )

    def action_decide(self, accepted: bool) -> None:
        if self.current is None:
            return
        self.wb.decide(self.current, accepted)
        self.reviewed += 1
        self.advance()

    def make_queue(self, engine: SuggestionEngine) -> Iterator[Suggestion]:
        coder = self.wb.coder
        if self.order == "confident":
            return engine.queue(coder)
        return engine.queue(coder, order=self.order)

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
            self.queue = self.make_queue(self.wb.get_engine())
        except Exception as exc:
            self.status(f"suggestions unavailable: {exc}")
            return
        self.advance()

    def action_skip(self) -> None:
        if self.current is not None:
            self.advance()

    def action_cancel(self) -> None:
        if not self.loading:  # the queue is ready: nothing to cancel (and it must survive)
            return
        self.workers.cancel_group(self, "review")
        self.set_loading(False)
        self.status("embedding cancelled")

    def action_back(self) -> None:
        self.workers.cancel_group(self, "review")
        self.wb.refresh_data()
        self.app.pop_screen()
