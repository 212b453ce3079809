"""Analysis: a matrix of codings (codes by role, documents by coder...) as a shaded table or
as bars; Enter on a cell opens exactly the excerpts it counts; export the view.

Every figure comes from `workbench.analysis.count_matrix`, the same function as `workbench
matrix`; queries run in a worker thread, so the screen never freezes on a big project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from sqlalchemy import Connection
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from workbench.analysis.matrix import COUNT_TITLES, COUNTS, Matrix, count_matrix
from workbench.analysis.units import Dimension, Filters
from workbench.errors import WorkbenchError
from workbench.services.documents import parse_where
from workbench.services.excerpts import Excerpt
from workbench.services.where import filter_terms
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import guard
from workbench.tui.screens.retrieval import RetrievalScreen
from workbench.tui.text import clip, plain, plural
from workbench.tui.widgets.footer import WorkbenchFooter

PERCENTS: tuple[str | None, ...] = (None, "row", "col")
BAR_WIDTH = 30
EXPORT_SUFFIXES = (".csv", ".xlsx", ".json", ".png", ".svg")


def dimensions(conn: Connection) -> list[str]:
    """What rows and columns can be: code, document, coder, kind and every attribute."""
    from sqlalchemy import select

    from workbench.store import schema as s

    keys: set[str] = set()
    for table in (s.document_attributes, s.segment_attributes):
        keys.update(r[0] for r in conn.execute(select(table.c.key).distinct()))
    return ["code", "document", "coder", "attr:kind", *(f"attr:{k}" for k in sorted(keys))]


def shade(value: int, top: int) -> Text:
    """A cell: its number on a blue whose depth follows the value (0: plain, dim)."""
    if value <= 0 or top <= 0:
        return Text(str(value), style="dim", justify="right")
    t = value / top
    r, g, b = (int(30 + (25 - 30) * t), int(40 + (110 - 40) * t), int(60 + (220 - 60) * t))
    return Text(str(value), style=f"bold #ffffff on rgb({r},{g},{b})", justify="right")


def bar(value: int, top: int, width: int = BAR_WIDTH) -> Text:
    n = round(width * value / top) if top else 0
    return Text("█" * n + ("▏" if value and not n else ""), style="#3b82f6")


def indented(label: str, depth: int, width: int) -> str:
    """A row label under its parent: two spaces a level, then the label cut to fit."""
    pad = "  " * min(depth, 4)
    return pad + clip(label, max(6, width - len(pad)))


@dataclass
class Query:
    rows: str = "code"
    cols: str | None = "attr:role"
    count: str = "codings"
    percent: str | None = None
    where: tuple[tuple[str, str], ...] = ()

    def filters(self) -> Filters:
        return Filters(where=self.where)


class MatrixReady(Message):
    """A worker finished a query (or failed: `error`)."""

    def __init__(self, generation: int, matrix: Matrix | None, error: str | None) -> None:
        super().__init__()
        self.generation = generation
        self.matrix = matrix
        self.error = error


class CellExcerpts(RetrievalScreen):
    """Retrieval narrowed to the codings one matrix cell counts."""

    def __init__(self, coding_ids: list[int], label: str) -> None:
        super().__init__(None)
        self.coding_ids = set(coding_ids)
        self.label = label

    def query_rows(
        self, conn: Connection, codes: list[str] | None, where: list[tuple[str, str]]
    ) -> list[Excerpt]:
        rows = super().query_rows(conn, codes, where)
        return [r for r in rows if r.coding_id in self.coding_ids]

    def reload(self) -> None:
        super().reload()
        shown = plural(len(self.rows), "excerpt")
        self.query_one("#retrieval-summary", Static).update(f"{self.label} · {shown}")


class AnalysisScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Excerpts", id="analysis.drill"),
        Binding("r", "next_rows", "Rows", id="analysis.rows"),
        Binding("c", "next_cols", "Columns", id="analysis.cols"),
        Binding("n", "next_count", "Count", id="analysis.count"),
        Binding("p", "next_percent", "%", id="analysis.percent"),
        Binding("b", "toggle_bars", "Bars", id="analysis.bars"),
        Binding("slash", "filter", "Filter", key_display="/", id="analysis.filter"),
        Binding("e", "export", "Export", id="analysis.export"),
        Binding("escape", "back", "Back", id="analysis.back"),
    ]

    def __init__(self, query: Query | None = None) -> None:
        super().__init__()
        self.q = query or Query()
        self.bars = False
        self.matrix: Matrix | None = None
        self.generation = 0
        self.dims: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="analysis-body"):
            yield Static("", id="analysis-summary", markup=False)
            yield Input(placeholder="filter: role=staff practice=Brookfield", id="analysis-where")
            yield DataTable(id="matrix", cursor_type="cell", zebra_stripes=False)
            yield Static("", id="analysis-cell", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        with self.wb.project.read() as conn:
            self.dims = dimensions(conn)
        if self.q.cols is not None and self.q.cols not in self.dims:
            self.q.cols = next((d for d in self.dims if d.startswith("attr:")), None)
        self.query_one("#matrix", DataTable).focus()
        self.recompute()

    # -- computing ------------------------------------------------------------------------
    def reload(self) -> None:
        """The store changed (undo, a colleague's coding): count again."""
        self.recompute()

    def recompute(self) -> None:
        self.generation += 1
        self.query_one("#analysis-summary", Static).update(f"{self.describe()} · counting…")
        self._compute(self.generation, Query(**vars(self.q)))

    @work(thread=True, exclusive=True, group="analysis")
    def _compute(self, generation: int, q: Query) -> None:
        try:
            with self.wb.project.read() as conn:
                cols = None if self.bars else q.cols
                m = count_matrix(conn, q.rows, cols, count=q.count, filters=q.filters())
        except WorkbenchError as exc:
            self.post_message(MatrixReady(generation, None, str(exc)))
            return
        self.post_message(MatrixReady(generation, m, None))

    @on(MatrixReady)
    def _ready(self, event: MatrixReady) -> None:
        if event.generation != self.generation:
            return  # an older query, overtaken
        if event.error is not None:
            self.notify(event.error, severity="warning")
            self.query_one("#analysis-summary", Static).update(f"{self.describe()} · {event.error}")
            return
        self.matrix = event.matrix
        self.show()

    def describe(self) -> str:
        cols = "frequencies" if self.bars or self.q.cols is None else f"by {self.q.cols}"
        pct = f" · {self.q.percent} %" if self.q.percent and not self.bars else ""
        where = " ".join(f"{k}={v}" for k, v in self.q.where)
        return f"{COUNT_TITLES[self.q.count]}: {self.q.rows} {cols}{pct}" + (
            f" · filter: {where}" if where else ""
        )

    def show(self) -> None:
        m = self.matrix
        if m is None:
            return
        table = self.query_one("#matrix", DataTable)
        keep = table.cursor_coordinate
        table.clear(columns=True)
        width = self.app.size.width
        label_w = max(14, min(40, width // 4))
        table.add_column(plain(m.row_dim.title.capitalize()), key="label")
        if self.bars or m.col_dim is None:
            table.add_column("n", key="n")
            table.add_column("", key="bar")
            top = max(m.row_totals, default=0)
            bar_w = max(8, width - label_w - 16)
            for i, r in enumerate(m.rows):
                v = m.row_totals[i]
                label = indented(r.label, r.depth, label_w)
                table.add_row(
                    plain(label), Text(str(v), justify="right"), bar(v, top, bar_w), key=str(i)
                )
        else:
            pct = m.percentages(self.q.percent) if self.q.percent else None
            # every column has one cell of padding each side; the label column too
            col_w = max(5, (width - label_w - 6) // max(1, len(m.cols) + 1) - 2)
            for j, c in enumerate(m.cols):
                table.add_column(plain(clip(c.label, col_w)), key=f"c{j}")
            table.add_column("Total", key="total")
            top = max((v for row in m.cells for v in row), default=0)
            for i, r in enumerate(m.rows):
                cells: list[object] = [plain(indented(r.label, r.depth, label_w))]
                for j, v in enumerate(m.cells[i]):
                    cell = shade(v, top)
                    if pct is not None:
                        cell = Text(f"{pct[i][j]:.0f}%", style=cell.style, justify="right")
                    cells.append(cell)
                cells.append(Text(str(m.row_totals[i]), style="bold", justify="right"))
                table.add_row(*cells, key=str(i))
            table.add_row(
                Text("Total", style="bold"),
                *(Text(str(v), style="bold", justify="right") for v in m.col_totals),
                Text(str(m.total), style="bold", justify="right"),
                key="total",
            )
        if keep.row < table.row_count and keep.column < len(table.columns):
            table.cursor_coordinate = keep
        rows = plural(len(m.rows), "row")
        self.query_one("#analysis-summary", Static).update(
            f"{self.describe()} · {rows} · total {m.total}"
        )
        self.describe_cell()

    # -- the cell under the cursor ----------------------------------------------------------
    def cell(self) -> tuple[int, int | None] | None:
        """(row index or -1 for the totals row, column index or None for a total) under the
        cursor; None on the label column."""
        m = self.matrix
        if m is None:
            return None
        table = self.query_one("#matrix", DataTable)
        row, col = table.cursor_coordinate.row, table.cursor_coordinate.column
        if col == 0 or row >= len(m.rows) + 1:
            return None
        i = row if row < len(m.rows) else -1
        if self.bars or m.col_dim is None:
            return (i, None) if i >= 0 else None
        j = col - 1
        return (i, j if j < len(m.cols) else None)

    def cell_label(self, i: int, j: int | None) -> str:
        m = self.matrix
        assert m is not None
        parts = []
        if i >= 0:
            parts.append(f"{m.row_dim.title} {m.rows[i].label}")
        if j is not None and m.col_dim is not None:
            parts.append(f"{m.col_dim.title} {m.cols[j].label}")
        return " × ".join(parts) or "all codings"

    def cell_value(self, i: int, j: int | None) -> int:
        m = self.matrix
        assert m is not None
        if i < 0:
            return m.col_totals[j] if j is not None else m.total
        return m.cells[i][j] if j is not None and not self.bars else m.row_totals[i]

    @on(DataTable.CellHighlighted, "#matrix")
    def describe_cell(self) -> None:
        at = self.cell()
        text = ""
        if at is not None and self.matrix is not None:
            i, j = at
            value = self.cell_value(*at)
            what = COUNT_TITLES[self.matrix.count].lower()
            text = f"{self.cell_label(i, j)}: {value} {what} · Enter: the excerpts"
        self.query_one("#analysis-cell", Static).update(text)

    @on(DataTable.CellSelected, "#matrix")
    @guard
    def _selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        from workbench.analysis.drill import cell_coding_ids

        m, at = self.matrix, self.cell()
        if m is None or at is None:
            self.notify("move to a number to see its excerpts", severity="warning")
            return
        i, j = at
        with self.wb.project.read() as conn:
            ids = cell_coding_ids(conn, m, i, None if self.bars else j)
        if not ids:
            self.notify("no codings in this cell", severity="information")
            return
        self.app.push_screen(CellExcerpts(ids, self.cell_label(i, j)))

    # -- changing the query -------------------------------------------------------------------
    def _cycle(self, options: list[str | None], current: str | None) -> str | None:
        i = options.index(current) if current in options else -1
        return options[(i + 1) % len(options)]

    def action_next_rows(self) -> None:
        self.q.rows = str(self._cycle(list(self.dims), self.q.rows))
        if self.q.cols == self.q.rows or (self.q.rows == "code" and self.q.cols == "code"):
            self.q.cols = None
        self.recompute()

    def action_next_cols(self) -> None:
        options: list[str | None] = [None, *(d for d in self.dims if d != self.q.rows)]
        if self.q.rows == "code":
            options = [o for o in options if o != "code"]
        self.q.cols = self._cycle(options, self.q.cols)
        self.bars = False
        self.recompute()

    def action_next_count(self) -> None:
        self.q.count = str(self._cycle(list(COUNTS), self.q.count))
        self.recompute()

    def action_next_percent(self) -> None:
        self.q.percent = PERCENTS[(PERCENTS.index(self.q.percent) + 1) % len(PERCENTS)]
        self.show()

    def action_toggle_bars(self) -> None:
        self.bars = not self.bars
        self.recompute()

    def action_filter(self) -> None:
        self.query_one("#analysis-where", Input).focus()

    @on(Input.Submitted, "#analysis-where")
    @guard
    def _where(self, event: Input.Submitted) -> None:
        try:
            self.q.where = tuple(parse_where(filter_terms(event.value)))
        except WorkbenchError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.query_one("#matrix", DataTable).focus()
        self.recompute()

    def action_export(self) -> None:
        from workbench.tui.screens.modals import PromptScreen

        folder = Path(self.wb.project_path).resolve().parent
        cols = "frequencies" if self.bars or not self.q.cols else self.q.cols.replace(":", "-")
        default = str(folder / f"matrix-{self.q.rows.replace(':', '-')}-by-{cols}.xlsx")

        def done(path: str | None) -> None:
            if path:
                self.export_to(Path(path).expanduser())

        self.app.push_screen(
            PromptScreen("Export this view (.csv .xlsx .json .png .svg)", default), done
        )

    def export_to(self, path: Path) -> None:
        m = self.matrix
        if m is None:
            return
        if path.suffix.lower() not in EXPORT_SUFFIXES:
            self.notify(f"{path.name}: use one of {' '.join(EXPORT_SUFFIXES)}", severity="error")
            return
        try:
            said = write_view(path, m, self.q.percent, self.bars, self.wb.project_path)
        except (WorkbenchError, OSError) as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return
        self.notify(said)

    def on_resize(self) -> None:
        self.call_after_refresh(self.show)

    def action_back(self) -> None:
        self.app.pop_screen()


def write_view(path: Path, m: Matrix, percent: str | None, bars: bool, project: Path) -> str:
    """The view as a table file (CSV, XLSX, JSON) or a chart (PNG, SVG); says what it wrote."""
    from workbench.analysis.tables import write_matrix_file
    from workbench.fsutil import atomic_write_bytes

    if path.suffix.lower() in (".png", ".svg"):
        from workbench.analysis.charts import frequency_chart, matrix_chart

        fmt = path.suffix.lower()[1:]
        if bars or m.col_dim is None:
            data = frequency_chart(m, fmt)
        else:
            data = matrix_chart(m, fmt, percent=percent)
        atomic_write_bytes(path, data, project=project)
        return f"wrote a {fmt.upper()} chart to {path}"
    from workbench.fsutil import check_output

    check_output(path, project=project)
    return write_matrix_file(path, m, None if bars else percent, project.name)


__all__ = ["AnalysisScreen", "Dimension", "Query"]
