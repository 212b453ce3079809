"""count_matrix and cooccurrence: hand-worked small cases (overlapping codings, a coding over
two segments, a parent and its child on one passage, respondent attributes) and the demo
project against counts computed independently from `export excerpts` and `segments`."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import text

from workbench.analysis.cooccurrence import cooccurrence, cooccurrence_sql
from workbench.analysis.matrix import count_matrix, matrix_sql
from workbench.analysis.units import Filters, Scope, parse_dimension
from workbench.errors import WorkbenchError
from workbench.ingest.model import ParsedDocument, ParsedSegment
from workbench.services import code_edit
from workbench.services.coding import add_coding
from workbench.services.demo import build_demo
from workbench.services.documents import store_document
from workbench.store.db import open_project

# alpha: two turns of two sentences; beta: two turns, no sentences; survey: two respondents.
ALPHA = "Aaaa bbbb. Cccc dddd.\n\nEeee ffff. Gggg hhhh."
BETA = "One two th\n\nfour five."
SURVEY = "Yes, a lot\nNo, not at"


def _doc(name: str, kind: str, body: str, segs: list[ParsedSegment]) -> ParsedDocument:
    sha = hashlib.sha256(body.encode()).hexdigest()
    return ParsedDocument(name, kind, body, segs, name + ".txt", sha, [])


def build_small(path: Path) -> Path:
    """The hand-worked project (codes A > A1, A > A2, B; nine codings)."""
    project = open_project(path, create=True)
    try:
        with project.begin() as conn:
            alpha = [
                ParsedSegment(0, 21, "turn", speaker="I", timestamp="00:00:01"),
                ParsedSegment(0, 10, "sentence", speaker="I", parent=0),
                ParsedSegment(11, 21, "sentence", speaker="I", parent=0),
                ParsedSegment(23, 44, "turn", speaker="R", timestamp="00:00:09"),
                ParsedSegment(23, 33, "sentence", speaker="R", parent=3),
                ParsedSegment(34, 44, "sentence", speaker="R", parent=3),
            ]
            beta = [ParsedSegment(0, 10, "turn", speaker="I"), ParsedSegment(12, 22, "turn")]
            survey = [
                ParsedSegment(0, 10, "response", speaker="r1", attributes={"age_band": "18-24"}),
                ParsedSegment(11, 21, "response", speaker="r2", attributes={"age_band": "65+"}),
            ]
            store_document(
                conn, _doc("alpha", "interview", ALPHA, alpha), attributes={"role": "staff"}
            )
            store_document(
                conn, _doc("beta", "interview", BETA, beta), attributes={"role": "patient"}
            )
            store_document(
                conn, _doc("survey", "survey", SURVEY, survey), attributes={"role": "survey"}
            )
            a = code_edit.add_code(conn, "A", description="Parent code.", color="#4e79a7").id
            code_edit.add_code(conn, "A1", a, description="First child.")
            code_edit.add_code(conn, "A2", a, description="Second child.")
            code_edit.add_code(conn, "B", description="Another theme.")
            for doc, start, end, code, coder in [
                ("alpha", 0, 15, "A1", "alice"),  # over sentences 1 and 2
                ("alpha", 5, 10, "A1", "alice"),  # inside the first: same characters
                ("alpha", 2, 8, "A", "alice"),  # the parent inside its child's span
                ("alpha", 25, 40, "A2", "alice"),  # over sentences 3 and 4
                ("alpha", 30, 36, "B", "bob"),  # over sentences 3 and 4
                ("beta", 0, 22, "A1", "alice"),  # both turns and the gap between them
                ("beta", 3, 5, "B", "bob"),
                ("survey", 0, 5, "A2", "alice"),  # respondent 18-24
                ("survey", 12, 20, "B", "alice"),  # respondent 65+
            ]:
                add_coding(conn, doc, start, end, code, coder)
    finally:
        project.close()
    return path


@pytest.fixture
def small(tmp_path: Path):  # type: ignore[no-untyped-def]
    project = open_project(build_small(tmp_path / "small.sqlite"))
    try:
        with project.read() as conn:
            yield conn
    finally:
        project.close()


def as_dict(m) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    return {
        r: dict(zip(m.col_labels, row, strict=True))
        for r, row in zip(m.row_labels, m.cells, strict=True)
    }


# (count, expected cells of code x role over staff, patient, survey)
HAND = {
    "codings": {"A": (4, 1, 1), "A1": (2, 1, 0), "A2": (1, 0, 1), "B": (1, 1, 1)},
    "segments": {"A": (4, 2, 1), "A1": (2, 2, 0), "A2": (2, 0, 1), "B": (2, 1, 1)},
    "documents": {"A": (1, 1, 1), "A1": (1, 1, 0), "A2": (1, 0, 1), "B": (1, 1, 1)},
    "characters": {"A": (30, 22, 5), "A1": (15, 22, 0), "A2": (15, 0, 5), "B": (6, 2, 8)},
}
HAND_TOTALS = {  # rows (A, A1, A2, B), columns (staff, patient, survey), grand total
    "codings": ((6, 3, 2, 3), (5, 2, 2), 9),
    "segments": ((7, 4, 3, 4), (4, 2, 2), 8),
    "documents": ((3, 2, 2, 3), (1, 1, 1), 3),
    # columns: each code's own union: staff A1 15 + A 6 + A2 15 + B 6
    "characters": ((57, 37, 20, 16), (42, 24, 13), 79),
}


@pytest.mark.parametrize("count", list(HAND))
def test_hand_worked_code_by_role(small, count: str) -> None:  # type: ignore[no-untyped-def]
    m = count_matrix(small, "code", "attr:role", count=count)
    assert m.row_labels == ["A", "A1", "A2", "B"]
    assert m.col_labels == ["patient", "staff", "survey"]
    got = as_dict(m)
    for code, (staff, patient, survey) in HAND[count].items():
        assert got[code] == {"staff": staff, "patient": patient, "survey": survey}, (count, code)
    rows, cols, total = HAND_TOTALS[count]
    assert m.row_totals == list(rows)
    assert dict(zip(m.col_labels, m.col_totals, strict=True)) == dict(
        zip(("staff", "patient", "survey"), cols, strict=True)
    )
    assert m.total == total
    assert [r.depth for r in m.rows] == [0, 1, 1, 0]


def test_a_parent_and_its_child_on_one_passage(small) -> None:  # type: ignore[no-untyped-def]
    """Codings 1-3 cover sentence 1; A counts it once, A's codings count three."""
    m = count_matrix(
        small, "code", "document", count="segments", filters=Filters(where=(("role", "staff"),))
    )
    assert as_dict(m)["A"]["alpha"] == 4
    m = count_matrix(small, "code", "document", filters=Filters(where=(("role", "staff"),)))
    assert as_dict(m)["A"]["alpha"] == 4 and as_dict(m)["A1"]["alpha"] == 2


