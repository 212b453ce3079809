"""Cases: the participants (or sites, or respondents) that documents belong to (CONTRACT §8).

A study has one participants sheet from day one; transcripts arrive over months. The sheet's
rows are kept as the attributes of a case; a document belongs to the case of its own name
unless it was imported with `--case NAME`. A case's attributes are applied to its documents
when the sheet is read and again whenever a document of that case is imported, so the
attributes a document shows never depend on the order things arrived in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, or_, select

from workbench.store import schema as s

# Portable upserts (SQLite >= 3.24 and PostgreSQL), sent with the driver's own executemany:
# SQLAlchemy's per-row parameter processing would cost more than SQLite's work.
_UPSERT = (
    'INSERT INTO {table} ({column}, "key", value) VALUES ({p}, {p}, {p}) '
    'ON CONFLICT ({column}, "key") DO UPDATE SET value = excluded.value'
)
_DELETE = 'DELETE FROM {table} WHERE {column} = {p} AND "key" = {p}'
_TARGETS = (("case_attributes", "case_name"), ("document_attributes", "document_id"))


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@dataclass(frozen=True)
class CaseInfo:
    name: str
    attributes: dict[str, str]
    documents: list[str]


def case_of(document_name: str, case_name: str | None) -> str:
    return case_name or document_name


def set_case_attributes(conn: Connection, case: str, attributes: dict[str, str]) -> None:
    """Store (or clear, with an empty value) attributes of a case."""
    t = s.case_attributes
    for key, value in attributes.items():
        conn.execute(delete(t).where((t.c.case_name == case) & (t.c.key == key)))
        if value != "":
            conn.execute(insert(t).values(case_name=case, key=key, value=value))


def case_attributes(conn: Connection, case: str) -> dict[str, str]:
    t = s.case_attributes
    rows = conn.execute(select(t.c.key, t.c.value).where(t.c.case_name == case))
    return {k: v for k, v in rows}


def documents_of_case(conn: Connection, case: str) -> list[tuple[int, str]]:
    """(id, name) of the documents that belong to a case."""
    d = s.documents
    q = select(d.c.id, d.c.name).where(
        or_(d.c.case_name == case, (d.c.case_name.is_(None)) & (d.c.name == case))
    )
    return [(int(i), str(n)) for i, n in conn.execute(q.order_by(d.c.name))]


def case_documents(conn: Connection) -> dict[str, list[tuple[int, str]]]:
    """(id, name) of every document, by the case it belongs to (one query)."""
    d = s.documents
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, name, case in conn.execute(select(d.c.id, d.c.name, d.c.case_name).order_by(d.c.name)):
        out[case or name].append((int(i), str(name)))
    return out


def list_cases(conn: Connection) -> list[CaseInfo]:
    """Every case with stored attributes or with a document of another name (`--case`, a
    REFI Case), with the documents that belong to it (three queries, whatever the number of
    cases)."""
    t = s.case_attributes
    docs = case_documents(conn)
    found: dict[str, CaseInfo] = {}
    rows = conn.execute(select(t.c.case_name, t.c.key, t.c.value).order_by(t.c.case_name))
    for name, key, value in rows:
        info = found.setdefault(name, CaseInfo(name, {}, [n for _, n in docs.get(name, [])]))
        info.attributes[key] = value
    d = s.documents
    named = select(d.c.case_name).where(d.c.case_name.is_not(None)).distinct()
    for (name,) in conn.execute(named):
        if name not in found:
            found[name] = CaseInfo(name, {}, [n for _, n in docs.get(name, [])])
    return [found[name] for name in sorted(found)]


def waiting_cases(conn: Connection) -> int:
    """How many cases with attributes have no document yet."""
    return sum(1 for c in list_cases(conn) if not c.documents)


def write_case_batch(
    conn: Connection,
    batch: Iterable[tuple[str, dict[str, str]]],
    docs_by_case: dict[str, list[tuple[int, str]]],
) -> tuple[int, int, int]:
    """Store a batch of (case, attributes) rows in the order given (a later row for the
    same case and key wins; an empty value removes the attribute) and apply them to the
    case's documents, with one executemany per statement. Returns (rows matching documents,
    documents updated, rows waiting for a document)."""
    case_values: dict[tuple[str, str], str] = {}
    doc_values: dict[tuple[int, str], str] = {}
    matched = applied = waiting = 0
    for case, attrs in batch:
        docs = docs_by_case.get(case, [])
        for key, value in attrs.items():
            case_values[(case, key)] = value
            for doc_id, _ in docs:
                doc_values[(doc_id, key)] = value
        matched += int(bool(docs))
        applied += len(docs)
        waiting += int(not docs)
    p = _placeholder(conn)
    for (table, column), values in zip(_TARGETS, (case_values, doc_values), strict=True):
        put = [(n, k, v) for (n, k), v in values.items() if v != ""]
        gone = [(n, k) for (n, k), v in values.items() if v == ""]
        if gone:
            conn.exec_driver_sql(_DELETE.format(table=table, column=column, p=p), gone)
        if put:
            conn.exec_driver_sql(_UPSERT.format(table=table, column=column, p=p), put)
    return matched, applied, waiting


def case_count(conn: Connection) -> int:
    t = s.case_attributes
    return int(conn.execute(select(func.count(t.c.case_name.distinct()))).scalar_one())
