"""`?`: every key binding of every screen and panel, grouped by where it applies."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

COUNT_NOTE = (
    "Coding a passage: select it (v, then w/s/shift+arrows to extend), press c, type 2-3 "
    "letters of the code, Enter — 4 keys after the selection. Without a selection, c codes "
    "the sentence under the cursor. In the picker, up/down choose another match."
)


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """(title, bindings) for the app and each screen and panel, in reading order."""
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.screens.code_form import CodeFormScreen
    from workbench.tui.screens.coding import CodingScreen
    from workbench.tui.screens.disagreements import DisagreementScreen
    from workbench.tui.screens.forms import FormScreen
    from workbench.tui.screens.home import HomeScreen
    from workbench.tui.screens.merge import MergeScreen
    from workbench.tui.screens.modals import ConfirmScreen, MemoScreen
    from workbench.tui.screens.picker import CodePicker
    from workbench.tui.screens.retrieval import RetrievalScreen
    from workbench.tui.screens.review import ReviewScreen
    from workbench.tui.screens.search import SearchScreen
    from workbench.tui.widgets.codebook import CodeTreeView

    groups = [
        ("Everywhere", WorkbenchApp),
        ("Home (documents)", HomeScreen),
        ("Codebook panel (b on home)", CodeTreeView),
        ("Coding screen", CodingScreen),
        ("Code picker (c)", CodePicker),
        ("Memo (m)", MemoScreen),
        ("Code form (e in the codebook)", CodeFormScreen),
        ("Confirm", ConfirmScreen),
        ("Retrieval", RetrievalScreen),
        ("Search", SearchScreen),
        ("Review suggestions (F4, or R on the coding screen)", ReviewScreen),
        ("Merge codebooks (F5, or M on home)", MergeScreen),
        ("Coder disagreements (F6, or D on home)", DisagreementScreen),
        ("Forms (merge set-up, write merged codebook)", FormScreen),
    ]
    out = []
    for title, cls in groups:
        out.append((title, [b for b in cls.BINDINGS if isinstance(b, Binding)]))
    return out


def keys_label(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return ", ".join(k.replace("_", " ") for k in binding.key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help-dialog"):
            yield Static(Text("Keys", style="bold"), classes="dialog-title")
            yield Static(COUNT_NOTE, classes="help-note")
            for title, bindings in binding_groups():
                table = Table.grid(padding=(0, 2))
                table.add_column(min_width=18, style="bold")
                table.add_column()
                for b in bindings:
                    table.add_row(keys_label(b), b.description or b.action)
                yield Static(Text(title, style="underline"), classes="help-group")
                yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
