"""Live updates from a server project: what colleagues change, as it happens.

The server's triggers (postgres_ddl.workbench_notify) send one NOTIFY per changed row of
codings, memos, codes and documents on the channel `workbench_changes`; a `ChangeFeed`
LISTENs on its own connection in a background thread, turns each notification into a
`Change` with names ("alice coded 'Hidden work' in S01") and hands it to a callback and to
a queue. A lost connection is reported as a `Change` of kind "disconnected", retried every
second, and followed by one of kind "reconnected" (refresh everything then: what happened
meanwhile was not heard).

    feed = ChangeFeed(project, on_change=callback)   # callback runs in the feed's thread
    feed.start(); ...; feed.stop()
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from workbench.errors import WorkbenchError
from workbench.services.feed_state import FeedState, feed_state
from workbench.store import schema as s
from workbench.store.db import Project
from workbench.store.postgres_ddl import CHANNEL


@dataclass(frozen=True)
class Change:
    kind: str  # coded | uncoded | memo | codebook | documents | disconnected | reconnected
    table: str = ""
    op: str = ""
    by: str = ""  # the login that made the change
    coder: str = ""
    document: str = ""
    code: str = ""
    coding_id: int | None = None
    start: int | None = None
    end: int | None = None
    mine: bool = False  # made by this feed's own login
    count: int = 1  # a project file's poll: how many codings one coder added meanwhile

    def describe(self) -> str:
        who = self.by or "someone"
        if self.kind == "coded" and self.count > 1:
            where = f" in {self.document}" if self.document else ""
            return f"{who} added {self.count} codings{where}"
        if self.kind == "coded":
            return f"{who} coded '{self.code}' in {self.document}"
        if self.kind == "uncoded":
            return f"{who} removed '{self.code}' in {self.document}"
        if self.kind == "recoded":
            return f"{who} changed a coding of '{self.code}' in {self.document}"
        if self.kind == "memo":
            return f"{who} wrote a memo" if self.op != "DELETE" else f"{who} removed a memo"
        if self.kind == "codebook":
            return f"{who} changed the codebook"
        if self.kind == "documents":
            return f"{who} changed the documents"
        if self.kind == "disconnected":
            return "lost the connection to the server; reconnecting"
        return "reconnected to the server (refresh: changes meanwhile were not heard)"


_KINDS = {"codes": "codebook", "documents": "documents", "memos": "memo"}
_CODING_KINDS = {"INSERT": "coded", "DELETE": "uncoded", "UPDATE": "recoded"}


class ChangeFeed:
    """LISTEN for a server project's changes in a background thread (see the module doc)."""

    def __init__(self, project: Project, on_change: Callable[[Change], None] | None = None) -> None:
        if not project.is_server:
            raise WorkbenchError(f"{project.label}: live updates need a server project")
        self.project = project
        self.on_change = on_change
        self.changes: queue.Queue[Change] = queue.Queue()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._names: dict[tuple[str, Any], str] = {}
        url = project.engine.url.set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self.login = str(project.engine.url.username or "")

    def start(self, timeout: float = 10.0) -> ChangeFeed:
        """Start listening; returns once the LISTEN is in place (or after `timeout`)."""
        self._thread = threading.Thread(target=self._run, name="workbench-live", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> ChangeFeed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def events(self, timeout: float | None = None) -> Iterator[Change]:
        """Changes as they come; stops after `timeout` seconds without one."""
        while True:
            try:
                yield self.changes.get(timeout=timeout)
            except queue.Empty:
                return

    def _emit(self, change: Change) -> None:
        self.changes.put(change)
        if self.on_change is not None:
            self.on_change(change)

    def _run(self) -> None:
        import psycopg

        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as con:
                    con.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    if lost:
                        self._names.clear()
                        self._emit(Change(kind="reconnected"))
                        lost = False
                    while not self._stop.is_set():
                        for note in con.notifies(timeout=0.5, stop_after=100):
                            self._emit(self._change(note.payload))
            except psycopg.OperationalError:
                if not lost:
                    lost = True
                    self._emit(Change(kind="disconnected"))
                self._stop.wait(1.0)

    def _name(self, table: str, key: Any) -> str:
        if key is None:
            return ""
        if (table, key) not in self._names:
            t = s.metadata.tables[table]
            try:
                with self.project.read() as conn:
                    row = conn.execute(select(t.c.name).where(t.c.id == key)).first()
            except Exception:  # a name is a nicety: the change is reported without it
                row = None
            self._names[(table, key)] = str(row[0]) if row else str(key)
        return self._names[(table, key)]

    def _change(self, payload: str) -> Change:
        data = json.loads(payload)
        table, op = str(data.get("table", "")), str(data.get("op", ""))
        if table == "codes" and op != "INSERT":
            self._names.pop(("codes", data.get("id")), None)
        kind = _CODING_KINDS.get(op, "coded") if table == "codings" else _KINDS.get(table, table)
        by = str(data.get("by") or "")
        return Change(
            kind=kind,
            table=table,
            op=op,
            by=by,
            coder=str(data.get("coder") or ""),
            document=self._name("documents", data.get("document_id")),
            code=self._name("codes", data.get("code_id")),
            coding_id=data.get("id") if table == "codings" else None,
            start=data.get("start"),
            end=data.get("end"),
            mine=bool(by) and by == self.login,
        )


class FileFeed:
    """The same kind of feed for a project file, by polling once a second: codings added by
    other coders (another terminal's `workbench import codings.csv`, a colleague's TUI on a
    shared drive), and changes to the codebook or the documents. Each poll is one short read
    (WAL: it never blocks a writer). What this process wrote itself (its write transactions
    are counted in `Project.own_writes`) is never reported, whatever the coder name (a
    settled disagreement writes codings as `consensus`). Removals by others are not reported
    (a file keeps no record of who removed what); the screen catches up on its next refresh."""

    INTERVAL = 1.0

    def __init__(
        self,
        project: Project,
        on_change: Callable[[Change], None],
        me: str | None,
        since: FeedState | None = None,
    ) -> None:
        """`since`: the state to report changes from (what a screen was read at), else now."""
        self.project = project
        self.on_change = on_change
        self.me = me
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._epoch = project.own_writes
        self._catch_up = since is not None
        self._last_id, self._shape = self._split(since or self._read_state())

    @staticmethod
    def _split(state: FeedState) -> tuple[int, tuple[int, int, int]]:
        return state.last_coding, (state.codes, state.documents, state.last_memo)

    def _read_state(self) -> FeedState:
        with self.project.read() as conn:
            return feed_state(conn)

    def start(self) -> FileFeed:
        self._thread = threading.Thread(target=self._run, name="workbench-poll", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        if self._catch_up:  # what others wrote between `since` and the start, at once
            try:
                self.poll()
            except Exception:
                pass
        while not self._stop.wait(self.INTERVAL):
            try:
                self.poll()
            except Exception:  # a busy or vanished file: try again next second
                continue

    def poll(self) -> list[Change]:
        """One look at the file: the changes since the last one (also handed to the callback)."""
        c, k, d = s.codings, s.codes, s.documents
        last_id, shape = self._split(self._read_state())
        epoch = self.project.own_writes
        if epoch != self._epoch:  # this process wrote meanwhile: what changed is (also) ours
            self._epoch, self._last_id, self._shape = epoch, last_id, shape
            return []
        out: list[Change] = []
        if last_id > self._last_id:
            with self.project.read() as conn:
                rows = conn.execute(
                    select(c.c.coder, k.c.name, d.c.name, func.count())
                    .join(k, k.c.id == c.c.code_id)
                    .join(d, d.c.id == c.c.document_id)
                    .where(c.c.id > self._last_id)
                    .group_by(c.c.coder, k.c.name, d.c.name)
                ).all()
            by_coder: dict[str, list[tuple[str, str, int]]] = {}
            for coder, code, doc, n in rows:
                by_coder.setdefault(str(coder), []).append((str(code), str(doc), int(n)))
            for coder, items in sorted(by_coder.items()):
                total = sum(n for *_, n in items)
                docs = {doc for _, doc, _ in items}
                code, doc, _ = items[0]
                out.append(
                    Change(
                        kind="coded",
                        table="codings",
                        op="INSERT",
                        by=coder,
                        coder=coder,
                        document=doc if len(docs) == 1 else "",
                        code=code if total == 1 else "",
                        mine=coder == self.me,
                        count=total,
                    )
                )
        if shape != self._shape:
            kind = "codebook" if shape[0] != self._shape[0] else "documents"
            if shape[:2] == self._shape[:2]:
                kind = "memo"
            out.append(Change(kind=kind, by="another program"))
        self._last_id, self._shape = last_id, shape
        for change in out:
            self.on_change(change)
        return out


def subscribe(
    project: Project,
    on_change: Callable[[Change], None],
    me: str | None = None,
    since: FeedState | None = None,
) -> ChangeFeed | FileFeed:
    """Start the feed of what others change: LISTEN/NOTIFY on a server project, a poll once
    a second on a project file. What a TUI calls on mount, with a callback that hands each
    change to its event loop (`App.call_from_thread`); `stop()` on unmount. `me` is the
    coder whose own codings are `mine` on a project file (on a server: the login). `since`
    (a project file): report what changed after that state, not only after now."""
    if not project.is_server:
        return FileFeed(project, on_change, me, since).start()
    return ChangeFeed(project, on_change=on_change).start()