def test_coders_documents_and_frequency(small) -> None:  # type: ignore[no-untyped-def]
    m = count_matrix(small, "coder", "attr:role")
    assert as_dict(m) == {
        "alice": {"patient": 1, "staff": 4, "survey": 2},
        "bob": {"patient": 1, "staff": 1, "survey": 0},
    }
    m = count_matrix(small, "document", "coder", count="characters")
    # alice on alpha: A1 [0,15) + A [2,8) + A2 [25,40): 15 + 6 + 15 (once per code)
    assert as_dict(m) == {
        "alpha": {"alice": 36, "bob": 6},
        "beta": {"alice": 22, "bob": 2},
        "survey": {"alice": 13, "bob": 0},
    }
    freq = count_matrix(small, "code", None, count="segments")
    assert freq.col_labels == ["segments"] and [row[0] for row in freq.cells] == [7, 4, 3, 4]


def test_respondent_attributes_and_codings_without_a_value(small) -> None:  # type: ignore[no-untyped-def]
    m = count_matrix(small, "code", "attr:age_band")
    assert m.col_labels == ["18-24", "65+", "(none)"]
    assert as_dict(m)["A"] == {"18-24": 1, "65+": 0, "(none)": 5}
    assert as_dict(m)["B"] == {"18-24": 0, "65+": 1, "(none)": 2}
    only = count_matrix(small, "code", "attr:role", filters=Filters(where=(("age_band", "65+"),)))
    assert only.total == 1 and as_dict(only)["B"]["survey"] == 1


