"""Pilot tests of the disagreement view: both coders side by side, settle, check the store."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from tui_project import FIXTURES, build_project, parse_fixture

from workbench.services.coding import add_coding, list_codings
from workbench.services.resolve import CONSENSUS
from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.coding import CodingScreen
from workbench.tui.screens.disagreements import DisagreementScreen
from workbench.tui.screens.help import binding_groups

SIZE = (120, 40)
TEXT = parse_fixture(FIXTURES / "staff_s1.txt").text
# staff_s1 turns (the units here: the fixture has no sentences): 1 = reception / NHS App,
# 3 = no training, 5 = text about repeat prescriptions.
TURN1 = "I'm on reception."
TURN3 = "No training at all."
TURN5 = "We send a text about repeat prescriptions with a link."


def span(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """alice's two codings plus three each by coder-a and coder-b; they disagree on turn 1
    (Passive: B only; COVID-19: A only) and turn 5 (Passive: A only; Responsibility: B only)."""
    path = build_project(tmp_path / "study.sqlite")
    proj = open_project(path)
    try:
        with proj.begin() as conn:
            for words, code, coder in [
                (TURN3, "Hidden work", "coder-a"),
                (TURN3, "Hidden work", "coder-b"),
                (TURN1, "Passive facilitation", "coder-b"),
                (TURN1, "COVID-19", "coder-a"),
                (TURN5, "Passive facilitation", "coder-a"),
                (TURN5, "Responsibility of others", "coder-b"),
            ]:
                add_coding(conn, "staff_s1", *span(words), code, coder)
    finally:
        proj.close()
    return path


def shown(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(screen.query_one(selector).content)
    return " ".join(console.export_text().split())


def store(path: Path):  # type: ignore[no-untyped-def]
    proj = open_project(path)
    try:
        with proj.read() as conn:
            rows = conn.execute(select(s.resolutions).order_by(s.resolutions.c.id)).all()
            return rows, list_codings(conn, coder=CONSENSUS), list_codings(conn)
    finally:
        proj.close()


async def open_view(pilot) -> DisagreementScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
    assert titles.count("Coder disagreements") == 1 and titles.count("Merge codebooks") == 1
    await pilot.press("D")
    await compared(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DisagreementScreen)
    return screen


async def compared(pilot) -> None:  # type: ignore[no-untyped-def]
    """The view compares the coders in a worker: wait for it and for its rows."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_settle_keep_b_neither_keep_a_and_hide(project: Path) -> None:
    _, _, before = store(project)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot)
        assert screen.coders == ("coder-a", "coder-b")  # the two with most codings
        rows = [(d.segment, d.code, d.applied_by) for d in screen.rows]
        assert rows == [
            (1, "Passive facilitation", "coder-b"),
            (1, "COVID-19", "coder-a"),
            (5, "Passive facilitation", "coder-a"),
            (5, "Responsibility of others", "coder-b"),
        ]
        passage = shown(screen, "#dis-passage")
        assert "A: coder-a" in passage and "B: coder-b" in passage
        assert "did not apply Passive facilitation" in passage
        assert "applied Passive facilitation" in passage
        assert passage.count("I'm on reception.") == 2  # the turn, once per coder
        await pilot.press("b")  # row 0: keep B (B applied Passive on turn 1)
        await pilot.pause()
        assert screen.current() is screen.rows[1]  # moved on to the next open one
        await pilot.press("n")  # row 1: neither (COVID-19 on turn 1)
        await pilot.press("a")  # row 2: keep A (Passive on turn 5)
        await pilot.pause()
        table = screen.query_one("#disagreements")
        assert "kept coder-b · by tester" in str(table.get_row_at(0)[-1])
        assert "settled" in shown(screen, "#dis-summary")
        await pilot.press("h")  # hide the settled ones
        await pilot.pause()
        assert table.row_count == 1
        assert screen.current() is screen.rows[3]
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
    assert app.errors == []
    resolutions, consensus, after = store(project)
    assert [(r.segment, r.decision, r.resolver, r.coder_a, r.coder_b) for r in resolutions] == [
        (1, "keep_b", "tester", "coder-a", "coder-b"),
        (1, "neither", "tester", "coder-a", "coder-b"),
        (5, "keep_a", "tester", "coder-a", "coder-b"),
    ]
    assert all(r.created for r in resolutions)
    assert sorted((c.start, c.end, c.code_id, c.origin) for c in consensus) == sorted(
        [
            (*span(TURN1), "facilitation/passive-facilitation", "resolved"),
            (*span(TURN5), "facilitation/passive-facilitation", "resolved"),
        ]
    )
    assert [c for c in after if c.coder != CONSENSUS] == before  # the coders' own: untouched


async def test_reopen_choose_coders_and_jump(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("up", "x")  # reopen row 0
        await pilot.pause()
        assert screen.rows[0].resolution is None
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # coder A: alice (first by name)
        await pilot.pause()
        await pilot.press("down", "enter")  # coder B: coder-b (after coder-a)
        await pilot.pause()
        assert screen.coders == ("alice", "coder-b")
        assert {d.applied_by for d in screen.rows} == {"alice", "coder-b"}
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen) and app.screen.doc_name == "staff_s1"
    assert app.errors == []
    groups = dict(binding_groups())
    keys = {b.action for b in groups["Coder disagreements (F6, or D on home)"]}
    assert keys >= {"settle('keep_a')", "settle('keep_b')", "settle('keep_both')", "reopen"}
    assert "disagreements" in {b.action for b in groups["Home (documents)"]}
    resolutions, consensus, _ = store(project)
    assert resolutions == [] and consensus == []


async def test_many_disagreements_are_added_to_the_table_as_you_scroll(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.tui.screens import disagreements

    monkeypatch.setattr(disagreements, "PAGE", 2)
    monkeypatch.setattr(disagreements, "NEAR", 1)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot)
        table = screen.query_one("#disagreements")
        assert len(screen.rows) == 4 and table.row_count == 2  # a page in the table
        assert "4 disagreements" in shown(screen, "#dis-summary")  # counted over all
        await pilot.press("down")
        await pilot.pause()
        assert table.row_count == 4
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.current() == screen.rows[3]
        await pilot.press("b")  # settling a later row keeps the table whole and in order
        await pilot.pause()
        assert table.row_count >= 4 and screen.rows[3].resolution is not None
    assert app.errors == []


async def test_the_view_stays_responsive_while_it_compares(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparing two coders runs in a worker (seconds on a big project): the view says so,
    Escape leaves at once, and an answer that arrives after a newer request is dropped."""
    import threading

    from workbench.tui.screens import disagreements as view

    release = threading.Event()
    calls: list[tuple[str, str]] = []
    real = view.list_disagreements

    def slow(conn, a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        assert release.wait(10)
        return real(conn, a, b)

    monkeypatch.setattr(view, "list_disagreements", slow)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DisagreementScreen)
        summary = str(screen.query_one("#dis-summary").render())
        assert "comparing their codings" in summary and screen.rows == []
        first = screen.generation
        screen.reload()  # e.g. the store changed meanwhile: a second comparison
        assert screen.generation == first + 1
        release.set()
        await compared(pilot)
        assert len(calls) == 2 and len(screen.rows) == 4
        assert "4 disagreements" in str(screen.query_one("#dis-summary").render())
        release.clear()
        screen.reload()
        await pilot.pause()
        await pilot.press("escape")  # leaves while the worker still waits
        await pilot.pause()
        assert not isinstance(app.screen, DisagreementScreen)
        release.set()
