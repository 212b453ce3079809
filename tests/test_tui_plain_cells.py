"""Table cells are shown exactly as written: DataTable reads a plain `str` as Rich markup,
which dropped a transcript's "[laughs]" from the retrieval table and would fail on "[/]"."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from test_analysis_matrix import demo_project
from textual.widgets import DataTable

from workbench.tui.app import WorkbenchApp


def shown(table: DataTable, row: int) -> str:  # type: ignore[type-arg]
    return "".join(s.text for s in table.render_line(row + 1 - table.scroll_offset.y))


async def test_retrieval_keeps_bracketed_transcript_notes(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    app = WorkbenchApp(demo_project(tmp_path_factory), "tester")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        app.action_retrieval("ineq-rural")  # the sample codes a passage with "[laughs]"
        await pilot.pause()
        table = app.screen.query_one("#excerpts", DataTable)
        rows = [y for y in range(table.row_count) if "[laughs]" in str(table.get_row_at(y))]
        assert rows, "the sample should hold an excerpt with [laughs]"
        assert "[laughs]" in shown(table, rows[0])
    assert app.errors == []


async def test_home_shows_names_and_attributes_with_brackets(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    demo = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_project(tmp_path_factory), demo)
    con = sqlite3.connect(demo)
    con.execute(
        "UPDATE documents SET name = 'A [bold]draft[/bold] [/]' WHERE name = ?",
        ("K01_commissioner",),
    )
    con.execute(
        "INSERT OR REPLACE INTO document_attributes (document_id, key, value) "
        "SELECT id, 'practice', '[redacted]' FROM documents WHERE name LIKE 'A [bold]%'"
    )
    con.commit()
    con.close()
    app = WorkbenchApp(demo, "tester")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#documents", DataTable)
        assert "A [bold]draft[/bold] [/]" in shown(table, 0)
        assert "[redacted]" in shown(table, 0)
    assert app.errors == []
