"""Semantic search: service and TUI, with a deterministic bag-of-words embedder (no model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ranker_support import WordsEmbedder
from sqlalchemy import func, select
from tui_project import build_project

from workbench.errors import WorkbenchError
from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.suggest import embedder as embedder_mod
from workbench.suggest.cache import CachedEncoder
from workbench.suggest.similar import similar_passages
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.coding import CodingScreen
from workbench.tui.screens.search import SearchScreen


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


def test_free_query_finds_the_passage_and_caches_the_corpus(project: Path) -> None:
    proj = open_project(project)
    try:
        words = WordsEmbedder()
        encoder = CachedEncoder(words, proj)
        hits = similar_passages(proj, query="grandson set it up", encoder=encoder)
        assert (hits[0].document, hits[0].idx) == ("patient_p1", 1)
        assert hits[0].score > hits[-1].score
        with proj.read() as conn:
            stored = conn.execute(select(func.count()).select_from(s.embeddings)).scalar_one()
        assert stored == len(hits)  # every outer passage embedded once, the query not stored
        again = CachedEncoder(words, proj)  # a new session: the corpus comes from the store
        similar_passages(proj, query="password", encoder=again)
        assert again.embedded == 0
    finally:
        proj.close()


def test_passage_like_this_one_leaves_itself_out(project: Path) -> None:
    proj = open_project(project)
    try:
        with proj.read() as conn:
            sid = conn.execute(
                select(s.segments.c.id)
                .join(s.documents, s.documents.c.id == s.segments.c.document_id)
                .where((s.documents.c.name == "staff_s1") & (s.segments.c.idx == 3))
            ).scalar_one()
        encoder = CachedEncoder(WordsEmbedder(), proj)
        hits = similar_passages(proj, segment_id=sid, encoder=encoder, limit=3)
        assert len(hits) == 3 and sid not in {h.segment_id for h in hits}
        with pytest.raises(WorkbenchError, match="either a query or a passage"):
            similar_passages(proj, encoder=encoder)
        with pytest.raises(WorkbenchError, match="does not exist"):
            similar_passages(proj, segment_id=10**9, encoder=encoder)
    finally:
        proj.close()


async def test_tui_meaning_search_and_like_this(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder_mod, "get_embedder", lambda model=None: WordsEmbedder())
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("ctrl+t", *"grandson set it up", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        hits = app.screen.hits
        assert (hits[0].document, hits[0].idx) == ("patient_p1", 1)
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, CodingScreen) and coding.doc_name == "patient_p1"
        assert coding.current_turn() == 1
        await pilot.press("L")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        like = app.screen.hits
        assert like and all((h.document, h.idx) != ("patient_p1", 1) for h in like)
    assert app.errors == []


def test_cli_search_by_words_and_by_meaning(
    cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    r = cli("search", "tech savvy", "--format", "json", "--project", project)
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [(x["document"], x["segment"]) for x in rows] == [("staff_s1", 3)]
    assert rows[0]["score"] > 0
    monkeypatch.setattr(embedder_mod, "get_embedder", lambda model=None: WordsEmbedder())
    r = cli(
        "search",
        "grandson set it up",
        "--meaning",
        "--limit",
        "2",
        "--format",
        "json",
        "--project",
        project,
    )
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert len(rows) == 2 and (rows[0]["document"], rows[0]["segment"]) == ("patient_p1", 1)
    r = cli("search", "  ", "--project", project)
    assert r.code == 2 and "empty" in r.err
