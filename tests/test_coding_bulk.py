"""Bulk codings (imports) follow the same rules as one coding at a time."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES
from sqlalchemy import select

from workbench.services.coding import add_coding
from workbench.services.coding_bulk import NewCoding, add_codings
from workbench.store import schema as s
from workbench.store.db import open_project

CORE = FIXTURES / "core"


def _rows(proj) -> set[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    c = s.codings
    with proj.read() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                select(c.c.document_id, c.c.start, c.c.end, c.c.code_id, c.c.coder, c.c.memo)
            )
        }


def test_bulk_equals_one_at_a_time(cli, tmp_path: Path) -> None:
    projects = []
    for name in ("one.sqlite", "bulk.sqlite"):
        p = tmp_path / name
        assert cli("import", CORE / "interview_a.txt", "-p", p).code == 0
        assert cli("codebook", "import", CORE / "codebook.yaml", "-p", p).code == 0
        projects.append(open_project(p))
    one, bulk = projects
    with one.read() as conn:
        doc_id = conn.execute(select(s.documents.c.id)).scalar_one()
    items = [
        NewCoding(doc_id, 0, 10, "hidden-work", "a"),
        NewCoding(doc_id, 0, 10, "hidden-work", "a", memo="later memo wins an empty one"),
        NewCoding(doc_id, 0, 10, "hidden-work", "b"),
        NewCoding(doc_id, 5, 20, "hidden-work", "a", memo="m"),
    ]
    with one.begin() as conn:
        add_coding(conn, "interview_a", 5, 20, "hidden-work", "a")  # present, no memo
    with bulk.begin() as conn:
        add_coding(conn, "interview_a", 5, 20, "hidden-work", "a")
    with one.begin() as conn:
        for it in items:
            add_coding(conn, "interview_a", it.start, it.end, it.code_id, it.coder, memo=it.memo)
    with bulk.begin() as conn:
        outcome = add_codings(conn, items)
    assert (outcome.added, outcome.present, outcome.memos_updated) == (2, 2, 1)
    assert _rows(one) == _rows(bulk)
    for p in projects:
        p.close()