def test_filters_code_coder_where_depth(small) -> None:  # type: ignore[no-untyped-def]
    m = count_matrix(small, "code", "attr:role", filters=Filters(codes=("a",)))
    assert m.row_labels == ["A", "A1", "A2"] and m.total == 6
    m = count_matrix(small, "code", "attr:role", filters=Filters(coder="bob"))
    assert m.row_totals == [0, 0, 0, 2]
    m = count_matrix(
        small, "code", "attr:role", filters=Filters(where=(("role", "STAFF"), ("role", "patient")))
    )
    assert m.col_labels == ["patient", "staff"] and m.total == 7
    m = count_matrix(small, "code", "attr:kind", filters=Filters(where=(("kind", "survey"),)))
    assert m.col_labels == ["survey"] and m.total == 2
    m = count_matrix(small, "code", "attr:role", filters=Filters(depth=1))
    assert m.row_labels == ["A", "B"] and m.row_totals == [6, 3]


def test_percentages(small) -> None:  # type: ignore[no-untyped-def]
    m = count_matrix(small, "code", "attr:role")
    rows = dict(zip(m.row_labels, m.percentages("row"), strict=True))
    cols = dict(zip(m.col_labels, zip(*m.percentages("col"), strict=True), strict=True))
    assert rows["A"][m.col_labels.index("staff")] == pytest.approx(66.7)
    assert cols["staff"][m.row_labels.index("B")] == pytest.approx(20.0)
    assert m.to_json("row")["percentages"] == m.percentages("row")


def test_json_is_exactly_the_contract_shape(small) -> None:  # type: ignore[no-untyped-def]
    data = count_matrix(small, "code", "attr:role").to_json()
    assert set(data) == {"rows", "cols", "count", "cells"}
    data = cooccurrence(small).to_json()
    assert set(data) == {"codes", "unit", "cells", "jaccard"}


def test_cooccurrence_hand_worked(small) -> None:  # type: ignore[no-untyped-def]
    c = cooccurrence(small, unit="segment")
    assert c.names == ["A", "A1", "A2", "B"]
    assert c.cells == [[7, 4, 3, 3], [4, 4, 0, 1], [3, 0, 3, 2], [3, 1, 2, 4]]
    assert c.jaccard[0][3] == pytest.approx(3 / 8)
    assert c.jaccard[1][2] == 0.0 and c.jaccard[0][0] == 1.0
    d = cooccurrence(small, unit="document")
    assert d.cells == [[3, 2, 2, 3], [2, 2, 1, 2], [2, 1, 2, 2], [3, 2, 2, 3]]
    bob = cooccurrence(small, filters=Filters(coder="bob", codes=("B", "A")))
    assert bob.names == ["A", "A1", "A2", "B"] and bob.cells[3][3] == 3 and bob.cells[0][3] == 0


@pytest.mark.parametrize(
    ("rows", "cols", "count", "message"),
    [
        ("code", "code", "codings", "co-occurrence"),
        ("coder", "coder", "codings", "two different"),
        ("speaker", "code", "codings", "must be code, document, coder or attr:KEY"),
        ("code", "attr:nosuch", "codings", "no document or respondent has this attribute"),
        ("code", "attr:role", "words", "--count words"),
    ],
)
def test_bad_queries_are_one_line_errors(small, rows, cols, count, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkbenchError, match=message):
        count_matrix(small, rows, cols, count=count)


