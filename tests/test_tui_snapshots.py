"""Snapshot tests of the home, coding and retrieval screens at 80x24 and 200x60.

Update after a deliberate change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs before committing them."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_project import build_project

from workbench.tui.app import WorkbenchApp

SIZES = [(80, 24), (200, 60)]


@pytest.fixture
def app(tmp_path: Path) -> WorkbenchApp:
    return WorkbenchApp(build_project(tmp_path / "study.sqlite"), "tester")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x60"])
def test_home_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x60"])
def test_coding_screen(app: WorkbenchApp, snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # staff_s1, cursor on turn 3 (coded 'Hidden work'), a selection of one sentence + 2 words
    assert snap_compare(
        app, press=["down", "enter", "_", "j", "j", "j", "v", "w", "w"], terminal_size=size
    )


def test_retrieval_screen(app: WorkbenchApp, snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, press=["f2", "_"], terminal_size=(80, 24))
