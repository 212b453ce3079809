"""The open TUI hears what others change: a CLI command in another terminal on the same
project file, and a colleague on the team server, within 2 seconds (notification and the
screen refreshed)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from test_analysis_matrix import demo_project
from test_server_rules import DOC, Team, setup_in_process, wb

from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.home import HomeScreen


async def wait_for_note(pilot, text: str, seconds: float = 2.5) -> float:  # type: ignore[no-untyped-def]
    """Seconds until a notification containing `text` shows (fails after `seconds`)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        await pilot.pause(0.1)
        if any(text in n.message for n in pilot.app._notifications):
            return time.monotonic() - start
    notes = [n.message for n in pilot.app._notifications]
    raise AssertionError(f"no notification with {text!r} within {seconds} s: {notes}")


def coded_cell(app: WorkbenchApp, name: str) -> str:
    table = app.screen.query_one("#documents")
    row = table.get_row(name)  # type: ignore[attr-defined]
    return str(row[3])


async def test_a_cli_import_in_another_terminal_shows_up(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    demo = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_project(tmp_path_factory), demo)
    app = WorkbenchApp(demo, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        before = coded_cell(app, "FN02_moorside_reception")
        r = wb(tmp_path, "code", "FN02_moorside_reception", "--segment", "1",
               "--code", "Hidden work", "--coder", "bob", "--project", demo)  # fmt: skip
        assert r.returncode == 0, r.stderr
        await wait_for_note(pilot, "bob coded 'Hidden work' in FN02_moorside_reception")
        assert coded_cell(app, "FN02_moorside_reception") != before
        # my own codings from another terminal (same coder) refresh quietly
        r = wb(tmp_path, "code", "FN02_moorside_reception", "--segment", "3",
               "--code", "Hidden work", "--coder", "tester", "--project", demo)  # fmt: skip
        assert r.returncode == 0, r.stderr
        await pilot.pause(1.5)
        assert not any("tester" in n.message for n in app._notifications)
    assert app.errors == []


async def test_two_coders_on_the_server_see_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = setup_in_process(Team(tmp_path), monkeypatch)
    app = WorkbenchApp(Path(team.login("bob")), None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = coded_cell(app, DOC)
        r = team.run("alice", "code", DOC, "--start", 0, "--end", 5000, "--code", "Hidden work")
        assert r.returncode == 0, r.stderr
        took = await wait_for_note(pilot, f"{team.name('alice')} coded 'Hidden work' in {DOC}")
        assert took < 2.0
        assert coded_cell(app, DOC) != before  # the home screen refreshed
    assert app.errors == []


async def test_a_coding_reloads_the_screen_in_view_and_the_rest_on_return(tmp_path: Path) -> None:
    """On a big project the home screen's reload takes seconds: a coding reloads only the
    coding screen; home reloads (once) when it comes back into view, with the new counts."""
    from tui_project import build_project

    project = build_project(tmp_path / "study.sqlite")
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        calls = []
        original = home.reload

        def counted() -> None:
            calls.append(1)
            original()

        home.reload = counted  # type: ignore[method-assign]
        before = coded_cell(app, "staff_s1")
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press("j", "j", "v", "c", "p", "a", "enter")  # code a sentence
        await pilot.pause()
        assert calls == [] and home.stale
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is home and calls == [1] and not home.stale
        assert coded_cell(app, "staff_s1") != before
    assert app.errors == []


def test_the_file_feed_reports_other_processes_not_this_one(tmp_path: Path) -> None:
    """A settled disagreement writes codings as `consensus` from this very process: not a
    colleague. A CLI command in another process is."""
    from tui_project import build_project

    from workbench.services.coding import add_coding
    from workbench.services.live import FileFeed
    from workbench.store.db import open_project

    path = build_project(tmp_path / "study.sqlite")
    proj = open_project(path)
    try:
        feed = FileFeed(proj, lambda c: None, me="tester")  # polled by hand, not started
        with proj.begin() as conn:
            add_coding(conn, "staff_s1", 0, 10, "Hidden work", "consensus")
        assert feed.poll() == []
        assert feed.poll() == []
        r = wb(tmp_path, "code", "staff_s1", "--start", 20, "--end", 30, "--code", "Hidden work",
               "--coder", "bob", "--project", path)  # fmt: skip
        assert r.returncode == 0, r.stderr
        heard = feed.poll()
        assert [(c.kind, c.by, c.mine) for c in heard] == [("coded", "bob", False)]
    finally:
        proj.close()
