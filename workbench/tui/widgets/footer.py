"""The footer of every screen. Below 100 columns it is compact, leaves out `^p Commands` (help
and the palette list it) and puts `? Help` and `q Quit` first, so they never fall off the
right edge however many keys the focused panel adds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW = 100
FIRST_WHEN_NARROW = ("help", "quit")  # app actions kept visible at 80 columns


class WorkbenchFooter(Footer):
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

    def compose(self) -> ComposeResult:
        items = list(super().compose())  # flat: no binding of ours has a group
        if not self.compact:
            yield from items
            return
        first = [w for w in items if isinstance(w, FooterKey) and w.action in FIRST_WHEN_NARROW]
        yield from first
        yield from (w for w in items if w not in first)
