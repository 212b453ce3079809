"""The embedding function for the codebook merge's meaning matching: the suggestion engine's
embedder (`get_embedder`, the bundled all-MiniLM-L6-v2 or the configured model), loaded
lazily and offline, so one model instance serves both. The merge itself (workbench.codebook
.merge) takes any `Embed` and never imports this layer; the CLI and the TUI pass it in.
"""

from __future__ import annotations

import numpy as np

from workbench.codebook.merge.text import Embed


def _embed() -> Embed:
    from workbench.suggest.embedder import get_embedder

    model = get_embedder()
    return lambda texts: np.asarray(model.encode(list(texts)), dtype=np.float64)


def default_embed() -> tuple[Embed | None, str]:
    """(embed function or None, why not). Failing to load the model is not fatal: the merge
    runs without meaning matching and says so."""
    try:
        return _embed(), ""
    except Exception as exc:  # a missing or broken model must not stop a merge
        return None, f"embedding model not available ({type(exc).__name__}: {exc})"
