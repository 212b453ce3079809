"""Suggestions ready when you are (issue 15): the current passage first from the codebook
alone, search by meaning first from the cache, one cache for search and review, and the
light model loader giving sentence-transformers' vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ranker_support import WordsEmbedder
from test_suggest_engine import make_project, unit_with

from workbench.services.codes import CodeTree
from workbench.services.coding import add_coding
from workbench.store.db import open_project
from workbench.suggest.cache import CachedEncoder
from workbench.suggest.engine import SuggestionEngine
from workbench.suggest.similar import cache_coverage, similar_passages

CODED = "it always lands on us at reception"


@pytest.fixture
def engine(project_file: Path) -> Iterator[SuggestionEngine]:
    make_project(project_file)
    eng = SuggestionEngine(project_file, "tester", encoder=WordsEmbedder(), background=False)
    unit = unit_with(eng, CODED)
    with eng.project.begin() as conn:
        code = sorted(CodeTree.load(conn).codes)[0]
        add_coding(conn, unit.document, unit.start, unit.end, code, "tester")
    yield eng
    eng.close()


def test_first_answer_comes_from_the_codebook_without_embedding_the_coded_passages(
    engine: SuggestionEngine,
) -> None:
    target = unit_with(engine, "No, I worked it out myself.")
    coded = unit_with(engine, CODED)
    items, learned = engine.first_for_segment(target.segment_id)
    assert not learned and items
    assert [s.score for s in items] == sorted((s.score for s in items), reverse=True)
    assert {s.segment_id for s in items} == {target.segment_id}
    # the coded passage (a learner text) was not embedded for the first answer
    assert engine.encoder.missing([coded.text]) == [coded.text]
    assert engine.encoder.missing(list(target.pieces)) == []
    engine.warm_up()
    learned_items, learned = engine.first_for_segment(target.segment_id)
    assert learned
    assert learned_items == engine.for_segment(target.segment_id)
    assert engine.encoder.missing([coded.text]) == []


def test_first_answer_leaves_out_codes_already_applied(engine: SuggestionEngine) -> None:
    coded = unit_with(engine, CODED)
    with engine.project.read() as conn:
        applied = sorted(CodeTree.load(conn).codes)[0]
    items, _ = engine.first_for_segment(coded.segment_id, top_k=50)
    assert items and applied not in {s.code_id for s in items}


def test_search_answers_first_from_the_cache_then_over_everything(
    engine: SuggestionEngine,
) -> None:
    proj = engine.project
    words = WordsEmbedder()
    encoder = CachedEncoder(words, proj)
    units = engine.units()
    some = [u for u in units if "reception" in u.text or "myself" in u.text]
    assert 0 < len(some) < len(units)
    encoder.fill([u.text for u in some])
    cached, total = cache_coverage(proj, encoder)
    assert (cached, total) == (len({u.text for u in some}), len({u.text for u in units}))
    before = encoder.embedded
    first = similar_passages(proj, query="reception desk", encoder=encoder, cached_only=True)
    assert encoder.embedded == before  # nothing of the corpus embedded
    assert {h.segment_id for h in first} == {u.segment_id for u in some}
    full = similar_passages(proj, query="reception desk", encoder=encoder, limit=len(units))
    assert len(full) == len(units)
    assert cache_coverage(proj, encoder) == (total, total)
    assert full[0].segment_id == first[0].segment_id  # the best cached one is the best overall


def test_review_after_search_embeds_no_passage_again(engine: SuggestionEngine) -> None:
    search_encoder = CachedEncoder(WordsEmbedder(), engine.project)
    similar_passages(engine.project, query="app", encoder=search_encoder)
    fresh = SuggestionEngine(engine.project, "tester", encoder=WordsEmbedder())
    try:
        texts = [u.text for u in fresh.units()]
        assert fresh.encoder.missing(texts) == []  # review's prepare reuses them
        assert fresh.prepare()
        pieces = {p for u in fresh.units() for p in u.pieces}
        learner = set(fresh.learner_texts())
        assert fresh.encoder.embedded == len((pieces | learner) - set(texts))
    finally:
        fresh.close()


@pytest.mark.model
def test_light_loader_gives_the_sentence_transformers_vectors(project_file: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from workbench.suggest.embedder import get_embedder, go_offline, model_folder
    from workbench.suggest.light_model import LightModel

    go_offline()
    emb = get_embedder()
    assert isinstance(emb.model, LightModel)
    make_project(project_file)
    proj = open_project(project_file)
    try:
        with proj.read() as conn:
            text = conn.exec_driver_sql("SELECT text FROM documents LIMIT 1").scalar_one()
    finally:
        proj.close()
    texts = ["Mm-hm.", text[:80], text, text * 3, "x"]  # short, long, truncated (> 256 tokens)
    ours = emb.encode(texts, batch_size=2)
    st = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)
    ref = st.encode(texts, batch_size=2, convert_to_numpy=True, normalize_embeddings=True)
    assert np.abs(ours - ref).max() < 1e-5
