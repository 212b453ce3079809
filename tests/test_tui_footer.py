"""The footer rebuilds its keys only when the keys it shows change (start-up and focus moves
stay cheap), and still follows the focus when they do."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey
from tui_project import build_project

from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.home import HomeScreen
from workbench.tui.widgets.footer import WorkbenchFooter


def actions(app: WorkbenchApp) -> set[str]:
    return {k.action for k in app.screen.query_one(WorkbenchFooter).query(FooterKey)}


async def test_footer_rebuilds_only_when_its_keys_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = []
    compose = WorkbenchFooter.compose

    def counted(self: WorkbenchFooter):  # type: ignore[no-untyped-def]
        builds.append(self)
        return compose(self)

    monkeypatch.setattr(WorkbenchFooter, "compose", counted)
    app = WorkbenchApp(build_project(tmp_path / "study.sqlite"), "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        at_start = len(builds)
        assert at_start <= 3  # Textual's own footer rebuilt six times here
        home_keys = actions(app)
        for _ in range(3):  # what a focus move or a pushed screen signals: nothing changed
            app.screen.refresh_bindings()
            await pilot.pause()
        same = len(builds)
        assert same == at_start and actions(app) == home_keys  # nothing rebuilt
        app.screen.action_focus_codebook()  # the codebook tree adds its own keys
        await pilot.pause()
        assert "add_child" in actions(app) and "add_child" not in home_keys
        assert len(builds) > same
        app.screen.action_focus_documents()
        await pilot.pause()
        assert actions(app) == home_keys
    assert app.errors == []
