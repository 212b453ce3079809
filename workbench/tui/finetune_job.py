"""Fine-tuning from the TUI (`F9`): `workbench suggest train` as a background job.

The job runs in a thread worker at low priority, reports progress as notifications (at most
one every few seconds), stops when `F9` is pressed again, and when it ends says what the
held-back check found. When the tuned model is better the app drops its suggestion engine,
so the next suggestions load the tuned model. torch is imported inside the worker only.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

NOTIFY_EVERY = 3.0  # seconds between progress notifications


def outcome(report: object) -> str:
    """One line on what fine-tuning found (a TrainReport)."""
    bundled = getattr(report, "bundled", {}).get("micro_f1", 0.0)
    tuned = getattr(report, "tuned", {}).get("micro_f1", 0.0)
    verdict = (
        "suggestions use the tuned model from now on"
        if getattr(report, "in_use", False)
        else "not better: suggestions keep the bundled model"
    )
    return f"fine-tuned: micro-F1 {bundled:.2f} → {tuned:.2f} on held-back passages; {verdict}"


def run_fine_tune(app: WorkbenchApp) -> None:
    """The worker's body (call from a thread worker)."""
    from workbench.suggest.background import lower_priority
    from workbench.suggest.project_tuning import train_project

    worker = get_current_worker()
    lower_priority()
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if total and now - last[0] >= NOTIFY_EVERY:
            last[0] = now
            text = f"fine-tuning: {stage} {done}/{total} (F9 cancels)"
            app.call_from_thread(app.notify, text, timeout=max(NOTIFY_EVERY, 2.0))

    try:
        report = train_project(
            app.project, progress=progress, cancelled=lambda: worker.is_cancelled
        )
    except Exception as exc:  # too few codings, no model: a message, never a crash
        app.call_from_thread(app.notify, f"fine-tuning: {exc}", severity="warning", timeout=8)
        return
    if report is None:
        app.call_from_thread(app.notify, "fine-tuning cancelled: nothing changed", timeout=5)
        return
    app.call_from_thread(app.notify, outcome(report), timeout=12)
    if report.in_use:
        app.call_from_thread(app.forget_engine)
