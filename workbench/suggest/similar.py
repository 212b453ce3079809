"""Semantic search: passages whose meaning is close to a free query or to another passage.

Uses the same embedder and store-backed cache as the suggestions, so after the corpus has been
embedded once (by suggestions or by a first search) a search costs one query embedding and a
matrix product. The units are the outer segments (turns, entries, survey responses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.errors import WorkbenchError
from workbench.store.db import Project
from workbench.suggest.cache import CachedEncoder
from workbench.suggest.corpus import Unit, load_units

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SimilarHit:
    segment_id: int
    document: str
    idx: int
    start: int
    end: int
    text: str
    score: float  # cosine similarity, -1..1


def similar_passages(
    project: Project,
    *,
    query: str | None = None,
    segment_id: int | None = None,
    limit: int = 50,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    encoder: CachedEncoder | None = None,
    cached_only: bool = False,
) -> list[SimilarHit]:
    """The `limit` passages closest in meaning to `query` or to segment `segment_id` (which is
    itself left out), best first. Embeds what the cache lacks, reporting (done, total); with
    `cached_only`, embeds nothing but the probe and searches only the passages already in the
    cache (an instant first answer while the rest is embedded)."""
    if (query is None) == (segment_id is None):
        raise WorkbenchError("give either a query or a passage to search by meaning")
    if query is not None and not query.strip():
        raise WorkbenchError("the search query is empty")
    with project.read() as conn:
        units = load_units(conn)
        target: list[Unit] = []
        if segment_id is not None:
            target = load_units(conn, segment_ids=[segment_id])
            if not target:
                raise WorkbenchError(f"segment {segment_id} does not exist or has no text")
    if not units:
        return []
    if encoder is None:
        from workbench.suggest.embedder import get_embedder

        encoder = CachedEncoder(get_embedder(), project)
    if cached_only:
        lacking = set(encoder.missing([u.text for u in units]))
        units = [u for u in units if u.text not in lacking or u.segment_id == segment_id]
        if not units:
            return []
    texts = [u.text for u in units]
    if not cached_only and not encoder.fill(texts, progress=progress, cancelled=cancelled):
        return []
    matrix = encoder.encode(texts)
    if query is not None:
        probe = encoder.embedder.encode([" ".join(query.split())])[0]
    else:
        probe = encoder.encode([target[0].text])[0]
    scores = matrix @ np.asarray(probe, dtype=np.float32)
    order = np.argsort(-scores, kind="stable")
    hits: list[SimilarHit] = []
    for i in order:
        u = units[int(i)]
        if u.segment_id == segment_id:
            continue
        hits.append(
            SimilarHit(u.segment_id, u.document, u.idx, u.start, u.end, u.text, float(scores[i]))
        )
        if len(hits) >= limit:
            break
    return hits


def cache_coverage(project: Project, encoder: CachedEncoder) -> tuple[int, int]:
    """(outer passages with a cached vector, all outer passages): how much of the corpus a
    `cached_only` search covers."""
    with project.read() as conn:
        texts = [u.text for u in load_units(conn)]
    return len(set(texts) - set(encoder.missing(texts))), len(set(texts))
