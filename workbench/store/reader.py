"""Reads written as SQL text, run on a SQLAlchemy connection or on a plain sqlite3 one.

The queries the first screen and `export excerpts` need are plain SQL that SQLite and
PostgreSQL both understand, so one definition serves both paths:

- a SQLAlchemy `Connection` (every project, SQLite or server): the text goes through
  `sqlalchemy.text()` with the list parameters bound as expanding parameters;
- a `sqlite3.Connection` from `store.lite` (a SQLite project that is up to date, opened
  without importing SQLAlchemy: its import is 0.15-0.2 s of a 0.5 s start on a laptop).

Parameters are named, `:name`; a list or tuple value is an IN list, written `IN :ids` (no
parentheses: they are added). Rows come back as plain tuples.

    rows = fetch(conn, "SELECT id, name FROM documents WHERE id IN :ids", {"ids": [1, 2]})
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from sqlalchemy import Connection, TextClause

Reader: TypeAlias = "Connection | sqlite3.Connection"
Params = Mapping[str, Any]


def _lists(params: Params) -> tuple[str, ...]:
    return tuple(sorted(k for k, v in params.items() if isinstance(v, list | tuple)))


@lru_cache(maxsize=256)
def _clause(sql: str, expanding: tuple[str, ...]) -> TextClause:
    from sqlalchemy import bindparam, text

    clause = text(sql)
    if expanding:
        clause = clause.bindparams(*(bindparam(k, expanding=True) for k in expanding))
    return clause


def _sqlite_args(sql: str, params: Params) -> tuple[str, dict[str, Any]]:
    """`IN :ids` spelled out as `IN (:ids_0, :ids_1, ...)` for the sqlite3 module (an
    empty list is `IN ()`, which SQLite accepts and matches nothing)."""
    args = {k: v for k, v in params.items() if not isinstance(v, list | tuple)}
    for key in _lists(params):
        values = params[key]
        names = [f"{key}__{i}" for i in range(len(values))]
        args.update(zip(names, values, strict=True))
        spelled = "(" + ", ".join(f":{n}" for n in names) + ")"
        sql = re.sub(rf":{key}\b", spelled, sql)
    return sql, args


def fetch(conn: Reader, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
    """Every row of one SELECT, as tuples."""
    params = params or {}
    if isinstance(conn, sqlite3.Connection):
        text_sql, args = _sqlite_args(sql, params)
        return conn.execute(text_sql, args).fetchall()
    return [tuple(r) for r in conn.execute(_clause(sql, _lists(params)), dict(params))]


def scalar(conn: Reader, sql: str, params: Params | None = None) -> Any:
    """The first column of the first row (None when there is no row)."""
    rows = fetch(conn, sql, params)
    return rows[0][0] if rows else None


def chunks(values: Sequence[Any], size: int = 500) -> list[list[Any]]:
    """`values` in lists of at most `size` (IN lists stay under SQLite's variable limit)."""
    return [list(values[i : i + size]) for i in range(0, len(values), size)]
