"""Keep exceptions off the screen: wrap callbacks and handlers so errors become notifications."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


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
