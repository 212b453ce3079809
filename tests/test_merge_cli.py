"""`workbench codebook merge` through the real entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from workbench.codebook.merge.cli_glue import book_labels
from workbench.codebook.yaml_io import load_codebook

CODEBOOKS = FIXTURES / "codebooks"


@pytest.fixture
def team(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "coder-a.yaml", tmp_path / "coder-b.yaml"
    shutil.copy(CODEBOOKS / "team-a.yaml", a)
    shutil.copy(CODEBOOKS / "team-b.yaml", b)
    return a, b


def test_merge_writes_codebook_and_report(cli, team, tmp_path: Path) -> None:
    a, b = team
    out, report = tmp_path / "merged.yaml", tmp_path / "merge.md"
    r = cli("codebook", "merge", a, b, "-o", out, "--report", report, "--no-meaning")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "2 codebooks, 25 codes -> 20 codes; 5 merges, 5 conflicts for a human",
        f"wrote {out}",
        f"wrote report {report}",
    ]
    merged = load_codebook(out)
    names = [c.name for c in merged.codes]
    assert "Trust (coder-a)" in names and "Trust (coder-b)" in names
    text = report.read_text(encoding="utf-8")
    assert "**Books:** 1. coder-a.yaml (11 codes); 2. coder-b.yaml (14 codes)" in text
    assert "**Meaning matching:** skipped: --no-meaning given" in text
    # same command again: byte-identical outputs
    first = out.read_bytes(), report.read_bytes()
    assert cli("codebook", "merge", a, b, "-o", out, "--report", report, "--no-meaning").code == 0
    assert (out.read_bytes(), report.read_bytes()) == first


def test_plan_then_apply(cli, team, tmp_path: Path) -> None:
    a, b = team
    out, plan = tmp_path / "merged.yaml", tmp_path / "plan.yaml"
    r = cli("codebook", "merge", a, b, "-o", out, "--plan", plan, "--no-meaning")
    assert r.code == 0, r.err
    assert "nothing merged yet" in r.out
    assert plan.exists() and not out.exists()
    r = cli("codebook", "merge", a, b, "-o", out, "--apply", plan)
    assert r.code == 0, r.err
    direct = tmp_path / "direct.yaml"
    assert cli("codebook", "merge", a, b, "-o", direct, "--no-meaning").code == 0
    assert out.read_bytes() == direct.read_bytes()
    # a broken plan: exit 2, FILE:LINE lines, nothing written
    out.unlink()
    plan.write_text(plan.read_text().replace("  - action: merge", "  - action: fuse", 1))
    r = cli("codebook", "merge", a, b, "-o", out, "--apply", plan)
    assert r.code == 2
    assert r.err.startswith(f"{plan}:") and "'action' must be" in r.err
    assert not out.exists()


def test_usage_errors(cli, team, tmp_path: Path) -> None:
    a, b = team
    out = tmp_path / "m.yaml"
    both = cli(
        "codebook",
        "merge",
        a,
        b,
        "-o",
        out,
        "--plan",
        tmp_path / "p.yaml",
        "--apply",
        tmp_path / "p.yaml",
    )
    assert both.code == 2 and "not both" in both.err
    assert cli("codebook", "merge", a, b, "--no-meaning").code == 2  # no -o
    one = cli("codebook", "merge", a, "-o", out)
    assert one.code == 2 and "at least two" in one.err
    over = cli("codebook", "merge", a, b, "-o", a, "--no-meaning")
    assert over.code == 2 and "one of the input codebooks" in over.err
    assert not out.exists()


def test_invalid_inputs_list_every_problem(cli, team, tmp_path: Path) -> None:
    a, b = team
    a.write_text("codebook: A\ncodes:\n  - name: X\n    colour: red\n")
    b.write_text("codebook: B\ncodes: []\n")
    r = cli("codebook", "merge", a, b, "-o", tmp_path / "m.yaml", "--no-meaning")
    assert r.code == 2
    lines = r.err.splitlines()
    assert lines[0].startswith(f"{a}:4: code 'X': unknown key 'colour'")
    assert lines[1] == f"{b}:2: 'codes' is empty: a codebook needs at least one code"
    assert "Traceback" not in r.err


def test_labels_are_file_names_unless_they_repeat(tmp_path: Path) -> None:
    assert book_labels([Path("x/coder-a.yaml"), Path("y/coder-b.yaml")]) == [
        "coder-a.yaml",
        "coder-b.yaml",
    ]
    assert book_labels([Path("x/book.yaml"), Path("y/book.yaml")]) == [
        "x/book.yaml",
        "y/book.yaml",
    ]
