"""The counts kept by triggers (migration 5) stay right after every kind of write: import,
code, uncode, codings import, merge of codes, --replace, and a program that is not Workbench
(the sqlite3 module writing directly), each checked against counting the rows."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from conftest import FIXTURES

from workbench.services.home_stats import code_counts, totals, verify_counts
from workbench.store.db import open_project

CORE = FIXTURES / "core"


def stored(project: Path) -> tuple[dict[str, tuple[int, int]], dict[tuple[str, str], int]]:
    """(per document name: (segments, codings)), (per (code, document name): codings)."""
    con = sqlite3.connect(project)
    try:
        docs = {
            n: (s, c)
            for n, s, c in con.execute(
                "SELECT d.name, (SELECT max(idx) + 1 FROM segments s WHERE s.document_id = d.id), "
                "k.codings FROM document_counts k JOIN documents d ON d.id = k.document_id"
            )
        }
        codes = {
            (code, n): k
            for code, n, k in con.execute(
                "SELECT t.code_id, d.name, t.codings FROM code_document_counts t "
                "JOIN documents d ON d.id = t.document_id"
            )
        }
    finally:
        con.close()
    return docs, codes


def live(project: Path) -> tuple[dict[str, tuple[int, int]], dict[tuple[str, str], int]]:
    con = sqlite3.connect(project)
    try:
        docs = {
            n: (s, c)
            for n, s, c in con.execute(
                "SELECT d.name, (SELECT count(*) FROM segments s WHERE s.document_id = d.id), "
                "(SELECT count(*) FROM codings c WHERE c.document_id = d.id) FROM documents d"
            )
        }
        codes = {
            (code, n): k
            for code, n, k in con.execute(
                "SELECT c.code_id, d.name, count(*) FROM codings c "
                "JOIN documents d ON d.id = c.document_id GROUP BY c.code_id, d.name"
            )
        }
    finally:
        con.close()
    return docs, codes


def assert_consistent(project: Path) -> None:
    assert stored(project) == live(project)
    proj = open_project(project)
    try:
        with proj.read() as conn:
            assert verify_counts(conn) == []
    finally:
        proj.close()


def setup(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ("import", CORE / "interview_a.txt", CORE / "interview_b.txt"),
        ("codebook", "import", CORE / "codebook.yaml"),
    ):
        assert cli(*args, "--project", project).code == 0


def test_counts_follow_import_code_uncode(cli, project_file: Path) -> None:
    setup(cli, project_file)
    docs, codes = stored(project_file)
    assert docs["interview_a"][0] > 0 and docs["interview_a"][1] == 0 and codes == {}
    for seg, code in ((1, "hidden-work"), (2, "hidden-work"), (3, "no-training")):
        r = cli("code", "interview_a", "--segment", seg, "--code", code, "--project", project_file)
        assert r.code == 0, r.err
    r = cli(
        "code", "interview_b", "--segment", 1, "--code", "hidden-work", "--project", project_file
    )
    assert r.code == 0, r.err
    docs, codes = stored(project_file)
    assert docs["interview_a"][1] == 3 and docs["interview_b"][1] == 1
    assert codes == {
        ("hidden-work", "interview_a"): 2,
        ("no-training", "interview_a"): 1,
        ("hidden-work", "interview_b"): 1,
    }
    assert_consistent(project_file)
    r = cli(
        "uncode", "interview_a", "--segment", 3, "--code", "no-training", "--project", project_file
    )
    assert r.code == 0, r.err
    _docs, codes = stored(project_file)
    assert ("no-training", "interview_a") not in codes  # a count that reaches 0 goes
    proj = open_project(project_file)
    with proj.read() as conn:
        assert code_counts(conn) == {"hidden-work": 3}
        assert totals(conn)["codings"] == 3
    proj.close()
    assert_consistent(project_file)


def test_counts_follow_codings_import_merge_and_replace(
    cli, project_file: Path, tmp_path: Path
) -> None:
    setup(cli, project_file)
    for seg in (1, 2):
        r = cli(
            "code",
            "interview_a",
            "--segment",
            seg,
            "--code",
            "no-training",
            "--project",
            project_file,
        )
        assert r.code == 0, r.err
    out = tmp_path / "ex.csv"
    assert cli("export", "excerpts", "-o", out, "--project", project_file).code == 0
    other = tmp_path / "other.sqlite"
    setup(cli, other)
    assert cli("import", out, "--coder", "second", "--project", other).code == 0
    docs, _ = stored(other)
    assert docs["interview_a"][1] == 2
    assert_consistent(other)
    # merging codes moves codings to the survivor: the recode trigger moves the counts
    from workbench.services.code_edit import merge_codes

    proj = open_project(other)
    with proj.begin() as conn:
        merge_codes(conn, "no-training", "hidden-work")
    proj.close()
    _docs, codes = stored(other)
    assert codes == {("hidden-work", "interview_a"): 2}
    assert_consistent(other)
    # --replace of an uncoded document: its segments go and come back counted once
    changed = tmp_path / "interview_b.txt"
    changed.write_text(
        (CORE / "interview_b.txt").read_text(encoding="utf-8") + "\nInterviewer: One more.\n",
        encoding="utf-8",
    )
    before = stored(other)[0]["interview_b"][0]
    assert cli("import", changed, "--replace", "--project", other).code == 0
    after = stored(other)[0]["interview_b"][0]
    assert after > before
    assert_consistent(other)


def test_counts_follow_writes_from_another_program(cli, project_file: Path) -> None:
    """Triggers, not Workbench code, keep the counts: a plain sqlite3 writer is counted."""
    setup(cli, project_file)
    con = sqlite3.connect(project_file)
    doc_id = con.execute("SELECT id FROM documents WHERE name = 'interview_b'").fetchone()[0]
    con.execute(
        'INSERT INTO codings (document_id, start, "end", code_id, coder, created, origin, guid) '
        "VALUES (?, 0, 10, 'mental-health', 'shell', '2026-01-01', 'manual', ?)",
        (doc_id, str(uuid.uuid4())),
    )
    con.commit()
    assert stored(project_file)[1] == {("mental-health", "interview_b"): 1}
    con.execute("UPDATE codings SET code_id = 'hidden-work' WHERE coder = 'shell'")
    con.commit()
    assert stored(project_file)[1] == {("hidden-work", "interview_b"): 1}
    con.execute("DELETE FROM codings WHERE coder = 'shell'")
    con.commit()
    con.close()
    assert stored(project_file)[1] == {}
    assert_consistent(project_file)
