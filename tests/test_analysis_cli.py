"""The analysis commands end to end: matrix and cooccurrence as table, CSV, JSON, .csv/.xlsx/
.json files (read back), charts as real PNG and SVG, errors as one line, lazy imports."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml import ElementTree
from test_analysis_matrix import build_small

from workbench.services import code_edit
from workbench.services.coding import add_coding
from workbench.store.db import open_project

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The hand-worked project plus a code whose name looks like a spreadsheet formula."""
    path = build_small(tmp_path / "small.sqlite")
    project = open_project(path)
    try:
        with project.begin() as conn:
            code_edit.add_code(conn, "=HYPERLINK(1)")
            add_coding(conn, "alpha", 0, 4, "=HYPERLINK(1)", "alice")
    finally:
        project.close()
    return path


def test_matrix_table(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("matrix", "--rows", "code", "--cols", "attr:role", "--project", small)
    assert r.code == 0, r.err
    assert "Codings: code × role" in r.out
    lines = {line.split("│")[1].strip(): line for line in r.out.splitlines() if line.count("│") > 3}
    assert [c.strip() for c in lines["A"].split("│")[2:-1]] == ["1", "4", "1", "6"]
    assert [c.strip() for c in lines["total"].split("│")[2:-1]] == ["2", "6", "2", "10"]
    assert "  A1" in r.out  # children indented


def test_matrix_percent_table_and_json(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "matrix", "--rows", "code", "--cols", "attr:role", "--percent", "row", "--project", small
    )
    assert r.code == 0 and "4 (66.7%)" in r.out
    r = cli(
        "matrix",
        "--rows",
        "code",
        "--cols",
        "coder",
        "--percent",
        "col",
        "--format",
        "json",
        "-p",
        small,
    )
    data = json.loads(r.out)
    assert data["percent"] == "col" and data["cols"] == ["alice", "bob"]
    assert data["percentages"][data["rows"].index("B")] == [pytest.approx(100 / 8, abs=0.05), 100.0]
    r = cli("matrix", "--rows", "code", "--cols", "coder", "--percent", "diagonal", "-p", small)
    assert r.code == 2 and r.err.count("\n") == 1 and "--percent" in r.err


def test_matrix_csv_is_formula_safe(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("matrix", "--rows", "code", "--cols", "document", "--format", "csv", "-p", small)
    assert r.code == 0
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[0] == ["code", "alpha", "beta", "survey"]
    assert ["'=HYPERLINK(1)", "1", "0", "0"] in rows
    out = tmp_path / "m.csv"
    r = cli("matrix", "--rows", "code", "--cols", "document", "-o", out, "-p", small)
    assert r.code == 0 and "wrote 5 x 3 matrix (codings)" in r.out
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == rows


def test_matrix_xlsx_has_numbers_and_frozen_panes(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    out = tmp_path / "m.xlsx"
    r = cli(
        "matrix",
        "--rows",
        "code",
        "--cols",
        "attr:role",
        "--count",
        "segments",
        "--percent",
        "row",
        "-o",
        out,
        "-p",
        small,
    )
    assert r.code == 0, r.err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["segments", "row %", "about"]
    ws = wb["segments"]
    assert ws.freeze_panes == "B2"
    assert [c.value for c in ws[1]] == ["code", "patient", "staff", "survey"]
    body = {row[0].value: [c.value for c in row[1:]] for row in ws.iter_rows(min_row=2)}
    assert body["A"] == [2, 4, 1] and body["B"] == [1, 2, 1]
    assert all(isinstance(v, int) for row in body.values() for v in row)
    formula = next(row[0] for row in ws.iter_rows(min_row=2) if row[0].value == "=HYPERLINK(1)")
    assert formula.data_type == "s"  # text, not a formula
    assert ws["A3"].alignment.indent == 1  # A1 under A
    pct = wb["row %"]
    assert pct.freeze_panes == "B2" and isinstance(pct["C2"].value, float)
    about = {row[0].value: row[1].value for row in wb["about"].iter_rows()}
    assert about["count"] == "segments" and about["rows"] == "code"


def test_matrix_json_file_and_bad_output(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "m.json"
    assert cli("matrix", "--rows", "coder", "--cols", "attr:role", "-o", out, "-p", small).code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data == {
        "rows": ["alice", "bob"],
        "cols": ["patient", "staff", "survey"],
        "count": "codings",
        "cells": [[1, 5, 2], [1, 1, 0]],
    }
    for bad in ("m.pdf", "m"):
        r = cli("matrix", "--rows", "code", "--cols", "coder", "-o", tmp_path / bad, "-p", small)
        assert r.code == 2 and r.err.count("\n") == 1 and ".xlsx" in r.err
    r = cli("matrix", "--rows", "code", "--cols", "attr:nosuch", "-p", small)
    assert r.code == 2 and "attributes: role" in r.err and r.err.count("\n") == 1
    r = cli("matrix", "--rows", "code", "--cols", "coder", "-p", tmp_path / "missing.sqlite")
    assert r.code == 2 and "missing" in r.err


def test_cooccurrence_formats(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    r = cli("cooccurrence", "--format", "json", "-p", small)
    data = json.loads(r.out)
    assert data["codes"] == ["A", "A1", "A2", "B", "=HYPERLINK(1)"] and data["unit"] == "segment"
    assert data["cells"][0] == [7, 4, 3, 3, 1]  # =HYPERLINK(1) is on sentence 1, as is A
    r = cli("cooccurrence", "--code", "A", "--code", "B", "-p", small)
    assert r.code == 0 and "Code co-occurrence (segments)" in r.out
    r = cli(
        "cooccurrence", "--jaccard", "--format", "csv", "--code", "B", "--code", "A", "-p", small
    )
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[0] == ["code (jaccard)", "A", "A1", "A2", "B"] and rows[1][4] == "0.375"
    out = tmp_path / "c.xlsx"
    assert cli("cooccurrence", "--unit", "document", "-o", out, "-p", small).code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["counts", "jaccard", "about"]
    assert wb["counts"].freeze_panes == "B2" and wb["counts"]["B2"].value == 3
    assert wb["jaccard"]["B2"].value == 1
    r = cli("cooccurrence", "--unit", "turn", "-p", small)
    assert r.code == 2 and "--unit" in r.err


def test_cooccurrence_pairs_for_many_codes(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    project = open_project(small)
    try:
        with project.begin() as conn:
            for i in range(12):
                code_edit.add_code(conn, f"Extra {i}")
    finally:
        project.close()
    r = cli("cooccurrence", "-p", small)
    assert r.code == 0 and "listing the pairs" in r.err
    pairs = [line for line in r.out.splitlines() if line.count("│") > 5]
    # A with its own children is not a pair (roll-up); A2 with B is, twice over
    assert not any("│ A " in p and "│ A1 " in p for p in pairs)
    assert any("│ A2 " in p and "│ B " in p and "│    2 │" in p for p in pairs)


def _svg(path: Path):  # type: ignore[no-untyped-def]
    return ElementTree.parse(path).getroot()


def test_charts_are_real_png_and_svg(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    assert cli("chart", "frequency", "-o", png, "-p", small).code == 0
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000
    width = int.from_bytes(data[16:20], "big")
    assert width == pytest.approx(6.3 * 300, abs=2)  # 160 mm at 300 dpi
    r = cli("chart", "frequency", "--count", "segments", "-o", svg, "-p", small)
    assert r.code == 0 and "wrote frequency chart" in r.out
    root = _svg(svg)
    assert root.tag.endswith("svg") and root.get("width") == "453.6pt"
    text = svg.read_text(encoding="utf-8")
    assert text.count('id="patch_') >= 5 + 2  # five bars, figure and axes backgrounds
    assert "fill: #4e79a7" in text  # A in its colour
    for kind, extra in (
        ("matrix", ["--rows", "code", "--cols", "attr:role"]),
        ("matrix", ["--rows", "attr:role", "--cols", "code", "--percent", "row"]),
        ("cooccurrence", ["--jaccard"]),
        ("cooccurrence", ["--unit", "document", "--code", "A"]),
    ):
        for suffix in (".png", ".svg"):
            out = tmp_path / f"{kind}{len(extra)}{suffix}"
            r = cli("chart", kind, *extra, "-o", out, "-p", small)
            assert r.code == 0, r.err
            if suffix == ".png":
                assert out.read_bytes().startswith(PNG_MAGIC) and out.stat().st_size > 20_000
            else:
                assert _svg(out).tag.endswith("svg") and out.stat().st_size > 20_000


def test_chart_errors(cli, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("chart", "matrix", "-o", tmp_path / "m.png", "-p", small)
    assert r.code == 2 and "--rows and --cols" in r.err
    r = cli("chart", "frequency", "-o", tmp_path / "m.jpg", "-p", small)
    assert r.code == 2 and ".png or .svg" in r.err
    r = cli("chart", "pie", "-o", tmp_path / "m.png", "-p", small)
    assert r.code == 2
    assert not list(tmp_path.glob("m.*"))


def test_chart_labels_fit() -> None:
    from workbench.analysis.charts import fit, shorten, text_width, wrap_label

    long = "NHS England, commissioners and government bodies responsible for digital access"
    short = fit(long, 2.0)
    assert short.endswith("…") and text_width(short) <= 2.0 and short.startswith("NHS England")
    assert fit("Age", 2.0) == "Age"
    assert shorten("Supercalifragilistic", 8) == "Superca…"
    assert wrap_label("Inequalities and exclusion", 14).count("\n") == 1


def test_analysis_modules_import_nothing_heavy() -> None:
    modules = [
        "workbench.analysis.matrix",
        "workbench.analysis.cooccurrence",
        "workbench.analysis.tables",
        "workbench.analysis.charts",
        "workbench.analysis.report",
        "workbench.analysis.report_docx",
        "workbench.analysis.report_text",
        "workbench.cli.analysis_cmds",
    ]
    code = (
        f"import sys, {', '.join(modules)}\n"
        "bad = [m for m in ('matplotlib', 'openpyxl', 'docx', 'textual', 'torch', 'spacy') "
        "if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
