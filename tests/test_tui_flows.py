"""Pilot tests of the TUI flows; each asserts the store's state, not only the screen."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from tui_project import FIXTURES, build_project, parse_fixture

from workbench.services.codes import CodeTree
from workbench.services.coding import list_codings, memos_for
from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.coding import CodingScreen
from workbench.tui.screens.home import HomeScreen
from workbench.tui.screens.retrieval import RetrievalScreen
from workbench.tui.screens.search import SearchScreen

SIZE = (120, 40)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "study.sqlite")


def codings(path: Path, coder: str | None = None):  # type: ignore[no-untyped-def]
    proj = open_project(path)
    try:
        with proj.read() as conn:
            return list_codings(conn, coder=coder)
    finally:
        proj.close()


def tree(path: Path) -> CodeTree:
    proj = open_project(path)
    try:
        with proj.read() as conn:
            return CodeTree.load(conn)
    finally:
        proj.close()


def staff_text() -> str:
    return parse_fixture(FIXTURES / "staff_s1.txt").text


async def open_staff(pilot) -> CodingScreen:  # type: ignore[no-untyped-def]
    """Home lists patient_p1 then staff_s1 (sorted by name): down, Enter opens staff_s1."""
    await pilot.pause()
    await pilot.press("down", "enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CodingScreen)
    assert screen.doc_name == "staff_s1"
    return screen


async def test_home_lists_documents_and_opens_one(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "coder: tester" in app.sub_title
        table = app.screen.query_one("#documents")
        assert table.row_count == 2
        await pilot.press("slash", *"role=staff", "enter")
        assert table.row_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen) and app.screen.doc_name == "staff_s1"
    assert app.errors == []


async def test_home_filter_takes_quoted_values_and_shows_document_sets(project: Path) -> None:
    """A value with spaces (a MAXQDA document group imported as `set`) is filtered by quoting
    it; the Set column appears once some document is in a set."""
    from workbench.services.documents import set_document_attributes

    proj = open_project(project)
    try:
        with proj.begin() as conn:
            set_document_attributes(conn, "patient_p1", {"set": "Wave 1"})
            set_document_attributes(conn, "staff_s1", {"set": "Wave 10"})
    finally:
        proj.close()
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#documents")
        assert "set" in {str(c.value) for c in table.columns}
        await pilot.press("slash", *'set="wave 1"', "enter")
        await pilot.pause()
        assert [str(k.value) for k in table.rows] == ["patient_p1"]
        app.screen.query_one("#doc-filter").value = "set='Wave 10' staff"
        await pilot.pause()
        assert [str(k.value) for k in table.rows] == ["staff_s1"]
    assert app.errors == []


async def test_select_and_code_a_span_in_four_keys(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_staff(pilot)
        await pilot.press("j", "v", "w", "w")  # turn 1, its first sentence + two words
        await pilot.press("c", "p", "a", "enter")  # 4 keys after the selection
        await pilot.pause()
    text = staff_text()
    start = text.index("I'm on reception.")
    end = text.index("We answer") + len("We answer")
    mine = codings(project, "tester")
    assert [(c.start, c.end, c.code_id) for c in mine] == [
        (start, end, "facilitation/passive-facilitation")
    ]
    assert text[mine[0].start : mine[0].end] == "I'm on reception. We answer"
    assert app.errors == []


async def test_selection_snaps_to_sentences_and_words(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_staff(pilot)
        await pilot.press("j", "j", "j", "v", "s")  # turn 3: two sentences
        sel = screen.state.selection
        text = staff_text()
        assert text[sel.start : sel.end] == (
            "No training at all. It just landed on us because we're at the front desk."
        )
        await pilot.press("b", "right_square_bracket")  # end back a word, start on a word
        sel = screen.state.selection
        assert text[sel.start : sel.end] == (
            "training at all. It just landed on us because we're at the front"
        )
        await pilot.press("escape")
        assert screen.state.selection is None
        # no selection: c codes the cursor's sentence (the cursor followed the selection's end)
        await pilot.press("c", *"COVID", "enter")
        await pilot.pause()
    mine = codings(project, "tester")
    assert len(mine) == 1
    assert text[mine[0].start : mine[0].end] == (
        "It just landed on us because we're at the front desk."
    )


async def test_uncode_undo_redo(project: Path) -> None:
    before = codings(project)
    hidden = next(c for c in before if c.code_id == "hidden-work")
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_staff(pilot)
        await pilot.press("j", "j", "j", "x")  # cursor on 'No training at all.'
        await pilot.pause()
        assert hidden.id not in {c.id for c in codings(project)}
        await pilot.press("u")
        await pilot.pause()
        assert codings(project) == before  # same id, time and GUID
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert hidden.id not in {c.id for c in codings(project)}
        await pilot.press("u", "j", "c", "c", "o", "v", "enter")  # code, then undo it
        await pilot.pause()
        assert len(codings(project)) == 3
        await pilot.press("u")
        await pilot.pause()
        assert codings(project) == before
    assert app.errors == []


async def test_memo_on_coding_and_segment(project: Path) -> None:
    hidden = next(c for c in codings(project) if c.code_id == "hidden-work")
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_staff(pilot)
        await pilot.press("j", "j", "j", "m", *"untrained support", "ctrl+s")
        await pilot.pause()
        await pilot.press("k", "m", *"a prompt", "ctrl+s")  # turn 2 has no coding
        await pilot.pause()
        seg_id = app.screen.doc.turns[2].seg.id
    assert next(c for c in codings(project) if c.id == hidden.id).memo == "untrained support"
    proj = open_project(project)
    with proj.read() as conn:
        memos = memos_for(conn, "segment", str(seg_id))
    proj.close()
    assert [(m[1], m[3]) for m in memos] == [("tester", "a prompt")]


async def test_create_code_from_picker(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_staff(pilot)
        await pilot.press("j", "c", *"Front desk", "enter")
        await pilot.pause()
    t = tree(project)
    code = t.resolve("Front desk")
    assert code.parent_id is None
    assert [c.code_id for c in codings(project, "tester")] == [code.id]


async def test_merge_two_codes_from_the_codebook_panel(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")  # focus the codebook tree: Facilitation, Passive, Reactive, Hidden
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert app.screen.query_one("#code-tree").cursor_node.data == "hidden-work"
        await pilot.press("g", *"resp", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    t = tree(project)
    assert "hidden-work" not in t.codes
    survivor = t.resolve("Responsibility of others")
    assert "Hidden work" in survivor.aliases and "invisible labour" in survivor.aliases
    assert t.resolve("Hidden work").id == survivor.id
    assert sorted(c.code_id for c in codings(project)) == [
        "facilitation/passive-facilitation",
        survivor.id,
    ]
    assert app.errors == []


async def test_codebook_add_rename_and_delete_with_confirmation(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b", "a", *"Proactive facilitation", "enter")  # child of Facilitation
        await pilot.pause()
        view = app.screen.query_one("#code-tree")
        assert view.cursor_node.data == "facilitation/proactive-facilitation"
        await pilot.press("up", "up", "n", "ctrl+a", "ctrl+k", *"Texts and leaflets", "enter")
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        question = str(app.screen.query_one(".dialog-title").render())
        assert "AND its 1 coding?" in question  # singular (issue 17)
        await pilot.press("n")  # refused: nothing deleted
        await pilot.pause()
    t = tree(project)
    assert t.resolve("Proactive facilitation").parent_id == "facilitation"
    renamed = t.codes["facilitation/passive-facilitation"]
    assert renamed.name == "Texts and leaflets" and "Passive facilitation" in renamed.aliases
    assert len(codings(project)) == 2
    assert app.errors == []


async def test_retrieval_filter_jump_and_export(project: Path, tmp_path: Path) -> None:
    proj = open_project(project)
    with proj.begin() as conn:
        from workbench.services.coding import add_coding

        text = parse_fixture(FIXTURES / "patient_p1.txt").text
        s0 = text.index("Nobody seemed")
        add_coding(conn, "patient_p1", s0, s0 + 45, "Hidden work", "bob")
    proj.close()
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RetrievalScreen)
        assert len(screen.rows) == 3
        await pilot.press("c", *"hidden", "enter")
        await pilot.pause()
        assert {r.document for r in screen.rows} == {"patient_p1", "staff_s1"}
        await pilot.press("slash", *"role=patient", "enter")
        await pilot.pause()
        assert [(r.document, r.coder) for r in screen.rows] == [("patient_p1", "bob")]
        out = tmp_path / "view.csv"
        await pilot.press("e", "ctrl+a", "ctrl+k", *str(out), "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, CodingScreen) and coding.doc_name == "patient_p1"
        assert coding.state.selection.as_span() == (s0, s0 + 45)
        turn = coding.doc.turns[coding.current_turn()].seg
        assert turn.start <= s0 < turn.end
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["document"], r["coder"], r["attr:role"]) for r in rows] == [
        ("patient_p1", "bob", "patient")
    ]
    assert app.errors == []


async def test_retrieval_coder_filter_and_descendants(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_retrieval("facilitation")
        await pilot.pause()
        screen = app.screen
        assert [r.code for r in screen.rows] == ["Passive facilitation"]
        await pilot.press("d")  # without descendants: Facilitation itself has none
        assert screen.rows == []
        await pilot.press("d", "o")  # coders cycle: all -> alice
        assert screen.coder == "alice" and len(screen.rows) == 1


async def test_full_text_search_and_jump(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"tech savvy", "enter")
        await pilot.pause()
        hits = app.screen.hits
        assert [(h.document, h.idx) for h in hits] == [("staff_s1", 3)]
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, CodingScreen) and coding.doc_name == "staff_s1"
        assert coding.current_turn() == 3
    assert app.errors == []


async def test_errors_become_notifications(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b", "down", "n", "ctrl+a", "ctrl+k", *"Reactive facilitation", "enter")
        await pilot.pause()
        assert any("already has that name" in n.message for n in app._notifications)
        assert isinstance(app.screen, HomeScreen)
    assert tree(project).codes["facilitation/passive-facilitation"].name == "Passive facilitation"
    assert app.errors == []


async def test_help_lists_every_binding_and_palette_has_actions(project: Path) -> None:
    from workbench.tui.screens.help import binding_groups

    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_staff(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in ("Code", "Uncode", "Memo", "Undo", "Redo", "Select", "Help", "Back"):
            assert wanted in titles
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
    groups = dict(binding_groups())
    assert {b.action for b in groups["Coding screen"]} >= {"code", "uncode", "memo", "select"}


def test_importing_and_starting_the_tui_loads_no_model_libraries(project: Path) -> None:
    code = f"""
import asyncio, sys
from workbench.tui.app import WorkbenchApp
async def main():
    app = WorkbenchApp({str(project)!r}, "tester")
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "CodingScreen"
asyncio.run(main())
heavy = [m for m in ("torch", "sentence_transformers", "spacy") if m in sys.modules]
print("HEAVY", heavy)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "HEAVY []" in out.stdout


def test_tui_code_never_imports_heavy_libraries_at_module_level() -> None:
    root = Path(__file__).resolve().parents[1] / "workbench" / "tui"
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import ", "from ")):
                assert not any(m in line for m in ("torch", "sentence_transformers", "spacy"))


def test_document_row_count_matches_store(project: Path) -> None:
    proj = open_project(project)
    with proj.read() as conn:
        names = [r[0] for r in conn.execute(select(s.documents.c.name))]
    proj.close()
    assert sorted(names) == ["patient_p1", "staff_s1"]
