"""The footer of every screen. Below 100 columns it is compact, leaves out `^p Commands` (help
and the palette list it) and puts `? Help` and `q Quit` first, so they never fall off the
right edge however many keys the focused panel adds.

Textual's footer rebuilds its keys whenever the screen says its bindings changed (every focus
move, every screen pushed); this one rebuilds only when the keys it shows did change, which
saves several rebuilds at start-up and one per focus move while coding."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW = 100
FIRST_WHEN_NARROW = ("help", "quit")  # app actions kept visible at 80 columns


class WorkbenchFooter(Footer):
    _shown: tuple[Any, ...] | None = None  # what the keys showed when last built

    def on_mount(self) -> None:
        self.fit(self.app.size.width)

    def on_resize(self, event: Resize) -> None:
        self.fit(self.app.size.width)

    def fit(self, width: int) -> None:
        narrow = width < NARROW
        if narrow != self.compact:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.refresh(recompose=True)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._rebuild_if_changed)

    def keys_shown(self) -> tuple[Any, ...]:
        """What the footer would show: the shown bindings, their state, the layout."""
        app = self.app
        keys = tuple(
            (b.key, app.get_key_display(b), b.description, b.action, enabled, tooltip)
            for (_node, b, enabled, tooltip) in self.screen.active_bindings.values()
            if b.show or b.key == app.COMMAND_PALETTE_BINDING
        )
        return (self.compact, self.show_command_palette, keys)

    async def _rebuild_if_changed(self) -> None:
        if self.is_attached and self.keys_shown() != self._shown:
            await self.recompose()

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self.keys_shown()
        items = list(super().compose())  # flat: no binding of ours has a group
        if not self.compact:
            yield from items
            return
        first = [w for w in items if isinstance(w, FooterKey) and w.action in FIRST_WHEN_NARROW]
        yield from first
        yield from (w for w in items if w not in first)
