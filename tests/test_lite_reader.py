"""The start-up read path (store/lite.py, store/reader.py): an up-to-date SQLite project read
through plain sqlite3, without SQLAlchemy, giving exactly what the SQLAlchemy path gives.

Every service that runs on it (home page, codebook panel, counts, excerpts) is run both ways
on the sample study and compared; the commands that use it are run in fresh interpreters to
check that SQLAlchemy is really never loaded; anything the fast path cannot handle falls
back to the full open with its one-line errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.errors import WorkbenchError
from workbench.services.code_tree import CodeTree
from workbench.services.coding_rows import list_codings
from workbench.services.excerpts import excerpts
from workbench.services.home_stats import (
    code_counts,
    code_document_matrix,
    coverage,
    document_counts,
    document_page,
    document_total,
    excerpt_count,
    excerpt_page,
    totals,
    verify_counts,
)
from workbench.store import migrations
from workbench.store.db import open_project
from workbench.store.lite import SCHEMA_VERSION, open_reader
from workbench.store.reader import fetch

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.services.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("lite")).project


def both(project: Path, call: Callable[[Any], object]) -> tuple[object, object]:
    """`call(conn)` on the plain sqlite3 reader, then on the project's SQLAlchemy pool."""
    reader = open_reader(project)
    assert reader is not None, "an up-to-date project should open on the fast path"
    try:
        with reader.read() as con:
            assert isinstance(con, sqlite3.Connection)
            fast = call(con)
    finally:
        reader.close()
    proj = open_project(project)
    try:
        with proj.read() as conn:
            full = call(conn)
    finally:
        proj.close()
    return fast, full


def test_schema_version_is_the_newest_migration() -> None:
    assert SCHEMA_VERSION == migrations.latest_version()


def first_code(conn: Any) -> str:
    return str(fetch(conn, "SELECT code_id FROM codings ORDER BY id LIMIT 1")[0][0])


