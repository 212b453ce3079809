"""Pseudonym review: walk the proposed identifiers in context, like code suggestions.

y accepts, n rejects, e edits the stand-in, l links the identifier to another one (it takes
that one's stand-in: "Mrs Pryce" and "Janet Pryce" are one person), p shows the context
pseudonymised (what an export with --pseudonymise writes), h hides decided ones. Every key
writes the store at once (one transaction each); stored text never changes."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from workbench.errors import WorkbenchError
from workbench.pseudonyms.store import Proposal, hits, link, proposals, replacer
from workbench.pseudonyms.store import set_replacement as store_replacement
from workbench.pseudonyms.store import set_status as store_status
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import guard
from workbench.tui.text import plain
from workbench.tui.widgets.footer import WorkbenchFooter

CONTEXT = 160  # characters either side of an occurrence
COLUMNS = ("identifier", "kind", "stand-in", "status", "found")


class PseudonymScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide('accepted')", "Accept", id="pseudonyms.accept"),
        Binding("n", "decide('rejected')", "Reject", id="pseudonyms.reject"),
        Binding("e", "edit", "Edit stand-in", id="pseudonyms.edit"),
        Binding("l", "link", "Link to…", id="pseudonyms.link"),
        Binding("p", "toggle_view", "Pseudonymised view", id="pseudonyms.view"),
        Binding("h", "toggle_hide", "Hide decided", id="pseudonyms.hide"),
        Binding("escape", "back", "Back", id="pseudonyms.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Proposal] = []
        self.pseudonymised = False
        self.hide_decided = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="pseudonyms-body"):
            yield Static("", id="pseudonyms-summary", markup=False)
            yield DataTable(id="pseudonyms", cursor_type="row", zebra_stripes=True)
            yield Static("", id="pseudonyms-context", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        table = self.query_one("#pseudonyms", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        with self.wb.project.read() as conn:
            rows = proposals(conn)
        if self.hide_decided:
            rows = [r for r in rows if r.status == "proposed" or r.text == keep]
        self.rows = rows
        table = self.query_one("#pseudonyms", DataTable)
        table.clear()
        for r in rows:
            cells = (r.text, r.kind, r.replacement, r.status, str(r.count))
            table.add_row(*map(plain, cells), key=r.text)
        texts = [r.text for r in rows]
        if keep in texts:
            table.move_cursor(row=texts.index(keep))
        counts = {s: sum(r.status == s for r in self.rows) for s in ("proposed", "accepted")}
        self.query_one("#pseudonyms-summary", Static).update(
            f"{len(self.rows)} identifiers · {counts['proposed']} to review · "
            f"{counts['accepted']} accepted"
            + ("" if self.rows else " · run `workbench pseudonyms detect` to find them")
        )
        self.show_context()

    def current(self) -> Proposal | None:
        table = self.query_one("#pseudonyms", DataTable)
        row = table.cursor_row
        return self.rows[row] if self.rows and row is not None and row < len(self.rows) else None

    @on(DataTable.RowHighlighted, "#pseudonyms")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_context()

    def show_context(self) -> None:
        p = self.current()
        box = self.query_one("#pseudonyms-context", Static)
        if p is None:
            box.update("")
            return
        with self.wb.project.read() as conn:
            where = hits(conn, p.text)
            rep = replacer(conn) if self.pseudonymised else None
        out = Text()
        for doc, field, start, end, text in where[:3]:
            out.append(f"{doc} ({field})\n", style="bold")
            if field != "text":
                out.append(f"{p.text}\n\n")
                continue
            a, b = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
            before, hit, after = text[a:start], text[start:end], text[end:b]
            if rep is not None:
                before, hit, after = rep(before), rep(hit), rep(after)
            out.append(("…" if a else "") + before)
            out.append(hit, style="reverse")
            out.append(after + ("…" if b < len(text) else "") + "\n\n")
        if len(where) > 3:
            out.append(f"and {len(where) - 3} more occurrences")
        box.update(out)

    def _write(self, fn, *args: object) -> None:  # type: ignore[no-untyped-def]
        try:
            with self.wb.project.begin() as conn:
                fn(conn, *args)
        except WorkbenchError as exc:
            self.notify(str(exc), severity="error")

    @guard
    def action_decide(self, status: str) -> None:
        p = self.current()
        if p is None:
            return
        self._write(store_status, [p.text], status)
        position = self.query_one("#pseudonyms", DataTable).cursor_row
        self.reload()
        table = self.query_one("#pseudonyms", DataTable)
        if self.rows:
            nxt = position + (0 if self.hide_decided else 1)
            table.move_cursor(row=min(nxt, len(self.rows) - 1))

    @guard
    def action_edit(self) -> None:
        from workbench.tui.screens.modals import PromptScreen

        p = self.current()
        if p is None:
            return

        def done(value: str | None) -> None:
            if value is not None:
                self._write(store_replacement, p.text, value)
                self.reload(keep=p.text)

        self.app.push_screen(PromptScreen(f"Stand-in for {p.text}", p.replacement), done)

    @guard
    def action_link(self) -> None:
        from workbench.tui.screens.modals import PromptScreen

        p = self.current()
        if p is None:
            return

        def done(value: str | None) -> None:
            if value:
                self._write(link, p.text, value.strip())
                self.reload(keep=p.text)

        self.app.push_screen(
            PromptScreen(f"Link {p.text} to (an identifier in the list)", "", "Janet Pryce"),
            done,
        )

    def action_toggle_view(self) -> None:
        self.pseudonymised = not self.pseudonymised
        self.show_context()

    def action_toggle_hide(self) -> None:
        self.hide_decided = not self.hide_decided
        p = self.current()
        self.reload(keep=p.text if p else None)

    def action_back(self) -> None:
        self.app.pop_screen()