def test_unknown_code_and_bad_unit(small) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkbenchError, match="no such code"):
        count_matrix(small, "code", "attr:role", filters=Filters(codes=("Nope",)))
    with pytest.raises(WorkbenchError, match="--unit"):
        cooccurrence(small, unit="sentence")


@pytest.mark.parametrize("count", ["segments", "characters", "codings"])
def test_query_plans_seek_segments_by_index(small, count: str) -> None:  # type: ignore[no-untyped-def]
    """No statement scans the segments table: each coding's segments are an index range."""
    scope = Scope.build(small, Filters(where=(("age_band", "65+"),)))
    sqls = [matrix_sql(scope, parse_dimension("code"), parse_dimension("attr:age_band"), count)]
    scope2 = Scope.build(small, Filters())
    sqls.append(cooccurrence_sql(scope2, "segment", ["a", "b"]))
    for sql, sc in zip(sqls, (scope, scope2), strict=True):
        plan = [r[3] for r in small.execute(sc.statement("EXPLAIN QUERY PLAN " + sql), sc.params)]
        for alias in ("sg", "f", "so", "sa", "da"):
            scans = [p for p in plan if p.startswith(f"SCAN {alias}") or p == f"SCAN {alias}"]
            assert not scans, plan
        if count == "segments":
            assert any(
                "SEARCH sg USING INDEX ix_segments_doc_start" in p and "start>?" in p for p in plan
            ), plan


# -- the demo project against an independent computation ----------------------------------


def demo_project(factory: pytest.TempPathFactory) -> Path:
    """The demo project, built once per test session (read-only for the tests using it)."""
    folder = factory.getbasetemp() / "analysis-demo"
    path = folder / "demo.sqlite"
    if not path.exists():
        folder.mkdir(exist_ok=True)
        path = build_demo(folder).project
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_project(tmp_path_factory)


