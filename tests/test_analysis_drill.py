"""Drill-down from a matrix cell: exactly the codings the cell counts (hand-worked project and
the demo, every cell, with filters, descendants, respondent attributes and the (none) value)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from test_analysis_matrix import build_small, demo_project

from workbench.analysis.drill import cell_coding_ids
from workbench.analysis.matrix import count_matrix
from workbench.analysis.units import Filters
from workbench.services.codes import CodeTree
from workbench.services.documents import all_attributes
from workbench.store import schema as s
from workbench.store.db import open_project

CASES = [
    ("code", "attr:role", Filters()),
    ("code", "document", Filters(where=(("role", "staff"),))),
    ("attr:role", "code", Filters(depth=1)),
    ("document", "coder", Filters(codes=("Responsibility",))),
    ("coder", None, Filters()),
    ("code", "attr:digital_confidence", Filters(coder="alice")),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_project(tmp_path_factory)


def _every_cell_matches(conn, rows: str, cols: str | None, filters: Filters) -> int:  # type: ignore[no-untyped-def]
    m = count_matrix(conn, rows, cols, count="codings", filters=filters)
    checked = 0
    for i in range(len(m.rows)):
        for j in range(len(m.cols)):
            ids = cell_coding_ids(conn, m, i, j if m.col_dim is not None else None)
            assert len(ids) == m.cells[i][j], (m.rows[i], m.cols[j])
            assert len(set(ids)) == len(ids)
            checked += 1
        assert len(cell_coding_ids(conn, m, i, None)) == m.row_totals[i]
    if m.col_dim is not None:
        for j in range(len(m.cols)):
            assert len(cell_coding_ids(conn, m, -1, j)) == m.col_totals[j]
    return checked


@pytest.mark.parametrize(("rows", "cols", "filters"), CASES)
def test_every_demo_cell_drills_to_its_count(demo: Path, rows, cols, filters) -> None:  # type: ignore[no-untyped-def]
    project = open_project(demo)
    try:
        with project.read() as conn:
            if cols == "attr:digital_confidence":
                keys = {k for a in all_attributes(conn).values() for k in a}
                cols = "attr:" + sorted(keys)[0]
            assert _every_cell_matches(conn, rows, cols, filters) > 0
    finally:
        project.close()


def test_hand_worked_cells(tmp_path: Path) -> None:
    """Codes A > A1, A > A2, B: the A row holds its children's codings; the survey's
    respondent attribute decides the column of a survey coding."""
    project = open_project(build_small(tmp_path / "small.sqlite"))
    try:
        with project.read() as conn:
            for rows, cols in (("code", "attr:role"), ("code", "document"), ("attr:role", "coder")):
                _every_cell_matches(conn, rows, cols, Filters())
            m = count_matrix(conn, "code", "attr:role")
            tree = CodeTree.load(conn)
            a = m.row_labels.index("A")
            staff = m.col_labels.index("staff")
            ids = cell_coding_ids(conn, m, a, staff)
            c = s.codings
            got = conn.execute(select(c.c.code_id).where(c.c.id.in_(ids))).scalars().all()
            subtree = {tree.resolve("A").id, *tree.descendants(tree.resolve("A").id)}
            assert ids and set(got) <= subtree and len(set(got)) > 1  # A's own and a child's
    finally:
        project.close()
