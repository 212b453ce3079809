"""Code priors from unlabelled passages: with nothing coded, the codebook alone says nothing
about how common a code is, and coded passages over-represent the themes a researcher coded
examples of; a project's passages say how common each code is.

A deterministic hashed bag-of-words stands in for the embedding model, so these run without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from ranker_support import CODEBOOK, words

from workbench.codebook.yaml_io import parse_codebook
from workbench.suggest.calibration import GRID, Decisions
from workbench.suggest.priors import expected_f1_threshold, shifted_decisions
from workbench.suggest.profiles import CodeProfile, profiles_from_codebook
from workbench.suggest.ranker import Ranker, RankerOptions, prior_sample

# a project whose passages are mostly about getting there by bus, taxi or ambulance
TRAVEL = [
    "the bus was late again",
    "hospital transport was late",
    "waited ages for the bus",
    "the ambulance never came",
    "taxi to the appointment",
    "the bus was full",
    "transport home was late",
    "the food was fine",
] * 3


@pytest.fixture
def profiles() -> list[CodeProfile]:
    return profiles_from_codebook(parse_codebook(CODEBOOK))


def scores(profiles: list[CodeProfile], text: str, **fit: object) -> dict[str, float]:
    ranker = Ranker(profiles, words)
    ranker.fit([], [], **fit)  # type: ignore[arg-type]
    return dict(zip([p.name for p in profiles], ranker.score([text])[0].tolist(), strict=True))


def test_common_codes_in_the_unlabelled_passages_rank_higher(profiles) -> None:  # type: ignore[no-untyped-def]
    plain = scores(profiles, "cold and late")
    assert plain["Food"] > plain["Transport"]  # the codebook alone leans to Food
    shifted = scores(profiles, "cold and late", unlabelled=TRAVEL)
    assert shifted["Transport"] > shifted["Food"]  # most passages are about transport
    assert shifted["Transport"] > plain["Transport"] + 0.1
    assert shifted["Parking"] < plain["Parking"]  # no passage is about parking
    assert 0.0 <= min(shifted.values()) and max(shifted.values()) <= 1.0


def test_blank_or_no_unlabelled_passages_change_nothing(profiles) -> None:  # type: ignore[no-untyped-def]
    plain = scores(profiles, "cold and late")
    assert scores(profiles, "cold and late", unlabelled=["", "  "]) == plain


def coded(profiles: list[CodeProfile]) -> tuple[list[str], list[set[str]]]:
    """40 coded passages, half Food, half Transport: calibration on coded passages."""
    ids = {p.name: p.code_id for p in profiles}
    texts = [f"the food was cold {i}" for i in range(20)] + [
        f"the bus was late {i}" for i in range(20)
    ]
    return texts, [{ids["Food"]}] * 20 + [{ids["Transport"]}] * 20


def trained(profiles: list[CodeProfile], unlabelled: Sequence[str]) -> Ranker:
    ranker = Ranker(profiles, words)
    ranker.fit(*coded(profiles), unlabelled=unlabelled)
    return ranker


def test_coded_passages_over_representing_a_code_are_corrected_too(profiles) -> None:  # type: ignore[no-untyped-def]
    """Half the coded passages are about food, but most of the project's are about transport:
    an ambiguous passage leans to Transport more than the coded passages alone say."""
    names = [p.name for p in profiles]
    texts = ["cold and late", "rude nurse"]
    plain = dict(zip(names, trained(profiles, ()).score(texts)[0], strict=True))
    shifted = dict(zip(names, trained(profiles, TRAVEL).score(texts)[0], strict=True))
    assert shifted["Transport"] > plain["Transport"] + 0.05
    assert shifted["Food"] < plain["Food"] - 0.05
    assert 0.0 <= min(shifted.values()) and max(shifted.values()) <= 1.0


def test_unlabelled_passages_that_are_the_coded_ones_move_no_curve(profiles) -> None:  # type: ignore[no-untyped-def]
    """The coded passages count with their held-out scores: when they are all the project
    has, each code is exactly as common as the curves assumed."""
    texts, _ = coded(profiles)
    probe = ["cold and late", "rude nurse", "the bus was late"]
    plain, same = trained(profiles, ()), trained(profiles, texts)
    np.testing.assert_allclose(same.score(probe), plain.score(probe), atol=1e-9)
    blank = trained(profiles, ["", " "])
    np.testing.assert_array_equal(blank.score(probe), plain.score(probe))
    np.testing.assert_array_equal(blank.thresholds, plain.thresholds)


def test_thresholds_move_with_the_curves() -> None:
    """A code's own threshold moves by its curve's shift; the shared part is chosen again on
    the passages (expected micro-F1), and a code without positives takes only that."""
    pool = np.array([[0.9, 0.2]] * 10 + [[0.1, 0.2]] * 10)
    pooled = expected_f1_threshold(pool)
    assert 0.1 < pooled <= 0.9 and pooled in GRID
    before = Decisions(np.array([0.3, 0.6, 0.4]), 0.5, True)
    shift = np.array([1.0, -2.0, 0.5])
    after = shifted_decisions(before, shift, np.array([1e9, 1e9, 0.0]), 25.0, pool[:, [0, 1, 0]])
    expected = 1 / (1 + np.exp(-(np.log(np.array([0.3, 0.6]) / np.array([0.7, 0.4])) + shift[:2])))
    np.testing.assert_allclose(after.thresholds[:2], expected, rtol=1e-6)
    assert after.thresholds[2] == pytest.approx(after.global_threshold)
    assert after.force_top1 is True
    # with no shift and no support for the codes' own values, only the shared one is left
    none = shifted_decisions(before, np.zeros(3), np.zeros(3), 25.0, pool[:, [0, 1, 0]])
    np.testing.assert_allclose(none.thresholds, none.global_threshold)


def test_more_pseudo_passages_pull_the_priors_back_to_the_codebook(profiles) -> None:  # type: ignore[no-untyped-def]
    def transport(prior_rows: float) -> float:
        ranker = Ranker(profiles, words, RankerOptions(prior_rows=prior_rows))
        ranker.fit([], [], unlabelled=TRAVEL)
        return float(ranker.score(["cold and late"])[0, 2])

    plain = scores(profiles, "cold and late")["Transport"]
    assert transport(0.0) > transport(1000.0) > plain - 1e-9
    assert transport(1e9) == pytest.approx(plain, abs=1e-4)


def test_prior_sample_is_deterministic_evenly_spaced_and_skips_blanks() -> None:
    texts = [f"passage {i}" for i in range(10)] + ["", " "]
    assert prior_sample(texts, 100) == texts[:10]
    picked = prior_sample(texts, 4)
    assert picked == ["passage 0", "passage 3", "passage 6", "passage 9"]
    assert prior_sample(texts, 4) == picked
    assert prior_sample(texts, 0) == []
