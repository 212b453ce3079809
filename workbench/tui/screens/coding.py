"""The coding screen: read a document turn by turn, select from the keyboard, code, memo, undo."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.coding import CodingRow
from workbench.tui.base import UsesWorkbench
from workbench.tui.errors import NothingSelected, guard, show
from workbench.tui.model import DocModel, Selection, Span, extend_end, move_start
from workbench.tui.screens.picker import Picked
from workbench.tui.widgets.footer import WorkbenchFooter
from workbench.tui.widgets.suggest_panel import SuggestionPanel
from workbench.tui.widgets.transcript import MEMO_MARK, TurnView, ViewState


class DocumentView(VerticalScroll, can_focus=False):
    """The turns. Not focusable: arrow keys, PgUp/PgDn, Home and End move the cursor (the
    screen's bindings), and the view follows the cursor, so `c` codes what is on screen."""


class CodingScreen(UsesWorkbench, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "turn(1)", "Next turn", show=False, id="next_turn"),
        Binding("k,up", "turn(-1)", "Previous turn", show=False, id="previous_turn"),
        Binding("l,right", "sentence(1)", "Next sentence", show=False, id="next_sentence"),
        Binding("h,left", "sentence(-1)", "Previous sentence", show=False, id="previous_sentence"),
        Binding("pagedown", "turn(10)", "10 turns down", show=False, id="page_down"),
        Binding("pageup", "turn(-10)", "10 turns up", show=False, id="page_up"),
        Binding("home", "go(0)", "First turn", show=False, id="first_turn"),
        Binding("end", "go(-1)", "Last turn", show=False, id="last_turn"),
        Binding("v", "select", "Select", id="select"),
        Binding("V", "select_turn", "Select turn", key_display="V", show=False, id="select_turn"),
        Binding("w,shift+right", "extend_word(1)", "Extend by word", show=False, id="extend_word"),
        Binding("b,shift+left", "extend_word(-1)", "Shrink by word", show=False, id="shrink_word"),
        Binding(
            "s,shift+down",
            "extend_sentence(1)",
            "Extend by sentence",
            show=False,
            id="extend_sentence",
        ),
        Binding(
            "S,shift+up",
            "extend_sentence(-1)",
            "Shrink by sentence",
            show=False,
            id="shrink_sentence",
        ),
        Binding(
            "left_square_bracket",
            "move_start(-1)",
            "Start a word earlier",
            show=False,
            id="start_earlier",
        ),
        Binding(
            "right_square_bracket",
            "move_start(1)",
            "Start a word later",
            show=False,
            id="start_later",
        ),
        Binding("c", "code", "Code", id="code"),
        Binding("x", "uncode", "Uncode", id="uncode"),
        Binding("m", "memo", "Memo", id="memo"),
        Binding("t", "toggle_suggestions", "Suggestions", id="suggestions"),
        Binding("y", "suggestion(True)", "Accept suggestion", show=False, id="accept_suggestion"),
        Binding("n", "suggestion(False)", "Reject suggestion", show=False, id="reject_suggestion"),
        Binding(
            "J",
            "move_suggestion(1)",
            "Next suggestion",
            key_display="J",
            show=False,
            id="next_suggestion",
        ),
        Binding(
            "K",
            "move_suggestion(-1)",
            "Previous suggestion",
            key_display="K",
            show=False,
            id="previous_suggestion",
        ),
        Binding("R", "app.review", "Review mode", key_display="R", show=False, id="review_mode"),
        Binding(
            "L", "like_this", "Passages like this", key_display="L", show=False, id="like_this"
        ),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(self, name: str, offset: int | None = None, span: tuple[int, int] | None = None):
        super().__init__()
        self.doc_name = name
        self.start_offset = offset
        self.start_span = span
        self.state: ViewState | None = None
        self.sel_anchor: tuple[int, int] | None = None  # sentence span where the selection began
        self.recent: list[str] = []

    # Building -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="coding-body"):
            yield DocumentView(id="doc")
            yield SuggestionPanel(id="suggestions")
        yield Static("", id="status", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        with self.wb.project.read() as conn:
            doc = DocModel.load(conn, self.doc_name)
            tree = CodeTree.load(conn)
        self.state = ViewState(doc, tree)
        self.sub_title = f"coder: {self.wb.coder} · {doc.name} ({doc.kind})"
        self.query_one("#doc", VerticalScroll).mount_all(
            [TurnView(self.state, i) for i in range(len(doc.turns))]
        )
        if self.start_span is not None:
            self.state.selection = Selection(*self.start_span)
            self.sel_anchor = self.start_span
        if self.start_offset is not None and doc.sentences:
            self.state.cursor = doc.sentence_at(self.start_offset)
        self.call_after_refresh(self.after_move, None)

    def reload(self) -> None:
        """The store changed (undo, redo, codebook edits): reread codings and codes."""
        if self.state is None:
            return
        before, old_tree = self.turn_codings(), self.state.tree
        with self.wb.project.read() as conn:
            self.state.doc.reload_codings(conn)
            self.state.tree = CodeTree.load(conn)
        # only the turns whose codings changed are drawn and measured again (a coding costs
        # one turn's repaint, not the whole document's); every turn when the codes did
        everything = old_tree.codes != self.state.tree.codes
        after = self.turn_codings()
        for i, view in enumerate(self.turn_views()):
            if everything or before[i] != after[i]:
                view.refresh(layout=True)
        self.update_status()

    def turn_codings(self) -> list[tuple[CodingRow, ...]]:
        """Each turn's codings (what its view draws), in one pass over the codings."""
        turns = self.doc.turns
        starts = [t.seg.start for t in turns]
        out: list[list[CodingRow]] = [[] for _ in turns]
        for c in self.doc.codings:
            i = max(0, bisect.bisect_right(starts, c.start) - 1)
            while i < len(turns) and turns[i].seg.start < c.end:
                if turns[i].seg.end > c.start:
                    out[i].append(c)
                i += 1
        return [tuple(x) for x in out]

    # Cursor and selection ------------------------------------------------------------------

    @property
    def doc(self) -> DocModel:
        assert self.state is not None
        return self.state.doc

    def turn_views(self) -> list[TurnView]:
        return list(self.query(TurnView))

    def current_turn(self) -> int:
        st = self.state
        return self.doc.sentence_turn[st.cursor] if st is not None and self.doc.sentences else 0

    def set_cursor(self, sentence: int, follow_selection: bool = True) -> None:
        st = self.state
        if st is None or not self.doc.sentences:
            return
        old_turn = self.current_turn()
        st.cursor = max(0, min(len(self.doc.sentences) - 1, sentence))
        if follow_selection and self.sel_anchor is not None:
            s, e = self.doc.sentences[st.cursor]
            old_sel = st.selection
            st.selection = Selection(min(self.sel_anchor[0], s), max(self.sel_anchor[1], e))
            self.refresh_span(old_sel)
        self.after_move(old_turn)

    def after_move(self, old_turn: int | None) -> None:
        views = self.turn_views()
        if not views:
            return
        cur = self.current_turn()
        for i in {cur} if old_turn is None else {old_turn, cur}:
            views[i].refresh()
            views[i].set_class(i == cur, "-current")
        self.refresh_span(self.state.selection if self.state else None)
        self.scroll_to_cursor()
        self.update_status()
        self.update_suggestions()

    def scroll_to_cursor(self) -> None:
        """Bring the cursor's turn into view (after a move, or when the layout changed)."""
        views = self.turn_views()
        if views:
            self.query_one(DocumentView).scroll_to_widget(
                views[self.current_turn()], animate=False, top=False
            )

    def refresh_span(self, sel: Selection | None) -> None:
        if sel is None:
            return
        views = self.turn_views()
        for i, t in enumerate(self.doc.turns):
            if t.seg.start < sel.end and t.seg.end > sel.start:
                views[i].refresh()

    def action_turn(self, step: int) -> None:
        target = max(0, min(len(self.doc.turns) - 1, self.current_turn() + step))
        self.set_cursor(self.doc.first_sentence_of(target))

    def action_go(self, where: int) -> None:
        self.set_cursor(
            self.doc.first_sentence_of(where if where >= 0 else len(self.doc.turns) - 1)
        )

    def action_sentence(self, step: int) -> None:
        if self.state is not None:
            self.set_cursor(self.state.cursor + step)

    def action_select(self) -> None:
        st = self.state
        if st is None or not self.doc.sentences:
            return
        old = st.selection
        if st.selection is not None:
            st.selection, self.sel_anchor = None, None
        else:
            self.sel_anchor = self.doc.sentences[st.cursor]
            st.selection = Selection(*self.sel_anchor)
        self.refresh_span(old)
        self.after_move(None)

    def action_select_turn(self) -> None:
        st = self.state
        if st is None:
            return
        seg = self.doc.turns[self.current_turn()].seg
        old, self.sel_anchor = st.selection, (seg.start, seg.end)
        st.selection = Selection(seg.start, seg.end)
        self.refresh_span(old)
        self.after_move(None)

    def _adjust(
        self,
        fn: Callable[[Selection, list[Span], bool], Selection],
        units: list[Span],
        forward: bool,
    ) -> None:
        st = self.state
        if st is None:
            return
        if st.selection is None:
            self.action_select()
        old = st.selection
        if old is None:
            return
        st.selection = new = fn(old, units, forward)
        self.refresh_span(old)
        self.set_cursor(self.doc.sentence_at(new.end - 1), follow_selection=False)

    def action_extend_word(self, step: int) -> None:
        self._adjust(extend_end, self.doc.words, step > 0)

    def action_extend_sentence(self, step: int) -> None:
        self._adjust(extend_end, self.doc.sentences, step > 0)

    def action_move_start(self, step: int) -> None:
        self._adjust(move_start, self.doc.words, step > 0)

    def target_span(self) -> tuple[int, int] | None:
        st = self.state
        if st is None or not self.doc.sentences:
            return None
        if st.selection is not None:
            return st.selection.as_span()
        return self.doc.sentences[st.cursor]

    def drop_selection(self) -> None:
        if self.state is not None and self.state.selection is not None:
            old, self.state.selection, self.sel_anchor = self.state.selection, None, None
            self.refresh_span(old)

    def action_back(self) -> None:
        if self.state is not None and self.state.selection is not None:
            self.drop_selection()
            self.update_status()
        else:
            self.app.pop_screen()

    @on(TurnView.Clicked)
    @guard
    def _clicked(self, event: TurnView.Clicked) -> None:
        self.set_cursor(self.doc.first_sentence_of(event.index))

    # Coding, uncoding, memos ---------------------------------------------------------------

    def action_code(self) -> None:
        from workbench.tui.screens.picker import CodePicker

        span = self.target_span()
        if span is None or self.state is None:
            return

        def picked(choice: Picked | None) -> None:
            if choice is not None:
                self.apply_code(span, choice)

        title = f"Code {span[1] - span[0]} characters — Enter applies"
        self.app.push_screen(CodePicker(self.state.tree, title, self.recent), picked)

    def apply_code(self, span: tuple[int, int], choice: Picked) -> None:
        from workbench.services.code_edit import add_code

        app = self.wb
        try:
            code_id = choice.code_id
            if code_id is None:
                with app.project.begin() as conn:
                    code_id = add_code(conn, choice.name).id
                app.notify(f"created code '{choice.name}'")
            _row, created = app.undo_stack.code_span(
                self.doc.name, span[0], span[1], code_id, app.coder
            )
        except WorkbenchError as exc:
            show(self, exc)
            return
        self.recent = [code_id, *[c for c in self.recent if c != code_id]][:8]
        self.drop_selection()
        app.refresh_data()
        name = self.state.tree.codes[code_id].name if self.state else code_id
        app.notify(f"coded '{name}'" if created else f"already coded '{name}'")

    def codings_here(self) -> list[CodingRow]:
        span = self.target_span()
        return self.doc.codings_over(*span) if span else []

    def describe(self, c: CodingRow) -> str:
        assert self.state is not None
        tree = self.state.tree
        name = tree.codes[c.code_id].name if c.code_id in tree.codes else c.code_id
        return f"{name} · {c.coder} · {c.start}-{c.end}"

    def choose_coding(self, title: str, then: Callable[[CodingRow], None]) -> None:
        from workbench.tui.screens.modals import ChoiceScreen

        rows = self.codings_here()
        if not rows:
            show(self, NothingSelected("no coding under the cursor"))
        elif len(rows) == 1:
            then(rows[0])
        else:
            by_id = {str(r.id): r for r in rows}
            options = [(str(r.id), self.describe(r)) for r in rows]
            self.app.push_screen(
                ChoiceScreen(title, options), lambda cid: then(by_id[cid]) if cid else None
            )

    def action_uncode(self) -> None:
        def remove(row: CodingRow) -> None:
            try:
                self.wb.undo_stack.uncode(row)
            except WorkbenchError as exc:
                show(self, exc)
                return
            self.wb.refresh_data()
            self.notify(f"removed {self.describe(row)} (u to undo)")

        self.choose_coding("Remove which coding?", remove)

    def action_memo(self) -> None:
        from workbench.tui.screens.modals import MemoScreen

        rows = self.codings_here()
        seg = self.doc.turns[self.current_turn()].seg
        targets = [(f"coding:{r.id}", f"coding {self.describe(r)}") for r in rows]
        targets += [(f"segment:{seg.id}", f"segment ¶{seg.idx}"), ("document", "this document")]
        prefill = rows[0].memo or "" if rows else ""
        self.app.push_screen(MemoScreen(targets, prefill), self.save_memo)

    def save_memo(self, result: tuple[str, str] | None) -> None:
        from workbench.services.coding import add_memo

        if result is None:
            return
        target, text = result
        app = self.wb
        try:
            if target.startswith("coding:"):
                row = next(c for c in self.doc.codings if c.id == int(target.split(":")[1]))
                app.undo_stack.set_memo(row, text.strip() or None)
            else:
                kind, _, tid = target.partition(":")
                with app.project.begin() as conn:
                    add_memo(conn, kind, tid or str(self.doc.doc_id), app.coder, text)
        except WorkbenchError as exc:
            show(self, exc)
            return
        app.refresh_data()
        self.notify(f"memo saved on {target.split(':')[0]}")

    def action_like_this(self) -> None:
        """Search the corpus by meaning for passages like the current turn."""
        from workbench.tui.screens.search import SearchScreen

        if self.state is not None and self.doc.turns:
            self.app.push_screen(
                SearchScreen(like_segment=self.doc.turns[self.current_turn()].seg.id)
            )

    def action_toggle_suggestions(self) -> None:
        panel = self.query_one(SuggestionPanel)
        panel.toggle_class("-shown")
        self.update_suggestions()
        # the text re-wraps to the new width: keep the cursor's turn on screen
        self.call_after_refresh(self.scroll_to_cursor)

    def action_move_suggestion(self, step: int) -> None:
        panel = self.query_one(SuggestionPanel)
        if panel.has_class("-shown"):
            panel.move(step)

    def update_suggestions(self) -> None:
        panel = self.query_one(SuggestionPanel)
        if panel.has_class("-shown") and self.state is not None:
            panel.names = {cid: c.name for cid, c in self.state.tree.codes.items()}
            panel.request(self.doc.turns[self.current_turn()].seg.id)

    def action_suggestion(self, accepted: bool) -> None:
        panel = self.query_one(SuggestionPanel)
        suggestion = panel.highlighted() if panel.has_class("-shown") else None
        if suggestion is None:
            show(self, NothingSelected("no suggestion selected (t shows the panel)"))
            return
        self.wb.decide(suggestion, accepted)
        panel.drop(suggestion)
        self.wb.refresh_data()
        self.notify("accepted" if accepted else "rejected")

    # Status line ---------------------------------------------------------------------------

    def update_status(self) -> None:
        st = self.state
        if st is None or not self.doc.sentences:
            return
        turn = self.current_turn()
        parts = [f"¶{self.doc.turns[turn].seg.idx} ({turn + 1}/{len(self.doc.turns)})"]
        if st.selection is not None:
            s, e = st.selection.as_span()
            words = len(self.doc.text[s:e].split())
            parts.append(f"selection {s}-{e} ({words} words) · c code · esc clear")
        else:
            parts.append("v select · c code this sentence")
        here = self.codings_here()
        if here:
            names: dict[str, int] = {}
            for c in here:
                name = self.describe(c).split(" · ")[0] + (f" {MEMO_MARK}" if c.memo else "")
                names[name] = names.get(name, 0) + 1
            parts.append(
                "here: " + ", ".join(n + (f" ×{k}" if k > 1 else "") for n, k in names.items())
            )
        self.query_one("#status", Static).update(" · ".join(parts))
