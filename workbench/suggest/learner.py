"""The learner behind the ranker: hybrid text features and a kernel ridge classifier.

A passage is represented three ways at once: TF-IDF over word 1-2-grams, TF-IDF over character
2-5-grams (robust to typos and word forms), and its sentence embedding. The similarity of two
passages (the kernel) is the sum of the three cosine similarities. One regularised
least-squares fit in the dual (an n x n Cholesky solve, n = labelled passages) learns every
code at once, and gives exact leave-one-out scores for calibration without refitting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_solve, lapack


@dataclass(frozen=True)
class Features:
    word: sp.csr_matrix
    char: sp.csr_matrix
    emb: np.ndarray

    def __len__(self) -> int:
        return int(self.emb.shape[0])

    def take(self, idx: np.ndarray) -> Features:
        return Features(self.word[idx], self.char[idx], self.emb[idx])


# A text's word and character n-grams (what TF-IDF counts) do not depend on the vocabulary,
# so they are kept across fits: a retrain after one accept analyses one new text, not every
# training passage and every passage read for the priors again. Bounded; cleared when full.
ANALYSIS_CACHE = 4000
_analysed: dict[tuple[str, str], list[str]] = {}


def _remembered(kind: str, analyse: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    def run(text: str) -> list[str]:
        key = (kind, text)
        grams = _analysed.get(key)
        if grams is None:
            grams = analyse(text)
            if len(_analysed) >= ANALYSIS_CACHE:
                _analysed.clear()
            _analysed[key] = grams
        return grams

    return run


class Featurizer:
    """TF-IDF vocabularies fitted on the training texts; embeddings come from outside."""

    def __init__(self, char_weight: float = 1.0, emb_weight: float = 1.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.char_weight = char_weight
        self.emb_weight = emb_weight
        word = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
        self._word = TfidfVectorizer(
            analyzer=_remembered("word", word), sublinear_tf=True, dtype=np.float32
        )
        self._char = TfidfVectorizer(
            analyzer=_remembered("char", char), sublinear_tf=True, min_df=2, dtype=np.float32
        )

    def fit_transform(self, texts: list[str], emb: np.ndarray) -> Features:
        """Learn the vocabularies from `texts` and return their features."""
        word = self._word.fit_transform(texts)
        try:
            char = self._char.fit_transform(texts)
        except ValueError:  # too few texts for min_df=2: keep every n-gram
            self._char.set_params(min_df=1)
            char = self._char.fit_transform(texts)
        return Features(word.tocsr(), char.tocsr(), np.asarray(emb, dtype=np.float32))

    def transform(self, texts: list[str], emb: np.ndarray) -> Features:
        return Features(
            self._word.transform(texts).tocsr(),
            self._char.transform(texts).tocsr(),
            np.asarray(emb, dtype=np.float32),
        )

    def kernel(self, a: Features, b: Features) -> np.ndarray:
        """(len(a), len(b)) similarity: word cosine + char cosine + embedding cosine."""
        k = (a.word @ b.word.T).toarray().astype(np.float64)
        k += self.char_weight * (a.char @ b.char.T).toarray()
        k += self.emb_weight**2 * (a.emb @ b.emb.T)
        return k


@dataclass
class RidgeFit:
    dual: np.ndarray  # (n, n_codes) dual coefficients
    offset: np.ndarray  # (n_codes,) mean target, added back to predictions
    loo: np.ndarray  # (n, n_codes) leave-one-out predictions of the training rows


def _cholesky(matrix: np.ndarray, lam: float) -> np.ndarray:
    """Lower Cholesky factor of matrix + lam*I (with a little jitter if needed)."""
    n = matrix.shape[0]
    system = np.array(matrix, dtype=np.float64, order="F")
    system[np.diag_indices(n)] += lam
    chol, info = lapack.dpotrf(system, lower=1, overwrite_a=1)
    if info != 0:  # not positive definite (rounding): add jitter
        system = np.array(matrix, dtype=np.float64) + (lam + 1e-6 * max(n, 1)) * np.eye(n)
        chol, info = lapack.dpotrf(system, lower=1)
    return np.tril(chol)


def fit_kernel_ridge(
    kernel: np.ndarray, targets: np.ndarray, lam: float, offset: np.ndarray | None = None
) -> RidgeFit:
    """Kernel ridge regression for every column of `targets` at once, with exact LOO.

    `targets` (+1 applied, -1 not applied, NaN unknown) has fully known rows (a coded passage,
    a codebook example) and partly known rows (a passage with only rejections, an exclude
    note). Fully known rows are solved once for every code; a code's partly known rows join
    its own system through a Schur complement, so a row takes part only for the codes it says
    something about. `loo` holds exact leave-one-out predictions for fully known rows and
    held-out predictions (from the fully known rows) for the others. `offset` (per code, the
    score of a passage like none of the training rows) defaults to the mean known target.
    """
    t = np.array(targets, dtype=np.float64)
    known = ~np.isnan(t)
    if offset is None:
        offset = np.where(known, t, 0.0).sum(axis=0) / np.maximum(known.sum(axis=0), 1)
    tc = t - offset
    full = np.flatnonzero(known.all(axis=1))
    part = np.flatnonzero(~known.all(axis=1) & known.any(axis=1))
    dual = np.zeros_like(t)
    loo = np.full_like(t, np.nan)
    if len(full) == 0:
        return RidgeFit(dual=dual, offset=offset, loo=loo)
    chol = _cholesky(kernel[np.ix_(full, full)], lam)
    dual_full = cho_solve((chol, True), tc[full])
    inv_chol, _ = lapack.dtrtri(chol, lower=1)
    g_diag = np.einsum("ij,ij->j", inv_chol, inv_chol)  # diag of (K + lam I)^-1
    loo[full] = t[full] - dual_full / g_diag[:, None]
    dual[full] = dual_full
    if len(part):
        k_fp = kernel[np.ix_(full, part)]
        loo[part] = k_fp.T @ dual_full + offset
        solved = cho_solve((chol, True), k_fp)  # (K_FF + lam I)^-1 K_FP
        for j in np.flatnonzero(known[part].any(axis=0)):
            rows = np.flatnonzero(known[part, j])
            w = solved[:, rows]
            schur = kernel[np.ix_(part[rows], part[rows])] + lam * np.eye(len(rows))
            schur -= k_fp[:, rows].T @ w
            y = np.linalg.solve(schur, tc[part[rows], j] - w.T @ tc[full, j])
            dual[full, j] = dual_full[:, j] - w @ y
            dual[part[rows], j] = y
    return RidgeFit(dual=dual, offset=offset, loo=loo)
