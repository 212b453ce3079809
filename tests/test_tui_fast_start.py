"""The TUI's first screen comes from the plain sqlite3 reader, before SQLAlchemy is loaded;
the project opens in full right after (tui/project_handle.py). Checked in a fresh
interpreter (what is loaded when the rows are first painted), and for what happens in the
window between the two: another terminal's write is shown, a key pressed early waits for
the open instead of failing, quitting early leaves nothing open."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_analysis_matrix import demo_project
from test_server_rules import wb
from test_tui_live import coded_cell, wait_for_note

from workbench.store.db import is_open_project
from workbench.tui import app as app_module
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.home import HomeScreen

FIRST_PAINT = """
import asyncio, gc, json, sys
from pathlib import Path
from workbench import startup_gc
startup_gc.pause()  # as `workbench` does (cli.run)
from textual.widgets import DataTable
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.home import HomeScreen

seen = {}
app = WorkbenchApp(Path(sys.argv[1]), "tester")
display = app._display

def painted(screen, renderable):
    display(screen, renderable)
    if "first" not in seen and isinstance(screen, HomeScreen) and renderable is not None:
        seen["first"] = screen.query_one("#documents", DataTable).row_count
    if "loaded" not in seen and isinstance(screen, HomeScreen) and renderable is not None:
        if screen.query_one("#documents", DataTable).row_count:
            seen["loaded"] = sorted(m for m in ("sqlalchemy", "torch") if m in sys.modules)
            seen["open"] = app.handle.is_open
            seen["gc_at_paint"] = gc.isenabled()

app._display = painted

async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.handle.is_open:
            await asyncio.sleep(0.01)
        await pilot.pause()
        seen["feed"] = app.feed is not None
        seen["rows"] = app.screen.query_one("#documents", DataTable).row_count
        seen["gc_after"] = [gc.isenabled(), gc.get_freeze_count()]

asyncio.run(main())
print(json.dumps(seen))
"""


def test_first_paint_needs_no_sqlalchemy(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = demo_project(tmp_path_factory)
    run = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == [], "the first screen loaded SQLAlchemy or torch"
    assert seen["open"] is False
    assert seen["feed"] is True  # the change feed runs once the project is open
    assert seen["rows"] == 20
    assert seen["first"] == 20  # the rows are in home's very first frame
    # the collector: paused until home is painted, then back on with start-up frozen
    assert seen["gc_at_paint"] is False
    assert seen["gc_after"][0] is True and seen["gc_after"][1] > 100_000


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (100, 30), (200, 60)])
async def test_the_first_layout_has_the_final_widths(
    tmp_path_factory: pytest.TempPathFactory, size: tuple[int, int]
) -> None:
    """Home lays its rows out before the first frame at the width it expects the table to
    have: that is the width it gets, so nothing is laid out twice."""
    app = WorkbenchApp(demo_project(tmp_path_factory), "tester")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert screen.expected_width() == screen.query_one("#documents").size.width
        assert screen.fit_columns([screen.cells(d) for d in screen.docs]) == screen.widths


@pytest.fixture
def held(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Path:
    """A copy of the demo project, and an app whose background open does not start by
    itself (the test starts it, or an action does)."""
    monkeypatch.setattr(app_module.WorkbenchApp, "_open_fully", lambda self, paints: None)
    demo = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_project(tmp_path_factory), demo)
    return demo


async def test_a_write_before_the_full_open_is_shown(held: Path, tmp_path: Path) -> None:
    app = WorkbenchApp(held, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert not app.handle.is_open  # shown from the start-up reader
        before = coded_cell(app, "FN02_moorside_reception")
        r = wb(tmp_path, "code", "FN02_moorside_reception", "--segment", "1",
               "--code", "Hidden work", "--coder", "bob", "--project", held)  # fmt: skip
        assert r.returncode == 0, r.stderr
        await asyncio.to_thread(app._open_in_thread)  # what the worker runs
        await wait_for_note(pilot, "bob coded 'Hidden work' in FN02_moorside_reception")
        assert app.handle.is_open and app.feed is not None
        # reported as if the feed had run from the start, and shown
        assert coded_cell(app, "FN02_moorside_reception") != before
    assert app.errors == []
    assert not is_open_project(held)


async def test_a_key_before_the_full_open_waits_for_it(held: Path) -> None:
    """Coding from the first screen, the project not yet open: the action opens it."""
    app = WorkbenchApp(held, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.handle.is_open
        await pilot.press("enter")  # open the first document
        await pilot.pause()
        assert app.handle.is_open
        assert type(app.screen).__name__ == "CodingScreen"
        label = app.undo_stack.undo()  # nothing done yet: the stack works on the open project
        assert label is None
    assert app.errors == []
    assert not is_open_project(held)


async def test_quitting_before_the_full_open_leaves_nothing_open(held: Path) -> None:
    app = WorkbenchApp(held, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.handle.is_open
        await pilot.press("q")
    assert not is_open_project(held)
    assert app.errors == []
