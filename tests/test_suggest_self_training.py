"""Self-training: uncoded passages the ranker is sure about are learnt from too (issue 16).

A hashed bag of words stands in for the embedding model (tests/ranker_support.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from ranker_support import CODEBOOK, words

from workbench.codebook.yaml_io import parse_codebook
from workbench.suggest.profiles import profiles_from_codebook
from workbench.suggest.ranker import Ranker, RankerOptions
from workbench.suggest.self_training import pseudo_labels

POOLS = {
    "food": ["cold food", "tasty meals", "the tea was lovely", "breakfast late"],
    "transport": ["bus late", "taxi never came", "ambulance delay", "train to clinic"],
    "staff-attitude": ["kind nurse", "rude doctor", "caring staff", "polite porter"],
}


@pytest.fixture
def profiles():  # type: ignore[no-untyped-def]
    return profiles_from_codebook(parse_codebook(CODEBOOK))


def coded(n: int = 60, seed: int = 2) -> tuple[list[str], list[set[str]]]:
    rng = np.random.default_rng(seed)
    texts, positives = [], []
    for _ in range(n):
        code = str(rng.choice(list(POOLS)))
        texts.append(f"{rng.choice(POOLS[code])} {rng.choice(['today', 'again', 'sadly'])}")
        positives.append({code})
    return texts, positives


def test_pseudo_labels_take_the_surest_uncoded_passages_up_to_the_limit() -> None:
    table = {"a": [0.95, 0.1], "b": [0.75, 0.8], "c": [0.5, 0.6], "d": [0.9, 0.2]}

    def score(texts: list[str]) -> np.ndarray:
        return np.array([table[t] for t in texts])

    got = pseudo_labels(
        score, ["x", "y"], ["a", "b", "b", "c", "d", "e"], ["e"],
        threshold=0.7, limit=2, candidates=10,
    )  # fmt: skip
    assert got == [("a", {"x"}), ("d", {"x"})]  # surest first, "c" never sure, "e" coded
    every = pseudo_labels(score, ["x", "y"], list(table), [], threshold=0.7, limit=9, candidates=10)
    assert ("b", {"x", "y"}) in every and len(every) == 3  # each code it is sure of
    assert pseudo_labels(score, ["x"], list(table), [], threshold=0.7, limit=0, candidates=9) == []


def test_uncoded_passages_join_as_pseudo_rows_never_cited_nor_calibrated_on(profiles) -> None:  # type: ignore[no-untyped-def]
    texts, positives = coded()
    uncoded = ["cold food and soggy chips", "the taxi never came and the meter ran"]
    ranker = Ranker(profiles, words)
    ranker.fit(texts, positives, uncoded=uncoded + texts[:5])
    tr = ranker._require()
    assert tr.n_labelled == len(texts)
    pseudo = [t for t, k in zip(tr.texts, tr.kinds, strict=True) if k == "pseudo"]
    assert set(pseudo) == set(uncoded)  # coded passages among the unlabelled are not added
    for text in ["soggy chips", "the meter ran"]:
        for code in ranker.codes:
            reason = ranker.explain(text, code)
            assert "soggy" not in reason and "meter" not in reason


def test_what_the_uncoded_passages_teach_reaches_new_passages(profiles) -> None:  # type: ignore[no-untyped-def]
    """ "soggy chips" shares words only with an uncoded passage the ranker is sure is about
    food: self-training links it to food; without it nothing does."""
    texts, positives = coded()
    uncoded = ["cold food and soggy chips", "cold food soggy chips again"]
    on, off = (
        Ranker(profiles, words),
        Ranker(profiles, words, replace(RankerOptions(), pseudo_per_labelled=0)),
    )
    for ranker in (on, off):
        ranker.fit(texts, positives, uncoded=uncoded)
    food = on.codes.index("food")
    assert on.score(["soggy chips"])[0, food] > off.score(["soggy chips"])[0, food] + 0.05
    assert "pseudo" not in off._require().kinds


def test_nothing_coded_means_no_self_training(profiles) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(profiles, words)
    ranker.fit([], [], uncoded=["cold food and soggy chips", "bus late again"])
    assert "pseudo" not in ranker._require().kinds


def test_passages_only_known_as_unlabelled_are_not_learnt_from(profiles) -> None:  # type: ignore[no-untyped-def]
    """`unlabelled` may hold coded passages (a turn around a coded quote): only `uncoded`
    passages are candidates."""
    texts, positives = coded()
    ranker = Ranker(profiles, words)
    ranker.fit(texts, positives, unlabelled=["cold food and soggy chips", "bus late again"])
    assert "pseudo" not in ranker._require().kinds
