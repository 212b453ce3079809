"""Self-training: the project's uncoded passages that the learner is sure about join the
training rows as coded with the codes it is sure of (issue 16).

A researcher codes a few dozen passages per code; the project holds thousands more. After a
first fit on the coded passages, the uncoded ones are scored, and those where some code's
calibrated score reaches `threshold` are added, once, as passages coded with every code that
reaches it (and with none of the others). The learner is then fitted again on both; the
calibration curves and thresholds stay fitted on the researcher's own codings only (the added
passages' held-out scores would be what the first fit already believed), and a suggestion's
reason never cites an added passage (`kind` "pseudo"). Measured by cross-validation inside
the NHS benchmark's training split (docs/suggestions-quality.md), 25 rows per code:
micro-F1 0.641 -> 0.669.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from workbench.suggest.priors import prior_sample

if TYPE_CHECKING:
    from workbench.suggest.ranker import Ranker


def candidate_pool(uncoded: Sequence[str], labelled: Sequence[str], n: int) -> list[str]:
    """The uncoded passages that are scored (at most `n`, evenly spaced, deterministic: a
    caller embedding texts ahead, as `eval` does, can embed just these)."""
    known = set(labelled)
    return prior_sample(list(dict.fromkeys(t for t in uncoded if t not in known)), n)


def rows_for(ranker: Ranker, uncoded: Sequence[str]) -> list[tuple[str, set[str]]]:
    """Self-training rows for the ranker's current fit: none when it is calibrated on the
    codebook (nothing coded to be sure from), else `pseudo_labels` within its options'
    limits."""
    o, tr = ranker.options, ranker._require()
    texts = ranker._inputs[0]
    limit = min(
        int(o.pseudo_per_labelled * len(texts)), o.max_pseudo_rows, o.max_train_rows - len(texts)
    )
    if tr.from_book or limit <= 0 or not uncoded:
        return []
    return pseudo_labels(
        ranker.score,
        ranker.codes,
        uncoded,
        texts,
        threshold=o.pseudo_threshold,
        limit=limit,
        candidates=o.max_pseudo_candidates,
    )


def pseudo_labels(
    score: Callable[[list[str]], np.ndarray],
    codes: Sequence[str],
    unlabelled: Sequence[str],
    labelled: Sequence[str],
    *,
    threshold: float,
    limit: int,
    candidates: int,
) -> list[tuple[str, set[str]]]:
    """Up to `limit` (text, codes) for uncoded passages, the most confident first.

    `score` gives calibrated scores (n, len(codes)); `candidates` bounds how many of the
    uncoded passages (not in `labelled`; evenly spaced, deterministic) are scored."""
    if limit <= 0:
        return []
    pool = candidate_pool(unlabelled, labelled, candidates)
    if not pool:
        return []
    probs = score(pool)
    best = probs.max(axis=1)
    sure = np.flatnonzero(best >= threshold)
    order = sure[np.argsort(-best[sure], kind="stable")][:limit]
    return [(pool[i], {codes[j] for j in np.flatnonzero(probs[i] >= threshold)}) for i in order]
