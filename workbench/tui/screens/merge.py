"""Merge codebooks: review the engine's proposed decisions one at a time, like a diff.

The books are loaded, the embedding model (for meaning matching) is loaded and the codes
matched in a thread worker with a visible status; the UI never waits for them. Then each
decision shows both (or all) definitions side by side with the match kind and score:
y accepts, n rejects (the codes stay separate), m merges codes the engine only flagged as a
possible match, r renames, space skips, b goes back. w writes
the merged YAML (and optionally the report, both temp-file + rename) and offers to import it
into the project. The logic lives in `workbench.services.merge_review`.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, LoadingIndicator, Static
from textual.worker import get_current_worker

from workbench.codebook.merge import MergeResult
from workbench.errors import WorkbenchError
from workbench.services.merge_review import CodeView, MergeReview, ReviewItem
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import NotReady, guard, show
from workbench.tui.messages import MergeReady, WorkerFailed, WorkerStatus
from workbench.tui.screens.forms import Check, Field, FormScreen, FormValues
from workbench.tui.text import plain
from workbench.tui.widgets.footer import WorkbenchFooter

STATUS_LABEL = {
    "pending": "not decided yet",
    "accepted": "accepted",
    "rejected": "rejected: kept separate",
    "renamed": "renamed",
    "merged": "merged in review",
}


def open_merge(app: App[None]) -> None:
    """Ask for the codebooks, then open the merge screen on them."""

    def chosen(values: FormValues | None) -> None:
        if not values:
            return
        text = str(values["paths"])
        try:
            files = [Path(p).expanduser() for p in shlex.split(text)]
        except ValueError as exc:
            raise WorkbenchError(f"codebook paths: {exc}") from exc
        if len(files) < 2:
            raise WorkbenchError("give two or more codebook files (.yaml, .yml or .qdc)")
        app.push_screen(MergeScreen(files, use_meaning=bool(values["meaning"])))

    app.push_screen(
        FormScreen(
            "Merge codebooks",
            [
                Field(
                    "paths",
                    "Codebook files, the base book first (quote paths that contain spaces)",
                    placeholder="e.g. codebooks/team/coder-a.yaml codebooks/team/coder-b.yaml",
                )
            ],
            [Check("meaning", "Match by meaning too (loads the embedding model)", True)],
            note="Enter starts; nothing is written until you press w on the merge screen.",
        ),
        chosen,
    )


def conflict_line(kind: str, message: str, rule: str) -> str:
    """A conflict as one warning line; the part that repeats the entry's own rule (shown just
    above it) is left out."""
    if rule and message.startswith(rule):
        rest = message[len(rule) :].lstrip(". ")
        hint = " (m merges them)" if kind == "possible" else ""
        return f"{kind}: {rest}{hint}" if rest else kind
    return f"{kind}: {message}"


def definition(code: CodeView) -> Text:
    c = code.code
    out = Text()
    out.append(code.path, style="bold")
    if code.new_name:
        out.append(f"\n→ renamed: {code.new_name}", style="bold green")
    out.append(f"\nid {code.id}", style="dim")
    if c.aliases:
        out.append(f"\naliases: {', '.join(c.aliases)}", style="dim")
    for label, value in (("", c.description), ("include: ", c.include), ("exclude: ", c.exclude)):
        if value:
            out.append(f"\n{label}{' '.join(value.split())}")
    for example in c.examples[:3]:
        out.append(f'\n  "{example}"', style="italic")
    if not (c.description or c.include or c.exclude):
        out.append("\n(no definition)", style="dim")
    return out


class MergeScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "accept", "Accept", id="merge.accept"),
        Binding("n", "reject", "Reject", id="merge.reject"),
        Binding("m", "merge_codes", "Merge", id="merge.merge"),
        Binding("r", "rename", "Rename", id="merge.rename"),
        Binding("space", "skip", "Skip", id="merge.skip"),
        Binding("b,left", "back", "Back", key_display="b", id="merge.back"),
        Binding("w", "write", "Write", id="merge.write"),
        Binding("escape", "leave", "Leave", id="merge.leave"),
    ]

    def __init__(self, files: list[Path], use_meaning: bool = True) -> None:
        super().__init__()
        self.files = files
        self.use_meaning = use_meaning
        self.review: MergeReview | None = None
        self.index = 0
        self.written = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="merge-body"):
            yield Static("", id="merge-status", markup=False)
            yield LoadingIndicator(id="merge-loading")
            with VerticalScroll(id="merge-view"):
                yield Static("", id="merge-proposal", markup=False)
                yield Static("", id="merge-codes", markup=False)
            yield Static("", id="merge-summary", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.sub_title = "merge: " + ", ".join(f.name for f in self.files)
        self.compute()

    # Computing the proposal (thread worker) --------------------------------------------------

    @work(thread=True, exclusive=True, group="merge", exit_on_error=False)
    def compute(self) -> None:
        worker = get_current_worker()
        try:
            from workbench.codebook.merge.cli_glue import load_books

            self.post_message(WorkerStatus("reading the codebooks…"))
            load_books(self.files)  # fail fast on invalid books, before the model loads
            embed, why = None, "not asked for"
            if self.use_meaning:
                self.post_message(WorkerStatus("loading the embedding model (meaning)…"))
                from workbench.suggest.merge_embed import default_embed

                embed, why = default_embed()
            self.post_message(WorkerStatus("matching codes…"))
            review = MergeReview.start(self.files, embed, why)
        except Exception as exc:
            if not worker.is_cancelled:
                self.post_message(WorkerFailed(exc))
            return
        if not worker.is_cancelled:
            self.post_message(MergeReady(review))

    @on(WorkerStatus)
    def _status(self, message: WorkerStatus) -> None:
        self.status(message.text)

    @on(WorkerFailed)
    def _failed(self, message: WorkerFailed) -> None:
        self.failed(message.error)

    @on(MergeReady)
    @guard
    def _ready(self, message: MergeReady) -> None:
        self.ready(message.review)

    def status(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#merge-status", Static).update(text)

    def failed(self, error: Exception) -> None:
        if not self.is_attached:
            return
        self.query_one("#merge-loading").display = False
        problems = getattr(error, "problems", None) or [str(error)]
        self.status("merge not possible:\n" + "\n".join(problems))
        self.wb.report(error)

    def ready(self, review: MergeReview) -> None:
        if not self.is_attached:
            return
        self.review = review
        self.query_one("#merge-loading").display = False
        if not review.items:
            self.notify("nothing to review: no code of one book matches a code of another")
        self.show()

    # Showing one decision ---------------------------------------------------------------------

    def need_review(self) -> MergeReview | None:
        if self.review is None:
            show(self, NotReady("still matching codes…"))
        return self.review

    def current(self) -> ReviewItem | None:
        r = self.review
        return r.items[self.index] if r is not None and self.index < len(r.items) else None

    def show(self) -> None:
        r = self.review
        if r is None:
            return
        counts = r.counts()
        self.query_one("#merge-summary", Static).update(
            f"accepted {counts['accepted']} · rejected {counts['rejected']} · renamed "
            f"{counts['renamed']} · merged {counts['merged']} · pending {counts['pending']} · "
            f"{len(r.unchanged)} codes only "
            f"in one book are kept as they are · meaning matching {r.result.meaning}"
        )
        item = self.current()
        if item is None:
            self.status(f"all {len(r.items)} decisions seen · w writes the merged codebook")
            self.query_one("#merge-proposal", Static).update(
                Text("End of the proposals. w writes the merged codebook; b goes back.")
            )
            self.query_one("#merge-codes", Static).update("")
            return
        self.status(
            f"decision {self.index + 1} of {len(r.items)} · {STATUS_LABEL[item.status]} · "
            "y accept · n reject (keep separate) · m merge · r rename · space skip · b back · w write"
        )
        self.query_one("#merge-proposal", Static).update(self.proposal(r, item))
        self.query_one("#merge-codes", Static).update(self.codes_table(r, item))
        self.query_one("#merge-view", VerticalScroll).scroll_home(animate=False)

    def proposal(self, r: MergeReview, item: ReviewItem) -> RenderableType:
        p, cur = item.proposed, item.current
        head = Text()
        head.append(f"Proposal: {p.action}", style="bold")
        head.append(f"   match: {p.kind}")
        if p.score is not None:
            head.append(f"   score: {p.score:.2f}")
        parts: list[RenderableType] = [head]
        if p.rule:
            parts.append(Text(f"why: {p.rule}", style="dim"))
        if cur.action == "merge":
            views = r.code_views(item)
            name = cur.name or views[0].code.name
            parts.append(Text(f"→ one code: {name}", style="bold green"))
        else:
            parts.append(Text(f"→ {cur.action}: each code stays its own code", style="bold"))
        under = r.under_path(item)
        if under:
            parts.append(Text(f"→ placed under {under}"))
        for c in item.conflicts:
            parts.append(Text(f"⚠ {conflict_line(c.kind, c.message, p.rule)}", style="yellow"))
        return Group(*parts)

    def codes_table(self, r: MergeReview, item: ReviewItem) -> Table:
        views = r.code_views(item)
        table = Table(expand=True, show_lines=False, padding=(0, 1))
        for v in views:
            table.add_column(plain(v.book), ratio=1, overflow="fold")
        table.add_row(*(definition(v) for v in views))
        return table

    # Decisions --------------------------------------------------------------------------------

    def decided(self) -> None:
        self.index += 1
        self.show()

    def action_accept(self) -> None:
        r = self.need_review()
        if r is not None and self.current() is not None:
            r.accept(self.index)
            self.decided()

    def action_reject(self) -> None:
        r = self.need_review()
        if r is not None and self.current() is not None:
            r.reject(self.index)
            self.decided()

    def action_merge_codes(self) -> None:
        r = self.need_review()
        if r is None or self.current() is None:
            return
        why = r.can_merge(self.index)
        if why:
            self.status(why)
            return
        r.merge(self.index)
        self.decided()

    def action_skip(self) -> None:
        r = self.need_review()
        if r is not None and self.index < len(r.items):
            self.decided()

    def action_back(self) -> None:
        if self.need_review() and self.index > 0:
            self.index -= 1
            self.show()

    def action_rename(self) -> None:
        from workbench.tui.screens.modals import ChoiceScreen, PromptScreen

        r, item = self.need_review(), self.current()
        if r is None or item is None:
            return
        views = r.code_views(item)

        def ask(code: int | None) -> None:
            if item.current.action == "merge":
                title, value = "Name of the merged code", item.current.name or views[0].code.name
            else:
                v = views[code or 0]
                title, value = f"New name for {v.path} ({v.book})", v.new_name or v.code.name

            def named(name: str | None) -> None:
                if name:
                    r.rename(self.index, name, code)
                    self.decided()

            self.app.push_screen(PromptScreen(title, value=value), named)

        if item.current.action == "merge" or len(views) == 1:
            ask(None)
            return
        options = [(str(i), f"{v.path} ({v.book})") for i, v in enumerate(views)]

        def picked(choice: str | None) -> None:
            if choice is not None:
                ask(int(choice))

        self.app.push_screen(ChoiceScreen("Rename which code?", options), picked)

    # Writing ---------------------------------------------------------------------------------

    def action_write(self) -> None:
        from workbench.tui.screens.modals import ChoiceScreen

        r = self.need_review()
        if r is None:
            return
        pending = r.counts()["pending"]
        if not pending:
            self.ask_where("proposed")
            return

        def chosen(choice: str | None) -> None:
            if choice in ("proposed", "separate"):
                self.ask_where(choice)

        self.app.push_screen(
            ChoiceScreen(
                f"{pending} decisions are not reviewed. For those:",
                [
                    ("proposed", "apply them as proposed"),
                    ("separate", "keep their codes separate"),
                    ("cancel", "go back and review them"),
                ],
            ),
            chosen,
        )

    def ask_where(self, pending: str) -> None:
        r = self.review
        assert r is not None
        result = r.merged(pending)  # errors show before asking for paths
        folder = self.files[0].resolve().parent
        fields = [
            Field("output", "Merged codebook (.yaml)", str(folder / "merged.yaml")),
            Field("report", "Report (Markdown; leave empty for none)", str(folder / "merge.md")),
        ]

        def done(values: FormValues | None) -> None:
            if not values or not values["output"]:
                return
            output = Path(str(values["output"])).expanduser()
            report = Path(str(values["report"])).expanduser() if values["report"] else None
            for line in r.write(result, output, report):
                self.notify(line)
            self.written = True
            self.offer_import(result, output)

        self.app.push_screen(FormScreen("Write the merged codebook", fields), done)

    def offer_import(self, result: MergeResult, output: Path) -> None:
        from workbench.tui.screens.modals import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            from workbench.services.codebook_sync import import_codebook

            with self.wb.project.begin() as conn:
                lines = import_codebook(conn, result.codebook).lines()
            self.notify(f"imported {output.name}: " + "; ".join(lines))
            self.wb.refresh_data()

        n = result.counts.get("merged", 0)
        self.app.push_screen(
            ConfirmScreen(f"Import {output.name} ({n} codes) into the project's codebook now?"),
            answer,
        )

    def action_leave(self) -> None:
        from workbench.tui.screens.modals import ConfirmScreen

        self.workers.cancel_group(self, "merge")
        counts = self.review.counts() if self.review else {}
        decided = sum(n for k, n in counts.items() if k != "pending")
        if self.written or not decided:
            self.app.pop_screen()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmScreen(f"Leave without writing? {decided} review decisions will be lost."),
            answer,
        )
