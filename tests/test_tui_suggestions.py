"""Suggestion panel and review mode against the engine protocol (a scripted engine here;
the model-backed engine is exercised by the suggest module's own tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tui_engine import ScriptedEngine, engine_app
from tui_project import build_project

from workbench.services.coding import list_codings
from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.review import ReviewScreen


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


def feedback(path: Path) -> list[tuple[int, str, str, str]]:
    proj = open_project(path)
    with proj.read() as conn:
        rows = conn.execute(
            select(
                s.suggestion_feedback.c.segment_id,
                s.suggestion_feedback.c.code_id,
                s.suggestion_feedback.c.decision,
                s.suggestion_feedback.c.coder,
            ).order_by(s.suggestion_feedback.c.id)
        ).all()
    proj.close()
    return [tuple(r) for r in rows]


def make_app(project: Path) -> tuple[WorkbenchApp, list[ScriptedEngine]]:
    return engine_app(project)


async def test_accept_and_reject_from_the_panel(project: Path) -> None:
    app, made = make_app(project)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press("j", "t")  # turn 1, show the panel: the engine loads in a worker
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        seg = screen.doc.turns[1].seg
        await pilot.press("y")  # accept the top one: COVID-19
        await pilot.pause()
        await pilot.press("n")  # reject the next: Hidden work
        await pilot.pause()
    mine = list_codings_of(project, "tester")
    assert [(c.start, c.end, c.code_id, c.origin) for c in mine] == [
        (seg.start, seg.end, "covid-19", "suggested")
    ]
    assert feedback(project) == [
        (seg.id, "covid-19", "accepted", "tester"),
        (seg.id, "hidden-work", "rejected", "tester"),
    ]
    assert made[0].learned == [("covid-19", True), ("hidden-work", False)]
    assert app.errors == []


async def test_review_mode_accept_reject_skip(project: Path) -> None:
    app, made = make_app(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert made[0].prepared == 1
        first = app.screen.current
        await pilot.press("y", "space", "n")
        await pilot.pause()
        assert app.screen.current is None  # queue of three is done
    engine = made[0]
    assert [(c.code_id, c.origin) for c in list_codings_of(project, "tester")] == [
        ("covid-19", "suggested")
    ]
    assert list_codings_of(project, "tester")[0].start == first.start
    decided = [(f[0], f[2]) for f in feedback(project)]
    assert decided == [(engine.turns[0][0], "accepted"), (engine.turns[2][0], "rejected")]


async def test_review_order_switches_to_most_uncertain_first(project: Path) -> None:
    app, made = make_app(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        engine = made[0]
        assert app.screen.current.segment_id == engine.turns[0][0]
        await pilot.press("o")
        await pilot.pause()
        assert engine.orders == ["confident", "uncertain"]
        assert app.screen.current.segment_id == engine.turns[2][0]
        await pilot.press("o")
        await pilot.pause()
        assert engine.orders[-1] == "confident"
    assert app.errors == []


async def test_missing_engine_is_a_message_not_a_crash(project: Path) -> None:
    app = WorkbenchApp(project, "tester")

    def broken(path: Path, coder: str):  # type: ignore[no-untyped-def]
        from workbench.errors import WorkbenchError

        raise WorkbenchError("code suggestions are not available")

    app.engine_factory = broken  # type: ignore[assignment]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#review-status").render())
        assert "unavailable" in status
    assert app.errors == []


def list_codings_of(path: Path, coder: str):  # type: ignore[no-untyped-def]
    proj = open_project(path)
    with proj.read() as conn:
        out = list_codings(conn, coder=coder)
    proj.close()
    return out


@pytest.mark.model
async def test_accept_and_reject_with_the_real_engine(project: Path) -> None:
    """The panel on the real engine (workbench.suggest.tui_engine and the bundled model)."""
    from workbench.suggest.engine import SuggestionEngine

    probe = SuggestionEngine(project, "tester")
    proj = open_project(project)
    with proj.read() as conn:
        doc_id = conn.execute(
            select(s.documents.c.id).where(s.documents.c.name == "staff_s1")
        ).scalar_one()
        turns = conn.execute(
            select(s.segments.c.id)
            .where((s.segments.c.document_id == doc_id) & s.segments.c.parent_id.is_(None))
            .order_by(s.segments.c.idx)
        ).all()
    proj.close()
    offered = [len(probe.for_segment(t[0])) for t in turns]
    probe.close()
    target = next((i for i, n in enumerate(offered) if n >= 2), None)
    assert target is not None, f"no turn of staff_s1 gets two suggestions: {offered}"

    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press(*(["j"] * target), "t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        seg = screen.doc.turns[target].seg
        panel = screen.query_one("#suggestions")
        first, second = panel.items[0], panel.items[1]
        assert first.segment_id == seg.id and first.score >= second.score
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        engine = app.get_engine()
        after = {x.code_id for x in engine.for_segment(seg.id, top_k=10, min_score=0.0)}
    assert {first.code_id, second.code_id}.isdisjoint(after)
    assert_accepted_then_rejected(project, first, second)
    assert app.errors == []


def assert_accepted_then_rejected(project: Path, accepted, rejected) -> None:  # type: ignore[no-untyped-def]
    """The store holds exactly: the accepted suggestion as tester's coding (origin suggested)
    and both decisions, in order."""
    mine = list_codings_of(project, "tester")
    assert [(c.start, c.end, c.code_id, c.origin) for c in mine] == [
        (accepted.start, accepted.end, accepted.code_id, "suggested")
    ]
    assert feedback(project) == [
        (accepted.segment_id, accepted.code_id, "accepted", "tester"),
        (rejected.segment_id, rejected.code_id, "rejected", "tester"),
    ]


@pytest.mark.model
async def test_review_mode_with_the_real_engine(project: Path) -> None:
    """Review mode on the real engine: prepare embeds the corpus, then y / n decide the
    streamed suggestions and the store records both."""
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        first = app.screen.current
        assert first is not None and 0.0 <= first.score <= 1.0 and first.reason
        await pilot.press("y")
        await pilot.pause()
        second = app.screen.current
        assert second is not None and (second.segment_id, second.code_id) != (
            first.segment_id,
            first.code_id,
        )
        await pilot.press("n")
        await pilot.pause()
    assert_accepted_then_rejected(project, first, second)
    assert app.errors == []