CALLS: dict[str, Callable[[Any], object]] = {
    "tree": lambda c: CodeTree.load(c),
    "codings": lambda c: list_codings(c),
    "codings of a code and coder": lambda c: list_codings(
        c, code_ids=[first_code(c)], coder="difacto"
    ),
    "page by name": lambda c: document_page(c, limit=7),
    "page 2 by codings": lambda c: document_page(
        c, offset=3, limit=5, sort="codings", descending=True
    ),
    "page by segments": lambda c: document_page(c, sort="segments", descending=True),
    "page by kind, filtered": lambda c: document_page(
        c, sort="kind", where=[("kind", "interview")]
    ),
    "page, attribute filter": lambda c: document_page(c, where=[("role", "patient")]),
    "page, words with _": lambda c: document_page(c, words="_r"),
    "page, words with %": lambda c: document_page(c, words="a%b"),
    "total": lambda c: document_total(c),
    "code counts": lambda c: code_counts(c),
    "code counts of a document": lambda c: code_counts(c, 1),
    "matrix": lambda c: code_document_matrix(c, [first_code(c)]),
    "coverage": lambda c: coverage(c, [1, 2, 3]),
    "document counts": lambda c: document_counts(c, 2),
    "totals": lambda c: totals(c),
    "excerpt count": lambda c: excerpt_count(c, [first_code(c)]),
    "excerpt page": lambda c: excerpt_page(c, [first_code(c)], offset=1, limit=4),
    "excerpt page of a coder": lambda c: excerpt_page(c, [first_code(c)], coder="difacto"),
    "excerpts": lambda c: excerpts(c),
    "excerpts by code": lambda c: excerpts(c, codes=[first_code(c)]),
    "excerpts by attribute": lambda c: excerpts(c, where=[("role", "patient")]),
    "excerpts by kind": lambda c: excerpts(c, where=[("kind", "survey")]),
    "verify counts": lambda c: verify_counts(c),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_answer_on_both_paths(study: Path, name: str) -> None:
    fast, full = both(study, CALLS[name])
    assert fast == full
    if name.startswith("page, words with %"):
        assert fast.total == 0  # type: ignore[attr-defined]  # a literal %, not a wildcard


def test_the_sample_exercises_the_filters(study: Path) -> None:
    """The comparisons above are not all empty: each filter finds something here."""
    fast, _ = both(study, lambda c: document_page(c, words="_r"))
    underscores = fast.total  # type: ignore[attr-defined]
    every, _ = both(study, document_total)
    assert 0 < underscores < every  # type: ignore[operator]
    patients, _ = both(study, lambda c: excerpts(c, where=[("role", "patient")]))
    assert patients


def copy_of(study: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.sqlite"
    src = sqlite3.connect(study)
    out = sqlite3.connect(dst)
    try:
        src.backup(out)
    finally:
        src.close()
        out.close()
    con = sqlite3.connect(dst)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return dst


def test_falls_back_when_the_project_needs_migrating(study: Path, tmp_path: Path) -> None:
    old = copy_of(study, tmp_path)
    con = sqlite3.connect(old)
    con.execute("DELETE FROM schema_migrations WHERE version = ?", (SCHEMA_VERSION,))
    con.commit()
    con.close()
    assert open_reader(old) is None


def test_falls_back_when_not_wal_or_missing_or_a_server(study: Path, tmp_path: Path) -> None:
    rollback = copy_of(study, tmp_path)
    con = sqlite3.connect(rollback)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    assert open_reader(rollback) is None
    assert open_reader(tmp_path / "missing.sqlite") is None
    assert open_reader("postgresql://me@localhost/study") is None


def test_not_a_project_is_the_usual_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database", encoding="utf-8")
    with pytest.raises(WorkbenchError, match="empty file"):
        open_reader(empty)
    with pytest.raises(WorkbenchError, match="not an SQLite database"):
        open_reader(text)
    with pytest.raises(WorkbenchError, match="is a directory"):
        open_reader(tmp_path)


def test_a_project_open_here_is_read_through_its_pool(study: Path) -> None:
    """A second descriptor on a file the process has open would drop its locks on close
    (POSIX): the fast path steps aside."""
    proj = open_project(study)
    try:
        assert open_reader(study) is None
    finally:
        proj.close()


def test_a_reader_handed_to_a_project_closes_with_its_pool(study: Path) -> None:
    reader = open_reader(study)
    assert reader is not None
    proj = open_project(study)
    reader.hand_to(proj)
    reader.close()  # a no-op now: the project owns the connection
    with reader.read() as con:  # still reads until the project closes
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] > 0
    kept = proj._kept[0]
    proj.close()
    with pytest.raises(sqlite3.ProgrammingError):
        kept.execute("SELECT 1")


def test_the_reader_is_read_only(study: Path) -> None:
    reader = open_reader(study)
    assert reader is not None
    try:
        with pytest.raises(sqlite3.OperationalError), reader.read() as con:
            con.execute("DELETE FROM codings")
        with reader.read() as con, reader.read() as inner:  # nested: one transaction
            assert inner is con
    finally:
        reader.close()
    assert both(study, lambda c: len(list_codings(c)))[0] > 0


def fresh(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


@pytest.fixture
def exported(study: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The sample's first code exported by the CLI in a fresh interpreter: (csv, stderr of
    a check that lists whether SQLAlchemy was loaded)."""
    proj = open_project(study)
    with proj.read() as conn:
        code = first_code(conn)
    proj.close()
    out = tmp_path / "excerpts.csv"
    run = fresh(
        "import sys\n"
        "from workbench.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('sqlalchemy' in sys.modules, file=sys.stderr)\n"
        "sys.exit(code)\n",
        "export",
        "excerpts",
        "-o",
        str(out),
        "--code",
        code,
        "--project",
        str(study),
    )
    assert run.returncode == 0, run.stderr
    yield out, run.stderr


def test_export_excerpts_never_loads_sqlalchemy(
    exported: tuple[Path, str], study: Path, tmp_path: Path
) -> None:
    from workbench.services.excerpts import write_excerpts_csv

    out, err = exported
    assert err.strip().splitlines()[-1] == "False"
    proj = open_project(study)
    try:
        with proj.read() as conn:
            rows = excerpts(conn, codes=[first_code(conn)])
    finally:
        proj.close()
    assert rows
    full = tmp_path / "full.csv"
    write_excerpts_csv(rows, full)
    assert out.read_bytes() == full.read_bytes()


def test_export_falls_back_to_the_full_open(study: Path, tmp_path: Path) -> None:
    """A project the fast path does not take (here: not in WAL mode) exports all the same,
    through the usual open (which turns WAL on)."""
    other = copy_of(study, tmp_path)
    con = sqlite3.connect(other)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    out = tmp_path / "other.csv"
    run = subprocess.run(
        [sys.executable, "-m", "workbench", "export", "excerpts", "-o", str(out), "-p", str(other)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_text(encoding="utf-8").count("\n") > 10
    con = sqlite3.connect(other)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()
