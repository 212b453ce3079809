"""The analysis screen (Pilot, on the demo): codes by role as a table whose numbers are
`count_matrix`'s, Enter on a cell opens exactly its excerpts, bars, percent, filter, export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_analysis_matrix import demo_project

from workbench.analysis.matrix import count_matrix
from workbench.analysis.units import Filters
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.analysis import AnalysisScreen, CellExcerpts


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_project(tmp_path_factory), path)
    return path


def reference(path: Path, rows: str, cols: str | None, where=()):  # type: ignore[no-untyped-def]
    project = open_project(path)
    try:
        with project.read() as conn:
            return count_matrix(conn, rows, cols, filters=Filters(where=tuple(where)))
    finally:
        project.close()


async def settle(pilot, screen: AnalysisScreen) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def cell_texts(screen: AnalysisScreen) -> list[list[str]]:
    table = screen.query_one("#matrix")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_codes_by_role_and_drill_down(demo: Path, size: tuple[int, int]) -> None:
    app = WorkbenchApp(demo, "tester")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = AnalysisScreen()
        app.push_screen(screen)
        await settle(pilot, screen)
        ref = reference(demo, "code", "attr:role")
        assert screen.matrix is not None and screen.matrix.cells == ref.cells
        rows = cell_texts(screen)
        assert len(rows) == len(ref.rows) + 1  # and the totals row
        i = next(k for k, row in enumerate(ref.cells) if any(row))
        j = next(k for k, v in enumerate(ref.cells[i]) if v)
        assert rows[i][j + 1] == str(ref.cells[i][j])
        assert rows[-1][-1] == str(ref.total)
        screen.query_one("#matrix").cursor_coordinate = (i, j + 1)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        drilled = app.screen
        assert isinstance(drilled, CellExcerpts)
        assert len(drilled.rows) == ref.cells[i][j]
        role = ref.cols[j].label
        assert all(r.attributes.get("role") == role for r in drilled.rows)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
    assert app.errors == []


async def test_cycle_bars_filter_and_export(demo: Path, tmp_path: Path) -> None:
    app = WorkbenchApp(demo, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = AnalysisScreen()
        app.push_screen(screen)
        await settle(pilot, screen)
        await pilot.press("b")  # frequencies as bars
        await settle(pilot, screen)
        freq = reference(demo, "code", None)
        assert screen.matrix is not None and screen.matrix.col_dim is None
        assert [r[1] for r in cell_texts(screen)] == [str(v) for v in freq.row_totals]
        await pilot.press("b", "slash", *"role=staff", "enter")
        await settle(pilot, screen)
        staff = reference(demo, "code", "attr:role", [("role", "staff")])
        assert screen.matrix.cells == staff.cells and screen.matrix.total == staff.total
        await pilot.press("r")  # rows: document
        await settle(pilot, screen)
        assert screen.matrix.row_dim.kind == "document"
        out = tmp_path / "view.xlsx"
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#prompt-input").value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        sheet = load_workbook(out).active
        values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        by_doc = reference(demo, "document", "attr:role", [("role", "staff")])
        assert [row[1:] for row in values] == by_doc.cells
        png = tmp_path / "view.png"
        screen.export_to(png)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        screen.export_to(tmp_path / "view.doc")  # refused with a notification, nothing written
        assert not (tmp_path / "view.doc").exists()
        screen.export_to(demo)  # the project itself: refused
        assert demo.read_bytes()[:16] == b"SQLite format 3\x00"
    assert app.errors == []
