"""The formula guard round trip (issue #10): our own excerpt CSV comes back exactly.

Rule (workbench/csvsafe.py): on export a text cell beginning with `= + - @`, tab or
CR, or with `'`s followed by one of those, gets one `'` in front; on import of our excerpt
CSV a cell beginning with `'` followed by that (after any further `'`s) loses exactly one.
"""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES

from workbench.csvsafe import csv_text, neutralise, restore

CORE = FIXTURES / "core"
CODEBOOK = """\
codebook: Formula names
version: 1
codes:
  - name: "-minus"
    id: minus
    description: A code whose name begins with a minus.
  - name: "@at"
    id: at
    description: A code whose name begins with an at sign.
    children:
      - name: "=child"
        id: child
        description: A child whose name begins with an equals sign.
"""
CODINGS = [  # segment, code, coder, memo
    ("2", "minus", "=coder()", "+memo"),
    ("4", "child", "@team", "'=quoted"),
    ("6", "at", "'apostrophe", "'plain note"),
    ("8", "minus", "-dash", "\ttabbed"),
]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=coder()", "'=coder()"),
        ("+memo", "'+memo"),
        ("-minus", "'-minus"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("\rcr", "'\rcr"),
        ("'=x", "''=x"),
        ("''=x", "'''=x"),
        ("'hello", "'hello"),
        ("'", "'"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_rule_both_ways(value: str, cell: str) -> None:
    assert neutralise(value) == cell
    assert restore(cell) == value


def test_import_rule_as_specified() -> None:
    assert restore("'=coder()") == "=coder()"
    assert restore("''=x") == "'=x"
    assert restore("'hello") == "'hello"  # a real leading apostrophe is kept
    assert restore("''hello") == "''hello"


def test_every_short_string_round_trips_through_a_csv() -> None:
    alphabet = ["'", "=", "-", "@", "+", "\t", "\r", "a", " "]
    values = ["".join(p) for n in range(5) for p in itertools.product(alphabet, repeat=n)]
    text = csv_text(["value"], [[v] for v in values])
    back = [restore(row[0]) for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]
    assert back == values


def _codings(project: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"file:{project}?mode=ro", uri=True)
    try:
        return con.execute(
            'SELECT d.name, c.start, c."end", c.code_id, c.coder, c.memo, c.created '
            "FROM codings c JOIN documents d ON d.id = c.document_id ORDER BY c.start"
        ).fetchall()
    finally:
        con.close()


def _study(cli, path: Path, codebook: Path) -> Path:  # type: ignore[no-untyped-def]
    r = cli(
        "import",
        CORE / "interview_a.txt",
        "--name",
        "=EVILDOC()",
        "--attr",
        "note==1+1",
        "-p",
        path,
    )
    assert r.code == 0, r.err
    assert cli("codebook", "import", codebook, "-p", path).code == 0
    return path


def test_export_import_export_is_identical(cli, tmp_path: Path) -> None:
    codebook = tmp_path / "formula.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    a = _study(cli, tmp_path / "a.sqlite", codebook)
    b = _study(cli, tmp_path / "b.sqlite", codebook)
    for segment, code, coder, memo in CODINGS:
        r = cli(
            "code", "=EVILDOC()", "--segment", segment, "--code", code,
            "--coder", coder, "--memo", memo, "-p", a,
        )  # fmt: skip
        assert r.code == 0, r.err

    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    assert cli("export", "excerpts", "-o", x, "-p", a).code == 0
    rows = list(csv.DictReader(io.StringIO(x.read_text(encoding="utf-8"), newline="")))
    assert {r["document"] for r in rows} == {"'=EVILDOC()"}
    assert [r["coder"] for r in rows] == ["'=coder()", "'@team", "'apostrophe", "'-dash"]
    assert [r["memo"] for r in rows] == ["'+memo", "''=quoted", "'plain note", "'\ttabbed"]
    assert [r["code"] for r in rows] == ["'-minus", "'=child", "'@at", "'-minus"]
    assert rows[1]["code_path"] == "'@at > =child"
    assert {r["attr:note"] for r in rows} == {"'=1+1"}

    r = cli("import", x, "-p", b)
    assert r.code == 0, r.err
    assert "4 codings imported, 0 already present, 0 rows reported" in r.out, r.out
    assert _codings(b) == _codings(a)
    assert [(c[4], c[5]) for c in _codings(b)] == [(c, m) for _, _, c, m in CODINGS]

    assert cli("export", "excerpts", "-o", y, "-p", b).code == 0
    assert y.read_bytes() == x.read_bytes()
    r = cli("import", y, "-p", b)  # and once more: nothing new, nothing refused
    assert "0 codings imported, 4 already present, 0 rows reported" in r.out, r.out
