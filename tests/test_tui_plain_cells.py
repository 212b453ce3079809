"""Text is shown exactly as written: DataTable cells, Static and Label lines, option lists,
rich tables and notifications all read a plain `str` as markup, which dropped a transcript's
"[laughs]" from the retrieval table, a code's "[draft]" from the summaries, and failed on "[/]"."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from test_analysis_matrix import demo_project
from textual.content import Content
from textual.widgets import DataTable, OptionList, Static

from workbench.services.code_tree import CodeTree
from workbench.suggest.suggestion import Suggestion
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.picker import CodePicker
from workbench.tui.widgets.suggest_panel import SuggestionPanel

ODD = "Rural [draft] [/] [b]x"  # a code name Textual would read as markup (and fail on)


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


def odd_names(demo: Path) -> None:
    con = sqlite3.connect(demo)
    con.execute("UPDATE codes SET name = ?, aliases = ? WHERE id = 'ineq-rural'", (ODD, '["[x]"]'))
    con.commit()
    con.close()


def static_text(app: WorkbenchApp, selector: str) -> str:
    visual = app.screen.query_one(selector, Static).visual
    return visual.plain if isinstance(visual, Content) else str(visual)


async def test_names_with_brackets_in_summaries_pickers_and_notices(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    demo = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_project(tmp_path_factory), demo)
    odd_names(demo)
    app = WorkbenchApp(demo, "tester")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        app.action_retrieval("ineq-rural")
        await pilot.pause()
        assert ODD in static_text(app, "#retrieval-summary")
        app.notify(f"renamed to '{ODD}'")  # drawn as written: no markup error
        await pilot.pause()
        assert any(ODD in n.message for n in app._notifications)
        app.pop_screen()
        await pilot.pause()
        project = app.handle.open()
        with project.read() as conn:
            codes = CodeTree.load(conn)
        picker = CodePicker(codes, "Apply code")
        app.push_screen(picker)
        await pilot.pause()
        picker.refill("rural")
        await pilot.pause()
        options = app.screen.query_one("#matches", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(ODD in p and "(aka [x])" in p for p in prompts), prompts
    assert app.errors == []


def test_a_suggestions_reason_quotes_the_passage_as_written() -> None:
    s = Suggestion(1, "doc", 0, 5, "c", 0.91, 'like coded passage "so [laughs] yes [/]"')
    panel = SuggestionPanel.__new__(SuggestionPanel)
    panel.names = {"c": ODD}
    label = SuggestionPanel.label(panel, s)
    assert label.plain == f'0.91 {ODD}\n  like coded passage "so [laughs] yes [/]"'
