"""Cases (CONTRACT §8): a participants sheet read before its transcripts arrive."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES

CORE = FIXTURES / "core"


def _sheet(tmp_path: Path) -> Path:
    sheet = tmp_path / "participants.csv"
    sheet.write_text(
        "participant,role,practice\n"
        "interview_a,GP,Brookfield\n"
        "interview_b,receptionist,Moorside\n"
        "P09,patient,Elmwood\n",
        encoding="utf-8",
    )
    return sheet


def _attrs(cli, project: Path) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    out = cli("documents", "--format", "json", "--project", project).out
    return {d["name"]: d["attributes"] for d in json.loads(out)}


def test_sheet_before_transcripts(cli, project_file: Path, tmp_path: Path) -> None:
    assert cli("init", "--project", project_file).code == 0
    r = cli("attributes", _sheet(tmp_path), "--project", project_file)
    assert r.code == 0, r.err
    assert "0 rows matched" in r.out and "3 wait" in r.out
    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    assert _attrs(cli, project_file) == {"interview_a": {"role": "GP", "practice": "Brookfield"}}
    cases = json.loads(cli("cases", "--format", "json", "--project", project_file).out)
    by_name = {c["case"]: c for c in cases}
    assert by_name["interview_a"]["documents"] == ["interview_a"]
    assert by_name["P09"]["documents"] == []


def test_case_option_and_attr_override(cli, project_file: Path, tmp_path: Path) -> None:
    assert cli("init", "--project", project_file).code == 0
    assert cli("attributes", _sheet(tmp_path), "--project", project_file).code == 0
    r = cli(
        "import",
        CORE / "interview_b.txt",
        "--name",
        "P09_followup",
        "--case",
        "P09",
        "--attr",
        "practice=Elmwood East",
        "--project",
        project_file,
    )
    assert r.code == 0, r.err
    assert _attrs(cli, project_file) == {
        "P09_followup": {"role": "patient", "practice": "Elmwood East"}
    }


def test_sheet_after_transcripts_and_mixed(cli, project_file: Path, tmp_path: Path) -> None:
    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    r = cli("attributes", _sheet(tmp_path), "--project", project_file)
    assert r.code == 0 and "1 rows matched" in r.out and "2 wait" in r.out
    assert _attrs(cli, project_file)["interview_a"] == {"role": "GP", "practice": "Brookfield"}
    assert cli("import", CORE / "interview_b.txt", "--project", project_file).code == 0
    assert _attrs(cli, project_file)["interview_b"]["role"] == "receptionist"


def test_strict_refuses_and_changes_nothing(cli, project_file: Path, tmp_path: Path) -> None:
    assert cli("import", CORE / "interview_a.txt", "--project", project_file).code == 0
    r = cli("attributes", _sheet(tmp_path), "--strict", "--project", project_file)
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 2  # interview_b and P09
    assert _attrs(cli, project_file) == {"interview_a": {}}
    assert json.loads(cli("cases", "--format", "json", "--project", project_file).out) == []
