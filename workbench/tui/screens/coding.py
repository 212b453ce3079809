"""The coding screen: read a document turn by turn, select from the keyboard, code, memo, undo."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.coding import CodingRow
from workbench.tui.errors import guard
from workbench.tui.model import DocModel, Selection, extend_end, move_start
from workbench.tui.widgets.suggest_panel import SuggestionPanel
from workbench.tui.widgets.transcript import TurnView, ViewState


class CodingScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "turn(1)", "Next turn", show=False),
        Binding("k,up", "turn(-1)", "Previous turn", show=False),
        Binding("l,right", "sentence(1)", "Next sentence", show=False),
        Binding("h,left", "sentence(-1)", "Previous sentence", show=False),
        Binding("pagedown", "turn(10)", "10 turns down", show=False),
        Binding("pageup", "turn(-10)", "10 turns up", show=False),
        Binding("home", "go(0)", "First turn", show=False),
        Binding("end", "go(-1)", "Last turn", show=False),
        Binding("v", "select", "Select"),
        Binding("V", "select_turn", "Select turn", key_display="V", show=False),
        Binding("w,shift+right", "extend_word(1)", "Extend by word", show=False),
        Binding("b,shift+left", "extend_word(-1)", "Shrink by word", show=False),
        Binding("s,shift+down", "extend_sentence(1)", "Extend by sentence", show=False),
        Binding("S,shift+up", "extend_sentence(-1)", "Shrink by sentence", show=False),
        Binding("left_square_bracket", "move_start(-1)", "Start a word earlier", show=False),
        Binding("right_square_bracket", "move_start(1)", "Start a word later", show=False),
        Binding("c", "code", "Code"),
        Binding("x", "uncode", "Uncode"),
        Binding("m", "memo", "Memo"),
        Binding("u", "app.undo", "Undo"),
        Binding("ctrl+r", "app.redo", "Redo", show=False),
        Binding("t", "toggle_suggestions", "Suggestions"),
        Binding("y", "suggestion(True)", "Accept suggestion", show=False),
        Binding("n", "suggestion(False)", "Reject suggestion", show=False),
        Binding("R", "app.review", "Review mode", key_display="R", show=False),
        Binding("L", "like_this", "Passages like this", key_display="L", show=False),
        Binding("escape", "back", "Back"),
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
            yield VerticalScroll(id="doc")
            yield SuggestionPanel(id="suggestions")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
            doc = DocModel.load(conn, self.doc_name)
            tree = CodeTree.load(conn)
        self.state = ViewState(doc, tree)
        self.sub_title = f"coder: {self.app.coder} · {doc.name} ({doc.kind})"  # type: ignore[attr-defined]
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
        with self.app.project.read() as conn:  # type: ignore[attr-defined]
            self.state.doc.reload_codings(conn)
            self.state.tree = CodeTree.load(conn)
        for view in self.query(TurnView):
            view.refresh(layout=True)
        self.update_status()

    # Cursor and selection ------------------------------------------------------------------

    @property
    def doc(self) -> DocModel:
        assert self.state is not None
        return self.state.doc

    def turn_views(self) -> list[TurnView]:
        return list(self.query(TurnView))

    def current_turn(self) -> int:
        return self.doc.sentence_turn[self.state.cursor] if self.doc.sentences else 0  # type: ignore[union-attr]

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
        for i in {old_turn, cur} - {None}:
            views[i].refresh()  # type: ignore[index]
            views[i].set_class(i == cur, "-current")  # type: ignore[index]
        self.refresh_span(self.state.selection if self.state else None)
        self.query_one("#doc", VerticalScroll).scroll_to_widget(views[cur], animate=False)
        self.update_status()
        self.update_suggestions()

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
        self.set_cursor(self.state.cursor + step)  # type: ignore[union-attr]

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

    def _adjust(self, fn, units, forward: bool) -> None:  # type: ignore[no-untyped-def]
        st = self.state
        if st is None:
            return
        if st.selection is None:
            self.action_select()
        old = st.selection
        st.selection = fn(st.selection, units, forward)
        self.refresh_span(old)
        self.set_cursor(self.doc.sentence_at(st.selection.end - 1), follow_selection=False)  # type: ignore[union-attr]

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
        from workbench.tui.screens.picker import CodePicker, Picked

        span = self.target_span()
        if span is None or self.state is None:
            return

        def picked(choice: Picked | None) -> None:
            if choice is not None:
                self.apply_code(span, choice)

        title = f"Code {span[1] - span[0]} characters — Enter applies"
        self.app.push_screen(CodePicker(self.state.tree, title, self.recent), picked)

    def apply_code(self, span: tuple[int, int], choice: object) -> None:
        from workbench.services.code_edit import add_code

        app = self.app
        try:
            code_id = choice.code_id  # type: ignore[attr-defined]
            if code_id is None:
                with app.project.begin() as conn:  # type: ignore[attr-defined]
                    code_id = add_code(conn, choice.name).id  # type: ignore[attr-defined]
                app.notify(f"created code '{choice.name}'")  # type: ignore[attr-defined]
            _row, created = app.undo_stack.code_span(  # type: ignore[attr-defined]
                self.doc.name,
                span[0],
                span[1],
                code_id,
                app.coder,  # type: ignore[attr-defined]
            )
        except WorkbenchError as exc:
            app.notify(str(exc), severity="error")
            return
        self.recent = [code_id, *[c for c in self.recent if c != code_id]][:8]
        self.drop_selection()
        app.refresh_data()  # type: ignore[attr-defined]
        name = self.state.tree.codes[code_id].name if self.state else code_id
        app.notify(f"coded '{name}'" if created else f"already coded '{name}'")

    def codings_here(self) -> list[CodingRow]:
        span = self.target_span()
        return self.doc.codings_over(*span) if span else []

    def describe(self, c: CodingRow) -> str:
        tree = self.state.tree  # type: ignore[union-attr]
        name = tree.codes[c.code_id].name if c.code_id in tree.codes else c.code_id
        return f"{name} · {c.coder} · {c.start}-{c.end}"

    def choose_coding(self, title: str, then) -> None:  # type: ignore[no-untyped-def]
        from workbench.tui.screens.modals import ChoiceScreen

        rows = self.codings_here()
        if not rows:
            self.notify("no coding under the cursor", severity="warning")
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
                self.app.undo_stack.uncode(row)  # type: ignore[attr-defined]
            except WorkbenchError as exc:
                self.notify(str(exc), severity="error")
                return
            self.app.refresh_data()  # type: ignore[attr-defined]
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
        app = self.app
        try:
            if target.startswith("coding:"):
                row = next(c for c in self.doc.codings if c.id == int(target.split(":")[1]))
                app.undo_stack.set_memo(row, text.strip() or None)  # type: ignore[attr-defined]
            else:
                kind, _, tid = target.partition(":")
                with app.project.begin() as conn:  # type: ignore[attr-defined]
                    add_memo(conn, kind, tid or str(self.doc.doc_id), app.coder, text)  # type: ignore[attr-defined]
        except WorkbenchError as exc:
            self.notify(str(exc), severity="error")
            return
        app.refresh_data()  # type: ignore[attr-defined]
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

    def update_suggestions(self) -> None:
        panel = self.query_one(SuggestionPanel)
        if panel.has_class("-shown") and self.state is not None:
            names = {cid: c.name for cid, c in self.state.tree.codes.items()}
            panel.request(self.doc.turns[self.current_turn()].seg.id, names)

    def action_suggestion(self, accepted: bool) -> None:
        panel = self.query_one(SuggestionPanel)
        suggestion = panel.highlighted() if panel.has_class("-shown") else None
        if suggestion is None:
            self.notify("no suggestion selected (t shows the panel)", severity="warning")
            return
        self.app.decide(suggestion, accepted)  # type: ignore[attr-defined]
        panel.drop(suggestion)
        self.app.refresh_data()  # type: ignore[attr-defined]
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
            parts.append("here: " + ", ".join(self.describe(c).split(" · ")[0] for c in here))
        self.query_one("#status", Static).update(" · ".join(parts))
