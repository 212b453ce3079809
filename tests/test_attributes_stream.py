"""`workbench attributes` streams (issue 15): rows are written in batches inside one
transaction, progress is reported per batch, and a bad row after the first batches still
leaves the project unchanged."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES

from workbench.errors import WorkbenchError
from workbench.services.importing import ATTRIBUTE_BATCH, set_attributes_from_csv
from workbench.store.db import open_project

CORE = FIXTURES / "core"


def sheet(path: Path, rows: int, bad_at: int | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "role", "site"])
        w.writerow(["interview_a", "staff", "Brookfield"])
        for i in range(rows):
            w.writerow([f"R{i:07d}", "patient", "" if i % 7 == 0 else f"site {i % 5}"])
            if bad_at == i:
                w.writerow(["broken row"])
    return path


def counts(project: Path) -> tuple[int, int, int]:
    con = sqlite3.connect(project)
    try:
        return (
            con.execute("SELECT count(DISTINCT case_name) FROM case_attributes").fetchone()[0],
            con.execute("SELECT count(*) FROM case_attributes").fetchone()[0],
            con.execute("SELECT count(*) FROM document_attributes").fetchone()[0],
        )
    finally:
        con.close()


def test_batches_and_progress(cli, project_file: Path, tmp_path: Path) -> None:
    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    n = 2 * ATTRIBUTE_BATCH + 123
    path = sheet(tmp_path / "people.csv", n)
    seen: list[tuple[int, int, str]] = []
    proj = open_project(project_file)
    try:
        lines = set_attributes_from_csv(proj, path, progress=lambda a, b, c: seen.append((a, b, c)))
    finally:
        proj.close()
    assert lines[0].startswith(f"1 rows matched documents (1 documents updated), {n} wait")
    assert len(seen) == 3  # two full batches and the rest
    assert [a for a, _, _ in seen] == sorted(a for a, _, _ in seen)
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert seen[-1][2].startswith(f"{n + 1:,} rows, ") and seen[-1][2].endswith(" rows/s")
    empty_sites = len(range(0, n, 7))
    assert counts(project_file) == (n + 1, 2 * (n + 1) - empty_sites, 2)
    r = cli("documents", "--format", "json", "--project", project_file)
    assert '"role": "staff"' in r.out and '"site": "Brookfield"' in r.out


def test_a_bad_row_after_two_batches_changes_nothing(
    cli, project_file: Path, tmp_path: Path
) -> None:
    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    path = sheet(tmp_path / "people.csv", 2 * ATTRIBUTE_BATCH + 50, bad_at=2 * ATTRIBUTE_BATCH + 10)
    proj = open_project(project_file)
    try:
        with pytest.raises(WorkbenchError, match=r"people.csv:\d+: 1 cells, header has 3"):
            set_attributes_from_csv(proj, path)
    finally:
        proj.close()
    assert counts(project_file) == (0, 0, 0)
    r = cli("attributes", path, "--project", project_file)
    assert r.code == 2 and "1 cells, header has 3" in r.err and "Traceback" not in r.err
