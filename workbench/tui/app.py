"""The Workbench Textual app: project and coder, screens, command palette, error handling."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from workbench import startup_gc
from workbench.errors import WorkbenchError
from workbench.tui.errors import guard_callback, show
from workbench.tui.keymap import KeymapResult, build_keymap, keys_for
from workbench.tui.project_handle import ProjectHandle
from workbench.tui.suggestions import EngineFactory, Suggestion, SuggestionEngine, load_engine

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from workbench.services.feed_state import FeedState
    from workbench.services.live import Change, ChangeFeed, FileFeed
    from workbench.services.undo import UndoStack
    from workbench.store.db import Project
    from workbench.store.reader import Reader
    from workbench.suggest.cache import CachedEncoder

CSS_DIR = Path(__file__).parent / "styles"
# The full open (SQLAlchemy's import, the pool, the change feed) starts after this many
# screen refreshes (the home screen laid out, then its rows painted), so that it does not
# compete with painting the first screen (one GIL).
PAINTS_BEFORE_OPEN = 2


class WorkbenchApp(App[None]):
    """Read, code, retrieve and search a project from the keyboard."""

    TITLE = "Workbench"
    CSS_PATH: ClassVar[list[str | Path]] = [
        CSS_DIR / "app.tcss",
        CSS_DIR / "coding.tcss",
        CSS_DIR / "modals.tcss",
        CSS_DIR / "team.tcss",
    ]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="command_palette"),
        Binding("f2", "retrieval", "Retrieve", show=False, id="retrieval"),
        Binding("f3", "search", "Search", show=False, id="search"),
        Binding("f4", "review", "Review suggestions", show=False, id="review"),
        Binding("f5", "merge_codebooks", "Merge codebooks", show=False, id="merge_codebooks"),
        Binding("f6", "disagreements", "Coder disagreements", show=False, id="disagreements"),
        Binding("f7", "pseudonyms", "Review pseudonyms", show=False, id="pseudonyms"),
        Binding("f8", "analysis", "Analysis (matrix coding)", show=False, id="analysis"),
        Binding("f9", "fine_tune", "Fine-tune suggestions", show=False, id="fine_tune"),
        Binding("u", "undo", "Undo", show=False, id="undo"),
        Binding("ctrl+r", "redo", "Redo", show=False, id="redo"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, project_path: Path, coder: str | None = None) -> None:
        super().__init__()
        from workbench.config import default_coder, load_config

        self.project_path = Path(project_path)
        self.coder = default_coder(coder)
        self.keys: KeymapResult = build_keymap(load_config().keys)
        self.set_keymap(self.keys.keymap)
        self.handle = ProjectHandle(self.project_path)  # see tui/project_handle.py
        self.feed: ChangeFeed | FileFeed | None = None
        self._undo: UndoStack | None = None
        self.errors: list[str] = []  # unexpected errors shown as notifications (tests read it)
        self.sub_title = f"{self.project_path.name} · coder: {self.coder}"
        self.engine_factory: EngineFactory = load_engine
        self._engine: SuggestionEngine | None = None
        self._engine_lock = threading.Lock()
        self._encoder: CachedEncoder | None = None  # search by meaning's, until an engine
        self.background_embedding = True  # embed the corpus after the first suggestions
        self._corpus_started = False
        self._stop_background = threading.Event()
        self._tuning: Worker[None] | None = None  # the fine-tuning job (F9), while it runs

    @property
    def project(self) -> Project:
        """The project (opened on first use if the background open has not finished)."""
        return self.handle.open()

    @property
    def undo_stack(self) -> UndoStack:
        if self._undo is None:
            from workbench.services.undo import UndoStack

            self._undo = UndoStack(self.project)
        return self._undo

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read transaction for what a screen shows (SQL text services only: at start-up
        it may be the plain sqlite3 reader, see tui/project_handle.py)."""
        with self.handle.reading() as conn:
            yield conn

    def get_engine(self) -> SuggestionEngine:
        """The suggestion engine, loaded on first use. Blocking: call from a thread worker."""
        with self._engine_lock:
            if self._engine is None:
                self.call_from_thread(self.notify, "model loading…", timeout=3)
                self._engine = self.engine_factory(self.project_path, self.coder)
            return self._engine

    def meaning_encoder(self) -> CachedEncoder:
        """The embedding cache search by meaning uses: the suggestion engine's when it is
        loaded (search and review share vectors in memory, not only in the store), else one
        kept for the app's run. Blocking (may load the model): call from a thread worker."""
        from workbench.suggest.cache import CachedEncoder

        with self._engine_lock:
            shared = getattr(self._engine, "encoder", None)
            if isinstance(shared, CachedEncoder):
                return shared
            if self._encoder is None:
                from workbench.suggest.embedder import get_embedder

                self._encoder = CachedEncoder(get_embedder(), self.project)
            return self._encoder

    def embed_corpus_later(self) -> None:
        """Once the current passage has its suggestions, embed the rest of the corpus in the
        background (once per run; lowest priority; stops when the app closes). The vectors
        go to the store's cache, so review mode and search by meaning find them, and a
        restart continues where this stopped. Safe to call from any thread."""
        if threading.get_ident() != self._thread_id:
            self.call_from_thread(self.embed_corpus_later)
            return
        if self._corpus_started or not self.background_embedding:
            return
        self._corpus_started = True
        self.run_worker(self._embed_corpus, thread=True, group="corpus", exit_on_error=False)

    def action_fine_tune(self) -> None:
        """Fine-tune the model on the project's codings in the background; again: cancel."""
        job = self._tuning
        if job is not None and job.is_running:
            job.cancel()
            self.notify("fine-tuning: cancelling…", timeout=3)
            return
        self.notify(
            "fine-tuning the model on your codings in the background (a few minutes; "
            "F9 again cancels)",
            timeout=6,
        )
        self._tuning = self.run_worker(
            self._fine_tune, thread=True, group="fine-tune", exit_on_error=False
        )

    def _fine_tune(self) -> None:
        from workbench.tui.finetune_job import run_fine_tune

        run_fine_tune(self)

    def forget_engine(self) -> None:
        """Drop the suggestion engine (the model changed): the next request loads it anew."""
        with self._engine_lock:
            engine, self._engine = self._engine, None
            self._encoder = None
        self._corpus_started = False
        close = getattr(engine, "close", None)
        if callable(close):
            close()

    def _embed_corpus(self) -> None:
        from workbench.suggest.background import embed_in_background

        embed_in_background(self._engine, self._stop_background.is_set)

    def decide(self, suggestion: Suggestion, accepted: bool) -> None:
        """Save a decision on a suggestion (coding + feedback), then let the learner know."""
        from workbench.services.suggestion_feedback import record_feedback

        if accepted:
            self.undo_stack.code_span(
                suggestion.document,
                suggestion.start,
                suggestion.end,
                suggestion.code_id,
                self.coder,
                origin="suggested",
            )
        with self.project.begin() as conn:
            record_feedback(
                conn,
                suggestion.segment_id,
                suggestion.code_id,
                "accepted" if accepted else "rejected",
                self.coder,
                suggestion.score,
            )
        if self._engine is not None:
            self._engine.learn(suggestion, accepted, self.coder)

    def on_mount(self) -> None:
        from workbench.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        problems = self.keys.summary()
        if problems:
            self.notify(problems, title="Key bindings", severity="warning", timeout=12)
        if self.handle.is_open:
            problem = self.start_feed(self.project)
            if problem:
                self.notify(problem, severity="warning")
            self.call_after_refresh(startup_gc.resume)
        else:  # the first screen came from the start-up reader: the rest once it is painted
            self.call_after_refresh(self._open_fully, PAINTS_BEFORE_OPEN)

    def _open_fully(self, paints: int) -> None:
        if paints > 1:
            self.call_after_refresh(self._open_fully, paints - 1)
            return
        startup_gc.resume()  # home is painted: the collector back on (workbench/startup_gc.py)
        self.run_worker(self._open_in_thread, thread=True, group="open", exit_on_error=False)

    def _open_in_thread(self) -> None:
        """Open the project and start the feed (under the handle's lock: nothing here waits
        for the app's thread, which may be waiting for the lock), then tell the app."""
        outcome: dict[str, object] = {}

        def then(project: Project) -> None:
            outcome["problem"] = self.start_feed(project, since=self.handle.since)

        try:
            self.handle.open_fully(then)
            startup_gc.settle()
        except Exception as exc:  # the next action that needs the project says why
            outcome["error"] = exc
        try:
            if "error" in outcome:
                self.call_from_thread(self.report, outcome["error"])
            if outcome.get("problem"):
                self.call_from_thread(self.notify, str(outcome["problem"]), severity="warning")
        except RuntimeError:  # the app closed meanwhile
            pass

    def start_feed(self, project: Project, since: FeedState | None = None) -> str | None:
        """Hear what others change (a colleague on the server, a CLI command in another
        terminal) and refresh what is on screen; see workbench/services/live.py. `since`:
        report what changed after that state (what the first screen was read at). Returns
        why live updates are off, if they are. Safe from any thread."""
        from workbench.services.live import subscribe

        def heard(change: Change) -> None:  # in the feed's thread
            try:
                self.call_from_thread(self.on_change, change)
            except RuntimeError:  # the app is closing
                pass

        try:
            self.feed = subscribe(project, heard, me=self.coder, since=since)
        except Exception as exc:  # live updates are a nicety: the app works without them
            self.feed = None
            return f"live updates are off: {exc}"
        return None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification shows its text as written: they carry code and document names
        and quoted passages, which Textual would read as markup ("[draft]" vanished, a
        "[/]" raised an error while the toast was drawn). Screens pass markup=True by
        default; it is ignored."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_change(self, change: Change) -> None:
        if change.mine:
            return
        severity = "warning" if change.kind == "disconnected" else "information"
        self.notify(change.describe(), severity=severity, timeout=4)
        if change.kind != "disconnected":
            self.refresh_data()

    def on_unmount(self) -> None:
        self._stop_background.set()  # the background embedding stops at its next block
        if self.feed is not None:
            self.feed.stop()
        feed = self.feed
        self.handle.close()  # waits for an open in progress: none starts after this
        if self.feed is not None and self.feed is not feed:  # that open started a feed
            self.feed.stop()

    # Errors become notifications, never a traceback on screen ------------------------------
    # Every key binding and palette command goes through run_action, and every dialog result
    # through push_screen's callback; both are guarded here. Message handlers use @guard.

    def report(self, error: Exception) -> None:
        """Show an error as a notification; unexpected ones are kept in `errors` (and logged)."""
        if isinstance(error, WorkbenchError):  # Notice subclasses carry their own title
            show(self, error)
            return
        detail = "".join(traceback.format_exception(error))
        self.errors.append(detail)
        self.log.error(detail)
        self.notify(
            f"{type(error).__name__}: {error}",
            title="Unexpected error",
            severity="error",
            timeout=10,
        )

    async def run_action(self, action, default_namespace=None) -> bool:  # type: ignore[no-untyped-def,override]
        try:
            return await super().run_action(action, default_namespace)
        except Exception as exc:
            self.report(exc)
            return True

    def push_screen(self, screen, callback=None, wait_for_dismiss=False):  # type: ignore[no-untyped-def,override]
        if callback is not None:
            callback = guard_callback(self, callback)
        return super().push_screen(screen, callback, wait_for_dismiss=wait_for_dismiss)

    # Shared actions ---------------------------------------------------------------------

    def action_help(self) -> None:
        from workbench.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_retrieval(self, code_id: str | None = None) -> None:
        from workbench.tui.screens.retrieval import RetrievalScreen

        self.push_screen(RetrievalScreen(code_id))

    def action_search(self) -> None:
        from workbench.tui.screens.search import SearchScreen

        self.push_screen(SearchScreen())

    def action_review(self) -> None:
        from workbench.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen())

    def action_merge_codebooks(self) -> None:
        from workbench.tui.screens.merge import open_merge

        open_merge(self)

    def action_disagreements(self) -> None:
        from workbench.tui.screens.disagreements import DisagreementScreen

        self.push_screen(DisagreementScreen())

    def action_pseudonyms(self) -> None:
        from workbench.tui.screens.pseudonyms import PseudonymScreen

        self.push_screen(PseudonymScreen())

    def action_analysis(self) -> None:
        from workbench.tui.screens.analysis import AnalysisScreen

        self.push_screen(AnalysisScreen())

    def open_document(self, name: str, offset: int | None = None) -> None:
        from workbench.tui.screens.coding import CodingScreen

        self.push_screen(CodingScreen(name, offset))

    def action_undo(self) -> None:
        try:
            label = self.undo_stack.undo()
        except WorkbenchError as exc:
            self.report(exc)
            return
        self.notify(f"undone: {label}" if label else "nothing to undo")
        self.refresh_data()

    def action_redo(self) -> None:
        try:
            label = self.undo_stack.redo()
        except WorkbenchError as exc:
            self.report(exc)
            return
        self.notify(f"redone: {label}" if label else "nothing to redo")
        self.refresh_data()

    def refresh_data(self) -> None:
        """The store changed: the screen in view reloads now (under a dialog: the screen
        beneath it), the others when they come back into view (`UsesWorkbench.stale`), so a
        coding costs one screen's reload, not the whole stack's."""
        from textual.screen import ModalScreen

        stack = list(self.screen_stack)
        shown = next((sc for sc in reversed(stack) if not isinstance(sc, ModalScreen)), None)
        for screen in stack:
            reload = getattr(screen, "reload", None)
            if not callable(reload):
                continue
            if screen is shown or isinstance(screen, ModalScreen):
                reload()
            else:
                screen.stale = True  # type: ignore[attr-defined]

    # Command palette: the bindings of the current screen, its own panels and the app ------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        seen: set[str] = set()
        ours = [n for n in screen.query("*") if type(n).__module__.startswith("workbench.")]
        for node in [screen, *ours, self]:
            # only bindings our classes declare themselves: not those a widget inherits from
            # Textual (scrolling, text editing), which the screens' own keys replace
            for binding in vars(type(node)).get("BINDINGS", []):
                if not isinstance(binding, Binding) or binding.action == "command_palette":
                    continue
                action = binding.action.removeprefix("app.")
                if action in seen:
                    continue
                seen.add(action)
                title = binding.description or binding.action
                key = keys_for(binding, self.keys.keymap)
                yield SystemCommand(
                    title, f"key: {key}", partial(self.run_action, binding.action, node)
                )
        for command in super().get_system_commands(screen):
            if command.title.casefold() not in {"quit", "keys"}:  # ours: q and ? above
                yield command


def run_app(project_path: Path, coder: str | None = None) -> None:
    """Open the TUI on a project (the CLI's `workbench tui` and `workbench demo`)."""
    WorkbenchApp(project_path, coder).run()
