"""How common each code is among a project's passages, read from unlabelled passages.

A ranker's calibration curves (Platt) assume each code is as common as it was among the rows
they were fitted on: the codebook's own texts (nothing coded yet), or the coded passages - and
a researcher codes examples of each theme, so rare themes are over-represented there. Given
passages of the kind to be scored, with their codes unknown, each code's curve is moved from
the share it assumed to the share the passages suggest (its mean calibrated score over them:
one step of Saerens, Latinne & Decaestecker's (2002) prior correction), which is a shift of
the curve's intercept by logit(prior) - logit(base).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.suggest.calibration import GRID, Decisions, Platt, _middle_of_best


def prior_sample(texts: Sequence[str], limit: int) -> list[str]:
    """The unlabelled passages `fit` uses for code priors: at most `limit` non-blank ones,
    evenly spaced (deterministic; a caller embedding texts ahead can embed just these)."""
    kept = [t for t in texts if t.strip()]
    if len(kept) <= limit:
        return kept
    return [kept[i] for i in np.linspace(0, len(kept) - 1, max(limit, 0)).round().astype(int)]


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def prior_shift(probs: np.ndarray, base: np.ndarray, pseudo_rows: float) -> np.ndarray:
    """(n_codes,) intercept shift taking curves that assume shares `base` to the shares the
    passages' calibrated scores `probs` (n, n_codes) give, each estimate counting
    `pseudo_rows` extra passages at `base` (few passages: a small shift)."""
    prior = (probs.sum(axis=0) + pseudo_rows * base) / (len(probs) + pseudo_rows)
    return logit(prior) - logit(base)


def shifted(platt: Platt, shift: np.ndarray) -> Platt:
    return Platt(a=platt.a, b=platt.b + shift)


def implied_base(probs: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(n_codes,) the share of each code a fitted curve assumes: its mean calibrated score
    over the rows it was fitted on (`known`: the rows labelled for the code). Unlike the
    share of positives this is defined for a code with none, and it is what the curve
    reproduces when the passages look like those rows (then no shift at all)."""
    total = np.where(known, probs, 0.0).sum(axis=0)
    return total / np.maximum(known.sum(axis=0), 1)


def expected_f1_threshold(probs: np.ndarray) -> float:
    """The one threshold maximising the expected micro-F1 over passages whose calibrated
    scores are `probs` (each score taken as the chance that the code applies)."""
    pred = probs[:, :, None] >= GRID[None, None, :]
    p = probs[:, :, None]
    tp = (pred * p).sum(axis=(0, 1))
    fp = (pred * (1 - p)).sum(axis=(0, 1))
    fn = (~pred * p).sum(axis=(0, 1))
    f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)
    return float(GRID[int(_middle_of_best(f1))])


def shifted_decisions(
    decisions: Decisions,
    shift: np.ndarray,
    support: np.ndarray,
    shrink: float,
    pool_probs: np.ndarray,
    fresh_share: float = 1.0,
) -> Decisions:
    """Thresholds for curves moved by `shift`.

    `decisions` holds each code's threshold (support * own + shrink * shared) / (support +
    shrink), the shared one maximising micro-F1 on the held-out coded passages. A code's own
    threshold moves with its curve; the shared one, which mostly reflects how many codes a
    coded passage has, is chosen again on the passages (expected micro-F1 of their shifted
    scores `pool_probs`); the two are mixed in logit space with the same weights. The result
    counts for the share of the passages that are not coded (`fresh_share`), the thresholds
    of `decisions` moved with their curves for the rest: all coded, nothing changes."""
    shared = decisions.global_threshold
    own = np.where(
        support > 0,
        (decisions.thresholds * (support + shrink) - shrink * shared) / np.maximum(support, 1),
        shared,
    )
    own = logit(np.clip(own, GRID[0], GRID[-1])) + shift
    pooled = expected_f1_threshold(pool_probs)
    w = np.where(support > 0, support / np.maximum(support + shrink, 1e-12), 0.0)
    fresh = w * own + (1 - w) * logit(np.array(pooled))
    kept = logit(decisions.thresholds) + shift
    mixed = fresh_share * fresh + (1 - fresh_share) * kept
    new_shared = fresh_share * logit(np.array(pooled)) + (1 - fresh_share) * logit(np.array(shared))
    return Decisions(_sigmoid(mixed), float(_sigmoid(new_shared)), decisions.force_top1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))
