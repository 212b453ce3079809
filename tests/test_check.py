"""`workbench check` on a whole project and on copies tampered with outside the app, and the
store's guards against programs that connect without foreign keys (the sqlite3 shell)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES

CORE = FIXTURES / "core"


@pytest.fixture
def coded(cli, tmp_path: Path) -> Path:
    """A project with two documents, the core codebook and codings on one of them."""
    p = tmp_path / "coded.sqlite"
    assert cli("import", CORE / "interview_a.txt", CORE / "interview_b.txt", "-p", p).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "-p", p).code == 0
    for seg in (1, 2, 3):
        r = cli("code", "interview_a", "--segment", seg, "--code", "hidden-work", "-p", p)
        assert r.code == 0, r.err
    return p


def _shell(path: Path) -> sqlite3.Connection:
    """What a user with the sqlite3 shell gets: no foreign keys, autocommit."""
    con = sqlite3.connect(path, isolation_level=None)
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 0
    return con


def test_whole_project_is_ok(cli, coded: Path) -> None:
    r = cli("check", "-p", coded)
    assert r.code == 0, r.err
    assert r.out.startswith("ok: 2 documents")
    data = json.loads(cli("check", "--format", "json", "-p", coded).out)
    assert data["ok"] is True and data["problems"] == []
    assert data["checked"]["codings"] >= 2 and data["checked"]["documents"] == 2


def _drop_trigger(con: sqlite3.Connection) -> None:
    con.execute("DROP TRIGGER documents_text_immutable")


def _edit_text(con: sqlite3.Connection) -> None:
    con.execute("DROP TRIGGER documents_text_immutable")
    con.execute("UPDATE documents SET text = 'rewritten' || text WHERE name = 'interview_a'")


def _edit_index(con: sqlite3.Connection) -> None:
    sid = con.execute("SELECT min(rowid) FROM segment_fts").fetchone()[0]
    con.execute("UPDATE segment_fts SET body = 'nothing like it' WHERE rowid = ?", (sid,))


def _orphan_coding(con: sqlite3.Connection) -> None:
    con.execute(
        'INSERT INTO codings (document_id, start, "end", code_id, coder, created, origin, guid)'
        " VALUES (999, 0, 5, 'hidden-work', 'x', 'now', 'manual', 'g-orphan')"
    )


def _coding_past_the_end(con: sqlite3.Connection) -> None:
    con.execute(
        'INSERT INTO codings (document_id, start, "end", code_id, coder, created, origin, guid)'
        " SELECT id, 5, length(text) + 40, 'hidden-work', 'x', 'now', 'manual', 'g-long' "
        "FROM documents WHERE name = 'interview_b'"
    )


def _orphan_memo(con: sqlite3.Connection) -> None:
    con.execute(
        "INSERT INTO memos (target_type, segment_id, author, created, text, guid) "
        "VALUES ('segment', 123456, 'x', 'now', 'a note', 'g-memo')"
    )


def _wrong_count(con: sqlite3.Connection) -> None:
    con.execute("UPDATE document_counts SET codings = codings + 7")


TAMPERING: dict[str, tuple[Callable[[sqlite3.Connection], None], str]] = {
    "a kept count gone wrong": (_wrong_count, "kept coding count"),
    "dropped trigger": (_drop_trigger, "trigger missing: documents_text_immutable"),
    "edited text": (_edit_text, "interview_a: the text differs"),
    "edited search index": (_edit_index, "the search index holds other text"),
    "orphan coding": (_orphan_coding, "orphan: codings row"),
    "coding past the end": (_coding_past_the_end, "lies outside the text"),
    "orphan memo": (_orphan_memo, "orphan: memos row"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampered_copy_is_reported(cli, coded: Path, tmp_path: Path, case: str) -> None:
    tamper, expected = TAMPERING[case]
    copy = tmp_path / "tampered.sqlite"
    shutil.copy(coded, copy)
    con = _shell(copy)
    tamper(con)
    con.close()
    r = cli("check", "-p", copy)
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert any(expected in line for line in lines), lines
    assert cli("check", "-p", coded).code == 0  # the original is untouched


GUARDED = {
    "delete a coded document": "DELETE FROM documents WHERE name = 'interview_a'",
    "delete a segment under a coding": (
        "DELETE FROM segments WHERE document_id = "
        "(SELECT id FROM documents WHERE name = 'interview_a') AND idx = 1"
    ),
    "move a coding": 'UPDATE codings SET "end" = "end" + 1',
    "move a segment": "UPDATE segments SET idx = idx + 1000",
    "edit a text": "UPDATE documents SET text = 'x'",
}


@pytest.mark.parametrize("case", sorted(GUARDED))
def test_shell_without_foreign_keys_cannot_break_codings(cli, coded: Path, case: str) -> None:
    con = _shell(coded)
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(GUARDED[case])
    con.close()
    assert cli("check", "-p", coded).code == 0
    out = cli("export", "excerpts", "-o", coded.with_suffix(".csv"), "-p", coded)
    assert out.code == 0, out.err


def test_uncoded_document_can_still_be_deleted_by_the_app_rules(cli, coded: Path) -> None:
    con = _shell(coded)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("DELETE FROM documents WHERE name = 'interview_b'")  # no codings: allowed
    con.close()
    assert cli("check", "-p", coded).code == 0
