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


Interim = Callable[[list[SimilarHit], int, int], None]  # (hits, passages searched, all)

FIRST_BATCH = 256  # passages embedded before an interim answer on a cold cache
_SHORT_WORD = 4  # words shorter than this do not make a passage "share words" with the query


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
    interim: Interim | None = None,
) -> list[SimilarHit]:
    """The `limit` passages closest in meaning to `query` or to segment `segment_id` (which is
    itself left out), best first. Embeds what the cache lacks, reporting (done, total); with
    `cached_only`, embeds nothing but the probe and searches only the passages already in the
    cache (an instant first answer while the rest is embedded). With `interim`, when more
    than FIRST_BATCH passages lack a vector, the passages sharing words with the probe and
    then the shortest are embedded first and `interim(hits, searched, total)` gets the best
    among those already embedded, before the rest is embedded (a first answer in seconds on
    a cold cache)."""
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
    if query is not None:
        probe_text = " ".join(query.split())
        probe = encoder.embedder.encode([probe_text])[0]
    else:
        probe_text = target[0].text
        probe = encoder.encode([probe_text])[0]
    probe = np.asarray(probe, dtype=np.float32)
    lacking = encoder.missing([u.text for u in units])
    if cached_only:
        gone = set(lacking)
        return _ranked(encoder, [u for u in units if u.text not in gone], probe, segment_id, limit)
    if interim is not None and len(lacking) > FIRST_BATCH:
        first = embed_first(lacking, probe_text)[:FIRST_BATCH]
        whole = len(set(lacking))

        def overall(base: int) -> Progress:  # both steps report over everything embedded
            return lambda done, _total: progress(base + done, whole) if progress else None

        if not encoder.fill(first, progress=overall(0), cancelled=cancelled):
            return []
        gone = set(lacking) - set(first)
        ready = [u for u in units if u.text not in gone]
        interim(_ranked(encoder, ready, probe, segment_id, limit), len(ready), len(units))
        if not encoder.fill(lacking, progress=overall(len(first)), cancelled=cancelled):
            return []
    elif not encoder.fill(lacking, progress=progress, cancelled=cancelled):
        return []
    return _ranked(encoder, units, probe, segment_id, limit)


def embed_first(texts: list[str], probe: str) -> list[str]:
    """`texts` (distinct) in the order a cold search embeds them: those sharing the most
    words with the probe first, then the shortest (quickest to embed)."""
    words = {w for w in probe.casefold().split() if len(w) >= _SHORT_WORD}

    def key(text: str) -> tuple[int, int]:
        shared = len(words.intersection(text.casefold().split())) if words else 0
        return (-shared, len(text))

    return sorted(dict.fromkeys(texts), key=key)


def _ranked(
    encoder: CachedEncoder,
    units: list[Unit],
    probe: np.ndarray,
    segment_id: int | None,
    limit: int,
) -> list[SimilarHit]:
    """The `limit` units closest to `probe` (all embedded already), best first."""
    if not units:
        return []
    scores = encoder.encode([u.text for u in units]) @ probe
    hits: list[SimilarHit] = []
    for i in np.argsort(-scores, kind="stable"):
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
