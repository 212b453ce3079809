"""The acceptance scenario of issue 14 through real processes, and every way out with
--pseudonymise: no accepted identifier in it; the plain export and the store unchanged."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CARER = REPO / "tests" / "fixtures" / "pseudonyms" / "carer_pryce.txt"
FOLLOW_UP = """Interviewer: Last time you mentioned your mum.

Janet Pryce: Yes, Edith Pryce, she's still at Riverside Surgery with Dr Okafor. Colin visits on Sundays.
"""
CODEBOOK = "codebook: Carers\ncodes:\n  - name: Support\n  - name: Access\n"
ORDINARY = ("in May", "the Trust", "Victoria line", "her bath", "NHS App")


def run(*args: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WORKBENCH_CODER": "tester"}
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def stored_texts(db: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return {n: hashlib.sha256(t.encode()).hexdigest() for n, t in con.execute(
            "SELECT name, text FROM documents")}  # fmt: skip


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pseudonyms")
    db = d / "study.sqlite"
    follow = d / "carer_pryce_2.txt"
    follow.write_text(FOLLOW_UP, encoding="utf-8")
    (d / "book.yaml").write_text(CODEBOOK, encoding="utf-8")
    (d / "people.csv").write_text(
        "document,practice,contact\ncarer_pryce,Riverside Surgery,janet.pryce@example.org\n",
        encoding="utf-8",
    )
    run("import", CARER, follow, "-p", db)
    run("codebook", "import", d / "book.yaml", "-p", db)
    run("attributes", d / "people.csv", "-p", db)
    text = CARER.read_text(encoding="utf-8")
    for phrase, memo in (
        ("The surgery is Riverside Surgery", "Janet Pryce praises Dr Okafor"),
        ("Her NHS number is 943 476 5919", "rang 01423 555 018"),
        ("kafor is the only one who listens", "Edith trusts him"),  # cuts a name in half
        ("I look after my mum, Edith Pryce", "lives in Harrogate"),
    ):
        start = text.index(phrase)
        run("code", "carer_pryce", "--start", start, "--end", start + len(phrase),
            "--code", "Support", "--memo", memo, "-p", db)  # fmt: skip
    start = FOLLOW_UP.index("Yes, Edith Pryce")
    run("code", "carer_pryce_2", "--start", start, "--end", start + 40, "--code", "Access",
        "-p", db)  # fmt: skip
    return db


def accepted(db: Path) -> list[str]:
    rows = json.loads(run("pseudonyms", "list", "--status", "accepted", "--format", "json",
                          "-p", db).stdout)  # fmt: skip
    return [r["text"] for r in rows]


def assert_clean(output: str, identifiers: list[str]) -> None:
    leaked = [t for t in identifiers if t in output]
    assert leaked == []


def test_detect_accept_and_every_way_out(study: Path) -> None:
    before = stored_texts(study)
    out = run("pseudonyms", "detect", "-p", study).stdout
    for kind in ("person", "place", "organisation", "nhs_number", "phone", "postcode", "email",
                 "date_of_birth", "document"):  # fmt: skip
        assert f"{kind}\t" in out
    rows = json.loads(run("pseudonyms", "list", "--format", "json", "-p", study).stdout)
    assert {r["status"] for r in rows} == {"proposed"}
    by_text = {r["text"]: r for r in rows}
    for must in ("Janet Pryce", "Edith Pryce", "Dr Okafor", "943 476 5919", "01423 555 018",
                 "07700 900 461", "HG1 4QT", "janet.pryce@example.org", "14/02/1938",
                 "Riverside Surgery", "carer_pryce"):  # fmt: skip
        assert must in by_text, must
    assert by_text["Janet"]["replacement"] == by_text["Janet Pryce"]["replacement"]
    assert by_text["Riverside Surgery"]["replacement"].startswith("[Practice ")
    assert by_text["943 476 5919"]["replacement"] == "[NHS number]"
    for word in ("May", "Trust", "the Trust", "Victoria", "Mum", "NHS App"):
        assert word not in by_text, word
    assert "accepted 0" not in run("pseudonyms", "accept", "--all", "-p", study).stdout
    ids = accepted(study)
    assert len(ids) == len(rows)
    d = study.parent

    run("export", "excerpts", "-o", d / "plain.csv", "-p", study)
    run("export", "excerpts", "--pseudonymise", "-o", d / "pseudo.csv", "-p", study)
    plain = (d / "plain.csv").read_text(encoding="utf-8")
    pseudo = (d / "pseudo.csv").read_text(encoding="utf-8")
    assert_clean(pseudo, ids)
    assert "Riverside Surgery" in plain and "Dr Okafor" in plain and "carer_pryce" in plain
    table = list(csv.DictReader(io.StringIO(pseudo)))
    janet = by_text["Janet Pryce"]["replacement"]
    assert {r["speaker"] for r in table if r["document"] == "[Document 1]"} == {janet}
    assert {r["attr:practice"] for r in table if r["attr:practice"]} == {
        by_text["Riverside Surgery"]["replacement"]
    }
    assert any(r["text"].endswith("is the only one who listens") and
               r["text"].startswith("[Person") for r in table)  # fmt: skip
    # the same person has the same stand-in in both documents
    edith = by_text["Edith Pryce"]["replacement"]
    assert sum(edith in r["text"] for r in table) >= 2
    assert len({r["document"] for r in table}) == 2
    for word in ("May", "the Trust"):
        assert word in (CARER.read_text())  # still in the source
    run("export", "qdpx", "--pseudonymise", "-o", d / "pseudo.qdpx", "-p", study)
    with zipfile.ZipFile(d / "pseudo.qdpx") as zf:
        archive = "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    assert_clean(archive, ids)
    # the archive is whole: selections moved with the text, so it imports and checks clean
    run("import", d / "pseudo.qdpx", "-p", d / "reimported.sqlite")
    run("check", "-p", d / "reimported.sqlite")
    run("export", "excerpts", "-o", d / "re.csv", "-p", d / "reimported.sqlite")
    re_rows = list(csv.DictReader(io.StringIO((d / "re.csv").read_text(encoding="utf-8"))))
    assert sorted(r["text"] for r in re_rows) == sorted(r["text"] for r in table)
    assert {r["document"] for r in re_rows} == {r["document"] for r in table}
    run("export", "qdpx", "-o", d / "plain.qdpx", "-p", study)
    with zipfile.ZipFile(d / "plain.qdpx") as zf:
        assert "Dr Okafor" in "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    run("report", "--pseudonymise", "-o", d / "pseudo.md", "-p", study)
    report = (d / "pseudo.md").read_text(encoding="utf-8")
    assert_clean(report, ids)
    # the coding that cuts "Okafor" in half shows the whole stand-in, not "kafor"
    assert "kafor" not in report
    assert any(line.rstrip().endswith("is the only one who listens") and "[Person" in line
               for line in report.splitlines())  # fmt: skip
    hits = run("search", "surgery", "--pseudonymise", "--format", "json", "-p", study).stdout
    assert json.loads(hits) and "[Practice " in hits
    assert_clean(hits, ids)
    assert stored_texts(study) == before


def test_acceptance_new_carer_interview(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    run("import", CARER, "-p", db)
    (tmp_path / "b.yaml").write_text(CODEBOOK, encoding="utf-8")
    run("codebook", "import", tmp_path / "b.yaml", "-p", db)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        size = con.execute("SELECT length(text) FROM documents").fetchone()[0]
    run("code", "carer_pryce", "--start", 0, "--end", size, "--code", "Support", "-p", db)
    run("pseudonyms", "detect", "-p", db)
    run("pseudonyms", "accept", "--all", "-p", db)
    run("export", "excerpts", "--pseudonymise", "-o", tmp_path / "out.csv", "-p", db)
    out = (tmp_path / "out.csv").read_text(encoding="utf-8")
    planted = ["Janet Pryce", "Edith Pryce", "Edith", "Janet", "14/02/1938", "Mill Lane",
               "HG1 4QT", "Riverside Surgery", "Dr Okafor", "Mrs Haddock", "943 476 5919",
               "01423 555 018", "janet.pryce@example.org", "Colin", "07700 900 461",
               "Priya Shah", "Harrogate Carers Centre", "London", "carer_pryce"]  # fmt: skip
    assert [p for p in planted if p in out] == []
    for word in ORDINARY:
        assert word in out, word
    run("export", "excerpts", "-o", tmp_path / "plain.csv", "-p", db)
    assert all(p in (tmp_path / "plain.csv").read_text(encoding="utf-8") for p in planted)


def test_review_commands_and_bad_input(study: Path) -> None:
    run("pseudonyms", "detect", "-p", study)  # also when run on its own (detecting keeps decisions)
    bad = run("pseudonyms", "accept", "Nobody Atall", "-p", study, ok=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Nobody Atall" in bad.stderr
    assert run("pseudonyms", "accept", "-p", study, ok=False).returncode == 2
    assert run("pseudonyms", "list", "--status", "maybe", "-p", study, ok=False).returncode == 2
    r = run("pseudonyms", "add", "Okafor", "--as", "[Person 9]", "--kind", "nope", "-p", study,
            ok=False)  # fmt: skip
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "occurrences" in run("pseudonyms", "add", "Sundays", "--as", "[Day]", "--kind",
                                "person", "-p", study).stdout  # fmt: skip
    run("pseudonyms", "reject", "Colin", "-p", study)
    run("pseudonyms", "link", "Edith", "Janet Pryce", "-p", study)
    rows = {r["text"]: r for r in json.loads(run("pseudonyms", "list", "--format", "json",
                                                 "-p", study).stdout)}  # fmt: skip
    assert rows["Colin"]["status"] == "rejected" and rows["Colin"]["count"] >= 2
    assert rows["Edith"]["replacement"] == rows["Janet Pryce"]["replacement"]
    run("pseudonyms", "accept", "Dr Okafor", "--as", "[GP 1]", "-p", study)
    hits = run("search", "Sundays", "--pseudonymise", "--format", "json", "-p", study).stdout
    assert "[Day]" in hits and "Colin" in hits and "Sundays" not in hits and "[GP 1]" in hits
    run("pseudonyms", "detect", "--doc", "carer_pryce_2", "-p", study)  # decisions are kept
    again = {r["text"]: r for r in json.loads(run("pseudonyms", "list", "--format", "json",
                                                  "-p", study).stdout)}  # fmt: skip
    assert again["Colin"]["status"] == "rejected" and again["Sundays"]["count"] == 1
    assert again["Dr Okafor"]["replacement"] == "[GP 1]"
    assert {r["text"] for r in again.values()} == set(rows)
    nodoc = run("pseudonyms", "detect", "--doc", "nope", "-p", study, ok=False)
    assert nodoc.returncode == 2 and "no document named 'nope'" in nodoc.stderr
    missing = run("pseudonyms", "list", "-p", study.parent / "none.sqlite", ok=False)
    assert missing.returncode == 2
