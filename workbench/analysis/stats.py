"""Agreement statistics on paired binary (or nominal) unit vectors."""

from __future__ import annotations

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
    """Krippendorff's alpha, nominal, two coders, no missing values; None when undefined.

    With two coders and no gaps the coincidence matrix reduces to counts: disagreeing pairs
    are the units where the coders differ (each counted both ways), and the label marginals
    are the labels' counts over both coders' values (exact integers, vectorised)."""
    n = len(a)
    if n == 0:
        return None
    n_total = 2 * n
    observed = 2 * int(np.count_nonzero(np.asarray(a) != np.asarray(b))) / n_total
    _, marginals = np.unique(np.concatenate([a, b]), return_counts=True)
    squares = int(np.dot(marginals.astype(np.int64), marginals.astype(np.int64)))
    expected = (n_total * n_total - squares) / (n_total * (n_total - 1))
    if expected == 0:
        return None
    return 1.0 - observed / expected
