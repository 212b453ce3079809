"""What the TUI needs from the suggestion engine, and how it finds it (lazily, in a worker).

The engine lives in `workbench.suggest` (another module's job). The TUI codes against this
small protocol so the panel and review mode work with any engine that provides it; the
engine module is imported only inside `load_engine`, which runs in a thread worker, so
torch / sentence-transformers never load at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from workbench.errors import WorkbenchError
from workbench.suggest.suggestion import Suggestion

__all__ = ["EngineFactory", "Suggestion", "SuggestionEngine", "load_engine"]


class SuggestionEngine(Protocol):
    def prepare(self, progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> None:
        """Embed the corpus (slow; reports progress, stops early when cancelled() is true)."""

    def for_segment(self, segment_id: int, top_k: int = 5) -> list[Suggestion]:
        """Best suggestions for one segment, best first."""

    def queue(self, coder: str, order: str = "confident") -> Iterator[Suggestion]:
        """Corpus-wide suggestions for review, skipping decided ones: most confident first,
        or (order="uncertain") closest to each code's threshold first."""

    def learn(self, suggestion: Suggestion, accepted: bool, coder: str) -> None:
        """Update the learner after a decision (the TUI has already saved it)."""


EngineFactory = Callable[[Path, str], SuggestionEngine]


def load_engine(project_path: Path, coder: str) -> SuggestionEngine:
    """The engine for a project. Call from a thread worker: this may import torch."""
    try:
        from workbench.suggest import tui_engine
    except ImportError as exc:
        raise WorkbenchError(
            "code suggestions are not available in this build (workbench.suggest.tui_engine)"
        ) from exc
    return tui_engine(project_path, coder)
