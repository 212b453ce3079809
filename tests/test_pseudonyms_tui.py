"""Pilot test of the pseudonym review screen: accept, reject, edit, link; the store after."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Input
from tui_project import build_project

from workbench.cli import main
from workbench.pseudonyms.store import detect, proposals
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.pseudonyms import PseudonymScreen

CARER = Path(__file__).parent / "fixtures" / "pseudonyms" / "carer_pryce.txt"


def state(path: Path) -> dict[str, tuple[str, str]]:
    proj = open_project(path)
    try:
        with proj.read() as conn:
            return {p.text: (p.status, p.replacement) for p in proposals(conn)}
    finally:
        proj.close()


def shown(screen: PseudonymScreen) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(screen.query_one("#pseudonyms-context").content)
    return " ".join(console.export_text().split())


async def test_review_accept_reject_edit_link(tmp_path: Path) -> None:
    path = build_project(tmp_path / "study.sqlite")
    assert main(["import", str(CARER), "--project", str(path)]) == 0
    proj = open_project(path)
    with proj.begin() as conn:
        detect(conn)
    proj.close()
    before = state(path)
    assert {s for s, _ in before.values()} == {"proposed"}
    app = WorkbenchApp(path, "tester")
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PseudonymScreen)

        async def go(text: str) -> None:
            table = screen.query_one("#pseudonyms")
            target = [r.text for r in screen.rows].index(text)
            while table.cursor_row != target:
                await pilot.press("down" if table.cursor_row < target else "up")
            await pilot.pause()

        await go("943 476 5919")
        assert "Her NHS number is 943 476 5919" in shown(screen)
        await pilot.press("y")
        await go("Colin")
        await pilot.press("n")
        await go("Riverside Surgery")
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = "[Surgery A]"
        await pilot.press("enter")
        await pilot.pause()
        await go("Mrs Haddock")
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one(Input).value = "Janet Pryce"
        await pilot.press("enter")
        await pilot.pause()
        await go("943 476 5919")
        await pilot.press("p")  # the pseudonymised view: what an export would write
        await pilot.pause()
        assert "Her NHS number is [NHS number]" in shown(screen)
        await pilot.press("h")  # hide decided: the accepted and rejected ones go
        await pilot.pause()
        assert "Colin" not in [r.text for r in screen.rows]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PseudonymScreen)
    assert app.errors == []
    after = state(path)
    assert after["943 476 5919"] == ("accepted", "[NHS number]")
    assert after["Colin"] == ("rejected", before["Colin"][1])
    assert after["Riverside Surgery"] == ("proposed", "[Surgery A]")
    assert after["Mrs Haddock"] == ("proposed", before["Janet Pryce"][1])
    changed = {"943 476 5919", "Colin", "Riverside Surgery", "Mrs Haddock"}
    assert {t: v for t, v in after.items() if t not in changed} == {
        t: v for t, v in before.items() if t not in changed
    }
