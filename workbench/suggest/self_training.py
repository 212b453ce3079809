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

import numpy as np

from workbench.suggest.priors import prior_sample


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
    known = set(labelled)
    pool = prior_sample(list(dict.fromkeys(t for t in unlabelled if t not in known)), candidates)
    if not pool:
        return []
    probs = score(pool)
    best = probs.max(axis=1)
    sure = np.flatnonzero(best >= threshold)
    order = sure[np.argsort(-best[sure], kind="stable")][:limit]
    return [(pool[i], {codes[j] for j in np.flatnonzero(probs[i] >= threshold)}) for i in order]
