"""Code priors from unlabelled passages: with nothing coded, the codebook alone says nothing
about how common a code is; a project's uncoded passages do.

A deterministic hashed bag-of-words stands in for the embedding model, so these run without it.
"""

from __future__ import annotations

import numpy as np
import pytest
from ranker_support import CODEBOOK, words

from workbench.codebook.yaml_io import parse_codebook
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


def test_priors_are_not_used_once_calibrated_on_coded_passages(profiles) -> None:  # type: ignore[no-untyped-def]
    ids = {p.name: p.code_id for p in profiles}
    texts = [f"the food was cold {i}" for i in range(20)] + [
        f"the bus was late {i}" for i in range(20)
    ]
    positives = [{ids["Food"]}] * 20 + [{ids["Transport"]}] * 20
    out = []
    for unlabelled in ((), TRAVEL):
        ranker = Ranker(profiles, words)
        ranker.fit(texts, positives, unlabelled=unlabelled)
        out.append(ranker.score(["cold and late", "rude nurse"]))
    np.testing.assert_array_equal(out[0], out[1])


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