@pytest.fixture(scope="module")
def independent(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Excerpts from `export excerpts`, lowest segments from `segments --format json`."""
    from workbench.cli import main

    out = tmp_path_factory.mktemp("indep") / "excerpts.csv"
    assert main(["export", "excerpts", "-o", str(out), "--project", str(demo)]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    segments: dict[str, list[tuple[int, int, int]]] = {}
    import contextlib
    import io

    for name in sorted({r["document"] for r in rows}):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["segments", name, "--format", "json", "--project", str(demo)]) == 0
        segs = json.loads(buf.getvalue())
        sentences = [s for s in segs if s["level"] == "sentence"]
        segments[name] = [(s["index"], s["start"], s["end"]) for s in (sentences or segs)]
    return {"rows": rows, "segments": segments}


def _units(ind: dict[str, object], row: dict[str, str]) -> set[tuple[str, int]]:
    start, end = int(row["start"]), int(row["end"])
    segs = ind["segments"][row["document"]]  # type: ignore[index]
    return {(row["document"], i) for i, s, e in segs if s < end and e > start}


def _union(spans: list[tuple[int, int]]) -> int:
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(spans):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s  # type: ignore[operator]
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + ((cur_e - cur_s) if cur_e is not None else 0)  # type: ignore[operator]


def expected_matrix(ind: dict[str, object], count: str) -> dict[tuple[str, str], int]:
    """(code name, role) -> count, a code standing for every path below it."""
    bags: dict[tuple[str, str], object] = {}
    for row in ind["rows"]:  # type: ignore[attr-defined]
        parts = row["code_path"].split(" > ")
        role = row["attr:role"]
        for depth in range(len(parts)):
            key = (parts[depth], role)
            if count == "codings":
                bags[key] = bags.get(key, 0) + 1  # type: ignore[operator]
            elif count == "documents":
                bags.setdefault(key, set()).add(row["document"])  # type: ignore[union-attr]
            elif count == "segments":
                bags.setdefault(key, set()).update(_units(ind, row))  # type: ignore[union-attr]
            else:
                per_doc = bags.setdefault(key, defaultdict(list))
                per_doc[row["document"]].append((int(row["start"]), int(row["end"])))  # type: ignore[index]
    out = {}
    for key, bag in bags.items():
        if count == "codings":
            out[key] = bag
        elif count == "characters":
            out[key] = sum(_union(v) for v in bag.values())  # type: ignore[attr-defined]
        else:
            out[key] = len(bag)  # type: ignore[arg-type]
    return out  # type: ignore[return-value]


@pytest.mark.parametrize("count", ["codings", "segments", "documents", "characters"])
def test_demo_matrix_agrees_with_the_excerpt_export(
    demo: Path, independent, cli, count: str
) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "matrix",
        "--rows",
        "code",
        "--cols",
        "attr:role",
        "--count",
        count,
        "--format",
        "json",
        "--project",
        demo,
    )
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["count"] == count and set(data) == {"rows", "cols", "count", "cells"}
    assert len(data["rows"]) == len(set(data["rows"])) == 52  # every code, zeros included
    expected = expected_matrix(independent, count)
    got = {
        (row, col): v
        for row, cells in zip(data["rows"], data["cells"], strict=True)
        for col, v in zip(data["cols"], cells, strict=True)
    }
    assert {k: v for k, v in got.items() if v} == expected
    assert sum(1 for v in expected.values() if v) > 100


def test_demo_totals_and_filters_agree(demo: Path, independent) -> None:  # type: ignore[no-untyped-def]
    rows = independent["rows"]
    project = open_project(demo)
    try:
        with project.read() as conn:
            m = count_matrix(conn, "document", "coder", count="segments")
            seg_total = set().union(*(_units(independent, r) for r in rows))
            assert m.total == len(seg_total)
            staff = count_matrix(
                conn,
                "code",
                "attr:practice",
                filters=Filters(codes=("Hidden work",), where=(("role", "staff"),)),
            )
            n = sum(
                1
                for r in rows
                if r["attr:role"] == "staff" and r["code_path"].startswith("Hidden work")
            )
            assert staff.row_totals[0] == n and staff.total == n
    finally:
        project.close()


@pytest.mark.parametrize("unit", ["segment", "document"])
def test_demo_cooccurrence_agrees_with_the_excerpt_export(
    demo: Path, independent, cli, unit: str
) -> None:  # type: ignore[no-untyped-def]
    r = cli("cooccurrence", "--unit", unit, "--format", "json", "--project", demo)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert set(data) == {"codes", "unit", "cells", "jaccard"} and data["unit"] == unit
    applied: dict[str, set[object]] = defaultdict(set)
    for row in independent["rows"]:
        units = _units(independent, row) if unit == "segment" else {row["document"]}
        for name in row["code_path"].split(" > "):
            applied[name] |= units
    names = data["codes"]
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            both = len(applied[a] & applied[b])
            assert data["cells"][i][j] == both, (a, b)
            union = len(applied[a] | applied[b])
            assert data["jaccard"][i][j] == pytest.approx(both / union if union else 0.0, abs=1e-4)
    assert any(data["cells"][i][j] for i in range(len(names)) for j in range(len(names)) if i != j)


def test_demo_speed_is_instant(demo: Path) -> None:
    import time

    project = open_project(demo)
    try:
        with project.read() as conn:
            t0 = time.perf_counter()
            for count in ("codings", "segments", "documents", "characters"):
                count_matrix(conn, "code", "attr:role", count=count)
            cooccurrence(conn)
            assert time.perf_counter() - t0 < 5
            assert conn.execute(text("SELECT count(*) FROM codings")).scalar_one() > 100
    finally:
        project.close()
