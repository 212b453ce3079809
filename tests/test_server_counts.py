"""On a team server the home screen's counts come from the same trigger-kept tables as on
SQLite (document_counts, code_document_counts), carried to PostgreSQL as SECURITY DEFINER
triggers: a coder's coding updates counts the coder may not write directly."""

from __future__ import annotations

import psycopg
import pytest
from test_server_rules import DOC, Team, setup_in_process

from workbench.services.home_stats import code_counts, document_page
from workbench.store.db import open_project


@pytest.fixture
def team(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    return setup_in_process(Team(tmp_path), monkeypatch)


Counts = tuple[dict[int, int], dict[tuple[str, int], int]]


def read_counts(team: Team, per_doc_sql: str, per_code_sql: str) -> Counts:
    """(codings per document, codings per (code, document)) as the owner reads them."""
    with psycopg.connect(team.owner) as con:
        per_doc = dict(con.execute(per_doc_sql).fetchall())
        per_code = {(code, doc): n for code, doc, n in con.execute(per_code_sql).fetchall()}
    return per_doc, per_code


def live(team: Team) -> Counts:
    return read_counts(
        team,
        "SELECT d.id, count(c.id) FROM documents d "
        "LEFT JOIN codings c ON c.document_id = d.id GROUP BY d.id",
        "SELECT code_id, document_id, count(*) FROM codings GROUP BY 1, 2",
    )


def kept(team: Team) -> Counts:
    return read_counts(
        team,
        "SELECT document_id, codings FROM document_counts",
        "SELECT code_id, document_id, codings FROM code_document_counts",
    )


def test_counts_follow_coders_writes_on_the_server(team: Team) -> None:
    for who, seg, code in (
        ("alice", 2, "Hidden work"),
        ("alice", 3, "Hidden work"),
        ("bob", 3, "Hidden work"),
        ("bob", 4, "COVID-19"),
    ):
        r = team.run(who, "code", DOC, "--segment", seg, "--code", code)
        assert r.returncode == 0, r.stderr
    assert kept(team) == live(team)
    r = team.run("alice", "uncode", DOC, "--segment", "2", "--code", "Hidden work")
    assert r.returncode == 0, r.stderr
    assert kept(team) == live(team)
    per_doc, _ = live(team)
    assert sum(per_doc.values()) == 3
    # a coder cannot write the counts themselves
    with psycopg.connect(team.login("alice")) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("UPDATE document_counts SET codings = 99")
    # what the home screen and the codebook panel read
    proj = open_project(team.login("rita"))
    try:
        with proj.read() as conn:
            page = document_page(conn, offset=0, limit=10)
            assert [(d.name, d.codings) for d in page.rows] == [(DOC, 3)]
            counts = code_counts(conn)
    finally:
        proj.close()
    assert counts.get("hidden-work") == 2 and counts.get("covid") == 1
