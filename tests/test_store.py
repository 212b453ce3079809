"""Store: migrations, text immutability, transactions, --replace rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from workbench.store import schema
from workbench.store.db import open_project
from workbench.store.migrations import MIGRATIONS

CORE = FIXTURES / "core"


def test_migrations_from_empty_and_idempotent(project_file: Path) -> None:
    proj = open_project(project_file, create=True)
    with proj.read() as conn:
        versions = [r[0] for r in conn.execute(select(schema.schema_migrations.c.version))]
        assert versions == [m.version for m in MIGRATIONS]
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    proj.close()
    proj = open_project(project_file)
    with proj.read() as conn:
        n = conn.execute(select(schema.schema_migrations.c.version)).all()
        assert len(n) == len(MIGRATIONS)
    proj.close()


def test_not_a_project_file(tmp_path: Path) -> None:
    from workbench.errors import WorkbenchError

    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("hello", encoding="utf-8")
    with pytest.raises(WorkbenchError, match="not a Workbench project"):
        open_project(bogus)


def test_document_text_is_immutable(cli, project_file: Path) -> None:
    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    proj = open_project(project_file)
    with pytest.raises(IntegrityError, match="never changes"), proj.begin() as conn:
        conn.execute(text("UPDATE documents SET text = 'rewritten'"))
    with pytest.raises(IntegrityError, match="never change"), proj.begin() as conn:
        conn.execute(text('UPDATE segments SET "end" = "end" + 1'))
    with proj.read() as conn:
        stored = conn.execute(select(schema.documents.c.text)).scalar_one()
    assert stored == (CORE / "interview_a.txt").read_text(encoding="utf-8")
    proj.close()


def test_failed_import_leaves_nothing(cli, project_file: Path, tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert cli("init", "--project", project_file).code == 0
    r = cli("import", CORE / "interview_a.txt", binary, "--project", project_file)
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1
    proj = open_project(project_file)
    with proj.read() as conn:
        assert conn.execute(select(schema.documents)).all() == []
        assert conn.execute(select(schema.segments)).all() == []
        assert conn.exec_driver_sql("SELECT count(*) FROM segment_fts").scalar() == 0
    proj.close()


def test_replace_rules(cli, project_file: Path, tmp_path: Path) -> None:
    doc = tmp_path / "interview_a.txt"
    shutil.copy(CORE / "interview_a.txt", doc)
    assert cli("import", doc, "--project", project_file).code == 0
    doc.write_text(
        doc.read_text(encoding="utf-8") + "\nInterviewer: One more thing.\n", encoding="utf-8"
    )
    r = cli("import", doc, "--project", project_file)
    assert r.code == 2 and "--replace" in r.err
    r = cli("import", doc, "--replace", "--project", project_file)
    assert r.code == 0 and "replaced" in r.out
    assert cli("codebook", "import", CORE / "codebook.yaml", "--project", project_file).code == 0
    assert (
        cli(
            "code",
            "interview_a",
            "--segment",
            "1",
            "--code",
            "Hidden work",
            "--project",
            project_file,
        ).code
        == 0
    )
    doc.write_text("Interviewer: entirely new\n", encoding="utf-8")
    r = cli("import", doc, "--replace", "--project", project_file)
    assert r.code == 2 and "codings" in r.err


def test_full_text_index(cli, project_file: Path) -> None:
    from workbench.store.sqlite_extras import search_segments

    assert (
        cli(
            "import", CORE / "interview_a.txt", CORE / "interview_b.txt", "--project", project_file
        ).code
        == 0
    )
    proj = open_project(project_file)
    with proj.read() as conn:
        hits = search_segments(conn, "job descr")
        assert len(hits) == 1
        seg = conn.execute(select(schema.segments).where(schema.segments.c.id == hits[0][0])).one()
        assert seg.speaker == "P01"
        assert search_segments(conn, 'anxiety "online form"') == []
        assert search_segments(conn, '"") OR (') == []  # hostile input is just text
    proj.close()


def test_replace_keeps_document_notes_removes_segment_ones_and_never_reuses_ids(
    cli, project_file: Path, tmp_path: Path
) -> None:
    from workbench.services.coding import add_memo, memos_for

    doc = tmp_path / "interview_a.txt"
    shutil.copy(CORE / "interview_a.txt", doc)
    assert cli("import", doc, "--attr", "role=GP", "--project", project_file).code == 0
    proj = open_project(project_file)
    with proj.begin() as conn:
        doc_id, old_max = conn.execute(
            text("SELECT document_id, max(id) FROM segments GROUP BY document_id")
        ).one()
        first_seg = conn.execute(text("SELECT min(id) FROM segments")).scalar_one()
        add_memo(conn, "document", str(doc_id), "tester", "whole interview: rushed")
        add_memo(conn, "segment", str(first_seg), "tester", "about this turn")
    proj.close()
    doc.write_text(doc.read_text(encoding="utf-8") + "\nP01: Also this.\n", encoding="utf-8")
    r = cli("import", doc, "--replace", "--project", project_file)
    assert r.code == 0, r.err
    assert "1 segment memos" in r.out + r.err and "1 document memos" in r.out + r.err
    proj = open_project(project_file)
    with proj.read() as conn:
        new_doc, new_min = conn.execute(
            text("SELECT document_id, min(id) FROM segments GROUP BY document_id")
        ).one()
        assert new_doc != doc_id and new_min > old_max  # ids are never handed out twice
        assert [m[3] for m in memos_for(conn, "document", str(new_doc))] == [
            "whole interview: rushed"
        ]
        assert conn.execute(text("SELECT count(*) FROM memos")).scalar_one() == 1
        role = conn.execute(
            text("SELECT value FROM document_attributes WHERE key = 'role'")
        ).scalar_one()
        assert role == "GP"
    proj.close()


def test_deleted_coding_id_is_not_reused(cli, project_file: Path) -> None:
    from workbench.services.coding import add_coding, delete_coding

    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "--project", project_file).code == 0
    proj = open_project(project_file)
    with proj.begin() as conn:
        first, _ = add_coding(conn, "interview_a", 0, 10, "hidden-work", "a")
        delete_coding(conn, first.id)
        second, _ = add_coding(conn, "interview_a", 0, 10, "hidden-work", "a")
    proj.close()
    assert second.id > first.id


def test_change_counter_moves_on_delete_then_insert(cli, project_file: Path) -> None:
    from workbench.services.coding import add_coding, delete_coding
    from workbench.suggest.corpus import store_signature

    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "--project", project_file).code == 0
    proj = open_project(project_file)
    with proj.begin() as conn:
        coding, _ = add_coding(conn, "interview_a", 0, 10, "hidden-work", "a")
    with proj.read() as conn:
        before = store_signature(conn)
    with proj.begin() as conn:
        delete_coding(conn, coding.id)
        add_coding(conn, "interview_a", 0, 12, "hidden-work", "a")
    with proj.read() as conn:
        assert store_signature(conn) != before
    proj.close()


def test_one_pool_per_project_per_process(project_file: Path, tmp_path: Path) -> None:
    from workbench.store.db import is_open_project, open_project_files

    a = open_project(project_file, create=True)
    link = tmp_path / "link.sqlite"
    link.symlink_to(project_file)
    b = open_project(link)
    assert a is b and is_open_project(link) and is_open_project(project_file)
    assert open_project_files() == [project_file.resolve()]
    b.close()
    assert a.is_open
    a.close()
    assert not is_open_project(project_file)


def test_empty_file_is_not_made_a_project(cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert cli("init", "--project", empty).code == 2  # init never overwrites a file
    for args in (("import", CORE / "interview_a.txt"), ("documents",)):
        r = cli(*args, "--project", empty)
        assert r.code == 2 and "empty file" in r.err and len(r.err.splitlines()) == 1
    assert empty.read_bytes() == b""


def test_refused_first_import_leaves_no_project(cli, tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    target = tmp_path / "new.sqlite"
    r = cli("import", binary, "--project", target)
    assert r.code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.txt"]
