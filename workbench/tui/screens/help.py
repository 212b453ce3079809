"""`?`: every key binding of every screen and panel, grouped by where it applies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from workbench.tui.base import workbench_app
from workbench.tui.keymap import keys_for, scopes

COUNT_NOTE = (
    "Coding a passage: select it (v, then w/s/shift+arrows to extend), press c, type 2-3 "
    "letters of the code, Enter — 4 keys after the selection. Without a selection, c codes "
    "the sentence under the cursor. In the picker, up/down choose another match. Every key "
    "can be changed in the config file's [keys] table (`workbench keys` lists the names)."
)


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """(title, bindings) for the app and each screen and panel, in reading order."""
    return [(sc.title, sc.bindings) for sc in scopes()]


def keys_label(binding: Binding, keymap: Mapping[str, str] | None = None) -> str:
    """The keys in force for `binding` (the user's `[keys]` table applied)."""
    return keys_for(binding, keymap or {})


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help-dialog"):
            yield Static(Text("Keys", style="bold"), classes="dialog-title")
            yield Static(Text(COUNT_NOTE), classes="help-note")
            keymap = workbench_app(self).keys.keymap  # the user's [keys] over the defaults
            for title, bindings in binding_groups():
                table = Table.grid(padding=(0, 2))
                table.add_column(min_width=18, style="bold")
                table.add_column()
                for b in bindings:
                    table.add_row(keys_label(b, keymap), b.description or b.action)
                yield Static(Text(title, style="underline"), classes="help-group")
                yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
