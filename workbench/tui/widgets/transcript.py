"""One speaker turn (or field-note entry, or survey answer) with its codes beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.color import Color
from textual.events import Click
from textual.message import Message
from textual.widget import Widget

from workbench.services.codes import CodeTree
from workbench.tui.model import DocModel, Selection

DEFAULT_CODE_COLOR = "#8c8c8c"
MEMO_MARK = "✎"  # after a code's name: one of its codings here has a memo
NARROW = 100  # below this width the codes go under the turn instead of beside it


@dataclass
class ViewState:
    """What every turn needs to draw itself; owned by the coding screen."""

    doc: DocModel
    tree: CodeTree
    cursor: int = 0  # sentence index into doc.sentences
    selection: Selection | None = None
    flagged: set[int] = field(default_factory=set)  # coding ids to emphasise


def code_color(tree: CodeTree, code_id: str) -> str:
    code = tree.codes.get(code_id)
    return (code.color if code and code.color else None) or DEFAULT_CODE_COLOR


class TurnView(Widget):
    """Draws turn `index` of the document from the shared ViewState."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "turn--speaker",
        "turn--time",
        "turn--cursor",
        "turn--selection",
        "turn--index",
    }

    class Clicked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, state: ViewState, index: int) -> None:
        super().__init__(classes="turn")
        self.state = state
        self.index = index

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self.index))

    def header(self) -> Text:
        seg = self.state.doc.turns[self.index].seg
        head = Text()
        head.append(seg.speaker or seg.level, self.get_component_rich_style("turn--speaker"))
        if seg.timestamp:
            head.append(f"  {seg.timestamp}", self.get_component_rich_style("turn--time"))
        head.append(f"  ¶{seg.idx}", self.get_component_rich_style("turn--index"))
        return head

    def body(self) -> Text:
        st = self.state
        seg = st.doc.turns[self.index].seg
        base = seg.start
        text = Text(st.doc.text[seg.start : seg.end])
        bg = self.background_colors[1]
        for c in st.doc.codings_over(seg.start, seg.end):
            tint = bg.blend(Color.parse(code_color(st.tree, c.code_id)), 0.45)
            style = Style(bgcolor=tint.rich_color, underline=c.id in st.flagged)
            text.stylize(style, max(c.start, seg.start) - base, min(c.end, seg.end) - base)
        if st.doc.sentences and st.doc.sentence_turn[st.cursor] == self.index:
            s, e = st.doc.sentences[st.cursor]
            # partial: only the cursor's own attributes (bold, underline), so the code's tint
            # (a background colour) stays visible under the cursor
            cursor = self.get_component_rich_style("turn--cursor", partial=True)
            text.stylize(cursor, s - base, e - base)
        if st.selection is not None:
            s, e = max(st.selection.start, seg.start), min(st.selection.end, seg.end)
            if e > s:
                selection = self.get_component_rich_style("turn--selection", partial=True)
                text.stylize(selection, s - base, e - base)
        return text

    def codes(self) -> Text:
        st = self.state
        seg = st.doc.turns[self.index].seg
        counts: dict[str, int] = {}
        memos: set[str] = set()
        for c in st.doc.codings_over(seg.start, seg.end):
            counts[c.code_id] = counts.get(c.code_id, 0) + 1
            if c.memo:
                memos.add(c.code_id)
        out = Text()
        for cid, n in counts.items():
            if out:
                out.append("\n")
            out.append("■ ", style=code_color(st.tree, cid))
            name = st.tree.codes[cid].name if cid in st.tree.codes else cid
            out.append(name + (f" ×{n}" if n > 1 else ""))
            if cid in memos:
                out.append(f" {MEMO_MARK}", style="bold")
        return out

    def render(self) -> RenderableType:
        codes = self.codes()
        if self.app.size.width < NARROW:
            parts: list[RenderableType] = [self.header(), self.body()]
            if codes:
                parts.append(Text("  ").join(codes.split("\n")))
            return Group(*parts)
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(width=max(20, min(34, self.size.width // 4)))
        grid.add_row(Group(self.header(), self.body()), codes)
        return grid
