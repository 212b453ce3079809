"""Agreement statistics against scikit-learn and the krippendorff package, and via the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from conftest import FIXTURES
from sklearn.metrics import cohen_kappa_score

from workbench.analysis.stats import cohen_kappa, krippendorff_alpha_nominal, percent_agreement

CORE = FIXTURES / "core"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kappa_and_alpha_match_reference_packages(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, 200)
    b = np.where(rng.random(200) < 0.7, a, rng.integers(0, 2, 200))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    ref = krippendorff.alpha(
        reliability_data=np.vstack([a, b]).astype(float), level_of_measurement="nominal"
    )
    assert krippendorff_alpha_nominal(a, b) == pytest.approx(ref)


def test_hand_worked_cases() -> None:
    a = np.array([1, 0, 1, 0, 1, 1])
    assert cohen_kappa(a, a) == 1.0 and krippendorff_alpha_nominal(a, a) == 1.0
    assert cohen_kappa(a, 1 - a) == pytest.approx(-0.8)  # total disagreement
    never = np.zeros(6, dtype=int)
    assert cohen_kappa(a, never) == 0.0  # one coder never applies the code
    assert percent_agreement(a, never) == pytest.approx(2 / 6)
    assert cohen_kappa(never, never) is None  # undefined, not a fake 1.0


def _setup(cli, project_file: Path) -> None:
    assert (
        cli(
            "import", CORE / "interview_a.txt", CORE / "interview_b.txt", "--project", project_file
        ).code
        == 0
    )
    assert cli("codebook", "import", CORE / "codebook.yaml", "--project", project_file).code == 0
    segs = json.loads(
        cli("segments", "interview_a", "--format", "json", "--project", project_file).out
    )
    turns = [s for s in segs if s["level"] == "turn" and s["speaker"] == "P01"]
    for coder, idxs in (("ann", [0, 1]), ("ben", [1])):
        for i in idxs:
            assert (
                cli(
                    "code",
                    "interview_a",
                    "--segment",
                    str(turns[i]["index"]),
                    "--code",
                    "Hidden work",
                    "--coder",
                    coder,
                    "--project",
                    project_file,
                ).code
                == 0
            )
    # ben also codes interview_b, which ann never touched: it is not compared
    assert (
        cli(
            "code",
            "interview_b",
            "--start",
            "0",
            "--end",
            "5",
            "--code",
            "Hidden work",
            "--coder",
            "ben",
            "--project",
            project_file,
        ).code
        == 0
    )


def test_agreement_cli_json_and_min(cli, project_file: Path, tmp_path: Path) -> None:
    _setup(cli, project_file)
    r = cli(
        "agreement",
        "--coder",
        "ann",
        "--coder",
        "ben",
        "--format",
        "json",
        "--disagreements",
        tmp_path / "dis.csv",
        "--project",
        project_file,
    )
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["unit"] == "segment" and data["coders"] == ["ann", "ben"]
    assert data["documents"] == ["interview_a"]
    for key in ("kappa", "alpha", "percent_agreement"):
        assert key in data["overall"]
    (code,) = data["per_code"]
    assert code["code"] == "Hidden work" and code["count_a"] > code["count_b"] > 0
    with (tmp_path / "dis.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["applied_by"] == "ann" for r in rows)
    r = cli(
        "agreement", "--coder", "ann", "--coder", "ben", "--min", "0.99", "--project", project_file
    )
    assert r.code == 1 and "below" in r.err
    r = cli(
        "agreement",
        "--coder",
        "ann",
        "--coder",
        "ben",
        "--unit",
        "character",
        "--format",
        "json",
        "--project",
        project_file,
    )
    assert json.loads(r.out)["unit"] == "character"


def test_agreement_bad_input(cli, project_file: Path) -> None:
    _setup(cli, project_file)
    r = cli("agreement", "--coder", "ann", "--project", project_file)
    assert r.code == 2 and "two coders" in r.err
    r = cli("agreement", "--coder", "ann", "--coder", "zoe", "--project", project_file)
    assert r.code == 2 and "zoe" in r.err


def test_disagreement_csv_says_which_are_settled(cli, project_file: Path, tmp_path: Path) -> None:
    from workbench.services.resolve import resolve
    from workbench.store.db import open_project

    _setup(cli, project_file)
    out = tmp_path / "dis.csv"
    args = ("agreement", "--coder", "ann", "--coder", "ben", "--disagreements", out)
    assert cli(*args, "--project", project_file).code == 0
    with out.open(encoding="utf-8", newline="") as fh:
        before = list(csv.DictReader(fh))
    assert before and all(r["settled"] == "" for r in before)
    first = before[0]
    proj = open_project(project_file)
    try:
        with proj.begin() as conn:
            resolve(
                conn,
                first["document"],
                int(first["segment"]),
                first["code"],
                "ann",
                "ben",
                "keep_a",
                "carol",
            )
    finally:
        proj.close()
    assert cli(*args, "--project", project_file).code == 0
    with out.open(encoding="utf-8", newline="") as fh:
        after = list(csv.DictReader(fh))
    assert len(after) == len(before)
    assert after[0]["settled"] == "kept ann · by carol"
    assert all(r["settled"] == "" for r in after[1:])
