"""Agreement statistics on paired binary (or nominal) unit vectors."""

from __future__ import annotations

from collections import Counter

import numpy as np


def percent_agreement(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) == 0:
        return None
    return float(np.mean(a == b))


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cohen's kappa; None when undefined (both coders constant and identical)."""
    n = len(a)
    if n == 0:
        return None
    labels = np.union1d(a, b)
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == v) * np.mean(b == v) for v in labels))
    if pe >= 1.0:
        return None
    return (po - pe) / (1.0 - pe)


def krippendorff_alpha_nominal(a: np.ndarray, b: np.ndarray) -> float | None:
    """Krippendorff's alpha, nominal, two coders, no missing values; None when undefined."""
    if len(a) == 0:
        return None
    coincidence: Counter[tuple[object, object]] = Counter()
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        coincidence[(x, y)] += 1
        coincidence[(y, x)] += 1
    n_total = 2 * len(a)
    marginals: Counter[object] = Counter()
    for (x, _), count in coincidence.items():
        marginals[x] += count
    observed = sum(c for (x, y), c in coincidence.items() if x != y) / n_total
    expected = sum(marginals[x] * marginals[y] for x in marginals for y in marginals if x != y) / (
        n_total * (n_total - 1)
    )
    if expected == 0:
        return None
    return 1.0 - observed / expected
