"""Turn raw code scores into probabilities and yes/no decisions, using held-out scores only.

Everything here is fitted on cross-validated (leave-one-out) scores of the training passages,
never on the passages being evaluated:
- per-code Platt scaling (a logistic curve over the raw score), pulled towards one curve
  shared by all codes so that a code with few examples still gets a sensible mapping;
- a per-code decision threshold that maximises that code's F1, shrunk towards the global
  threshold that maximises micro-F1 (fewer positives -> closer to the global one);
- whether to always keep the best code for a passage when nothing passes its threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class Platt:
    a: np.ndarray  # (n_codes,) slope
    b: np.ndarray  # (n_codes,) intercept

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return _sigmoid(raw * self.a + self.b)


@dataclass(frozen=True)
class Decisions:
    thresholds: np.ndarray  # (n_codes,)
    global_threshold: float
    force_top1: bool


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _newton(
    s: np.ndarray, y: np.ndarray, prior: np.ndarray, strength: float, iters: int = 30
) -> np.ndarray:
    """Logistic fit of y ~ sigmoid(a*s + b), L2-penalised towards `prior` = (a0, b0).

    Damped Newton (step halving until the penalised loss drops), so separable data cannot
    make it overshoot."""
    x = np.stack([s, np.ones_like(s)], axis=1)

    def loss(w: np.ndarray) -> float:
        z = x @ w
        return float(
            np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * strength * np.sum((w - prior) ** 2)
        )

    w = prior.astype(np.float64).copy()
    current = loss(w)
    for _ in range(iters):
        p = _sigmoid(x @ w)
        grad = x.T @ (p - y) + strength * (w - prior)
        hess = (x * (p * (1 - p))[:, None]).T @ x + (strength + 1e-9) * np.eye(2)
        step = np.linalg.solve(hess, grad)
        for _ in range(30):
            trial = w - step
            value = loss(trial)
            if value <= current:
                break
            step = step / 2
        else:
            break
        w, improvement, current = trial, current - value, value
        if improvement < 1e-9 * max(1.0, abs(current)):
            break
    return w


def _platt_targets(y: np.ndarray) -> np.ndarray:
    """Platt's smoothed targets: never exactly 0 or 1, so few examples do not overfit."""
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    return np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))


# The curve used when there is too little held-out evidence to fit one: a raw score of about
# -0.3 maps to 0.5 (typical of fitted curves for this ranker's scale).
DEFAULT_CURVE = np.array([8.0, 2.5])
MIN_POSITIVES = 10  # held-out positives needed before the shared curve is fitted


def fit_platt(raw: np.ndarray, labels: np.ndarray, known: np.ndarray, strength: float) -> Platt:
    """Per-code curves shrunk towards the shared curve with L2 `strength`.

    A curve must rise with the score: a fit that does not (too little or contradictory
    evidence) is replaced by the shared curve, and the shared one by DEFAULT_CURVE.
    """
    pooled = DEFAULT_CURVE
    if int(labels[known].sum()) >= MIN_POSITIVES:
        fitted = _newton(raw[known], _platt_targets(labels[known]), DEFAULT_CURVE, strength=1.0)
        if fitted[0] > 0:
            pooled = fitted
    n_codes = raw.shape[1]
    a = np.full(n_codes, pooled[0])
    b = np.full(n_codes, pooled[1])
    for j in range(n_codes):
        m = known[:, j]
        if labels[m, j].any():
            aj, bj = _newton(raw[m, j], _platt_targets(labels[m, j]), pooled, strength)
            if aj > 0:
                a[j], b[j] = aj, bj
    return Platt(a=a, b=b)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def _middle_of_best(f1: np.ndarray) -> np.ndarray:
    """Index of the middle of the best plateau along the last axis (robust to ties)."""
    best = f1.max(axis=-1, keepdims=True)
    ties = f1 >= best - 1e-12
    first = np.argmax(ties, axis=-1)
    last = ties.shape[-1] - 1 - np.argmax(ties[..., ::-1], axis=-1)
    return (first + last) // 2


def decide(probs: np.ndarray, thresholds: np.ndarray, force_top1: bool) -> np.ndarray:
    """Boolean (n, n_codes): codes at or above their threshold (or the best one, if forced)."""
    pred = probs >= thresholds[None, :]
    if force_top1 and probs.size:
        empty = ~pred.any(axis=1)
        pred[empty, np.argmax(probs[empty], axis=1)] = True
    return pred


def choose_decisions(
    probs: np.ndarray, labels: np.ndarray, shrink: float, default: float = 0.5
) -> Decisions:
    """Thresholds that maximise F1 on held-out probabilities of fully labelled passages.

    With too little to go on (fewer than MIN_POSITIVES positives), `default` for every code
    and the best code kept for a passage where none passes it (a passage is coded for a
    reason: the best-matching code is the likeliest single guess)."""
    n_codes = probs.shape[1]
    if len(probs) == 0 or int(labels.sum()) < MIN_POSITIVES:  # too little to go on
        return Decisions(np.full(n_codes, default), default, True)
    y = labels.astype(bool)
    # global threshold: best micro-F1 over all codes pooled
    micro = []
    for t in GRID:
        pred = probs >= t
        micro.append(_f1((pred & y).sum(), (pred & ~y).sum(), (~pred & y).sum()))
    t_global = float(GRID[int(_middle_of_best(np.array(micro)))])
    # per code: best F1 of that code, shrunk towards the global threshold by support
    pred = probs[:, :, None] >= GRID[None, None, :]  # (n, codes, grid)
    tp = (pred & y[:, :, None]).sum(axis=0)
    fp = (pred & ~y[:, :, None]).sum(axis=0)
    fn = (~pred & y[:, :, None]).sum(axis=0)
    best = GRID[_middle_of_best(_f1(tp, fp, fn))]
    support = y.sum(axis=0).astype(np.float64)
    thresholds = np.where(
        support > 0, (support * best + shrink * t_global) / (support + shrink), t_global
    )
    # keep the best code when nothing passes? only if that helps micro-F1 here
    scores = []
    for force in (False, True):
        p = decide(probs, thresholds, force)
        scores.append(_f1((p & y).sum(), (p & ~y).sum(), (~p & y).sum()))
    return Decisions(thresholds, t_global, bool(scores[1] > scores[0]))
