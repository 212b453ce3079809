"""Fine-tuning (issue 16): pair building, the save-and-rename, the project's tuned model (keyed
by the codings it saw, used only when the held-back check says it is better), and one real
training step on the bundled model (marked `model`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ranker_support import WordsEmbedder
from sqlalchemy import select
from test_suggest_engine import make_project

from workbench.errors import WorkbenchError
from workbench.services.coding import add_coding, remove_coding
from workbench.store import schema as s
from workbench.store.db import Project, open_project
from workbench.suggest import embedder, finetune, project_tuning
from workbench.suggest.cache import CachedEncoder
from workbench.suggest.finetune_classify import Plan, label_matrix, length_groups, plan_rows

# Pairs --------------------------------------------------------------------------------------


def test_pairs_are_same_when_they_share_a_code_not_only_when_labels_are_equal() -> None:
    labels = [{"a", "b"}, {"b"}, {"c"}, {"a"}, {"c", "d"}, set()]
    pairs = finetune.build_pairs(labels, max_pairs=100, seed=3)
    assert pairs
    for i, j, target in pairs:
        shares = bool(labels[i] & labels[j])
        assert target == (1.0 if shares else 0.0), (i, j)
        assert 5 not in (i, j)  # an uncoded passage makes no pair
    keys = [(min(i, j), max(i, j)) for i, j, _ in pairs]
    assert len(keys) == len(set(keys)) and all(i != j for i, j in keys)
    same = {k for k, (_, _, t) in zip(keys, pairs, strict=True) if t == 1.0}
    assert (0, 1) in same or (0, 3) in same  # {a, b} is "same" as {b} and as {a}
    assert {t for _, _, t in pairs} == {0.0, 1.0}


def test_pairs_are_capped_balanced_and_seeded() -> None:
    rng = np.random.default_rng(0)
    labels = [{f"c{int(k)}"} for k in rng.integers(0, 5, size=60)]
    pairs = finetune.build_pairs(labels, max_pairs=40, seed=1)
    assert len(pairs) == 40
    assert 15 <= sum(t for _, _, t in pairs) <= 25
    assert pairs == finetune.build_pairs(labels, max_pairs=40, seed=1)
    assert pairs != finetune.build_pairs(labels, max_pairs=40, seed=2)


def test_rejected_suggestions_make_different_pairs() -> None:
    labels = [{"a"}, {"a"}, {"b"}, set()]
    rejected = [set(), set(), set(), {"a"}]
    pairs = finetune.build_pairs(labels, rejected, max_pairs=100, seed=0)
    with_rejected = [(i, j, t) for i, j, t in pairs if 3 in (i, j)]
    assert with_rejected and all(t == 0.0 for _, _, t in with_rejected)
    assert {i + j - 3 for i, j, _ in with_rejected} <= {0, 1}  # paired with a passage coded a
    assert finetune.build_pairs([set(), set()], max_pairs=10) == []


def test_token_budget_and_length_batches() -> None:
    pairs = [(0, 1, 1.0), (1, 2, 0.0), (2, 3, 1.0), (0, 3, 0.0)]
    lengths = [10, 50, 12, 11]
    assert finetune.within_budget(pairs, lengths, 60) == pairs[:1]
    assert finetune.within_budget(pairs, lengths, 5) == pairs[:1]  # at least one pair
    assert finetune.within_budget(pairs, lengths, 10**6) == pairs
    batches = finetune.length_batches(pairs, lengths, 2, np.random.default_rng(0))
    assert sorted(map(sorted, batches)) == sorted(
        [sorted([(0, 1, 1.0), (1, 2, 0.0)]), sorted([(2, 3, 1.0), (0, 3, 0.0)])]
    )  # the two long pairs together, the two short ones together


def test_nothing_to_pair_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="nothing to fine-tune"):
        finetune.finetune(["x", "y"], [{"a"}, set()], tmp_path / "out")
    pairs = finetune.TuneSettings(objective="pairs")
    with pytest.raises(WorkbenchError, match="nothing to fine-tune"):
        finetune.finetune(["x", "y"], [{"a"}, set()], tmp_path / "out", settings=pairs)
    with pytest.raises(WorkbenchError, match="unknown fine-tuning objective 'triplets'"):
        bad = finetune.TuneSettings(objective="triplets")
        finetune.finetune(["x", "y"], [{"a"}, {"b"}], tmp_path / "out", settings=bad)
    assert not (tmp_path / "out").exists()


# Classification -----------------------------------------------------------------------------


def test_label_matrix_knows_every_code_of_a_coded_passage_and_only_rejections_elsewhere() -> None:
    labels = [{"a", "b"}, {"c"}, set(), set()]
    rejected = [set(), {"a"}, {"b"}, set()]
    codes, targets, mask, usable = label_matrix(labels, rejected)
    assert codes == ["a", "b", "c"]
    assert targets.tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 1], [0, 1, 0], [0, 0, 0]]
    assert usable == [0, 1, 2]  # the uncoded passage without rejections teaches nothing


def test_plan_fits_whole_passes_in_the_budget_else_a_seeded_sample() -> None:
    lengths = [10, 20, 30, 40]
    assert plan_rows([0, 1, 2, 3], lengths, 250, 6, 0) == Plan([0, 1, 2, 3], 2, 200)
    assert plan_rows([0, 1, 2, 3], lengths, 10**6, 6, 0).epochs == 6  # at most max_epochs
    small = plan_rows([0, 1, 2, 3], lengths, 55, 6, 0)
    assert small.epochs == 1 and small.tokens <= 55 and small.rows
    assert small == plan_rows([0, 1, 2, 3], lengths, 55, 6, 0)
    assert plan_rows([3], lengths, 5, 6, 0) == Plan([3], 1, 40)  # at least one passage


def test_length_groups_batch_passages_of_similar_length() -> None:
    groups = length_groups([0, 1, 2, 3], [10, 50, 12, 49], 2, np.random.default_rng(0))
    assert sorted(map(sorted, groups)) == [[0, 2], [1, 3]]


def test_replace_folder_swaps_a_finished_folder_into_place(tmp_path: Path) -> None:
    target = tmp_path / "tuned-1"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    tmp = tmp_path / ".tuned-1.tmp"
    tmp.mkdir()
    (tmp / "new.txt").write_text("new", encoding="utf-8")
    finetune._replace_folder(tmp, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tuned-1"]
    assert [p.name for p in target.iterdir()] == ["new.txt"]


# The project's tuned model ------------------------------------------------------------------

CODES = ["hidden-work", "multiple-systems", "digital-exclusion", "online-easier"]


def code_lines(proj: Project) -> list[tuple[str, int, int, str]]:
    """Code every non-empty line of the fixture interviews, cycling through four codes."""
    with proj.read() as conn:
        docs = conn.execute(select(s.documents.c.name, s.documents.c.text)).all()
    spans = []
    for name, text in docs:
        pos = 0
        for line in text.split("\n"):
            if line.strip():
                spans.append((name, pos, pos + len(line)))
            pos += len(line) + 1
    out = [(d, a, b, CODES[k % len(CODES)]) for k, (d, a, b) in enumerate(spans)]
    with proj.begin() as conn:
        for d, a, b, code in out:
            add_coding(conn, d, a, b, code, "ana")
    return out


@pytest.fixture
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A coded project, a fake model (bag of words) and a fake fine-tune writing a folder."""
    path = make_project(tmp_path / "study.sqlite")
    proj = open_project(path)
    spans = code_lines(proj)
    fake = WordsEmbedder()
    monkeypatch.setattr(embedder, "get_embedder", lambda model=None: fake)
    monkeypatch.setattr(project_tuning, "base_model_id", lambda: "words@1")
    tuned: list[Path] = []

    def fake_finetune(texts, labels, target, *, info=None, **_: Any):  # type: ignore[no-untyped-def]
        tuned.append(target)
        target.mkdir(parents=True, exist_ok=True)
        record = {**(info or {}), "objective": "classify", "passages": len(texts), "epochs": 2}
        record["seconds"] = 1.0
        (target / finetune.TUNED_INFO).write_text(json.dumps(record), encoding="utf-8")
        return finetune.TuneResult(target, "classify", len(texts), 2, 1, 1.0)

    monkeypatch.setattr(project_tuning, "finetune", fake_finetune)
    yield proj, spans, tuned
    proj.close()


