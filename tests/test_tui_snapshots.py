"""Snapshot tests of every screen at 80x24 (a designed layout, not a squeezed 120x40) and at
200x60.

Update after a deliberate change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs before committing them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_engine import engine_app
from tui_project import build_project

from workbench.services.coding import add_coding
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp

SIZES = [(80, 24), (200, 60)]
IDS = ["80x24", "200x60"]
BOOKS = Path(__file__).parent / "fixtures" / "merge_tui"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


@pytest.fixture
def app(project: Path) -> WorkbenchApp:
    return WorkbenchApp(project, "tester")


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Let workers finish and drop notifications (their timing is not the layout)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_home_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_home_with_codebook_panel(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # b shows (at 80 columns) and focuses the codebook; its counts come before the names
    assert snap_compare(app, press=["b", "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_coding_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # staff_s1, cursor on turn 3 (coded 'Hidden work'), a selection of one sentence + 2 words
    assert snap_compare(
        app, press=["down", "enter", "_", "j", "j", "j", "v", "w", "w"], terminal_size=size
    )


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_coding_screen_with_suggestions(project: Path, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app, _ = engine_app(project)

    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press("j", "t")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_code_picker(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, press=["down", "enter", "_", "j", "c", "p", "a"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_retrieval_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, press=["f2", "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_search_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, press=["f3", *"text", "enter", "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_review_screen(project: Path, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app, _ = engine_app(project)

    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.press("f4")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_merge_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    from workbench.tui.screens.merge import MergeScreen

    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.pause()
        pilot.app.push_screen(
            MergeScreen([BOOKS / "coder-a.yaml", BOOKS / "coder-b.yaml"], use_meaning=False)
        )
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_disagreement_screen(project: Path, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    from tui_project import FIXTURES, parse_fixture

    text = parse_fixture(FIXTURES / "staff_s1.txt").text
    proj = open_project(project)
    with proj.begin() as conn:
        for words, code, coder in [
            ("No training at all.", "Hidden work", "coder-b"),
            ("We send a text", "COVID-19", "coder-b"),
            ("I'm on reception.", "COVID-19", "alice"),
        ]:
            start = text.index(words)
            add_coding(conn, "staff_s1", start, start + len(words), code, coder)
    proj.close()
    app = WorkbenchApp(project, "tester")

    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.press("f6")
        await pilot.pause()  # the view compares the coders in a worker
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_help_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, press=["question_mark", "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_move_dialog(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # the list stays inside the dialog's border
    assert snap_compare(app, press=["b", "down", "m", "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_analysis_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # x on home: codes by role, the cursor on the first cell
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.pause()
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_pseudonyms_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # F7 on a project with no proposals yet: the empty review and its hint
    assert snap_compare(app, press=["f7", "_"], terminal_size=size)
