"""Home and retrieval read the store a page at a time (issue 15): the first page shown, the
next read as the cursor nears the end, counts and exports over everything."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tui_project import build_project

from workbench.services.coding import add_coding
from workbench.services.importing import ImportRequest, import_files
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens import home, retrieval, search
from workbench.tui.screens.home import HomeScreen
from workbench.tui.screens.retrieval import RetrievalScreen
from workbench.tui.screens.search import SearchScreen

SIZE = (120, 40)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = build_project(tmp_path / "study.sqlite")
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(12):
        (notes / f"note_{i:02d}.txt").write_text(f"Field note {i}: café ☕ 😀. The rota changed.\n")
    proj = open_project(path)
    try:
        import_files(proj, ImportRequest(paths=sorted(notes.iterdir()), kind="field-notes"))
        with proj.begin() as conn:
            for i in range(12):
                add_coding(conn, f"note_{i:02d}", 0, 13, "Hidden work", "tester")
    finally:
        proj.close()
    return path


async def test_home_reads_a_page_then_the_next_near_the_end(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home, "PAGE", 4)
    monkeypatch.setattr(home, "NEAR", 1)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        everything = screen.total
        assert everything > 12 and len(screen.docs) == 4
        assert f"{everything} of {everything} documents" in str(
            screen.query_one("#doc-summary").render()
        )
        await pilot.press("down", "down")
        await pilot.pause()
        assert len(screen.docs) == 4  # two rows from the last one read: not yet
        await pilot.press("down")
        await pilot.pause()
        assert len(screen.docs) == 8  # the second page, read as the cursor came near
        await pilot.press(*["down"] * 30)
        await pilot.pause()
        assert len(screen.docs) == everything
        names = [d.name for d in screen.docs]
        assert names == sorted(names, key=str.casefold) or names == sorted(names)
        assert len(set(names)) == everything
    assert app.errors == []


async def test_retrieval_pages_and_exports_every_excerpt(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrieval, "PAGE", 5)
    monkeypatch.setattr(retrieval, "NEAR", 1)
    proj = open_project(project)
    with proj.read() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM codings").scalar_one()
    proj.close()
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RetrievalScreen)
        assert screen.total == total > 10 and len(screen.rows) == 5
        assert f"{total} excerpts" in str(screen.query_one("#retrieval-summary").render())
        await pilot.press(*["down"] * 4)
        await pilot.pause()
        assert len(screen.rows) == 10
        keys = [(r.document, r.start, r.end) for r in screen.rows]
        assert keys == sorted(keys)  # pages join in the table's order
        out = tmp_path / "all.csv"
        await pilot.press("e", "ctrl+a", "ctrl+k", *str(out), "enter")
        await pilot.pause()
    with out.open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == total  # the pages not read yet too
    assert app.errors == []


async def test_words_search_counts_every_match_and_pages_them(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "PAGE", 5)
    monkeypatch.setattr(search, "NEAR", 1)
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"rota", "enter")
        await pilot.pause()
        assert screen.total == 12 and len(screen.hits) == 5  # a page read, every match counted
        assert "12 passages match 'rota'" in str(screen.query_one("#search-summary").render())
        await pilot.press(*["down"] * 11)
        await pilot.pause()
        assert len(screen.hits) == 12
        assert len({h.segment_id for h in screen.hits}) == 12
        proj = open_project(project)
        with proj.read() as conn:  # each hit's text is exactly its span (past é, ☕ and 😀)
            for h in screen.hits:
                doc = conn.exec_driver_sql(
                    "SELECT text FROM documents WHERE name = ?", (h.document,)
                ).scalar_one()
                assert h.text == doc[h.start : h.end] and "rota" in h.text
        proj.close()
    assert app.errors == []
