"""Disagreements between two coders: list them, see both codings side by side, settle them.

The list comes from `workbench.analysis.agreement` (segment unit); settling goes through
`workbench.services.resolve` (one transaction each): a keeps A's view, b keeps B's, k keeps
both, n neither, x reopens. The outcome is written as codings by the consensus coder and the
decision is recorded with the app's coder as resolver; A's and B's own codings never change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from workbench.analysis.disagreements import list_disagreements
from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.resolve import (
    Disagreement,
    overlapping,
    passage_span,
    reopen,
    resolve,
    resolved_coders,
    top_coders,
)
from workbench.services.segment_hits import outer_segment_numbers
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import NothingSelected, NotReady, guard, show
from workbench.tui.text import clip, plain, plural
from workbench.tui.widgets.footer import WorkbenchFooter
from workbench.tui.widgets.passage import marked_passage
from workbench.tui.widgets.transcript import code_color

WIDE = 120  # from this width the speaker has its own column
PAGE = 200  # table rows added at a time (a big project has tens of thousands)
NEAR = 40  # more rows are added when the cursor comes this close to the last one


class DisagreementsReady(Message):
    """The worker compared the two coders (generation: which request it answers)."""

    def __init__(self, generation: int, rows: list[Disagreement] | None, error: str | None):
        super().__init__()
        self.generation = generation
        self.rows = rows
        self.error = error


class DisagreementScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "settle('keep_a')", "Keep A", id="disagreements.keep_a"),
        Binding("b", "settle('keep_b')", "Keep B", id="disagreements.keep_b"),
        Binding("k", "settle('keep_both')", "Both", id="disagreements.keep_both"),
        Binding("n", "settle('neither')", "Neither", id="disagreements.neither"),
        Binding("x", "reopen", "Reopen", show=False, id="disagreements.reopen"),
        Binding("c", "choose_coders", "Coders", show=False, id="disagreements.coders"),
        Binding("h", "toggle_resolved", "Hide settled", id="disagreements.hide_settled"),
        Binding("enter", "jump", "Go to passage", id="disagreements.jump"),
        Binding("escape", "back", "Back", id="disagreements.back"),
    ]

    def __init__(self, coder_a: str | None = None, coder_b: str | None = None) -> None:
        super().__init__()
        self.coders: tuple[str, str] | None = (coder_a, coder_b) if coder_a and coder_b else None
        self.rows: list[Disagreement] = []
        self.shown: list[int] = []  # indexes into rows, in table order
        self.hide_resolved = False
        self.numbers: dict[int, dict[int, int]] = {}  # document -> segment number -> its ¶
        self.added = 0  # rows of `shown` in the table so far
        self.generation = 0  # bumped by each reload: an overtaken answer is dropped
        self.computing = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dis-body"):
            yield Static("", id="dis-summary", markup=False)
            yield DataTable(id="disagreements", cursor_type="row", zebra_stripes=True)
            yield Static("", id="dis-passage", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#disagreements", DataTable).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self.fill, self.query_one("#disagreements", DataTable).cursor_row)

    def columns(self) -> list[str]:
        """Narrow (80 columns): who applied what stays; the speaker goes (the passage shows it)."""
        if self.app.size.width >= WIDE:
            return ["Document", "¶", "Speaker", "Code", "Applied by", "Settled"]
        return ["Document", "¶", "Code", "Applied by", "Settled"]

    def paragraph(self, d: Disagreement) -> int:
        """The ¶ number of the disagreement's turn: the number the coding screen shows (each
        document's numbers read when one of its rows is first shown)."""
        if d.document_id not in self.numbers:
            with self.wb.project.read() as conn:
                self.numbers[d.document_id] = outer_segment_numbers(conn, d.document_id)
        return self.numbers[d.document_id].get(d.segment, d.segment)

    # Loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """(Re)compute the disagreements of the chosen coders (default: the two busiest), in
        a worker: on a big project comparing two coders takes seconds, and the screen (and
        Escape) stay responsive meanwhile."""
        self.generation += 1
        try:
            with self.wb.project.read() as conn:
                if self.coders is None:
                    top = top_coders(conn, 2)
                    if len(top) < 2:
                        raise WorkbenchError(
                            "two coders with codings are needed; import a colleague's codings "
                            "(workbench import codings.csv or OTHER.sqlite)"
                        )
                    self.coders = (top[0], top[1])
        except WorkbenchError as exc:
            self.rows = []
            self.fill()
            self.query_one("#dis-summary", Static).update(str(exc))
            return
        self.computing = True
        a, b = self.coders
        self.summary()
        self._compare(self.generation, a, b)

    @work(thread=True, exclusive=True, group="disagreements", exit_on_error=False)
    def _compare(self, generation: int, a: str, b: str) -> None:
        try:
            with self.wb.project.read() as conn:
                rows = list_disagreements(conn, a, b)
        except WorkbenchError as exc:
            self.post_message(DisagreementsReady(generation, None, str(exc)))
            return
        self.post_message(DisagreementsReady(generation, rows, None))

    @on(DisagreementsReady)
    def _ready(self, event: DisagreementsReady) -> None:
        if event.generation != self.generation:
            return  # overtaken by a later reload (other coders, a change in the store)
        self.computing = False
        self.rows = event.rows or []
        self.numbers = {}
        keep = self.query_one("#disagreements", DataTable).cursor_row if self.added else None
        self.fill(keep=keep)
        if event.error is not None:
            self.query_one("#dis-summary", Static).update(event.error)

    def fill(self, keep: int | None = None) -> None:
        table = self.query_one("#disagreements", DataTable)
        table.clear(columns=True)
        self.shown = [
            i for i, d in enumerate(self.rows) if not (self.hide_resolved and d.resolution)
        ]
        first = max(PAGE, (keep or 0) + NEAR)
        widths = self.widths(first)
        for label in self.columns():
            table.add_column(label, key=label, width=widths[label])
        self.added = 0
        self.add_rows(first)
        if keep is not None and self.shown:
            table.move_cursor(row=min(keep, len(self.shown) - 1))
        self.summary()
        self.show_passage()

    def add_rows(self, n: int) -> None:
        """The next `n` rows of `shown` into the table."""
        table = self.query_one("#disagreements", DataTable)
        columns = self.columns()
        for i in self.shown[self.added : self.added + n]:
            cells = self.cells(self.rows[i])
            table.add_row(*(plain(cells[c]) for c in columns), key=str(i))
        self.added = min(len(self.shown), self.added + n)

    def cells(self, d: Disagreement, *, paragraph: bool = True) -> dict[str, str]:
        return {
            "Document": clip(d.document, 24),
            "¶": str(self.paragraph(d)) if paragraph else "",
            "Speaker": d.speaker or "",
            "Code": clip(d.code, 24),
            "Applied by": d.applied_by,
            "Settled": d.resolution.describe() if d.resolution else "",
        }

    def widths(self, first: int) -> dict[str, int]:
        """Each column's width from every row to be shown (rows are added a page at a time,
        and the table's own measuring of new rows is lazy: a screen drawn before it ran cut
        every cell to its header's width). The ¶ numbers of the `first` rows (added now) are
        read; for later rows their segment's number bounds their ¶ (an outer segment comes
        before the segments inside it)."""
        out = {c: cell_len(c) for c in self.columns()}
        for k, i in enumerate(self.shown):
            d = self.rows[i]
            cells = self.cells(d, paragraph=k < first)
            if k >= first:
                cells["¶"] = str(d.segment)
            for col, text in cells.items():
                if col in out:
                    out[col] = max(out[col], cell_len(text))
        return out

    @on(DataTable.RowHighlighted, "#disagreements")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if self.added < len(self.shown) and event.cursor_row >= self.added - NEAR:
            self.add_rows(PAGE)

    def summary(self) -> None:
        if self.coders is None:
            return
        a, b = self.coders
        if self.computing:
            self.query_one("#dis-summary", Static).update(
                f"A = {a} · B = {b} · comparing their codings…"
            )
            return
        settled = sum(1 for d in self.rows if d.resolution)
        hidden = " (settled ones hidden)" if self.hide_resolved else ""
        self.query_one("#dis-summary", Static).update(
            f"A = {a} · B = {b} · {plural(len(self.rows), 'disagreement')}, "
            f"{settled} settled{hidden}"
        )

    def current(self) -> Disagreement | None:
        table = self.query_one("#disagreements", DataTable)
        if not self.shown or table.cursor_row is None or table.cursor_row >= len(self.shown):
            return None
        return self.rows[self.shown[table.cursor_row]]

    # The passage, side by side --------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#disagreements")
    @guard
    def show_passage(self) -> None:
        panel = self.query_one("#dis-passage", Static)
        d = self.current()
        if d is None or self.coders is None:
            panel.update("")
            return
        with self.wb.project.read() as conn:
            from workbench.services.documents import document_text

            text = document_text(conn, d.document_id)
            start, end = passage_span(conn, d.document_id, d.segment)
            tree = CodeTree.load(conn)
            by_coder = {
                who: overlapping(conn, d.document_id, start, end, who) for who in self.coders
            }
        grid = Table(expand=True, padding=(0, 1), show_edge=False)
        for label, who in zip(("A", "B"), self.coders, strict=True):
            grid.add_column(plain(f"{label}: {who}"), ratio=1, overflow="fold")
        cells = []
        for who in self.coders:
            rows = by_coder[who]
            spans = [
                (c.start, c.end, code_color(tree, c.code_id))
                for c in rows
                if c.code_id == d.code_id
            ]
            codes = Text()
            for cid in dict.fromkeys(c.code_id for c in rows):
                name = tree.codes[cid].name if cid in tree.codes else cid
                codes.append("■ ", style=code_color(tree, cid))
                codes.append(name + "  ", style="bold" if cid == d.code_id else "")
            verdict = Text(
                f"applied {d.code}" if who == d.applied_by else f"did not apply {d.code}",
                style="bold",
            )
            passage = marked_passage(text, start, end, spans, (d.start, d.end))
            cells.append(Group(verdict, passage, codes or Text("(no codes here)", style="dim")))
        grid.add_row(*cells)
        where = [f"{d.document} ¶{self.paragraph(d)}", d.speaker or "", d.code]
        head = Text(" · ".join(w for w in where if w), style="bold")
        if d.resolution:
            head.append(f"   settled: {d.resolution.describe()} ({d.resolution.created})")
        panel.update(Group(head, grid))

    # Settling ---------------------------------------------------------------------------------

    def action_settle(self, decision: str) -> None:
        d = self.current()
        if d is None or self.coders is None:
            show(self, NothingSelected("no disagreement selected"))
            return
        position = self.query_one("#disagreements", DataTable).cursor_row
        with self.wb.project.begin() as conn:
            res = resolve(
                conn,
                d.document,
                d.segment,
                d.code_id,
                *self.coders,
                decision,
                self.wb.coder,
            )
        self.rows[self.rows.index(d)] = replace(d, resolution=res)
        self.notify(f"{d.document} ¶{self.paragraph(d)} {d.code}: {res.describe()}")
        self.fill(keep=self.next_open(position))

    def next_open(self, position: int) -> int:
        """The table row to move to after settling row `position`: the next unsettled one."""
        if self.hide_resolved:
            return position
        for row in range(position + 1, len(self.shown)):
            if self.rows[self.shown[row]].resolution is None:
                return row
        return position

    def action_reopen(self) -> None:
        d = self.current()
        if d is None or self.coders is None:
            return
        position = self.query_one("#disagreements", DataTable).cursor_row
        with self.wb.project.begin() as conn:
            done = reopen(conn, d.document, d.segment, d.code_id, *self.coders)
        if not done:
            show(self, NotReady("this disagreement is not settled"))
            return
        self.rows[self.rows.index(d)] = replace(d, resolution=None)
        self.fill(keep=position)

    # Other actions ----------------------------------------------------------------------------

    def action_choose_coders(self) -> None:
        from workbench.services.coders import coders
        from workbench.tui.screens.modals import ChoiceScreen

        with self.wb.project.read() as conn:
            skip = resolved_coders(conn)
            names = [c for c in coders(conn) if c not in skip]
        if len(names) < 2:
            show(self, NotReady("fewer than two coders have codings"))
            return

        def chose_a(a: str | None) -> None:
            if a is None:
                return

            def chose_b(b: str | None) -> None:
                if b is not None:
                    self.coders = (a, b)
                    self.reload()

            others = [(n, n) for n in names if n != a]
            self.app.push_screen(ChoiceScreen(f"A = {a}. Coder B:", others), chose_b)

        self.app.push_screen(ChoiceScreen("Coder A:", [(n, n) for n in names]), chose_a)

    def action_toggle_resolved(self) -> None:
        self.hide_resolved = not self.hide_resolved
        self.fill(keep=0)

    def action_jump(self) -> None:
        from workbench.tui.screens.coding import CodingScreen

        d = self.current()
        if d is not None:
            self.app.push_screen(CodingScreen(d.document, d.start, (d.start, d.end)))

    @on(DataTable.RowSelected, "#disagreements")
    @guard
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_jump()

    def action_back(self) -> None:
        self.app.pop_screen()
        self.wb.refresh_data()  # counts changed
