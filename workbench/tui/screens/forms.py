"""A small form: a few labelled one-line fields and check boxes; Enter or ctrl+s submits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from workbench.tui.errors import guard

FormValues = dict[str, str | bool]


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    value: bool = False


class FormScreen(ModalScreen[FormValues | None]):
    """Returns {key: text or bool}, or None when cancelled (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Done", id="form.done"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self, title: str, fields: list[Field], checks: list[Check] | None = None, note: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.checks = checks or []
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-small"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.note:
                yield Static(self.note, classes="help-note", markup=False)
            for f in self.fields:
                yield Static(f.label, markup=False)
                yield Input(value=f.value, placeholder=f.placeholder, id=f"field-{f.key}")
            for c in self.checks:
                yield Checkbox(c.label, c.value, id=f"check-{c.key}")

    def values(self) -> FormValues:
        out: FormValues = {}
        for f in self.fields:
            out[f.key] = self.query_one(f"#field-{f.key}", Input).value.strip()
        for c in self.checks:
            out[c.key] = self.query_one(f"#check-{c.key}", Checkbox).value
        return out

    @on(Input.Submitted)
    @guard
    def _submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)
