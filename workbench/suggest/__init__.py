"""Offline code suggestions: a local embedding model, code profiles from the codebook and a
learner trained on the project's own codings (see docs/suggestions.md).

Importing this package is cheap: torch and sentence-transformers load on first use only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench.suggest.suggestion import Suggestion

if TYPE_CHECKING:
    from workbench.suggest.engine import SuggestionEngine

__all__ = ["Suggestion", "tui_engine"]


def tui_engine(project_path: Path, coder: str) -> SuggestionEngine:
    """The engine behind the TUI's suggestion panel and review mode (loads the model: call
    from a worker thread)."""
    from workbench.suggest.engine import SuggestionEngine

    return SuggestionEngine(project_path, coder)
