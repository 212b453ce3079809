"""The ranker: code profiles, zero-shot scores, learning from accepts and rejects, calibration.

A deterministic hashed bag-of-words stands in for the embedding model, so these run without it.
"""

from __future__ import annotations

import numpy as np
import pytest
from ranker_support import CODEBOOK, words

from workbench.codebook.yaml_io import parse_codebook
from workbench.suggest.calibration import choose_decisions, decide
from workbench.suggest.learner import fit_kernel_ridge
from workbench.suggest.profiles import profiles_from_codebook, profiles_from_tree
from workbench.suggest.ranker import Ranker


@pytest.fixture
def profiles():  # type: ignore[no-untyped-def]
    return profiles_from_codebook(parse_codebook(CODEBOOK))


def col(ranker: Ranker, name: str) -> int:
    return next(j for j, p in enumerate(ranker.profiles) if p.name == name)


def test_profiles_from_codebook_carry_definitions_examples_and_hierarchy(profiles) -> None:  # type: ignore[no-untyped-def]
    by_name = {p.name: p for p in profiles}
    assert [p.code_id for p in profiles] == [
        "access",
        "access/parking",
        "transport",
        "food",
        "staff-attitude",
    ]
    parking = by_name["Parking"]
    assert parking.path == "Access > Parking" and parking.parent_id == "access"
    kinds = [k for k, _ in parking.positive_texts()]
    assert kinds == ["definition", "alias", "example", "example"]
    assert parking.positive_texts()[0][1].startswith("Parking. Finding a car park")
    assert by_name["Transport"].negative_texts() == ["Parking a car (use Parking)."]
    assert by_name["Food"].negative_texts() == []


def test_profiles_from_project_tree_match_the_codebook(tmp_path, profiles) -> None:  # type: ignore[no-untyped-def]
    from workbench.codebook.yaml_io import load_codebook
    from workbench.services.codebook_sync import import_codebook
    from workbench.services.codes import CodeTree
    from workbench.store.db import open_project

    path = tmp_path / "cb.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    project = open_project(tmp_path / "p.sqlite", create=True)
    try:
        with project.begin() as conn:
            import_codebook(conn, load_codebook(path))
        with project.read() as conn:
            tree_profiles = profiles_from_tree(CodeTree.load(conn))
    finally:
        project.close()
    key = [(p.code_id, p.path, p.parent_id, p.examples, p.exclude) for p in profiles]
    assert sorted(key) == sorted(
        (p.code_id, p.path, p.parent_id, p.examples, p.exclude) for p in tree_profiles
    )


def test_zero_shot_ranks_by_the_codebook_alone(profiles) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(profiles, words)
    texts = ["the food was cold again", "the bus to the hospital was late", "kind nurses"]
    scores = ranker.score(texts)
    assert scores.shape == (3, 5)
    assert ((scores >= 0) & (scores <= 1)).all()
    best = [ranker.profiles[j].name for j in scores.argmax(axis=1)]
    assert best == ["Food", "Transport", "Staff attitude"]
    assert ranker.thresholds.shape == (5,)
    assert "the food was cold" in ranker.explain("the food was cold again", "food")


def test_learner_uses_accepted_codings(profiles) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(profiles, words)
    new = "pharmacy queue for prescriptions took forever"  # words no profile has
    before = ranker.score([new])[0]
    # reasons are kept per text for the fit they came from: the next fit gives new ones
    assert not ranker.explain(new, "food").startswith("like coded passage")
    texts = [
        "long pharmacy queue",
        "prescriptions from the pharmacy were slow",
        "waited at the pharmacy for my prescriptions",
        "pharmacy forever",
    ] * 3
    texts += ["the food was cold", "kind nurses", "the bus was late"] * 2
    positives = [{"food"}] * 12 + [{"food"}, {"staff-attitude"}, {"transport"}] * 2
    ranker.fit(texts, positives)
    after = ranker.score([new])[0]
    food = col(ranker, "Food")
    assert after.argmax() == food  # learned: the researcher codes pharmacy talk as Food
    assert after[food] > before[food] + 0.2
    assert ranker.explain(new, "food").startswith("like coded passage")


