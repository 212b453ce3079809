"""Stand-out matches: two codes that are each other's clear best match merge by meaning even
below the meaning threshold; alone (nothing to stand out from), or without a clear lead, they
do not. The embedder is the bag-of-words one, not marked as a shared-words stand-in, so the
merge treats it as a model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from workbench.codebook.merge import MergeOptions, MergeResult, hashed_bow_embed, merge_codebooks
from workbench.codebook.merge.match import standout_gaps
from workbench.codebook.model import Code, Codebook


def model_like(texts: list[str]) -> np.ndarray:
    return hashed_bow_embed(texts)  # no `lexical` mark: judged as a model


# only stand-out matches can merge by meaning (bag-of-words cosines are low)
STRICT = MergeOptions(meaning_threshold=0.99, standout_threshold=0.15, standout_margin=0.15)


def book(label: str, *codes: tuple[str, str]) -> tuple[str, Codebook]:
    return label, Codebook(codebook=label, codes=[Code(name=n, description=d) for n, d in codes])


A = book(
    "a.yaml",
    ("Waiting", "Delays before an appointment, queue length and hours spent in the clinic."),
    ("Meals", "Hospital food: taste, temperature, choice and portion size."),
    ("Parking", "Car spaces near the hospital and their charges."),
)
B = book(
    "b.yaml",
    ("Time to be seen", "Long delays, queue and hours before the appointment."),
    ("Catering", "Menu choice, portion and taste of what patients eat."),
    ("Noise at night", "Sleep broken by alarms, snoring and staff talking on the ward."),
)


def merged_names(result: MergeResult) -> set[frozenset[str]]:
    return {frozenset(ref.path for ref in d.codes) for d in result.decisions if d.action == "merge"}


def test_gaps_only_for_each_others_best_with_others_to_beat() -> None:
    scores = np.array([[0.6, 0.3], [0.5, 0.4]])
    gaps = standout_gaps(scores)
    assert gaps[0, 0] == pytest.approx(0.1)  # best of row 0 and of column 0; next best 0.5
    assert (gaps[[0, 1, 1], [1, 0, 1]] == -1).all()  # row 1's best (0.5) is not column 0's
    assert (standout_gaps(np.array([[0.9, 0.1]])) == -1).all()  # one row: nothing to beat
    assert (standout_gaps(np.array([[0.9], [0.1]])) == -1).all()


def test_each_others_clear_best_merges_below_the_meaning_threshold() -> None:
    result = merge_codebooks([A, B], STRICT, model_like)
    merges = merged_names(result)
    assert frozenset({"Waiting", "Time to be seen"}) in merges
    assert frozenset({"Meals", "Catering"}) in merges
    assert not any("Parking" in m or "Noise at night" in m for m in merges)
    rules = [d.rule for d in result.decisions if d.action == "merge"]
    assert all("each other's best match" in r for r in rules), rules


def test_no_stand_out_merge_without_a_clear_lead_or_alone() -> None:
    no_lead = replace(STRICT, standout_margin=1.5)
    assert not merged_names(merge_codebooks([A, B], no_lead, model_like))
    waiting, seen = A[1].codes[0], B[1].codes[0]
    alone = [
        ("a.yaml", Codebook(codebook="a", codes=[waiting])),
        ("b.yaml", Codebook(codebook="b", codes=[seen])),
    ]
    assert not merged_names(merge_codebooks(alone, STRICT, model_like))


def test_a_shared_words_stand_in_makes_no_stand_out_match() -> None:
    assert not merged_names(merge_codebooks([A, B], STRICT, hashed_bow_embed))
