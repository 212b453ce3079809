"""The fuzzy code picker: type a few letters, Enter applies the best match or creates a code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from workbench.services.codes import CodeTree
from workbench.tui.errors import guard
from workbench.tui.text import plain

NEW = "\x00new"
STRONG_MATCH = 85  # below this the typed name is offered as a new code first


@dataclass(frozen=True)
class Picked:
    code_id: str | None  # None: create a new code named `name`
    name: str


def rank_codes(
    tree: CodeTree, query: str, recent: list[str] | None = None, limit: int = 30
) -> list[tuple[str, float]]:
    """(code id, score) best first: name prefix > word prefix > fuzzy name/alias > description."""
    from rapidfuzz import fuzz

    recent = recent or []
    q = query.strip().casefold()
    order = [c.id for c, _ in tree.walk()]
    if not q:
        first = [cid for cid in recent if cid in tree.codes]
        return [(cid, 0.0) for cid in [*first, *(c for c in order if c not in first)]][:limit]
    scored: list[tuple[str, float]] = []
    for pos, cid in enumerate(order):
        code = tree.codes[cid]
        name = code.name.casefold()
        score = fuzz.partial_ratio(q, name)
        if name.startswith(q):
            score += 30
        elif any(w.startswith(q) for w in name.split()):
            score += 20
        for alias in code.aliases:
            a = alias.casefold()
            score = max(score, fuzz.partial_ratio(q, a) + (15 if a.startswith(q) else 0) - 2)
        if code.description and len(q) >= 3:
            score = max(score, fuzz.partial_ratio(q, code.description.casefold()) * 0.7)
        if cid in recent:
            score += 5 - min(4, recent.index(cid))
        if score >= 60:
            scored.append((cid, score - pos * 1e-6))
    scored.sort(key=lambda t: -t[1])
    return scored[:limit]


class CodePicker(ModalScreen[Picked | None]):
    """`c` on the coding screen. Enter applies the highlighted code; Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="picker.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="picker.previous"),
        Binding("enter", "pick", "Apply", priority=True, id="picker.apply"),
        Binding("ctrl+n", "create", "Create code", id="picker.create"),
    ]

    def __init__(
        self, tree: CodeTree, title: str = "Apply code", recent: list[str] | None = None
    ) -> None:
        super().__init__()
        self.codes = tree
        self.title_text = title
        self.recent = recent or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(placeholder="type a few letters of a code, alias or description", id="q")
            yield OptionList(id="matches")

    def on_mount(self) -> None:
        self.refill("")
        self.query_one("#q", Input).focus()

    @on(Input.Changed, "#q")
    @guard
    def _changed(self, event: Input.Changed) -> None:
        self.refill(event.value)

    def refill(self, query: str) -> None:
        ranked = rank_codes(self.codes, query, self.recent)
        options: list[Option] = []
        for cid, _ in ranked:
            code = self.codes.codes[cid]
            label = Text(self.codes.path_str(cid))  # names as written, never markup
            if code.aliases:
                label.append(f"  (aka {', '.join(code.aliases)})", style="dim")
            options.append(Option(label, id=cid))
        name = query.strip()
        exact = any(c.name.casefold() == name.casefold() for c in self.codes.codes.values())
        if name and not exact:
            create = Option(plain(f"+ create code '{name}'  (ctrl+n)"), id=NEW)
            weak = not ranked or ranked[0][1] < STRONG_MATCH
            options.insert(0 if weak else len(options), create)
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        matches.add_options(options)
        if options:
            matches.highlighted = 0

    def action_create(self) -> None:
        if self.query_one("#q", Input).value.strip():
            self.choose(NEW)

    def action_move(self, step: int) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.option_count:
            cur = matches.highlighted or 0
            matches.highlighted = max(0, min(matches.option_count - 1, cur + step))

    @on(OptionList.OptionSelected, "#matches")
    @guard
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(event.option.id)

    def action_pick(self) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.highlighted is None:
            return
        self.choose(matches.get_option_at_index(matches.highlighted).id)

    def choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        if option_id == NEW:
            self.dismiss(Picked(None, self.query_one("#q", Input).value.strip()))
        else:
            self.dismiss(Picked(option_id, self.codes.codes[option_id].name))

    def action_cancel(self) -> None:
        self.dismiss(None)
