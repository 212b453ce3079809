"""The everyday queries stay index look-ups (issue 15): EXPLAIN QUERY PLAN of every statement
the services really send, captured from the engine while they run on the sample study. A
regression to a scan of codings, segments or attributes (or a bare scan of documents, which
reads every text) fails here long before a researcher with a million segments notices."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event

from workbench.services.coding import list_codings
from workbench.services.excerpts import excerpts
from workbench.services.home_stats import (
    code_counts,
    code_document_matrix,
    document_counts,
    document_page,
    excerpt_count,
    excerpt_page,
    totals,
)
from workbench.store.db import Project, open_project
from workbench.suggest.corpus import sample_passages

# Tables that grow with the corpus: never scanned, not even through an index.
NEVER_SCANNED = (
    "codings",
    "segments",
    "segment_attributes",
    "document_attributes",
    "segment_fts",
)
SCAN = re.compile(r"\bSCAN (\w+)( USING (COVERING )?INDEX \w+)?")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    from workbench.services.demo import build_demo

    folder = tmp_path_factory.mktemp("plans")
    result = build_demo(folder)
    proj = open_project(result.project)
    yield proj
    proj.close()


def captured(project: Project, call: Callable[..., object]) -> list[tuple[str, tuple]]:
    """The SELECT statements (with their parameters) that `call(conn)` sends."""
    seen: list[tuple[str, tuple]] = []

    def listen(_conn, _cursor, statement, params, _context, many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not many:
            seen.append((statement, tuple(params or ())))

    event.listen(project.engine, "before_cursor_execute", listen)
    try:
        with project.read() as conn:
            call(conn)
    finally:
        event.remove(project.engine, "before_cursor_execute", listen)
    assert seen, "the call sent no query"
    return seen


def scans(project: Project, statements: list[tuple[str, tuple]]) -> list[str]:
    """Every forbidden scan in the plans of these statements."""
    con = sqlite3.connect(project.path)
    bad: list[str] = []
    try:
        for sql, params in statements:
            for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", params):
                detail = str(row[-1])
                for m in SCAN.finditer(detail):
                    table, via_index = m.group(1), m.group(2)
                    if table in NEVER_SCANNED or (table == "documents" and not via_index):
                        bad.append(f"{detail}  <-  {' '.join(sql.split())[:160]}")
    finally:
        con.close()
    return bad


def ids(project: Project) -> dict[str, object]:
    con = sqlite3.connect(project.path)
    try:
        parent = con.execute(
            "SELECT p.id FROM codes p WHERE EXISTS (SELECT 1 FROM codes c WHERE c.parent_id = p.id)"
            " ORDER BY p.id LIMIT 1"
        ).fetchone()[0]
        doc, coder = con.execute(
            "SELECT document_id, coder FROM codings ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return {"parent": parent, "doc": doc, "coder": coder}


EVERYDAY: dict[str, Callable[[dict[str, object]], Callable[..., object]]] = {
    "excerpts of a code with descendants": lambda k: (
        lambda conn: excerpts(conn, codes=[str(k["parent"])])
    ),
    "excerpts by attribute": lambda k: (
        lambda conn: excerpts(conn, codes=[str(k["parent"])], where=[("role", "patient")])
    ),
    "excerpts by kind": lambda k: lambda conn: excerpts(conn, where=[("kind", "interview")]),
    "excerpts by coder": lambda k: lambda conn: excerpts(conn, coder=str(k["coder"])),
    "a document's codings": lambda k: (
        lambda conn: list_codings(conn, document_id=int(k["doc"]))  # type: ignore[call-overload]
    ),
    "counts per code in a document": lambda k: (
        lambda conn: code_counts(conn, document_id=int(k["doc"]))  # type: ignore[call-overload]
    ),
    "counts per code per document": lambda k: (
        lambda conn: code_document_matrix(conn, [str(k["parent"])])
    ),
    "a document's counts": lambda k: (
        lambda conn: document_counts(conn, int(k["doc"]))  # type: ignore[call-overload]
    ),
    "project totals": lambda k: totals,
    "home page by name": lambda k: lambda conn: document_page(conn, limit=20),
    "home page by segments": lambda k: (
        lambda conn: document_page(conn, offset=5, limit=10, sort="segments", descending=True)
    ),
    "home page by codings, filtered": lambda k: (
        lambda conn: document_page(conn, sort="codings", where=[("role", "staff")], words="s0")
    ),
    "retrieval page": lambda k: (
        lambda conn: excerpt_page(conn, [str(k["parent"])], offset=2, limit=5)
    ),
    "retrieval count": lambda k: lambda conn: excerpt_count(conn, [str(k["parent"])]),
    "passages for the priors": lambda k: lambda conn: sample_passages(conn, 200),
    "uncoded passages for self-training": lambda k: (
        lambda conn: sample_passages(conn, 200, uncoded=True)
    ),
}


@pytest.mark.parametrize("name", list(EVERYDAY))
def test_everyday_query_uses_indexes(sample: Project, name: str) -> None:
    statements = captured(sample, EVERYDAY[name](ids(sample)))
    assert scans(sample, statements) == []


def test_the_check_catches_a_scan(sample: Project) -> None:
    """The detector itself: a query with no usable index is reported."""
    bad = scans(sample, [("SELECT * FROM codings WHERE memo = ?", ("x",))])
    assert len(bad) == 1 and "SCAN codings" in bad[0]
    assert scans(sample, [("SELECT name FROM documents WHERE kind = ?", ("survey",))]) == []


def test_page_matches_the_full_listing(sample: Project) -> None:
    """The paged services give the same numbers as counting every row."""
    from workbench.services.documents import list_documents
    from workbench.services.home_stats import verify_counts

    with sample.read() as conn:
        full = {d.name: (d.segments, d.codings) for d in list_documents(conn)}
        page = document_page(conn, limit=1000, sort="segments", descending=True)
        assert verify_counts(conn) == []
        parent = str(ids(sample)["parent"])
        total, rows = excerpt_page(conn, [parent], offset=0, limit=1000)
        every = excerpts(conn, codes=[parent])
    assert page.total == len(full) == len(page.rows)
    assert {r.name: (r.segments, r.codings) for r in page.rows} == full
    assert [r.segments for r in page.rows] == sorted(full[n][0] for n in full)[::-1]
    assert total == len(every) == len(rows) > 0
    assert sorted(r.coding_id for r in rows) == sorted(e.coding_id for e in every)


def test_uncoded_sample_holds_no_coded_unit(sample: Project) -> None:
    """Self-training learns only from units no coding overlaps."""
    con = sqlite3.connect(sample.path)
    try:
        coded = {
            text
            for (text,) in con.execute(
                'SELECT substr(d.text, sg.start + 1, sg."end" - sg.start) FROM segments sg '
                "JOIN documents d ON d.id = sg.document_id WHERE sg.parent_id IS NULL AND "
                "EXISTS (SELECT 1 FROM codings c WHERE c.document_id = sg.document_id "
                'AND c.start < sg."end" AND c."end" > sg.start)'
            )
        }
    finally:
        con.close()
    with sample.read() as conn:
        every = sample_passages(conn, 5000)
        uncoded = sample_passages(conn, 5000, uncoded=True)
    clean = {" ".join(t.split()) for t in coded}
    assert uncoded and len(uncoded) < len(every)
    assert not {" ".join(t.split()) for t in uncoded} & clean
    assert any(" ".join(t.split()) in clean for t in every)
