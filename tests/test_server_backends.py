"""The same store, services and CLI behaviour on both backends: a project file (SQLite) and
a server project (PostgreSQL, a throwaway cluster started by the tests)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pgcluster import SUPERPASS, shared_cluster
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from workbench.store import schema as s
from workbench.store.db import open_project

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts_sample"
CODEBOOK = REPO / "codebooks" / "difacto.yaml"
DOCS = [SAMPLE / "S01_receptionist.txt", SAMPLE / "FN01_brookfield_reception.md"]


@pytest.fixture(params=["sqlite", "postgresql"])
def proj(request: pytest.FixtureRequest, tmp_path: Path, cli) -> str:  # type: ignore[no-untyped-def]
    """An empty project on either backend, as --project takes it."""
    if request.param == "sqlite":
        where = str(tmp_path / "study.sqlite")
        assert cli("init", "--project", where).code == 0
    else:
        cluster = shared_cluster()
        where = cluster.url(db=cluster.new_database())
        r = cli("server", "init", where)
        assert r.code == 0, r.err
    return where


@pytest.fixture
def study(proj: str, cli) -> str:  # type: ignore[no-untyped-def]
    r = cli("import", *DOCS, "--project", proj)
    assert r.code == 0, r.err
    assert cli("codebook", "import", CODEBOOK, "--project", proj).code == 0
    return proj


def _code(cli, proj: str, seg: int, code: str, coder: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("code", "S01_receptionist", "--segment", seg, "--code", code, "--coder", coder,
            "--project", proj)  # fmt: skip
    assert r.code == 0, r.err


def test_import_and_documents(study: str, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("documents", "--format", "json", "--project", study)
    assert r.code == 0, r.err
    docs = {d["name"]: d for d in json.loads(r.out)}
    assert set(docs) == {"S01_receptionist", "FN01_brookfield_reception"}
    assert docs["S01_receptionist"]["segments"] == 341
    assert docs["FN01_brookfield_reception"]["kind"] == "field-notes"


def test_segment_ids_and_parents(study: str) -> None:
    """Ids assigned by the import (next_id) are unique and every parent is in its document."""
    proj = open_project(study)
    try:
        with proj.read() as conn:
            rows = conn.execute(select(s.segments.c.id, s.segments.c.document_id,
                                       s.segments.c.parent_id)).all()  # fmt: skip
    finally:
        proj.close()
    by_id = {r.id: r for r in rows}
    assert len(by_id) == len(rows) == 341 + 85
    for r in rows:
        if r.parent_id is not None:
            assert by_id[r.parent_id].document_id == r.document_id


def test_code_uncode_and_excerpts(study: str, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _code(cli, study, 1, "Hidden work", "alice")
    _code(cli, study, 3, "Hidden work", "bob")
    again = cli("code", "S01_receptionist", "--segment", 1, "--code", "Hidden work",
                "--coder", "alice", "--project", study)  # fmt: skip
    assert "already coded" in again.out
    r = cli("uncode", "S01_receptionist", "--segment", 3, "--code", "Hidden work",
            "--coder", "bob", "--project", study)  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "ex.csv"
    assert cli("export", "excerpts", "-o", out, "--project", study).code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["document"], r["start"], r["end"], r["code"], r["coder"]) for r in rows] == [
        ("S01_receptionist", "13", "40", "Hidden work", "alice")
    ]


def test_ids_never_reused(study: str, cli) -> None:  # type: ignore[no-untyped-def]
    proj = open_project(study)

    def ids() -> list[int]:
        with proj.read() as conn:
            return [r[0] for r in conn.execute(select(s.codings.c.id).order_by(s.codings.c.id))]

    try:
        _code(cli, study, 1, "Hidden work", "alice")
        _code(cli, study, 2, "Hidden work", "alice")
        first = ids()
        cli("uncode", "S01_receptionist", "--segment", 2, "--code", "Hidden work",
            "--coder", "alice", "--project", study)  # fmt: skip
        _code(cli, study, 4, "Hidden work", "alice")
        after = ids()
    finally:
        proj.close()
    assert len(first) == 2 and len(after) == 2
    assert after[-1] > first[-1]


def test_search(study: str, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("search", "appointment", "--format", "json", "--project", study)
    assert r.code == 0, r.err
    hits = json.loads(r.out)
    assert hits and all("appointment" in h["text"].lower() for h in hits)
    phrase = cli("search", '"red light"', "--format", "json", "--project", study)
    assert [h["segment"] for h in json.loads(phrase.out)] == [0]


def test_agreement_same_on_both(study: str, cli) -> None:  # type: ignore[no-untyped-def]
    for seg in (1, 3, 5):
        _code(cli, study, seg, "Hidden work", "alice")
    for seg in (1, 3, 7):
        _code(cli, study, seg, "Hidden work", "bob")
    r = cli("agreement", "--coder", "alice", "--coder", "bob", "--format", "json",
            "--project", study)  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(r.out)
    text_out = json.dumps(data)
    assert "Hidden work" in text_out
    overall = data["overall"] if "overall" in data else data
    assert overall  # the statistics themselves are checked in test_agreement.py


def test_guards(study: str) -> None:
    """A document's text never changes; a coded document cannot be deleted."""
    proj = open_project(study)
    try:
        with proj.begin() as conn:
            conn.execute(
                s.codings.insert().values(document_id=1, start=0, end=5, code_id="hidden-work",
                                          coder="alice", created="now", guid="g-1")
            )  # fmt: skip
        with pytest.raises(DBAPIError, match="never changes"):
            with proj.begin() as conn:
                conn.execute(update(s.documents).where(s.documents.c.id == 1).values(text="x"))
        with pytest.raises(DBAPIError, match="coded document cannot be deleted"):
            with proj.begin() as conn:
                conn.execute(s.documents.delete().where(s.documents.c.id == 1))
        with pytest.raises(DBAPIError, match="offsets never change"):
            with proj.begin() as conn:
                conn.execute(update(s.codings).values(start=1))
        with proj.read() as conn:
            assert conn.execute(text("SELECT value FROM change_counters")).scalar_one() >= 1
    finally:
        proj.close()