def test_rejected_passage_lowers_that_code_for_similar_text(profiles) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(profiles, words)
    probe = "the bus stop car park was full of buses"
    transport = col(ranker, "Transport")
    before = ranker.score([probe])[0]
    ranker.fit(
        ["the car park was full of buses", "buses filled the car park"],
        [set(), set()],
        [{"transport"}, {"transport"}],
    )
    after = ranker.score([probe])[0]
    assert after[transport] < before[transport] - 0.05
    others = [j for j in range(len(ranker.codes)) if j != transport]
    # the rejection says nothing about other codes (only the TF-IDF vocabulary moves a little)
    assert np.allclose(after[others], before[others], atol=0.05)


def test_parent_profile_informs_child_and_is_named_in_reason(profiles) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(profiles, words)
    text = "getting to the service"  # the parent's definition, nothing of Parking's own
    reason = ranker.explain(text, "access/parking")
    assert reason.startswith('parent "Access"')
    assert (
        ranker.score([text])[0][col(ranker, "Parking")]
        > ranker.score([text])[0][col(ranker, "Food")]
    )


def test_kernel_ridge_leave_one_out_matches_refitting() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4))
    kernel = x @ x.T
    targets = np.where(rng.random((12, 3)) > 0.5, 1.0, -1.0)
    fit = fit_kernel_ridge(kernel, targets, lam=0.7)
    for i in (0, 5, 11):
        keep = np.delete(np.arange(12), i)
        # refit without row i, but with the same offset (the LOO formula keeps it fixed)
        sub = kernel[np.ix_(keep, keep)] + 0.7 * np.eye(11)
        dual = np.linalg.solve(sub, targets[keep] - fit.offset)
        pred = kernel[i, keep] @ dual + fit.offset
        assert np.allclose(fit.loo[i], pred)


def test_partly_labelled_rows_count_only_for_the_codes_they_label() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 5))
    kernel = x @ x.T
    targets = np.where(rng.random((10, 2)) > 0.5, 1.0, -1.0)
    targets[8:, 0] = np.nan  # rows 8, 9: a rejection of code 1 only
    fit = fit_kernel_ridge(kernel, targets, lam=0.5)
    # code 0 ignores rows 8-9; code 1 equals a plain solve over all ten rows
    base = fit_kernel_ridge(kernel[:8, :8], targets[:8], lam=0.5)
    probe = rng.normal(size=(3, 5)) @ x.T
    assert np.allclose(fit.dual[8:, 0], 0.0)
    assert np.allclose(probe[:, :8] @ fit.dual[:8, 0], probe[:, :8] @ base.dual[:, 0])
    direct = np.linalg.solve(kernel + 0.5 * np.eye(10), targets[:, 1] - fit.offset[1])
    assert np.allclose(fit.dual[:, 1], direct)


def test_thresholds_come_from_held_out_scores_and_shrink_with_little_support() -> None:
    rng = np.random.default_rng(1)
    n = 400
    labels = np.zeros((n, 3), dtype=bool)
    labels[:, 0] = rng.random(n) < 0.3
    labels[:, 1] = rng.random(n) < 0.3
    labels[:2, 2] = True  # a rare code: two positives
    probs = rng.random((n, 3)) * 0.2
    # code 0: positives score 0.75-0.95 and negatives up to 0.7 -> best cut above 0.7
    probs[labels[:, 0], 0] = 0.75 + 0.2 * rng.random(labels[:, 0].sum())
    probs[~labels[:, 0], 0] = 0.7 * rng.random((~labels[:, 0]).sum())
    # code 1: positives score 0.3-0.5, negatives below 0.25 -> best cut near 0.25-0.3
    probs[labels[:, 1], 1] = 0.3 + 0.2 * rng.random(labels[:, 1].sum())
    probs[:, 2] = 0.85 * rng.random(n)
    probs[:2, 2] = 0.9
    dec = choose_decisions(probs, labels, shrink=5.0)
    assert dec.thresholds[0] > 0.65
    assert 0.2 < dec.thresholds[1] < 0.35
    # two positives: the code's own best cut (0.85-0.90) counts 2/7, the global one 5/7
    own = 0.875
    expected = (2 * own + 5 * dec.global_threshold) / 7
    assert abs(dec.thresholds[2] - expected) < 0.03
    pred = decide(probs, dec.thresholds, dec.force_top1)
    assert (pred[:, 0] == labels[:, 0]).mean() > 0.97


