"""What a project file's change feed compares from one look to the next (services/live.py).

`FeedState(last_coding, codes, documents, last_memo)`: the newest coding id, how many codes
and documents, the newest memo id. SQL text (store.reader), so the TUI can take it from its
start-up reader, before SQLAlchemy is loaded, and the feed started later reports what others
wrote since that moment.
"""

from __future__ import annotations

from typing import NamedTuple

from workbench.store.reader import Reader, fetch


class FeedState(NamedTuple):
    last_coding: int
    codes: int
    documents: int
    last_memo: int


def feed_state(conn: Reader) -> FeedState:
    row = fetch(
        conn,
        "SELECT (SELECT coalesce(max(id), 0) FROM codings), (SELECT count(*) FROM codes), "
        "(SELECT count(*) FROM documents), (SELECT coalesce(max(id), 0) FROM memos)",
    )[0]
    return FeedState(*(int(v) for v in row))
