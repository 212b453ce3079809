"""Cases: the participants (or sites, or respondents) that documents belong to (CONTRACT §8).

A study has one participants sheet from day one; transcripts arrive over months. The sheet's
rows are kept as the attributes of a case; a document belongs to the case of its own name
unless it was imported with `--case NAME`. A case's attributes are applied to its documents
when the sheet is read and again whenever a document of that case is imported, so the
attributes a document shows never depend on the order things arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, or_, select

from workbench.store import schema as s


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


def list_cases(conn: Connection) -> list[CaseInfo]:
    """Every case with stored attributes, with the documents that belong to it."""
    t = s.case_attributes
    names = [r[0] for r in conn.execute(select(t.c.case_name).distinct().order_by(t.c.case_name))]
    return [
        CaseInfo(n, case_attributes(conn, n), [name for _, name in documents_of_case(conn, n)])
        for n in names
    ]


def waiting_cases(conn: Connection) -> int:
    """How many cases with attributes have no document yet."""
    return sum(1 for c in list_cases(conn) if not c.documents)


def case_count(conn: Connection) -> int:
    t = s.case_attributes
    return int(conn.execute(select(func.count(t.c.case_name.distinct()))).scalar_one())
