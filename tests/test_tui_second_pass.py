"""Issue 17, the TUI second pass: one Pilot test per bug, each asserting store or screen state."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from tui_engine import ScriptedEngine, engine_app
from tui_project import build_project

from workbench.ingest.model import ParsedDocument, ParsedSegment
from workbench.services.coding import add_coding, list_codings
from workbench.services.documents import store_document
from workbench.store import schema as s
from workbench.store.db import open_project
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.coding import CodingScreen, DocumentView
from workbench.tui.screens.disagreements import DisagreementScreen
from workbench.tui.screens.modals import ChoiceScreen, ConfirmScreen
from workbench.tui.screens.picker import CodePicker
from workbench.tui.screens.review import ReviewScreen
from workbench.tui.screens.search import SearchScreen
from workbench.tui.text import plural, word_window
from workbench.tui.widgets.suggest_panel import SuggestionPanel
from workbench.tui.widgets.transcript import MEMO_MARK, TurnView

LONG_TURNS = 40


def long_document(n: int = LONG_TURNS) -> ParsedDocument:
    """`n` turns of two sentences each (sentence segments under each turn); the last turn
    says 'zebra crossing' so a search can find words far from the start of the text."""
    text, segments = "", []
    for i in range(n):
        if text:
            text += "\n\n"
        speaker = "I" if i % 2 == 0 else "P9"
        body = f"Turn {i} opens here with several ordinary words. It ends in sentence two."
        if i == n - 1:
            body = (
                "At the very end of a long answer about the surgery and its many online forms "
                "and the telephone queue we reach the zebra crossing."
            )
        start = len(text) + len(speaker) + 2
        text += f"{speaker}: {body}"
        turn = len(segments)
        segments.append(ParsedSegment(start, len(text), "turn", speaker=speaker))
        cut = text.find(". ", start)
        if cut != -1 and cut < len(text):
            segments.append(ParsedSegment(start, cut + 1, "sentence", parent=turn))
            segments.append(ParsedSegment(cut + 2, len(text), "sentence", parent=turn))
        else:
            segments.append(ParsedSegment(start, len(text), "sentence", parent=turn))
    return ParsedDocument(
        name="long_l1",
        kind="interview",
        text=text,
        segments=segments,
        source_name="long_l1.txt",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        warnings=[],
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = build_project(tmp_path / "study.sqlite")
    proj = open_project(path)
    try:
        with proj.begin() as conn:
            store_document(conn, long_document(), attributes={"role": "patient"})
    finally:
        proj.close()
    return path


def codings(path: Path, coder: str | None = None):  # type: ignore[no-untyped-def]
    proj = open_project(path)
    try:
        with proj.read() as conn:
            return list_codings(conn, coder=coder)
    finally:
        proj.close()


async def open_doc(pilot, row: int) -> CodingScreen:  # type: ignore[no-untyped-def]
    """Home sorts by name: long_l1, patient_p1, staff_s1."""
    await pilot.pause()
    await pilot.press(*["down"] * row, "enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CodingScreen)
    return screen


def visible(screen: CodingScreen, turn: int) -> bool:
    view = screen.query_one(DocumentView)
    region = screen.turn_views()[turn].region
    return view.region.overlaps(region) and region.y >= view.region.y - region.height + 1


async def test_cursor_keys_move_the_cursor_and_c_codes_what_is_on_screen(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_doc(pilot, 0)
        assert screen.current_turn() == 0
        await pilot.press("down", "down")
        assert screen.current_turn() == 2
        await pilot.press("up")
        assert screen.current_turn() == 1
        await pilot.press("pagedown")
        assert screen.current_turn() == 11
        await pilot.press("pageup")
        assert screen.current_turn() == 1
        await pilot.press("end")
        await pilot.pause()
        last = LONG_TURNS - 1
        assert screen.current_turn() == last
        assert visible(screen, last)
        assert not visible(screen, 0)
        sentence = screen.doc.sentences[screen.state.cursor]
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CodePicker)
        assert f"Code {sentence[1] - sentence[0]} characters" in app.screen.title_text
        await pilot.press(*"hid", "enter")
        await pilot.pause()
        await pilot.press("home")
        assert screen.current_turn() == 0
    mine = codings(project, "tester")
    assert [(c.start, c.end, c.code_id) for c in mine] == [(*sentence, "hidden-work")]
    assert app.errors == []


async def test_suggestions_by_name_panel_keeps_the_turn_and_J_K_move(project: Path) -> None:
    app, _ = engine_app(project, document="long_l1")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_doc(pilot, 0)
        await pilot.press(*["down"] * 20)
        await pilot.pause()
        assert visible(screen, 20)
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert visible(screen, 20)  # the re-wrapped text did not scroll the turn away
        panel = screen.query_one(SuggestionPanel)
        prompts = [str(o.prompt) for o in panel.query_one("#suggest-list").options]
        assert "COVID-19" in prompts[0] and "Hidden work" in prompts[1]
        await pilot.press("J")
        assert panel.highlighted() is panel.items[1]
        await pilot.press("K", "y")  # accept COVID-19
        await pilot.pause()
        prompts = [str(o.prompt) for o in panel.query_one("#suggest-list").options]
        assert len(prompts) == 1 and "Hidden work" in prompts[0] and "hidden-work" not in prompts[0]
    seg = screen.doc.turns[20].seg
    assert [(c.start, c.end, c.code_id) for c in codings(project, "tester")] == [
        (seg.start, seg.end, "covid-19")
    ]
    assert app.errors == []


async def test_review_c_cancels_only_while_loading(project: Path) -> None:
    app, made = engine_app(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        assert screen.check_action("cancel", ()) is False  # not in the footer
        keys = {b.binding.key for b in screen.active_bindings.values() if b.enabled}
        assert "c" not in keys
        await pilot.press("c")  # must not empty the queue
        await pilot.pause()
        assert screen.current is not None
        await pilot.press("y")
        await pilot.pause()
    assert [c.code_id for c in codings(project, "tester")] == ["covid-19"]
    assert made[0].learned == [("covid-19", True)]


async def test_review_passage_is_not_cut_mid_word(project: Path) -> None:
    app, _ = engine_app(project, document="long_l1")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        passage = app.screen.query_one("#review-passage").content
        plain = str(getattr(passage, "plain", passage)).strip("…")
        proj = open_project(project)
        with proj.read() as conn:
            text = conn.execute(
                select(s.documents.c.text).where(s.documents.c.name == "long_l1")
            ).scalar_one()
        proj.close()
        at = text.index(plain)
        assert at == 0 or text[at - 1].isspace()
        end = at + len(plain)
        assert end == len(text) or text[end].isspace()


def test_word_window_snaps_to_words() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    lo, hi = word_window(text, text.index("delta"), text.index("delta") + 5, 8)
    assert text[lo:hi] == "gamma delta epsilon"
    assert word_window(text, 0, 5, 100) == (0, len(text))


async def test_dialogs_wrap_their_text_and_keep_lists_inside(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    question = (
        "Merge 'Shift work and rotas' into 'Working patterns'? 1 coding moves to "
        "'Working patterns'; 'Shift work and rotas' becomes its alias."
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmScreen(question))
        await pilot.pause()
        label = app.screen.query_one(".dialog-title")
        dialog = app.screen.query_one(".dialog")
        assert label.region.height >= 2  # wrapped, not cut
        assert dialog.content_region.contains_region(label.region)
        await pilot.press("escape")
        options = [(str(i), f"code number {i}") for i in range(40)]
        app.push_screen(ChoiceScreen("Move 'Hidden work' under…", options))
        await pilot.pause()
        listing = app.screen.query_one("OptionList")
        dialog = app.screen.query_one(".dialog")
        assert dialog.content_region.contains_region(listing.region)


async def test_slash_in_the_search_box_starts_a_new_search(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f3", *"zebra", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SearchScreen) and len(screen.hits) == 1
        cell = str(screen.query_one("#hits").get_row_at(0)[3])
        assert "zebra" in cell  # the matched words, not the start of the turn
        assert not cell.startswith("At the very end")
        await pilot.press("/")
        box = screen.query_one("#query")
        assert box.value == "" and box.has_focus
        await pilot.press(*"telephone", "/")
        assert box.value == ""  # still a new search, never a typed slash


async def test_paragraph_numbers_agree_between_disagreements_and_coding(project: Path) -> None:
    proj = open_project(project)
    with proj.begin() as conn:
        doc = long_document()
        turn5 = [sg for sg in doc.segments if sg.level == "sentence"][10]  # turn 5, sentence 1
        add_coding(conn, "long_l1", turn5.start, turn5.end, "Hidden work", "coder-a")
        add_coding(conn, "long_l1", turn5.start, turn5.end, "COVID-19", "coder-b")
        numbers = dict(
            conn.execute(
                select(s.segments.c.start, s.segments.c.idx)
                .join(s.documents, s.documents.c.id == s.segments.c.document_id)
                .where(s.segments.c.level == "turn", s.documents.c.name == "long_l1")
            ).all()
        )
    proj.close()
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(DisagreementScreen("coder-a", "coder-b"))
        await pilot.pause()
        await app.workers.wait_for_complete()  # the coders are compared in a worker
        await pilot.pause()
        table = app.screen.query_one("#disagreements")
        shown = str(table.get_row_at(0)[1])
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, CodingScreen)
        status = str(coding.query_one("#status").content)
        assert status.startswith(f"¶{shown} ")
        assert int(shown) == numbers[coding.doc.turns[5].seg.start] == coding.doc.turns[5].seg.idx


async def test_memo_marker_and_code_colour_under_the_cursor(project: Path) -> None:
    proj = open_project(project)
    doc = long_document()
    first = next(sg for sg in doc.segments if sg.level == "sentence")
    with proj.begin() as conn:
        add_coding(conn, "long_l1", first.start, first.end, "Hidden work", "alice", memo="why")
    proj.close()
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_doc(pilot, 0)
        view = screen.query_one(TurnView)
        assert MEMO_MARK in view.codes().plain
        assert MEMO_MARK in str(screen.query_one("#status").content)
        body = view.body()
        style = body.get_style_at_offset(Console(), 1)  # under the cursor (sentence 0)
        assert style.bold and style.underline
        assert style.bgcolor is not None and style.bgcolor == _tint(view, "#e15759")


def _tint(view: TurnView, colour: str):  # type: ignore[no-untyped-def]
    from textual.color import Color

    return view.background_colors[1].blend(Color.parse(colour), 0.45).rich_color


async def test_undo_names_document_and_code_and_counts_are_singular(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_doc(pilot, 2)  # staff_s1
        await pilot.press("c", *"cov", "enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("undone: code 'COVID-19' in staff_s1 (") for m in messages), (
            messages
        )
        await pilot.press("b", "down", "down", "down", "r")  # Hidden work: 1 excerpt
        await pilot.pause()
        summary = str(app.screen.query_one("#retrieval-summary").content)
        assert summary.startswith("1 excerpt · ")
    assert screen.doc_name == "staff_s1"
    assert codings(project, "tester") == []
    assert plural(1, "coding") == "1 coding" and plural(2, "coding") == "2 codings"


async def test_palette_lists_no_text_editing_and_undo_once(project: Path) -> None:
    from textual.widgets import Input

    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("/")  # focus the filter box: its bindings must not leak in
        titles = [c.title for c in app.get_system_commands(app.screen)]
        editing = {b.description for b in Input.BINDINGS if hasattr(b, "description")}
        assert not editing & set(titles), editing & set(titles)
        assert titles.count("Undo") == 1 and titles.count("Quit") == 1
        screen = await open_doc_from_home(pilot)
        titles = [c.title for c in app.get_system_commands(screen)]
        assert titles.count("Undo") == 1 and "Code" in titles


async def open_doc_from_home(pilot) -> CodingScreen:  # type: ignore[no-untyped-def]
    await pilot.press("escape", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CodingScreen)
    return pilot.app.screen


async def test_home_at_80_columns_shows_the_columns_by_priority(project: Path) -> None:
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#documents")
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:5] == ["Document", "Kind", "Segs", "Coded", "Role"]
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"question_mark", "q"} <= footer_keys
        await pilot.press("b")  # the codebook panel opens beside the documents
        await pilot.pause()
        panel = app.screen.query_one("#codebook")
        assert panel.display and panel.region.width >= 30
        tree = app.screen.query_one("#code-tree")
        label = tree.get_node_at_line(0).label.plain
        assert label.startswith("■ 0/1 Facilitation")  # the count before the name
        await pilot.press("B")
        await pilot.pause()
        assert not panel.display


def test_scripted_engine_is_the_one_fake(project: Path) -> None:
    engine = ScriptedEngine(project, "tester", document="long_l1")
    assert len(engine.turns) == LONG_TURNS


async def test_footers_keep_help_and_quit_on_screen_at_80_columns(project: Path) -> None:
    from textual.widgets._footer import FooterKey

    app, _ = engine_app(project)
    async with app.run_test(size=(80, 24)) as pilot:

        async def check(where: str) -> None:
            for _ in range(50):  # the footer builds its keys a refresh after the screen
                await pilot.pause()
                keys = {k.action: k for k in app.screen.query(FooterKey)}
                if {"help", "quit"} <= keys.keys():
                    break
            for action in ("help", "quit"):
                region = keys[action].region
                assert region.width > 0 and region.right <= 80, (where, action, region)

        await check("home")
        await pilot.press("b")
        await check("codebook panel")
        await pilot.press("d", "enter")
        await check("coding")
        await pilot.press("escape", "f2")
        await check("retrieval")
        await pilot.press("escape", "f3", *"text", "enter")  # the results have the focus
        await check("search")
        await pilot.press("escape", "f6")
        await check("disagreements")
        await pilot.press("escape", "f4")
        await app.workers.wait_for_complete()
        await check("review")


async def test_an_empty_retrieval_says_what_to_do(project: Path) -> None:
    """No excerpt in the view: the preview says why and which keys change it (the keys as
    the screen binds them)."""
    from workbench.tui.screens.retrieval import RetrievalScreen

    proj = open_project(project)
    with proj.read() as conn:
        covid = conn.execute(select(s.codes.c.id).where(s.codes.c.name == "COVID-19")).scalar()
    proj.close()
    app = WorkbenchApp(project, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(RetrievalScreen(covid))
        await pilot.pause()
        preview = lambda: str(app.screen.query_one("#excerpt-preview").content)  # noqa: E731
        assert preview().startswith("Nothing is coded with this code yet: c chooses another")
        assert str(app.screen.query_one("#retrieval-summary").content).startswith("0 excerpts")
        await pilot.press("o")  # a coder filter: alice, who has no COVID-19 coding either
        await pilot.pause()
        assert preview().startswith("No excerpt matches: / changes the attribute filter, o ")
