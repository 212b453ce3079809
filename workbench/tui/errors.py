"""Keep exceptions off the screen: wrap callbacks and handlers so errors become notifications.

A small hierarchy gives every notification a title and a severity: a `WorkbenchError` from the
services is "Cannot do that" (error); `NothingSelected` and `NotReady` are warnings about the
screen's state. `show(node, error)` displays any of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from workbench.errors import WorkbenchError

F = TypeVar("F", bound=Callable[..., Any])


class Notice(WorkbenchError):
    """A one-line message for the user, shown as a notification with a title."""

    title = "Cannot do that"
    severity = "error"


class NothingSelected(Notice):
    """The action needs a row, a coding or a suggestion under the cursor."""

    title = "Nothing selected"
    severity = "warning"


class NotReady(Notice):
    """The screen is still loading or computing what the action needs."""

    title = "Not yet"
    severity = "warning"


def show(node: Any, error: Exception, severity: str | None = None) -> None:
    """Notify `error` with its title (WorkbenchError: "Cannot do that")."""
    node.app.notify(
        str(error),
        title=getattr(error, "title", Notice.title),
        severity=severity or getattr(error, "severity", Notice.severity),
        timeout=6,
    )


def guard_callback(app: Any, fn: F) -> F:
    """`fn` with any exception reported through `app.report` instead of raised."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            app.report(exc)
            return None

    return wrapper  # type: ignore[return-value]


def guard(fn: F) -> F:
    """Decorator for widget/screen message handlers (sync): errors become notifications."""

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except Exception as exc:
            self.app.report(exc)
            return None

    return wrapper  # type: ignore[return-value]
