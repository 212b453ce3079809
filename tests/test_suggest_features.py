"""The learner's TF-IDF features: n-grams kept across fits must give exactly what
scikit-learn's vectorizers give, fit after fit."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from workbench.suggest import learner
from workbench.suggest.learner import Featurizer

TEXTS = [
    "The food was COLD, again!",
    "kind nurses",
    "the bus was late",
    "café ☕ 😀 naïve",
    "x",
] * 3 + ["only once here"]


def reference(texts: list[str]) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
    )
    return word.fit(texts), char.fit(texts)


def test_features_match_scikit_learn_fit_after_fit() -> None:
    learner._analysed.clear()
    new = ["The bus, cold food", "brand new words"]
    for texts in (TEXTS, [*TEXTS[3:], "a second fit", "kind nurses again"]):
        feats = Featurizer()
        fitted = feats.fit_transform(texts, np.zeros((len(texts), 2), np.float32))
        later = feats.transform(new, np.zeros((2, 2), np.float32))
        word, char = reference(texts)
        for got, ref in (
            (fitted.word, word.transform(texts)),
            (fitted.char, char.transform(texts)),
            (later.word, word.transform(new)),
            (later.char, char.transform(new)),
        ):
            assert got.shape == ref.shape
            assert abs(got - ref).max() == 0
    assert ("char", "kind nurses") in learner._analysed  # kept for the next fit


def test_the_kept_n_grams_are_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(learner, "ANALYSIS_CACHE", 5)
    learner._analysed.clear()
    Featurizer().fit_transform(TEXTS, np.zeros((len(TEXTS), 2), np.float32))
    assert len(learner._analysed) <= 5