def with_scores(monkeypatch: pytest.MonkeyPatch, bundled: float, tuned: float) -> None:
    real = project_tuning.evaluate

    def evaluate(inputs: Any, *, embed: Any, progress: Any = None) -> dict[str, Any]:
        out = real(inputs, embed=embed, progress=progress)
        out["micro_f1"] = bundled if embed.__name__ == "bundled_embed" else tuned
        return out

    monkeypatch.setattr(project_tuning, "evaluate", evaluate)


def test_tuned_model_is_used_only_when_better(coded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    proj, spans, tuned = coded
    with_scores(monkeypatch, bundled=0.6, tuned=0.6)  # not better: a tie keeps the bundled
    report = project_tuning.train_project(proj)
    assert report is not None and not report.in_use
    assert report.n_train + report.n_test == len(spans) and report.n_test >= 2
    where = project_tuning.models_dir(proj)
    assert where == proj.path.with_name("study.sqlite.models")
    assert not (where / project_tuning.IN_USE).exists()
    assert project_tuning.tuned_model_for(proj) is None

    with_scores(monkeypatch, bundled=0.6, tuned=0.7)
    report = project_tuning.train_project(proj)
    assert report is not None and report.in_use and report.reused  # same codings: no retrain
    assert len(tuned) == 1 and report.folder == tuned[0]
    assert report.folder.parent == where and report.folder.name.startswith("tuned-")
    assert project_tuning.tuned_model_for(proj) == report.folder
    assert report.as_json()["tuned"]["micro_f1"] == 0.7

    with_scores(monkeypatch, bundled=0.7, tuned=0.6)  # the latest check decides
    assert not project_tuning.train_project(proj, seed=1).in_use  # type: ignore[union-attr]
    assert project_tuning.tuned_model_for(proj) is None


def test_tuned_model_is_keyed_by_the_codings_it_saw(
    coded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj, spans, _ = coded
    with_scores(monkeypatch, bundled=0.5, tuned=0.8)
    report = project_tuning.train_project(proj)
    assert report is not None and report.in_use
    mark = json.loads((report.folder.parent / project_tuning.IN_USE).read_text(encoding="utf-8"))
    assert len(mark["items"]) == report.n_train
    # a new coding does not stop it
    doc, start, end, _ = spans[0]
    with proj.begin() as conn:
        add_coding(conn, doc, start, end, "covid-19", "ana")
    assert project_tuning.tuned_model_for(proj) == report.folder
    # another base model does
    monkeypatch.setattr(project_tuning, "base_model_id", lambda: "other@2")
    assert project_tuning.tuned_model_for(proj) is None
    monkeypatch.setattr(project_tuning, "base_model_id", lambda: "words@1")
    # removing every coding it saw on one passage does (until the next train)
    seen = set(mark["items"])
    for doc, start, end, code in spans:
        text = proj_text(proj, doc)[start:end].strip()
        if project_tuning.coding_keys([text], [{code}])[0] in seen:
            with proj.begin() as conn:
                remove_coding(conn, doc, start, end, code, "ana")
            break
    assert project_tuning.tuned_model_for(proj) is None
    # and the hash names the codings: other codings, another folder
    again = project_tuning.train_project(proj)
    assert again is not None and again.folder != report.folder


def proj_text(proj: Project, doc: str) -> str:
    with proj.read() as conn:
        return str(
            conn.execute(select(s.documents.c.text).where(s.documents.c.name == doc)).scalar_one()
        )


def test_hash_changes_with_codes_and_base() -> None:
    keys = project_tuning.coding_keys(["a text", "b text"], [{"x"}, {"y", "z"}])
    assert len(keys) == 3 and keys == sorted(keys)
    assert keys == project_tuning.coding_keys(["b text", "a text"], [{"z", "y"}, {"x"}])
    other = project_tuning.coding_keys(["a text", "b text"], [{"x"}, {"y"}])
    hashes = {project_tuning.codings_hash(k, m) for k in (keys, other) for m in ("m@1", "m@2")}
    assert len(hashes) == 4 and project_tuning.codings_hash(keys, "m@1") in hashes


def test_too_few_codings_is_one_clear_error(tmp_path: Path) -> None:
    proj = open_project(make_project(tmp_path / "p.sqlite"))
    try:
        with pytest.raises(WorkbenchError, match="too few codings"):
            project_tuning.train_project(proj)
    finally:
        proj.close()


# The real model -----------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("objective", ["classify", "pairs"])
def test_one_real_training_step_saves_a_model_with_its_own_cache_key(
    tmp_path: Path, objective: str
) -> None:
    texts = ["the food was cold", "lunch was late and cold", "the nurse was kind", "kind staff"]
    labels = [{"food"}, {"food"}, {"staff"}, {"staff"}]
    settings = finetune.TuneSettings(objective=objective, max_pairs=4, batch_size=4, max_epochs=1)
    steps: list[tuple[int, int]] = []
    target = tmp_path / "models" / "tuned-x"
    result = finetune.finetune(
        texts, labels, target, settings=settings, progress=lambda d, n: steps.append((d, n))
    )
    assert result is not None and result.steps == 1 and steps[-1] == (1, 1)
    assert result.objective == objective and result.examples == 4 and result.epochs == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["tuned-x"]  # no temp folder left
    record = json.loads((target / finetune.TUNED_INFO).read_text(encoding="utf-8"))
    assert record["objective"] == objective and record["steps"] == 1
    assert record["pairs" if objective == "pairs" else "passages"] == 4
    base = embedder.get_embedder()
    tuned = embedder.get_embedder(target)
    try:
        assert tuned.model_id != base.model_id and tuned.dim == base.dim
        a, b = base.encode(texts), tuned.encode(texts)
        assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
        assert not np.allclose(a, b, atol=1e-6)  # the weights moved
        assert float(np.min(np.sum(a * b, axis=1))) > 0.9  # ...by one small step
        # the embedding cache keys by model: the tuned model never reads the bundled vectors
        proj = open_project(tmp_path / "p.sqlite", create=True)
        try:
            CachedEncoder(base, proj).encode(texts)
            cache = CachedEncoder(tuned, proj)
            assert cache.missing(texts) == texts
        finally:
            proj.close()
    finally:
        embedder.unload(target)
    # cancelled before the first step: nothing saved
    again = finetune.finetune(
        texts, labels, tmp_path / "other", settings=settings, cancelled=lambda: True
    )
    assert again is None and not (tmp_path / "other").exists()
