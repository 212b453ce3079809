"""How a long unit's piece scores (its whole text, then each sentence) become its score, and
what a ranker decides with nothing to calibrate on. A stub ranker returns fixed scores."""

from __future__ import annotations

import numpy as np
import pytest
from ranker_support import words

from workbench.suggest.calibration import choose_decisions, decide
from workbench.suggest.corpus import Unit
from workbench.suggest.profiles import CodeProfile
from workbench.suggest.ranker import Ranker
from workbench.suggest.scoring import MEAN_BONUS, WHOLE_SHARE, score_units

PIECE_SCORES = {
    "whole turn": [0.2, 0.5],
    "first sentence": [0.9, 0.1],
    "second sentence": [0.3, 0.4],
    "short": [0.6, 0.7],
}


class StubRanker:
    def __init__(self, calibrated_on_passages: bool) -> None:
        self.codes = ["a", "b"]
        self.calibrated_on_passages = calibrated_on_passages

    def score(self, texts: list[str]) -> np.ndarray:
        return np.array([PIECE_SCORES[t] for t in texts])


UNITS = [
    Unit(1, 1, "d", 0, 0, 40, "whole turn", ("whole turn", "first sentence", "second sentence")),
    Unit(2, 1, "d", 1, 41, 50, "short", ("short",)),
]


@pytest.mark.parametrize("trained", [False, True])
def test_a_long_unit_scores_from_its_pieces(trained: bool) -> None:
    scored = score_units(StubRanker(trained), UNITS)  # type: ignore[arg-type]
    whole, best = np.array([0.2, 0.5]), np.array([0.9, 0.5])
    mean = np.array([1.4, 1.0]) / 3
    if trained:  # calibrated on whole coded passages: mostly the whole text
        expected = WHOLE_SHARE * whole + (1 - WHOLE_SHARE) * best
    else:  # the codebook alone: the best piece, plus a little for the mean
        expected = best + MEAN_BONUS * mean * (1 - best)
    np.testing.assert_allclose(scored.scores[0], expected)
    np.testing.assert_allclose(scored.scores[1], PIECE_SCORES["short"])  # one piece: itself
    assert scored.best_piece(0, 0) == 1  # the reason still comes from the best sentence


def test_a_theme_list_decides_one_code_per_passage_and_ignores_priors() -> None:
    """Names only: no codebook text is positive for its code once left out, so there is
    nothing to calibrate on and no share of each code the curves assume. Passages then get
    their best code (not every code above a fixed 0.5), and the project's passages shift
    no curve."""
    names = ["Food", "Transport", "Staff attitude", "Parking"]
    themes = [CodeProfile(code_id=n.lower(), name=n, path=n) for n in names]
    texts = ["the food was cold", "the bus was late", "kind nurses", "food and buses"]
    plain = Ranker(themes, words)
    plain.fit([], [])
    primed = Ranker(themes, words)
    primed.fit([], [], unlabelled=["the bus was late again"] * 20 + ["the food"] * 5)
    np.testing.assert_array_equal(primed.score(texts), plain.score(texts))
    assert plain.force_top1 and not plain.calibrated_on_passages
    assert plain.predict(texts).sum(axis=1).min() >= 1


def test_too_little_evidence_keeps_the_best_code() -> None:
    probs = np.array([[0.2, 0.4], [0.7, 0.1]])
    dec = choose_decisions(probs, np.zeros((2, 2), dtype=bool), shrink=25.0)
    assert dec.force_top1 and dec.global_threshold == 0.5
    np.testing.assert_array_equal(
        decide(probs, dec.thresholds, dec.force_top1), [[False, True], [True, False]]
    )
