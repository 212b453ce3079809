"""Retrieval: every excerpt of a code, filtered by attribute and coder; jump or export."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from sqlalchemy import Connection
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from workbench.errors import WorkbenchError
from workbench.services.coders import coders
from workbench.services.codes import CodeTree
from workbench.services.documents import parse_where
from workbench.services.excerpts import Excerpt, excerpts, write_excerpts_csv
from workbench.services.home_stats import excerpt_page
from workbench.services.where import filter_terms
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import NothingSelected, guard, show
from workbench.tui.text import clip, plain, plural
from workbench.tui.widgets.footer import WorkbenchFooter

SNIPPET = 160
WIDE = 120  # from this width Speaker and Coder get their own columns
WIDEST = 170  # and from this one the attributes
PAGE = 200  # excerpts read at a time when the store can page them (no attribute filter)
NEAR = 40  # the next page is read when the cursor comes this close to the last row read


class RetrievalScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Go to passage", id="retrieval.jump"),
        Binding("c", "choose_code", "Code", id="retrieval.code"),
        Binding("d", "toggle_descendants", "± children", id="retrieval.children"),
        Binding("slash", "filter", "Filter", key_display="/", id="retrieval.filter"),
        Binding("o", "next_coder", "Coder", id="retrieval.coder"),
        Binding("e", "export", "Export CSV", id="retrieval.export"),
        Binding("escape", "back", "Back", id="retrieval.back"),
    ]

    def __init__(self, code_id: str | None = None) -> None:
        super().__init__()
        self.code_id = code_id
        self.descendants = True
        self.coder: str | None = None
        self.rows: list[Excerpt] = []
        self.total = 0  # excerpts in the view, all pages
        self.paged: tuple[list[str], int] | None = None  # (code ids, offset) while paging

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="retrieval-body"):
            yield Static("", id="retrieval-summary", markup=False)
            yield Input(
                placeholder="filter by attribute: role=patient practice=Brookfield", id="where"
            )
            yield DataTable(id="excerpts", cursor_type="row", zebra_stripes=True)
            yield Static("", id="excerpt-preview", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#excerpts", DataTable).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self.reload)

    def columns(self) -> list[str]:
        """Wide: every column; narrow (80): document, code and text (the preview below the
        table shows speaker, coder and attributes of the highlighted excerpt)."""
        width = self.app.size.width
        if width >= WIDEST:
            return ["Document", "Speaker", "Code", "Coder", "Text", "Attributes"]
        if width >= WIDE:
            return ["Document", "Speaker", "Code", "Coder", "Text"]
        return ["Document", "Code", "Text"]

    def where(self) -> list[tuple[str, str]]:
        return parse_where(filter_terms(self.query_one("#where", Input).value))

    def reload(self) -> None:
        try:
            where = self.where()
        except WorkbenchError as exc:
            show(self, exc, "warning")
            where = []
        with self.wb.project.read() as conn:
            tree = CodeTree.load(conn)
            if self.code_id is not None and self.code_id not in tree.codes:
                self.code_id = None
            codes = [self.code_id] if self.code_id else None
            if where or type(self).query_rows is not RetrievalScreen.query_rows:
                self.paged = None
                self.rows = self.query_rows(conn, codes, where)
                self.total = len(self.rows)
            else:  # page from the store: a million codings open as fast as a hundred
                ids = codes or sorted(tree.codes)
                self.total, self.rows = excerpt_page(
                    conn, ids, limit=PAGE, coder=self.coder, descendants=self.descendants
                )
                self.paged = (ids, len(self.rows))
        table = self.query_one("#excerpts", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        for label in self.columns():
            table.add_column(label, key=label.casefold())
        self.add_rows(0)
        if keep and keep < len(self.rows):
            table.move_cursor(row=keep)
        self.show_preview()
        scope = " + children" if self.code_id and self.descendants else ""
        who = self.coder or "all coders"
        filt = " ".join(f"{k}={v}" for k, v in where) or "none"
        rest = f"{scope} · filter: {filt} · {who}"
        count = plural(self.total, "excerpt")
        code = tree.path_str(self.code_id) if self.code_id else "all codes"
        if self.code_id and len(count) + len(code) + len(rest) + 5 > self.app.size.width:
            code = tree.codes[self.code_id].name  # one line: the name, not the whole path
        self.query_one("#retrieval-summary", Static).update(f"{count} · {code}{rest}")

    def add_rows(self, first: int) -> None:
        """Table rows for self.rows[first:]."""
        table = self.query_one("#excerpts", DataTable)
        columns = [str(c.label) for c in table.columns.values()]
        wide = len(columns) > 3
        used = {3: 42, 5: 80, 6: 124}[len(columns)]  # the other columns and the padding
        width = max(24, self.app.size.width - used)
        for i in range(first, len(self.rows)):
            r = self.rows[i]
            attrs = ", ".join(f"{k}={v}" for k, v in sorted(r.attributes.items()))
            cells = {
                "Document": clip(r.document, 24 if wide else 16),
                "Speaker": r.speaker or "",
                "Code": clip(r.code, 20 if wide else 16),
                "Coder": r.coder,
                "Text": clip(r.text, width),
                "Attributes": clip(attrs, 40),
            }
            table.add_row(*(plain(cells[c]) for c in columns), key=str(i))

    def load_more(self) -> None:
        """Append the next page of excerpts (paging views only)."""
        if self.paged is None or len(self.rows) >= self.total:
            return
        ids, offset = self.paged
        with self.wb.project.read() as conn:
            _total, more = excerpt_page(
                conn,
                ids,
                offset=offset,
                limit=PAGE,
                coder=self.coder,
                descendants=self.descendants,
            )
        self.paged = (ids, offset + len(more))
        first = len(self.rows)
        self.rows.extend(more)
        self.add_rows(first)

    def all_rows(self) -> list[Excerpt]:
        """Every excerpt of the view (the pages not read yet too): what export writes."""
        if self.paged is None or len(self.rows) >= self.total:
            return self.rows
        with self.wb.project.read() as conn:
            codes = [self.code_id] if self.code_id else None
            return self.query_rows(conn, codes, [])

    def query_rows(
        self, conn: Connection, codes: list[str] | None, where: list[tuple[str, str]]
    ) -> list[Excerpt]:
        """The excerpts shown (a subclass may narrow them, e.g. to one matrix cell)."""
        return excerpts(
            conn, codes=codes, where=where, coder=self.coder, descendants=self.descendants
        )

    def current(self) -> Excerpt | None:
        table = self.query_one("#excerpts", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows[int(key)] if key is not None else None

    @on(DataTable.RowHighlighted, "#excerpts")
    @guard
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR:
            self.load_more()
        self.show_preview()

    def show_preview(self) -> None:
        row = self.current()
        if row is None:
            text = "" if self.rows else self.empty_hint()
        else:
            attrs = ", ".join(f"{k}={v}" for k, v in sorted(row.attributes.items()))
            who = " · ".join(x for x in (row.speaker or "", row.coder, attrs) if x)
            text = f"{row.document} ¶{row.segment} · {row.code_path} · {who} — {row.text}"
        self.query_one("#excerpt-preview", Static).update(text)

    def key(self, action: str) -> str:
        """The key bound to `action` on this screen, as the footer shows it (keys can be
        changed in the config file)."""
        for _node, binding, _enabled, _tip in self.active_bindings.values():
            if binding.action == action:
                return self.app.get_key_display(binding)
        return action

    def empty_hint(self) -> str:
        """What to do when the view holds no excerpt."""
        if self.query_one("#where", Input).value.strip() or self.coder is not None:
            return (
                f"No excerpt matches: {self.key('filter')} changes the attribute filter, "
                f"{self.key('next_coder')} the coder, {self.key('choose_code')} the code."
            )
        if self.code_id is not None:
            return (
                f"Nothing is coded with this code yet: {self.key('choose_code')} chooses "
                f"another code, {self.key('back')} goes back."
            )
        return "Nothing is coded yet: open a document and code a passage."

    @on(DataTable.RowSelected, "#excerpts")
    @guard
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_jump()

    @on(Input.Submitted, "#where")
    @guard
    def _where(self) -> None:
        self.reload()
        self.query_one("#excerpts", DataTable).focus()

    def action_jump(self) -> None:
        from workbench.tui.screens.coding import CodingScreen

        row = self.current()
        if row is None:
            show(self, NothingSelected("no excerpt selected"))
            return
        self.app.push_screen(CodingScreen(row.document, row.start, (row.start, row.end)))

    def action_choose_code(self) -> None:
        from workbench.tui.screens.picker import CodePicker, Picked

        with self.wb.project.read() as conn:
            tree = CodeTree.load(conn)

        def picked(choice: Picked | None) -> None:
            if choice is not None and choice.code_id is not None:
                self.code_id = choice.code_id
                self.reload()

        self.app.push_screen(CodePicker(tree, "Retrieve excerpts of…"), picked)

    def action_toggle_descendants(self) -> None:
        self.descendants = not self.descendants
        self.reload()

    def action_filter(self) -> None:
        self.query_one("#where", Input).focus()

    def action_next_coder(self) -> None:
        with self.wb.project.read() as conn:
            options: list[str | None] = [None, *coders(conn)]
        i = options.index(self.coder) if self.coder in options else 0
        self.coder = options[(i + 1) % len(options)]
        self.reload()

    def action_export(self) -> None:
        from workbench.services.code_edit import _slug
        from workbench.tui.screens.modals import PromptScreen

        folder = Path(self.wb.project_path).resolve().parent
        stem = _slug(self.code_id.split("/")[-1]) if self.code_id else "all"
        default = str(folder / f"excerpts-{stem}.csv")

        def done(path: str | None) -> None:
            if not path:
                return
            try:
                n = write_excerpts_csv(self.all_rows(), Path(path).expanduser())
            except (WorkbenchError, OSError) as exc:
                self.notify(f"export failed: {exc}", severity="error")
                return
            self.notify(f"wrote {plural(n, 'excerpt')} to {path}")

        self.app.push_screen(PromptScreen("Export this view to CSV:", value=default), done)

    def action_back(self) -> None:
        self.app.pop_screen()