def test_fit_calibrates_thresholds_on_labelled_passages(profiles) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(profiles, words)
    zero_shot = ranker.thresholds.copy()
    rng = np.random.default_rng(2)
    pools = {
        "food": ["cold food", "tasty meals", "the tea was lovely", "breakfast late"],
        "transport": ["bus late", "taxi never came", "ambulance delay", "train to clinic"],
        "staff-attitude": ["kind nurse", "rude doctor", "caring staff", "polite porter"],
    }
    texts, positives = [], []
    for _ in range(60):
        code = str(rng.choice(list(pools)))
        texts.append(f"{rng.choice(pools[code])} {rng.choice(['today', 'again', 'sadly'])}")
        positives.append({code})
    ranker.fit(texts, positives)
    assert ranker.thresholds.shape == (5,)
    assert ((ranker.thresholds > 0) & (ranker.thresholds < 1)).all()
    assert not np.allclose(ranker.thresholds, zero_shot)
    pred = ranker.predict(["the taxi never came today", "cold food again"])
    names = [[ranker.profiles[j].name for j in np.flatnonzero(row)] for row in pred]
    assert "Transport" in names[0] and "Food" in names[1]


def test_codes_with_only_a_definition_still_rank_and_scores_rise_with_fit() -> None:
    """Too few codebook texts to calibrate on: the default curve, never an inverted one."""
    cb = parse_codebook(
        "codebook: Thin\ncodes:\n"
        "  - name: Multiple systems\n    description: Several apps and portals that differ.\n"
        "  - name: Digital exclusion\n    description: Older people without a smartphone.\n"
        "  - name: Covid\n    description: The pandemic closed the doors.\n"
    )
    ranker = Ranker(profiles_from_codebook(cb), words)
    scores = ranker.score(["so many apps and portals", "older people have no smartphone"])
    assert list(scores.argmax(axis=1)) == [0, 1]
    assert scores[0, 0] > 0.5 > scores[0, 2]
    assert (ranker._require().platt.a > 0).all()


def test_a_code_never_contrasted_with_another_is_not_scored_as_certain() -> None:
    """One code and nothing coded: no negatives to learn from, so no score near 1."""
    cb = parse_codebook(
        "codebook: One\ncodes:\n"
        "  - name: Multiple systems\n    description: Several apps and portals that differ.\n"
    )
    ranker = Ranker(profiles_from_codebook(cb), words)
    scores = ranker.score(["so many apps and portals that differ", "the weather was nice"])
    assert scores[0, 0] > scores[1, 0]
    assert scores.max() < 0.95
    assert ranker.thresholds[0] == 0.5


def test_reasons_after_scoring_are_the_reasons_computed_afresh(profiles) -> None:  # type: ignore[no-untyped-def]
    """Scoring a passage and its sentences leaves their parts for explain() (the TUI's
    one-passage path computes nothing twice); the reasons are those computed from nothing."""
    texts = ["long pharmacy queue", "the food was cold", "kind nurses", "the bus was late"] * 3
    positives = [{"food"}, {"food"}, {"staff-attitude"}, {"transport"}] * 3
    asked = ["pharmacy queue again", "no parking spaces left at all", "cold tea", "nice staff"]
    scored, fresh = Ranker(profiles, words), Ranker(profiles, words)
    for r in (scored, fresh):
        r.fit(texts, positives)
    scored.score(asked)
    assert set(asked) <= set(scored._explained)  # the shortcut was taken
    for text in asked:
        for code in scored.codes:
            assert scored.explain(text, code) == fresh.explain(text, code)
