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
