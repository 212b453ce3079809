"""Importing a colleague's codings: excerpt CSV round trip, another project's .sqlite, and
refusing codings whose document text differs (CONTRACT §3 `import`, §5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import select

from workbench.store import schema as s
from workbench.store.db import open_project

CORE = FIXTURES / "core"
DOCS = ("interview_a.txt", "interview_b.txt")
# (document, start, end, code, coder, memo): spans over P01's answers and R's, with memos a
# spreadsheet would take for formulas, quotes and line breaks.
CODINGS = [
    ("interview_a", 138, 188, "Hidden work", "coder-a", "=SUM(A1) looks like a formula"),
    ("interview_a", 322, 388, "No training", "coder-a", None),
    ("interview_a", 334, 388, "No training", "coder-b", '-said "twice"\nreally'),
    ("interview_a", 389, 430, "hidden-work", "coder-b", "+plus"),
]


def new_project(cli, path: Path, folder: Path, changed: str | None = None) -> Path:  # type: ignore[no-untyped-def]
    """A project over the two core interviews (one of them edited, if `changed`) + codebook."""
    folder.mkdir()
    for name in DOCS:
        text = (CORE / name).read_text(encoding="utf-8")
        if name == changed:
            text = "Second draft. " + text
        (folder / name).write_text(text, encoding="utf-8")
    assert cli("import", *(folder / n for n in DOCS), "--project", path).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "--project", path).code == 0
    return path


def codings(path: Path) -> set[tuple[object, ...]]:
    proj = open_project(path)
    try:
        with proj.read() as conn:
            rows = conn.execute(
                select(
                    s.documents.c.name,
                    s.codings.c.start,
                    s.codings.c.end,
                    s.codings.c.code_id,
                    s.codings.c.coder,
                    s.codings.c.memo,
                    s.codings.c.created,
                ).join(s.documents, s.documents.c.id == s.codings.c.document_id)
            )
            return {tuple(r) for r in rows}
    finally:
        proj.close()


@pytest.fixture
def source(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = new_project(cli, tmp_path / "source.sqlite", tmp_path / "source-docs")
    for doc, start, end, code, coder, memo in CODINGS:
        args = ["code", doc, "--start", start, "--end", end, "--code", code, "--coder", coder]
        r = cli(*args, *(["--memo", memo] if memo else []), "--project", path)
        assert r.code == 0, r.err
    r = cli("code", "interview_b", "--segment", "1", "--code", "Online easier", "--project", path)
    assert r.code == 0, r.err
    assert len(codings(path)) == len(CODINGS) + 1
    return path


def test_excerpt_csv_round_trip_gives_identical_codings(cli, source: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "excerpts.csv"
    assert cli("export", "excerpts", "-o", out, "--project", source).code == 0
    fresh = new_project(cli, tmp_path / "fresh.sqlite", tmp_path / "fresh-docs")
    r = cli("import", out, "--project", fresh)
    assert r.code == 0, r.err
    assert "5 codings imported, 0 already present, 0 rows reported" in r.out
    assert codings(fresh) == codings(source)
    again = cli("import", out, "--project", fresh)  # importing twice adds nothing
    assert "0 codings imported, 5 already present" in again.out
    assert codings(fresh) == codings(source)


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8-sig"), ("\t", "utf-16")],
    ids=["excel-csv-utf8-semicolons", "excel-unicode-text"],
)
def test_an_excerpt_csv_resaved_by_excel_gives_identical_codings(
    cli,  # type: ignore[no-untyped-def]
    source: Path,
    tmp_path: Path,
    delimiter: str,
    encoding: str,
) -> None:
    """A colleague opens the export in Excel and saves it again: in a comma-decimal locale
    Excel's CSV is separated by semicolons; its "Unicode text" is UTF-16 with tabs."""
    import csv

    out = tmp_path / "excerpts.csv"
    assert cli("export", "excerpts", "-o", out, "--project", source).code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    resaved = tmp_path / "resaved.csv"
    with resaved.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    fresh = new_project(cli, tmp_path / "fresh.sqlite", tmp_path / "fresh-docs")
    r = cli("import", resaved, "--project", fresh)
    assert r.code == 0, r.err
    assert "5 codings imported, 0 already present, 0 rows reported" in r.out
    assert codings(fresh) == codings(source)


def test_another_projects_sqlite_gives_identical_codings(cli, source: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fresh = new_project(cli, tmp_path / "fresh.sqlite", tmp_path / "fresh-docs")
    r = cli("import", source, "--project", fresh)
    assert r.code == 0, r.err
    assert "source.sqlite: 5 codings imported, 0 already present" in r.out
    assert codings(fresh) == codings(source)


def test_document_with_different_text_is_refused_from_a_project(
    cli,  # type: ignore[no-untyped-def]
    source: Path,
    tmp_path: Path,
) -> None:
    other = new_project(cli, tmp_path / "other.sqlite", tmp_path / "other-docs", "interview_a.txt")
    r = cli("import", source, "--project", other)
    assert r.code == 0, r.err
    assert (
        "document 'interview_a' has different text here (sha256 differs); its codings are "
        "not imported"
    ) in r.out
    assert r.out.count("interview_a") == 1  # said once, not once per coding
    assert {c[0] for c in codings(other)} == {"interview_b"}


def test_csv_rows_whose_text_differs_are_reported_not_imported(
    cli,  # type: ignore[no-untyped-def]
    source: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "excerpts.csv"
    assert cli("export", "excerpts", "-o", out, "--project", source).code == 0
    other = new_project(cli, tmp_path / "other.sqlite", tmp_path / "other-docs", "interview_a.txt")
    r = cli("import", out, "--project", other)
    assert r.code == 0, r.err
    assert "1 codings imported, 0 already present, 4 rows reported" in r.out
    reported = [line for line in r.out.splitlines() if "text differs from 'interview_a'" in line]
    assert len(reported) == 4
    assert all("not imported" in line and "excerpts.csv:" in line for line in reported)
    assert {c[0] for c in codings(other)} == {"interview_b"}