def test_memos_attributes_analysis(study: str, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    attrs = tmp_path / "attrs.csv"
    attrs.write_text("document,site\nS01_receptionist,Brookfield\n", encoding="utf-8")
    assert cli("attributes", attrs, "--project", study).code == 0
    r = cli("code", "S01_receptionist", "--segment", 1, "--code", "Hidden work",
            "--coder", "alice", "--memo", "a note", "--project", study)  # fmt: skip
    assert r.code == 0, r.err
    r = cli("documents", "--where", "site=Brookfield", "--format", "json", "--project", study)
    assert [d["name"] for d in json.loads(r.out)] == ["S01_receptionist"]
    r = cli(
        "matrix", "--rows", "code", "--cols", "attr:site", "--format", "json", "--project", study
    )
    assert r.code == 0, r.err
    assert "Brookfield" in r.out
    report = tmp_path / "r.md"
    assert cli("report", "-o", report, "--project", study).code == 0
    assert "a note" in report.read_text(encoding="utf-8")


def test_qdpx_and_codings_import_across_backends(study: str, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.sqlite"
    assert cli("import", DOCS[0], "--project", other).code == 0
    assert cli("codebook", "import", CODEBOOK, "--project", other).code == 0
    for seg in (2, 4):
        r = cli("code", "S01_receptionist", "--segment", seg, "--code", "Hidden work",
                "--coder", "carol", "--project", other)  # fmt: skip
        assert r.code == 0
    r = cli("import", other, "--project", study)
    assert r.code == 0, r.err
    out = tmp_path / "p.qdpx"
    r = cli("export", "qdpx", "-o", out, "--project", study)
    assert r.code == 0, r.err
    assert "2 codings" in r.out


def test_check_is_clean(study: str, cli) -> None:  # type: ignore[no-untyped-def]
    _code(cli, study, 1, "Hidden work", "alice")
    r = cli("check", "--project", study)
    assert r.code == 0, r.err
    assert r.out.startswith("ok: 2 documents, 426 segments, 1 codings")


def test_embedding_cache_is_shared(study: str) -> None:
    """Vectors stored by one encoder are found by the next (on a server: the team's cache)."""
    from ranker_support import WordsEmbedder

    from workbench.suggest.cache import CachedEncoder

    texts = ["the phone rang all morning", "a quiet afternoon", "the phone rang all morning"]
    proj = open_project(study)
    try:
        first = CachedEncoder(WordsEmbedder(), proj)
        a = first.encode(texts)
        first.encode(["a quiet afternoon", "one more"])  # stored twice: no conflict
        second = CachedEncoder(WordsEmbedder(), proj)
        b = second.encode(texts)
    finally:
        proj.close()
    assert first.embedded == 3 and second.embedded == 0
    assert (a == b).all()


def test_survey_import_and_case_attributes(proj: str, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    survey = REPO / "tests" / "fixtures" / "ingest" / "survey.csv"
    r = cli("import", survey, "--text-column", "answer", "--id-column", "respondent_id",
            "--project", proj)  # fmt: skip
    assert r.code == 0, r.err
    attrs = tmp_path / "cases.csv"
    attrs.write_text("case,role\nP77,nurse\n", encoding="utf-8")
    assert cli("attributes", attrs, "--project", proj).code == 0
    attrs.write_text("case,role\nP77,doctor\n", encoding="utf-8")
    assert cli("attributes", attrs, "--project", proj).code == 0
    r = cli("cases", "--format", "json", "--project", proj)
    assert r.code == 0, r.err
    assert "doctor" in r.out and "nurse" not in r.out
    r = cli("search", "press", "--format", "json", "--project", proj)
    assert any("press" in h["text"] for h in json.loads(r.out))
    assert cli("check", "--project", proj).code == 0


def test_same_coding_from_four_writers_is_one_row(study: str) -> None:
    """Writers queue (BEGIN IMMEDIATE / the server's write lock): one row, three no-ops."""
    import threading

    from workbench.services.coding import add_coding

    proj = open_project(study)
    created: list[bool] = []
    go = threading.Barrier(4)

    def write() -> None:
        go.wait()
        with proj.begin() as conn:
            created.append(add_coding(conn, "S01_receptionist", 13, 40, "Hidden work", "dana")[1])

    try:
        threads = [threading.Thread(target=write) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with proj.read() as conn:
            n = conn.execute(select(func.count()).select_from(s.codings)).scalar_one()
    finally:
        proj.close()
    assert sorted(created) == [False, False, False, True] and n == 1


async def test_the_tui_opens_a_server_project(study: str) -> None:
    """The TUI takes the URL as it takes a file: home screen, then a document to code."""
    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(Path(study), coder="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "HomeScreen"
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "CodingScreen"
        assert app.errors == []


def test_init_on_a_server_url_never_prints_the_password(cli) -> None:  # type: ignore[no-untyped-def]
    cluster = shared_cluster()
    url = cluster.url(db=cluster.new_database())
    for _ in range(2):  # twice: the second finds the schema there and changes nothing
        r = cli("init", "--project", url)
        assert r.code == 0, r.err
        assert "is ready" in r.out and "***" in r.out
        assert SUPERPASS not in r.out + r.err
