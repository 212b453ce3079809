"""Possible matches: codes the merge leaves apart but that are each other's closest code by
meaning are flagged for a person (never merged), listed together in one plan entry, so one
edit of the plan (or `m` in the TUI review) merges them. The embedder is the bag-of-words one,
not marked as a shared-words stand-in, so the merge treats it as a model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml
from test_merge_standout import book, model_like

from workbench.codebook.merge import (
    MergeOptions,
    apply_plan,
    hashed_bow_embed,
    merge_codebooks,
    write_plan,
)
from workbench.errors import WorkbenchError
from workbench.services.merge_review import MergeReview

# nothing merges by meaning (no threshold is reached, no stand-out lead is enough)
FLAG_ONLY = MergeOptions(meaning_threshold=0.99, standout_margin=1.5, review_threshold=0.15)


A = book(
    "a.yaml",
    ("Waiting", "Delays before an appointment, queue length and hours spent in the clinic."),
    ("Meals", "Hospital food: taste, temperature, choice and portion size."),
    ("Barriers", "What stops patients from using the online services of the practice."),
)
B = book(
    "b.yaml",
    ("Time to be seen", "Long delays, queue and hours before the appointment."),
    ("Catering", "Menu choice, portion and taste of what patients eat."),
    ("Facilitators", "What helps patients to use the online services of the practice."),
)


def flagged(result) -> set[frozenset[str]]:  # type: ignore[no-untyped-def]
    return {frozenset(r.path for r in c.codes) for c in result.conflicts if c.kind == "possible"}


def test_each_others_closest_unmatched_codes_are_flagged_never_merged() -> None:
    result = merge_codebooks([A, B], FLAG_ONLY, model_like)
    assert not any(d.action == "merge" for d in result.decisions)
    assert flagged(result) == {
        frozenset({"Waiting", "Time to be seen"}),
        frozenset({"Meals", "Catering"}),
    }  # opposite poles (Barriers / Facilitators) are never offered
    entries = [e for e in result.entries if len(e.codes) == 2]
    assert len(entries) == 2
    assert all(e.action == "keep-separate" and "possible match" in e.rule for e in entries)
    assert len(result.codebook.codes) == 6  # every code kept, as its book had it


def test_no_flag_above_the_threshold_with_a_shared_words_stand_in_or_once_merged() -> None:
    assert not flagged(
        merge_codebooks([A, B], replace(FLAG_ONLY, review_threshold=0.99), model_like)
    )
    assert not flagged(merge_codebooks([A, B], FLAG_ONLY, hashed_bow_embed))
    assert not flagged(merge_codebooks([A, B], FLAG_ONLY, None))
    # a code that merged is no longer offered: only the codes left over are compared
    standout = replace(FLAG_ONLY, standout_threshold=0.15, standout_margin=0.15)
    merged = merge_codebooks([A, B], standout, model_like)
    joined = [frozenset(r.path for r in d.codes) for d in merged.decisions if d.action == "merge"]
    assert len(joined) == 1  # one pair has the lead for a stand-out merge, the other not
    everything = flagged(merge_codebooks([A, B], FLAG_ONLY, model_like))
    assert flagged(merged) == everything - set(joined)


def test_one_edit_of_the_plan_merges_a_possible_match(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(write_plan(merge_codebooks([A, B], FLAG_ONLY, model_like)), encoding="utf-8")
    doc = yaml.safe_load(plan.read_text(encoding="utf-8"))
    possible = [e for e in doc["entries"] if "possible match" in e.get("why", "")]
    assert len(possible) == 2
    text = plan.read_text(encoding="utf-8")
    first = text.index("possible match")
    start = text.rindex("- action: keep-separate", 0, first)
    edited = text[:start] + "- action: merge" + text[start + len("- action: keep-separate") :]
    plan.write_text(edited, encoding="utf-8")
    result = apply_plan([A, B], plan)
    merged = [d for d in result.decisions if d.action == "merge"]
    assert len(merged) == 1 and len(result.codebook.codes) == 5
    names = {c.name: c for c in result.codebook.codes}
    survivor = names["Waiting"] if "Waiting" in names else names["Meals"]
    assert survivor.aliases in (["Time to be seen"], ["Catering"])


def test_review_merges_a_flagged_entry_and_refuses_one_book_entries() -> None:
    result = merge_codebooks([A, B], FLAG_ONLY, model_like)
    review = MergeReview([Path("a.yaml"), Path("b.yaml")], [A, B], result)
    i = next(n for n, item in enumerate(review.items) if len(item.proposed.codes) == 2)
    assert review.can_merge(i) == ""
    review.merge(i)
    assert review.items[i].status == "merged" and review.counts()["merged"] == 1
    out = review.merged("separate")
    assert sum(d.action == "merge" for d in out.decisions) == 1
    assert len(out.codebook.codes) == 5
    one = merge_codebooks([A, B], replace(FLAG_ONLY, review_threshold=0.99), model_like)
    lone = MergeReview([Path("a.yaml"), Path("b.yaml")], [A, B], one)
    assert not lone.items  # codes only one book has are not reviewed
    same_book = replace(review.items[i].proposed)
    same_book.codes = [review.items[i].proposed.codes[0]] * 2
    review.items[i].proposed = same_book
    assert "same book" in review.can_merge(i)
    try:
        review.merge(i)
    except WorkbenchError as exc:
        assert "one code per book" in str(exc)
    else:
        raise AssertionError("merging two codes of one book must be refused")
