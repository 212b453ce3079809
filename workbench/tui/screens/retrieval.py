"""Retrieval: every excerpt of a code, filtered by attribute and coder; jump or export."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.documents import parse_where
from workbench.services.excerpts import Excerpt, excerpts, write_excerpts_csv
from workbench.services.tui_support import coders
from workbench.tui.errors import guard

SNIPPET = 160


def snippet(text: str, width: int = SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class RetrievalScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Go to passage"),
        Binding("c", "choose_code", "Code"),
        Binding("d", "toggle_descendants", "± children"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("o", "next_coder", "Coder"),
        Binding("e", "export", "Export CSV"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, code_id: str | None = None) -> None:
        super().__init__()
        self.code_id = code_id
        self.descendants = True
        self.coder: str | None = None
        self.rows: list[Excerpt] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="retrieval-body"):
            yield Static("", id="retrieval-summary")
            yield Input(
                placeholder="filter by attribute: role=patient practice=Brookfield", id="where"
            )
            yield DataTable(id="excerpts", cursor_type="row", zebra_stripes=True)
            yield Static("", id="excerpt-preview")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#excerpts", DataTable)
        for label in ("Document", "Speaker", "Code", "Coder", "Text", "Attributes"):
            table.add_column(label, key=label.casefold())
        self.reload()
        table.focus()

    def where(self) -> list[tuple[str, str]]:
        return parse_where(self.query_one("#where", Input).value.split())

    def reload(self) -> None:
        try:
            where = self.where()
        except WorkbenchError as exc:
            self.notify(str(exc), severity="warning")
            where = []
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
            tree = CodeTree.load(conn)
            if self.code_id is not None and self.code_id not in tree.codes:
                self.code_id = None
            codes = [self.code_id] if self.code_id else None
            self.rows = excerpts(
                conn, codes=codes, where=where, coder=self.coder, descendants=self.descendants
            )
        table = self.query_one("#excerpts", DataTable)
        table.clear()
        width = max(24, self.app.size.width - 56)
        for i, r in enumerate(self.rows):
            attrs = ", ".join(f"{k}={v}" for k, v in sorted(r.attributes.items()))
            table.add_row(
                r.document,
                r.speaker or "",
                r.code,
                r.coder,
                snippet(r.text, width),
                snippet(attrs, 60),
                key=str(i),
            )
        self.show_preview()
        code = tree.path_str(self.code_id) if self.code_id else "all codes"
        scope = " + children" if self.code_id and self.descendants else ""
        who = self.coder or "all coders"
        filt = " ".join(f"{k}={v}" for k, v in where) or "none"
        self.query_one("#retrieval-summary", Static).update(
            f"{code}{scope} · filter: {filt} · {who} · {len(self.rows)} excerpts"
        )

    def current(self) -> Excerpt | None:
        table = self.query_one("#excerpts", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows[int(key)] if key is not None else None

    @on(DataTable.RowHighlighted, "#excerpts")
    @guard
    def show_preview(self) -> None:
        row = self.current()
        text = (
            "" if row is None else f"{row.document} ¶{row.segment} · {row.code_path} — {row.text}"
        )
        self.query_one("#excerpt-preview", Static).update(text)

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
            self.notify("no excerpt selected", severity="warning")
            return
        self.app.push_screen(CodingScreen(row.document, row.start, (row.start, row.end)))

    def action_choose_code(self) -> None:
        from workbench.tui.screens.picker import CodePicker, Picked

        with self.app.project.read() as conn:  # type: ignore[attr-defined]
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
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
            options: list[str | None] = [None, *coders(conn)]
        i = options.index(self.coder) if self.coder in options else 0
        self.coder = options[(i + 1) % len(options)]
        self.reload()

    def action_export(self) -> None:
        from workbench.services.code_edit import _slug
        from workbench.tui.screens.modals import PromptScreen

        folder = Path(self.app.project_path).resolve().parent  # type: ignore[attr-defined]
        stem = _slug(self.code_id.split("/")[-1]) if self.code_id else "all"
        default = str(folder / f"excerpts-{stem}.csv")

        def done(path: str | None) -> None:
            if not path:
                return
            try:
                n = write_excerpts_csv(self.rows, Path(path).expanduser())
            except (WorkbenchError, OSError) as exc:
                self.notify(f"export failed: {exc}", severity="error")
                return
            self.notify(f"wrote {n} excerpts to {path}")

        self.app.push_screen(PromptScreen("Export this view to CSV:", value=default), done)

    def action_back(self) -> None:
        self.app.pop_screen()
