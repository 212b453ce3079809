"""The foundation commands through the real entry point (CONTRACT §2, §3, §5)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

CORE = FIXTURES / "core"


@pytest.fixture
def study(cli, project_file: Path, tmp_path: Path) -> Path:
    for name in ("interview_a.txt", "interview_b.txt"):
        shutil.copy(CORE / name, tmp_path / name)
    r = cli(
        "import",
        tmp_path / "interview_a.txt",
        tmp_path / "interview_b.txt",
        "--project",
        project_file,
    )
    assert r.code == 0, r.err
    assert cli("attributes", CORE / "attributes.csv", "--project", project_file).code == 0
    r = cli("codebook", "import", CORE / "codebook.yaml", "--project", project_file)
    assert r.code == 0, r.err
    return project_file


def test_missing_project_is_refused(cli, project_file: Path) -> None:
    r = cli("documents", "--project", project_file)
    assert r.code == 2
    assert "missing" in r.err
    assert not project_file.exists()


def test_init_then_refuses_to_overwrite(cli, project_file: Path) -> None:
    assert cli("init", "--project", project_file).code == 0
    assert project_file.exists()
    r = cli("init", "--project", project_file)
    assert r.code == 2 and "already exists" in r.err


def test_project_option_before_command_and_env(cli, project_file: Path, monkeypatch) -> None:
    assert cli("--project", project_file, "init").code == 0
    monkeypatch.setenv("WORKBENCH_PROJECT", str(project_file))
    r = cli("documents", "--format", "json")
    assert r.code == 0 and json.loads(r.out) == []


def test_import_prints_name_kind_segments(cli, study: Path, tmp_path: Path) -> None:
    r = cli("documents", "--format", "json", "--project", study)
    docs = {d["name"]: d for d in json.loads(r.out)}
    assert set(docs) == {"interview_a", "interview_b"}
    assert docs["interview_a"]["kind"] == "interview"
    assert docs["interview_a"]["attributes"]["role"] == "staff"
    # re-import of identical content is a no-op with a message
    r = cli("import", tmp_path / "interview_a.txt", "--project", study)
    assert r.code == 0 and "unchanged" in r.out


def test_segments_json_has_speakers_and_exact_text(cli, study: Path) -> None:
    r = cli("segments", "interview_a", "--format", "json", "--project", study)
    segs = json.loads(r.out)
    text = (CORE / "interview_a.txt").read_text(encoding="utf-8")
    speakers = {s["speaker"] for s in segs if s["level"] == "turn"}
    assert {"Interviewer", "P01"} <= speakers
    for s in segs:
        assert text[s["start"] : s["end"]] == s["text"]


def test_code_uncode_and_noop(cli, study: Path) -> None:
    def span(command: str, code: str):  # type: ignore[no-untyped-def]
        args = ("interview_a", "--start", "0", "--end", "9", "--code", code)
        return cli(command, *args, "--project", study)

    r = span("code", "Hidden work")
    assert r.code == 0, r.err
    r = span("code", "hidden-work")  # same code by id: a no-op
    assert r.code == 0 and "no change" in r.out
    r = cli("documents", "--format", "json", "--project", study)
    assert {d["name"]: d["codings"] for d in json.loads(r.out)}["interview_a"] == 1
    assert span("uncode", "Hidden work").code == 0
    r = span("uncode", "Hidden work")
    assert r.code == 2 and "no coding" in r.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "5", "--end", "5"], "start < end"),
        (["--start", "0", "--end", "999999"], "start < end"),
        (["--segment", "999"], "no such segment"),
        (["--start", "0"], "--start and --end"),
    ],
)
def test_bad_spans_are_refused(cli, study: Path, args: list[str], message: str) -> None:
    r = cli("code", "interview_a", *args, "--code", "Hidden work", "--project", study)
    assert r.code == 2
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_unknown_code_and_document(cli, study: Path) -> None:
    r = cli("code", "interview_a", "--segment", "1", "--code", "Nope", "--project", study)
    assert r.code == 2 and "no such code" in r.err
    r = cli("code", "interview_c", "--segment", "1", "--code", "Hidden work", "--project", study)
    assert r.code == 2 and "did you mean" in r.err


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_excerpts_contract(cli, study: Path, tmp_path: Path) -> None:
    segs = json.loads(cli("segments", "interview_b", "--format", "json", "--project", study).out)
    formula = next(s for s in segs if s["text"].startswith("=HYPERLINK"))
    turn = next(s for s in segs if s["speaker"] == "R" and s["level"] == "turn")
    for seg, code in ((formula, "Online easier"), (turn, "online-easier")):
        assert (
            cli(
                "code",
                "interview_b",
                "--segment",
                str(seg["index"]),
                "--code",
                code,
                "--memo",
                'said "twice"\nreally',
                "--project",
                study,
            ).code
            == 0
        )
    out = tmp_path / "excerpts.csv"
    r = cli("export", "excerpts", "-o", out, "--code", "Mental health", "--project", study)
    assert r.code == 0, r.err
    rows = _read_csv(out)
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:12] == [
        "document",
        "kind",
        "segment",
        "speaker",
        "start",
        "end",
        "code",
        "code_path",
        "coder",
        "created",
        "memo",
        "text",
    ]
    assert "attr:role" in header
    text = (CORE / "interview_b.txt").read_text(encoding="utf-8")
    for row in rows:
        expected = text[int(row["start"]) : int(row["end"])]
        if expected.startswith("="):
            assert row["text"] == "'" + expected  # formula injection neutralised
        else:
            assert row["text"] == expected
        assert row["code_path"] == "Mental health > Online easier"
        assert row["memo"] == 'said "twice"\nreally'
        assert row["attr:role"] == "patient"
        assert row["coder"] == "tester"
    assert len(rows) == 2
    # attribute filter and coder filter
    out2 = tmp_path / "none.csv"
    assert (
        cli("export", "excerpts", "-o", out2, "--where", "role=staff", "--project", study).code == 0
    )
    assert _read_csv(out2) == []


def test_attributes_csv_unknown_document_changes_nothing_when_strict(
    cli, study: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "attrs.csv"
    bad.write_text("document,role\ninterview_a,changed\nghost,x\n", encoding="utf-8")
    r = cli("attributes", bad, "--strict", "--project", study)
    assert r.code == 2 and "ghost" in r.err
    docs = json.loads(cli("documents", "--format", "json", "--project", study).out)
    assert {d["name"]: d["attributes"].get("role") for d in docs}["interview_a"] == "staff"


def test_documents_where_filter(cli, study: Path) -> None:
    r = cli("documents", "--where", "role=patient", "--format", "csv", "--project", study)
    lines = r.out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("interview_b")


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "documents", "--project", str(tmp_path / "x.sqlite")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "missing" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_files_are_all_reported_and_nothing_is_imported(
    cli, project_file: Path, tmp_path: Path
) -> None:
    assert cli("init", "--project", project_file).code == 0
    good = tmp_path / "good.txt"
    shutil.copy(CORE / "interview_a.txt", good)
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (tmp_path / "empty.txt").write_bytes(b"")
    r = cli(
        "import", good, tmp_path / "binary.txt", tmp_path / "empty.txt", "--project", project_file
    )
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(str(tmp_path / "binary.txt")) and "binary" in lines[0]
    assert lines[1].startswith(str(tmp_path / "empty.txt")) and "empty" in lines[1]
    assert json.loads(cli("documents", "--format", "json", "--project", project_file).out) == []
