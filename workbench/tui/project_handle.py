"""The TUI's project: shown before SQLAlchemy is loaded, opened in full right after.

Importing SQLAlchemy takes 0.15-0.2 s of a start that should be under half a second. So the
app first opens an up-to-date SQLite project with a plain sqlite3 reader (store/lite.py):
the home screen's first page and the codebook panel are read through it (SQL text shared
with the full path, services/home_stats.py). Once the first screen is painted, a thread
opens the project the usual way (`open_project`: the pool every write goes through) and
the change feed (from the state the first screen was read at: a write by another program
in between is reported and shown); a key pressed before that waits for it, never longer
than the open.

`project` is that Project, opened on first use wherever it is asked for; `reading()` is
the read transaction screens use for what they show, from whichever is open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.services.feed_state import FeedState, feed_state
from workbench.store.lite import LiteReader, open_reader

if TYPE_CHECKING:
    from workbench.store.db import Project
    from workbench.store.reader import Reader


class ProjectHandle:
    """The app's one project: a start-up reader, then the full `Project`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._project: Project | None = None
        self._closed = False
        self._lite: LiteReader | None = open_reader(path)
        # What the change feed, started once the project is open, reports changes from.
        self.since: FeedState | None = None
        if self._lite is None:  # a server, a project to migrate: open it now (its errors)
            self.open()
        else:
            with self._lite.read() as con:
                self.since = feed_state(con)

    @property
    def is_open(self) -> bool:
        """Whether the full project is open (False while only the start-up reader is)."""
        return self._project is not None

    def open(self) -> Project:
        """The project, opened now if it is not yet (blocking: SQLAlchemy's import)."""
        with self._lock:
            if self._project is not None:
                return self._project
            if self._closed:
                raise RuntimeError(f"{self.path}: the app's project is closed")
            from workbench.store.db import open_project

            self._project = open_project(self.path)
            return self._project

    def open_fully(self, then: Callable[[Project], None]) -> None:
        """Open the project (in a worker thread), call `then(project)` (start the change
        feed from `since`: what others wrote after the start-up reader's first look is
        reported as if the feed had run from the start) and hand the reader to the project
        (closed with its pool)."""
        with self._lock:
            if self._closed:
                return
            project = self.open()
            lite, self._lite = self._lite, None
            then(project)
            if lite is not None:
                lite.hand_to(project)

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read transaction: on the start-up reader until the project is open (a reader
        handed over meanwhile still reads until the project closes)."""
        lite = self._lite
        if self._project is None and lite is not None:
            with lite.read() as con:
                yield con
            return
        with self.open().read() as conn:
            yield conn

    def close(self) -> None:
        """Close what is open (waits for an open in progress to finish first)."""
        with self._lock:
            self._closed = True
            project, self._project = self._project, None
            lite, self._lite = self._lite, None
        if project is not None and lite is not None:
            lite.hand_to(project)
        if project is not None:
            project.close()
        if lite is not None:
            lite.close()
