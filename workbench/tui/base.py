"""A typed way for screens and widgets to reach the Workbench app (project, coder, undo...).

`self.app` is typed as a plain `App` by Textual; `self.wb` is the same object typed as
`WorkbenchApp`, so screens use the app's attributes without `type: ignore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp


def workbench_app(node: DOMNode) -> WorkbenchApp:
    """The running WorkbenchApp of a screen or widget."""
    from workbench.tui.app import WorkbenchApp

    app = node.app
    if not isinstance(app, WorkbenchApp):
        raise TypeError(f"{type(node).__name__} runs outside a WorkbenchApp")
    return app


class UsesWorkbench:
    """Mixin for screens and widgets: `self.wb` is the running WorkbenchApp."""

    @property
    def wb(self) -> WorkbenchApp:
        return workbench_app(cast(DOMNode, self))

    # A screen under the one in view is not reloaded at every change of the store (on a big
    # project the home screen's reload alone takes seconds); it is marked stale and reloads
    # when it comes back into view. See WorkbenchApp.refresh_data.
    stale: bool = False

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            reload = getattr(self, "reload", None)
            if callable(reload):
                reload()
