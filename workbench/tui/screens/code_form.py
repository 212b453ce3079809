"""The code form: description, when to use, when not to use, examples, aliases, colour."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from workbench.errors import WorkbenchError
from workbench.services.code_edit import check_color
from workbench.services.codes import CodeRow


class CodeFormScreen(ModalScreen[dict[str, object] | None]):
    """Edit one code's fields; ctrl+s saves, Escape cancels. Tab moves between fields."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="code_form.save"),
        Binding("escape", "cancel", "Cancel", id="code_form.cancel"),
    ]

    def __init__(self, code: CodeRow) -> None:
        super().__init__()
        self.code = code

    def compose(self) -> ComposeResult:
        c = self.code
        with VerticalScroll(classes="dialog form-dialog"):
            title = f"Edit '{c.name}' — ctrl+s saves, Esc cancels"
            yield Label(title, classes="dialog-title", markup=False)
            yield Label("Description")
            yield TextArea(c.description or "", id="description", classes="field-short")
            yield Label("Include (when to use)")
            yield TextArea(c.include or "", id="include", classes="field-short")
            yield Label("Exclude (when not to use)")
            yield TextArea(c.exclude or "", id="exclude", classes="field-short")
            yield Label("Examples (one per line)")
            yield TextArea("\n".join(c.examples), id="examples", classes="field-short")
            yield Label("Aliases (comma separated)")
            yield Input(", ".join(c.aliases), id="aliases")
            yield Label("Colour (#RRGGBB)")
            yield Input(c.color or "", id="color", placeholder="#4e79a7")

    def on_mount(self) -> None:
        self.query_one("#description", TextArea).focus()

    def values(self) -> dict[str, object]:
        def area(wid: str) -> str:
            return self.query_one(f"#{wid}", TextArea).text

        return {
            "description": area("description"),
            "include": area("include"),
            "exclude": area("exclude"),
            "examples": [line for line in area("examples").splitlines() if line.strip()],
            "aliases": [a for a in self.query_one("#aliases", Input).value.split(",") if a.strip()],
            "color": self.query_one("#color", Input).value,
        }

    def action_save(self) -> None:
        values = self.values()
        try:
            check_color(str(values["color"]))
        except WorkbenchError as exc:
            self.notify(str(exc), severity="error")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
