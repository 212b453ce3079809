"""Two programs on one project, as researchers use it: the TUI open in one terminal (here a
child process that opens the project and loads the suggestion engine exactly as the TUI
does), CLI commands in another. Every write of both must be in the project afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

CHILD = Path(__file__).parent / "twoproc_child.py"
CODER = "tui-alice"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        WORKBENCH_CONFIG=str(tmp / "no-config.toml"),
        WORKBENCH_DATA_DIR=str(tmp / "data"),
        WORKBENCH_CODER="cli-bob",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def wb(tmp: Path, *args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        env=_env(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    r = wb(folder, "demo", folder / "study", "--no-tui", timeout=300)
    assert r.returncode == 0, r.stderr
    return folder / "study" / "demo.sqlite"


class Child:
    def __init__(self, project: Path, tmp: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(project), CODER],
            env=_env(tmp, WORKBENCH_CODER=CODER, **env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ready = self.read()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=30)
            raise AssertionError(f"child ended early (exit {self.proc.returncode})")
        return json.loads(line)

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def stop(self) -> None:
        self.ask("quit")
        assert self.proc.wait(timeout=60) == 0


def _cli_side(project: Path, tmp: Path) -> None:
    coder_a = REPO / "transcripts_sample" / "codings" / "coder-a.csv"
    for args in (
        ("import", coder_a),
        ("export", "excerpts", "-o", tmp / "x.csv"),
        ("documents",),
        ("code", "S02_practice_manager", "--segment", "3", "--code", "Hidden work"),
    ):
        r = wb(tmp, *args, "-p", project)
        assert r.returncode == 0, (args, r.stderr)


def _in_project(project: Path, tmp: Path, written: dict[str, Any]) -> dict[str, bool]:
    """Look in a fresh process, as the researcher does after quitting."""
    after = tmp / "after.csv"
    assert wb(tmp, "export", "excerpts", "-o", after, "-p", project).returncode == 0
    excerpts = after.read_text(encoding="utf-8")
    check = wb(tmp, "check", "-p", project)
    import sqlite3

    con = sqlite3.connect(project)
    try:
        doc, seg, code = written["resolved"]
        found = {
            "tui coding": con.execute(
                "SELECT count(*) FROM codings WHERE guid = ?", (written["coding"],)
            ).fetchone()[0]
            == 1,
            "tui code": con.execute(
                "SELECT count(*) FROM codes WHERE id = ?", (written["code"],)
            ).fetchone()[0]
            == 1,
            "tui resolution": con.execute(
                "SELECT count(*) FROM resolutions r JOIN documents d ON d.id = r.document_id "
                "WHERE d.name = ? AND r.segment = ? AND r.code_id = ?",
                (doc, seg, code),
            ).fetchone()[0]
            == 1,
            "cli import": con.execute(
                "SELECT count(*) FROM codings WHERE coder = 'coder-a'"
            ).fetchone()[0]
            > 0,
            "cli coding": con.execute(
                "SELECT count(*) FROM codings WHERE coder = 'cli-bob'"
            ).fetchone()[0]
            == 1,
            "check": check.returncode == 0,
        }
    finally:
        con.close()
    found["export shows the tui coding"] = CODER in excerpts
    return found


@pytest.mark.model
def test_tui_process_keeps_its_writes_while_cli_runs(demo: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    project.write_bytes(demo.read_bytes())
    child = Child(project, tmp_path)
    _cli_side(project, tmp_path)
    fds = child.ask("fds")["fds"]
    assert fds and not [f for f in fds if f.endswith("(deleted)")], fds
    written = child.ask("write")
    assert written["created"] is True
    child.stop()
    found = _in_project(project, tmp_path, written)
    assert all(found.values()), found


@pytest.mark.model
def test_the_old_bug_is_seen_by_this_harness(demo: Path, tmp_path: Path) -> None:
    """The harness can see the fault: re-create it (a plain open()/close() of the project
    file in the TUI process, what store/db.py used to do) and the CLI deletes the WAL and
    shared memory that the TUI process is still using, the state in which work was lost."""
    project = tmp_path / "p.sqlite"
    project.write_bytes(demo.read_bytes())
    child = Child(project, tmp_path, WORKBENCH_TEST_OLD_BUG="1")
    _cli_side(project, tmp_path)
    deleted = [f for f in child.ask("fds")["fds"] if f.endswith("(deleted)")]
    child.stop()
    assert deleted, "the CLI did not delete the WAL under the TUI process"


def _start(tmp: Path, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *map(str, args)],
        env=_env(tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp,
    )


def _count(project: Path, sql: str) -> int:
    import sqlite3

    con = sqlite3.connect(project)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_four_processes_apply_the_same_coding(demo: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    project.write_bytes(demo.read_bytes())
    args = ("code", "S03_gp_partner", "--segment", "5", "--code", "Age", "--coder", "same")
    procs = [_start(tmp_path, *args, "-p", project) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert _count(project, "SELECT count(*) FROM codings WHERE coder = 'same'") == 1


def test_writes_during_a_long_codings_import_all_succeed(demo: Path, tmp_path: Path) -> None:
    import csv
    import sqlite3

    project = tmp_path / "p.sqlite"
    project.write_bytes(demo.read_bytes())
    con = sqlite3.connect(project)
    sentences = con.execute(
        'SELECT d.name, s.start, s."end" FROM segments s JOIN documents d '
        "ON d.id = s.document_id WHERE s.level = 'sentence' ORDER BY s.id"
    ).fetchall()
    codes = [r[0] for r in con.execute("SELECT id FROM codes ORDER BY id")]
    con.close()
    big = tmp_path / "big.csv"
    with big.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "start", "end", "code", "coder"])
        for i, (doc, start, end) in enumerate(sentences):
            for k in range(10):
                w.writerow([doc, start, end, codes[(i + k) % len(codes)], "bulk"])
    n = 10 * len(sentences)
    importer = _start(tmp_path, "import", big, "-p", project)
    writers = [
        _start(tmp_path, "code", "K01_commissioner", "--segment", i, "--code", c, "-p", project)
        for i, c in zip(
            range(2, 7), ("Age", "Language", "Proxy access", "NHS App", "Hidden work"), strict=True
        )
    ]
    assert importer.wait(timeout=300) == 0, importer.stderr.read() if importer.stderr else ""
    for w in writers:
        assert w.wait(timeout=120) == 0, w.stderr.read() if w.stderr else ""
    assert _count(project, "SELECT count(*) FROM codings WHERE coder = 'bulk'") == n
    assert _count(project, "SELECT count(*) FROM codings WHERE coder = 'cli-bob'") == 5
