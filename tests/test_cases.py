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
    listed = json.loads(cli("documents", "--format", "json", "--project", project_file).out)
    assert [(d["name"], d["case"]) for d in listed] == [("P09_followup", "P09")]
    table = cli("documents", "--format", "csv", "--project", project_file).out.splitlines()
    assert table[0].startswith("name,kind,case,") and table[1].startswith(
        "P09_followup,interview,P09,"
    )


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


def test_cases_go_out_as_refi_cases_and_come_back(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One REFI Case per case with a SourceRef to each of its documents; a case still
    waiting for its transcripts is exported too, and an import keeps both."""
    import zipfile

    from defusedxml import ElementTree

    src, dst = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    assert cli("init", "--project", src).code == 0
    assert cli("attributes", _sheet(tmp_path), "--project", src).code == 0
    for name in ("P09_first", "P09_second"):
        args = ("import", CORE / "interview_b.txt", "--name", name, "--case", "P09")
        assert cli(*args, "--project", src).code == 0
    extra = ("--attr", "site=annex")
    assert cli("import", CORE / "interview_a.txt", *extra, "--project", src).code == 0
    out = tmp_path / "p.qdpx"
    assert cli("export", "qdpx", "-o", out, "--project", src).code == 0

    with zipfile.ZipFile(out) as z:
        root = ElementTree.fromstring(z.read("project.qde"))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    sources = {e.get("guid"): e.get("name") for e in root.iterfind(".//q:TextSource", ns)}
    cases = {
        c.get("name"): sorted(sources[r.get("targetGUID")] for r in c.iterfind("q:SourceRef", ns))
        for c in root.iterfind("q:Cases/q:Case", ns)
    }
    assert cases == {
        "P09": ["P09_first", "P09_second"],
        "interview_a": ["interview_a"],
        "interview_b": [],  # waiting: the sheet's row is not lost
    }

    assert cli("import", out, "--project", dst).code == 0
    assert _attrs(cli, dst) == _attrs(cli, src)
    assert _attrs(cli, dst)["interview_a"] == {
        "role": "GP",
        "practice": "Brookfield",
        "site": "annex",
    }
    back = {
        c["case"]: c for c in json.loads(cli("cases", "--format", "json", "--project", dst).out)
    }
    assert back["P09"]["documents"] == ["P09_first", "P09_second"]
    assert back["P09"]["attributes"] == {"role": "patient", "practice": "Elmwood"}
    assert back["interview_b"]["documents"] == []
    assert back["interview_b"]["attributes"] == {"role": "receptionist", "practice": "Moorside"}
    # the waiting row still applies when its transcript arrives later
    assert cli("import", CORE / "interview_b.txt", "--project", dst).code == 0
    assert _attrs(cli, dst)["interview_b"] == {"role": "receptionist", "practice": "Moorside"}
