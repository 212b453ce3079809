"""Suggestions ready when you are (issue 15): the current passage first from the codebook
alone, search by meaning first from the cache, one cache for search and review, and the
light model loader giving sentence-transformers' vectors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
def test_light_loader_gives_the_sentence_transformers_vectors(
    project_file: Path, tmp_path: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    from workbench.suggest.bert_encoder import load_bert
    from workbench.suggest.embedder import get_embedder, go_offline, model_folder
    from workbench.suggest.light_model import LightModel, load_light

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
    # a folder the BERT encoder does not take (no tokenizer.json) goes through transformers
    other = tmp_path / "model"
    shutil.copytree(model_folder(), other)
    (other / "tokenizer.json").unlink()
    assert load_bert(other, 256) is None
    fallback = load_light(other)
    assert fallback is not None
    assert np.abs(fallback.encode(texts, batch_size=2) - ref).max() < 1e-5
    # the layout newer sentence-transformers save (our fine-tuned copies): "pooling_mode":
    # "mean", the length in the tokenizer's config
    newer = tmp_path / "newer"
    shutil.copytree(model_folder(), newer)
    (newer / "1_Pooling" / "config.json").write_text(
        json.dumps({"embedding_dimension": 384, "pooling_mode": "mean", "include_prompt": True})
    )
    (newer / "sentence_bert_config.json").write_text(
        json.dumps({"transformer_task": "feature-extraction"})
    )
    tok = json.loads((newer / "tokenizer_config.json").read_text())
    (newer / "tokenizer_config.json").write_text(json.dumps({**tok, "model_max_length": 256}))
    light = load_light(newer)
    assert light is not None and light.max_seq_length == 256
    newer_ref = SentenceTransformer(str(newer), device="cpu", local_files_only=True)
    assert newer_ref.max_seq_length == 256
    expected = newer_ref.encode(texts, batch_size=2, normalize_embeddings=True)
    assert np.abs(light.encode(texts, batch_size=2) - expected).max() < 1e-5


LOADS = """
import sys
from workbench.suggest.embedder import get_embedder
vecs = get_embedder().encode(["The nurses were kind.", "x"])
print(vecs.shape, sorted(m for m in ("transformers", "sentence_transformers") if m in sys.modules))
"""


@pytest.mark.model
def test_the_bundled_model_loads_without_transformers() -> None:
    """A plain BERT runs on torch's own layers: transformers' BERT module alone imported
    torch._dynamo, torch.distributed and scipy.optimize, 3 s of a cold first suggestion."""
    done = subprocess.run(
        [sys.executable, "-c", LOADS], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "(2, 384) []"


def test_cold_search_answers_first_from_passages_sharing_words(
    engine: SuggestionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.suggest.similar as similar

    monkeypatch.setattr(similar, "FIRST_BATCH", 3)
    proj = engine.project
    encoder = CachedEncoder(WordsEmbedder(), proj)
    units = engine.units()
    texts = {u.text for u in units}
    assert len(texts) > 3 and encoder.missing(sorted(texts))
    seen: list[tuple[list[str], int, int]] = []
    steps: list[tuple[int, int]] = []

    def early(hits, searched: int, total: int) -> None:  # type: ignore[no-untyped-def]
        seen.append(([h.text for h in hits], searched, total))

    full = similar_passages(
        proj,
        query="reception desk",
        encoder=encoder,
        limit=len(units),
        interim=early,
        progress=lambda done, total: steps.append((done, total)),
    )
    assert len(seen) == 1
    first, searched, total = seen[0]
    assert total == len(units) and searched < total
    # the first answer searched the passages with the query's words before any other
    assert any("reception" in t for t in first)
    assert set(first) <= set(similar.embed_first(sorted(texts), "reception desk")[:3])
    assert len(full) == len(units) and encoder.missing(sorted(texts)) == []
    # one progress over everything embedded, never going back
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    assert {t for _, t in steps} == {len(texts)}


def test_embed_first_orders_shared_words_then_shortest() -> None:
    from workbench.suggest.similar import embed_first

    texts = ["a long passage about nothing much at all", "short", "the reception desk", "desk"]
    assert embed_first(texts, "Reception DESK") == [
        "the reception desk",
        "desk",
        "short",
        "a long passage about nothing much at all",
    ]


async def test_panel_answers_from_the_codebook_first_then_learns_and_embeds_the_rest(
    tmp_path: Path,
) -> None:
    from tui_project import build_project

    from workbench.tui.app import WorkbenchApp
    from workbench.tui.widgets.suggest_panel import SuggestionPanel

    path = build_project(tmp_path / "study.sqlite")
    made: list[SuggestionEngine] = []

    def factory(p: Path, who: str) -> SuggestionEngine:
        made.append(SuggestionEngine(p, who, encoder=WordsEmbedder(), background=False))
        return made[-1]

    shown: list[bool] = []
    original = SuggestionPanel.show

    def spy(self, segment_id, items, preliminary=False):  # type: ignore[no-untyped-def]
        shown.append(preliminary)
        original(self, segment_id, items, preliminary)

    app = WorkbenchApp(path, "tester")
    app.engine_factory = factory  # type: ignore[assignment]
    SuggestionPanel.show = spy  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("down", "enter")
            await pilot.pause()
            await pilot.press("j", "t")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()  # the background corpus worker
            panel = app.screen.query_one("#suggestions", SuggestionPanel)
            assert panel.items and panel.warmed
            eng = made[0]
            assert eng.encoder.missing(eng.needed_texts()) == []  # embedded in the background
    finally:
        SuggestionPanel.show = original  # type: ignore[method-assign]
    assert shown[:2] == [True, False]  # codebook answer, then the learned one
    assert app.errors == []
