"""The one scripted suggestion engine for the TUI tests (the engine protocol of
`workbench.tui.suggestions`, no model): it suggests 'COVID-19' (0.8) then 'Hidden work' (0.6)
for every turn of one document, and queues 'COVID-19' on its first three turns for review."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select

from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.suggestions import Suggestion


class ScriptedEngine:
    def __init__(self, project_path: Path, coder: str, document: str = "staff_s1") -> None:
        self.document = document
        proj = open_project(project_path)
        try:
            with proj.read() as conn:
                self.turns = conn.execute(
                    select(s.segments.c.id, s.segments.c.start, s.segments.c.end)
                    .join(s.documents, s.documents.c.id == s.segments.c.document_id)
                    .where(s.documents.c.name == document, s.segments.c.parent_id.is_(None))
                    .order_by(s.segments.c.idx)
                ).all()
        finally:
            proj.close()
        self.learned: list[tuple[str, bool]] = []
        self.prepared = 0
        self.orders: list[str] = []

    def _make(self, turn, code_id: str, score: float) -> Suggestion:  # type: ignore[no-untyped-def]
        return Suggestion(turn[0], self.document, turn[1], turn[2], code_id, score, "similar to x")

    def prepare(self, progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> None:
        for i in range(len(self.turns)):
            if cancelled():
                return
            progress(i + 1, len(self.turns))
        self.prepared += 1

    def for_segment(self, segment_id: int, top_k: int = 5) -> list[Suggestion]:
        turn = next(t for t in self.turns if t[0] == segment_id)
        return [self._make(turn, "covid-19", 0.8), self._make(turn, "hidden-work", 0.6)]

    def queue(self, coder: str, order: str = "confident") -> Iterator[Suggestion]:
        self.orders.append(order)
        turns = self.turns[:3] if order == "confident" else self.turns[:3][::-1]
        for turn in turns:
            yield self._make(turn, "covid-19", 0.7)

    def learn(self, suggestion: Suggestion, accepted: bool, coder: str) -> None:
        self.learned.append((suggestion.code_id, accepted))


def engine_app(
    project: Path, coder: str = "tester", document: str = "staff_s1"
) -> tuple[WorkbenchApp, list[ScriptedEngine]]:
    """An app whose suggestion engine is a ScriptedEngine (the engines made are listed)."""
    app = WorkbenchApp(project, coder)
    made: list[ScriptedEngine] = []

    def factory(path: Path, who: str) -> ScriptedEngine:
        made.append(ScriptedEngine(path, who, document))
        return made[-1]

    app.engine_factory = factory
    return app, made
