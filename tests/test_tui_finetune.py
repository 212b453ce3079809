"""F9 in the TUI: fine-tuning as a background job (progress, cancel, the outcome told, the
engine reloaded when the tuned model is better). The training itself is
tests/test_finetune.py's; here it is replaced by a stand-in that behaves like it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from tui_engine import engine_app
from tui_project import build_project

import workbench.suggest.project_tuning as tuning
from workbench.tui import finetune_job

SIZE = (120, 40)


class Report:
    def __init__(self, in_use: bool) -> None:
        self.in_use = in_use
        self.bundled = {"micro_f1": 0.5}
        self.tuned = {"micro_f1": 0.6 if in_use else 0.4}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


def notes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("better", [True, False])
async def test_f9_fine_tunes_in_the_background_and_tells_the_outcome(
    project: Path, monkeypatch: pytest.MonkeyPatch, better: bool
) -> None:
    calls: list[str] = []

    def fake(proj, *, progress=None, cancelled=None, **_kw):  # type: ignore[no-untyped-def]
        calls.append(threading.current_thread().name)
        assert progress is not None and cancelled is not None
        progress("training", 1, 2)
        return Report(better)

    monkeypatch.setattr(tuning, "train_project", fake)
    monkeypatch.setattr(finetune_job, "NOTIFY_EVERY", 0.0)
    app, _made = engine_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = notes(app)
    assert len(calls) == 1 and calls[0] != threading.main_thread().name
    assert any("fine-tuning: training 1/2" in n for n in said), said
    verdict = "use the tuned model" if better else "keep the bundled model"
    assert any("micro-F1 0.50 →" in n and verdict in n for n in said)
    assert app.errors == []


async def test_f9_again_cancels_and_nothing_changes(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()

    def slow(proj, *, progress=None, cancelled=None, **_kw):  # type: ignore[no-untyped-def]
        started.set()
        deadline = time.monotonic() + 20
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        return None if cancelled() else Report(True)

    monkeypatch.setattr(tuning, "train_project", slow)
    app, _made = engine_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f9")
        for _ in range(500):
            if started.is_set():
                break
            await pilot.pause(0.01)
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = notes(app)
    assert any("cancelled: nothing changed" in n for n in said)
    assert app.errors == []


async def test_a_better_model_makes_the_app_load_the_engine_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tuning, "train_project", lambda proj, **kw: Report(True))
    app, made = engine_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.run_worker(app.get_engine, thread=True)
        await app.workers.wait_for_complete()
        assert len(made) == 1
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.run_worker(app.get_engine, thread=True)
        await app.workers.wait_for_complete()
    assert len(made) == 2  # the tuned model is loaded by a new engine
    assert app.errors == []
