"""The team server's acceptance scenario, with real processes on a throwaway cluster:
server init, logins for a lead, two coders and a reader, the lead's import, two coders
coding at the same time, and the rules refusing what each role may not do (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pgcluster import shared_cluster

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts_sample"
CODEBOOK = REPO / "codebooks" / "difacto.yaml"
DOC = "S01_receptionist"
TIMEOUT = 180

CODER_LOOP = """
import sys
from workbench.cli import main
url, segs = sys.argv[1], sys.argv[2:]
for seg in segs:
    code = main(["code", "S01_receptionist", "--segment", seg, "--code", "Hidden work",
                 "--project", url])
    print("RESULT", seg, code, flush=True)
"""


def env(tmp: Path, **extra: str) -> dict[str, str]:
    e = dict(os.environ)
    for key in ("WORKBENCH_PROJECT", "WORKBENCH_CODER", "WORKBENCH_NEW_PASSWORD"):
        e.pop(key, None)
    old = e.get("PYTHONPATH")
    e.update(
        WORKBENCH_CONFIG=str(tmp / "no-config.toml"),
        WORKBENCH_DATA_DIR=str(tmp / "data"),
        PYTHONPATH=str(REPO) + (os.pathsep + old if old else ""),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    e.update(extra)
    return e


def wb(tmp: Path, *args: object, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env(tmp, **extra),
        timeout=TIMEOUT,
    )


class Team:
    def __init__(self, tmp: Path) -> None:
        self.cluster = shared_cluster()
        self.db = self.cluster.new_database("team")
        self.owner = self.cluster.url(db=self.db)
        self.tmp = tmp
        self.tag = self.db.rsplit("_", 1)[-1] + str(os.getpid())

    def login(self, who: str) -> str:
        return self.cluster.url(user=f"{who}{self.tag}", password=f"pw-{who}", db=self.db)

    def name(self, who: str) -> str:
        return f"{who}{self.tag}"

    def run(self, who: str, *args: object) -> subprocess.CompletedProcess[str]:
        return wb(self.tmp, *args, "--project", self.login(who))


def setup_in_process(t: Team, monkeypatch: pytest.MonkeyPatch) -> Team:
    """The same set-up through the CLI's entry point in this process (faster)."""
    from workbench.cli import main

    assert main(["server", "init", t.owner]) == 0
    for who, role in (("lead", "lead"), ("alice", "coder"), ("bob", "coder"), ("rita", "reader")):
        monkeypatch.setenv("WORKBENCH_NEW_PASSWORD", f"pw-{who}")
        assert main(["server", "add-user", t.owner, t.name(who), "--role", role]) == 0
    monkeypatch.delenv("WORKBENCH_NEW_PASSWORD")
    assert main(["import", str(SAMPLE / f"{DOC}.txt"), "--project", t.login("lead")]) == 0
    assert main(["codebook", "import", str(CODEBOOK), "--project", t.login("lead")]) == 0
    return t


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    return setup_in_process(Team(tmp_path), monkeypatch)


@pytest.fixture
def team_by_processes(tmp_path: Path) -> Team:
    """The acceptance scenario's set-up, every step its own `workbench` process."""
    t = Team(tmp_path)
    r = wb(tmp_path, "server", "init", t.owner)
    assert r.returncode == 0, r.stderr
    assert "workbench_lead, workbench_coder, workbench_reader" in r.stdout
    for who, role in (("lead", "lead"), ("alice", "coder"), ("bob", "coder"), ("rita", "reader")):
        # the password once from stdin, once from the environment
        if who == "bob":
            r = wb(tmp_path, "server", "add-user", t.owner, t.name(who), "--role", role,
                   WORKBENCH_NEW_PASSWORD=f"pw-{who}")  # fmt: skip
        else:
            r = wb(tmp_path, "server", "add-user", t.owner, t.name(who), "--role", role,
                   stdin=f"pw-{who}\n")  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert f"login {t.name(who)}: workbench_{role}" in r.stdout
    r = t.run("lead", "import", SAMPLE / f"{DOC}.txt")
    assert r.returncode == 0, r.stderr
    r = t.run("lead", "codebook", "import", CODEBOOK)
    assert r.returncode == 0, r.stderr
    return t


def _codings(team: Team) -> list[dict[str, object]]:
    r = team.run("rita", "export", "excerpts", "-o", "-")
    assert r.returncode == 0, r.stderr
    import csv
    import io

    return list(csv.DictReader(io.StringIO(r.stdout)))


def test_two_coders_at_once_and_the_four_refusals(team_by_processes: Team) -> None:
    team = team_by_processes
    # both code segment 1: one coding each
    segs = {"alice": [str(i) for i in range(1, 31, 2)], "bob": [*map(str, range(2, 31, 2)), "1"]}
    procs = {
        who: subprocess.Popen(
            [sys.executable, "-c", CODER_LOOP, team.login(who), *segs[who]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(team.tmp),
        )
        for who in ("alice", "bob")
    }
    outs = {who: p.communicate(timeout=TIMEOUT) for who, p in procs.items()}
    for who, (out, err) in outs.items():
        assert procs[who].returncode == 0, err
        codes = [line.split()[1:] for line in out.splitlines() if line.startswith("RESULT")]
        assert codes == [[seg, "0"] for seg in segs[who]], (out, err)
    rows = _codings(team)
    got = {(r["coder"], r["start"]) for r in rows}
    assert len(rows) == 15 + 16
    assert {c for c, _ in got} == {team.name("alice"), team.name("bob")}
    # The coder is the login, set by the database, whatever the process's default was.
    assert all(r["code"] == "Hidden work" for r in rows)

    # 1. a coder removing a colleague's coding
    r = team.run("alice", "uncode", DOC, "--segment", "2", "--code", "Hidden work",
                 "--coder", team.name("bob"))  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert r.stderr.startswith("refused: a coder removes only their own codings")
    # 2. a coder coding as someone else
    r = team.run("alice", "code", DOC, "--segment", "40", "--code", "Hidden work",
                 "--coder", team.name("bob"))  # fmt: skip
    assert r.returncode == 2 and r.stderr.startswith("refused: on this server you are")
    # 3. a reader coding
    r = team.run("rita", "code", DOC, "--segment", "40", "--code", "Hidden work")
    assert r.returncode == 2 and "a reader (workbench_reader) only reads" in r.stderr
    assert r.stderr.strip().count("\n") == 0
    # 4. a coder editing the codebook
    r = team.run("alice", "codebook", "import", CODEBOOK)
    assert r.returncode == 2 and "only a lead (workbench_lead) edits the codebook" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(_codings(team)) == 31  # nothing changed by the refusals


def test_a_coder_cannot_delete_a_colleagues_coding_in_sql(team: Team) -> None:
    """The rule is the server's, not the CLI's: plain SQL as alice is refused too."""
    import psycopg

    from workbench.services.coding import add_memo
    from workbench.store.db import open_project

    assert team.run("bob", "code", DOC, "--segment", "3", "--code", "Hidden work").returncode == 0
    bob = open_project(team.login("bob"))
    try:
        with bob.begin() as conn:
            add_memo(conn, "document", "1", team.name("bob"), "bob's memo")
    finally:
        bob.close()
    with psycopg.connect(team.login("alice")) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only their own codings"):
            con.execute("DELETE FROM codings")
        con.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("UPDATE codes SET name = 'x'")
        con.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only their own memos"):
            con.execute("DELETE FROM memos")
        con.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="someone else"):
            con.execute(
                "INSERT INTO memos (target_type, author, created, text, guid) "
                "VALUES ('project', %s, 'now', 'x', 'g-m2')",
                (team.name("bob"),),
            )
        con.rollback()
        # the coder column defaults to the login
        con.execute(
            'INSERT INTO codings (document_id, start, "end", code_id, created, origin, guid) '
            "VALUES (1, 0, 5, 'hidden-work', 'now', 'manual', 'g-sql')"
        )
        who = con.execute("SELECT coder FROM codings WHERE guid = 'g-sql'").fetchone()
        assert who == (team.name("alice"),)


def test_lead_may_remove_any_coding_and_reader_reads(team: Team) -> None:
    assert team.run("bob", "code", DOC, "--segment", "3", "--code", "Hidden work").returncode == 0
    r = team.run("lead", "uncode", DOC, "--segment", "3", "--code", "Hidden work",
                 "--coder", team.name("bob"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = team.run("rita", "documents", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["codings"] == 0


def test_bad_input_is_one_line(team: Team, tmp_path: Path) -> None:
    bad = team.cluster.url(user=team.name("alice"), password="wrong", db=team.db)
    r = wb(tmp_path, "documents", "--project", bad)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "password" in r.stderr
    assert "wrong" not in r.stderr  # the password is never shown
    r = wb(tmp_path, "server", "add-user", team.owner, "Bad Name", "--role", "coder", stdin="x\n")
    assert r.returncode == 2 and "login name" in r.stderr
    r = wb(tmp_path, "server", "add-user", team.owner, "zed", "--role", "boss", stdin="x\n")
    assert r.returncode == 2 and "--role boss" in r.stderr
    r = wb(tmp_path, "server", "add-user", team.owner, "zed", "--role", "coder", stdin="\n")
    assert r.returncode == 2 and "password is empty" in r.stderr
    r = wb(tmp_path, "server", "init", "mysql://x@y/z")
    assert r.returncode == 2 and "not a PostgreSQL URL" in r.stderr
    r = wb(tmp_path, "server", "add-user", team.login("alice"), "eve", "--role", "coder",
           stdin="pw\n")  # fmt: skip
    assert r.returncode == 2 and r.stderr.startswith("postgresql") and "refused" in r.stderr
    empty = team.cluster.url(db=team.cluster.new_database("empty"))
    r = wb(tmp_path, "documents", "--project", empty)
    assert r.returncode == 2 and "server init" in r.stderr
    as_alice = team.cluster.url(
        user=team.name("alice"), password="pw-alice", db=empty.rsplit("/")[-1]
    )
    r = wb(tmp_path, "import", SAMPLE / f"{DOC}.txt", "--project", as_alice)
    assert r.returncode == 2 and "this login cannot create a project here" in r.stderr, r.stderr


def test_live_feed_hears_a_colleague_within_two_seconds(team: Team) -> None:
    from workbench.services.live import ChangeFeed
    from workbench.store.db import open_project

    proj = open_project(team.login("lead"))
    try:
        with ChangeFeed(proj) as feed:
            start = time.monotonic()
            r = team.run("alice", "code", DOC, "--segment", "5", "--code", "Hidden work")
            assert r.returncode == 0, r.stderr
            done = time.monotonic()
            got = []
            while not got and time.monotonic() < done + 2.0:
                got = [c for c in feed.events(timeout=0.05) if c.kind == "coded"]
            heard = time.monotonic()
    finally:
        proj.close()
    assert got, "no change heard"
    assert got[0].describe() == f"{team.name('alice')} coded 'Hidden work' in {DOC}"
    assert not got[0].mine and got[0].coder == team.name("alice")
    assert heard - done < 2.0 and done > start


def test_server_watch_prints_changes(team: Team) -> None:
    watch = subprocess.Popen(
        [sys.executable, "-m", "workbench", "server", "watch", team.login("rita"),
         "--seconds", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(team.tmp),
    )  # fmt: skip
    assert watch.stderr is not None
    assert "watching" in watch.stderr.readline()
    assert team.run("bob", "code", DOC, "--segment", "6", "--code", "Hidden work").returncode == 0
    assert watch.stdout is not None
    line = watch.stdout.readline()
    watch.terminate()
    watch.wait(TIMEOUT)
    assert line.strip() == f"{team.name('bob')} coded 'Hidden work' in {DOC}"


def test_lost_connection_is_reported_and_the_next_action_reconnects(team: Team) -> None:
    import psycopg
    from sqlalchemy import text

    from workbench.errors import WorkbenchError
    from workbench.services.coding import add_coding
    from workbench.services.live import ChangeFeed
    from workbench.store.db import open_project

    def kill() -> None:
        with psycopg.connect(team.owner, autocommit=True) as con:
            con.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (team.name("alice"),),
            )

    proj = open_project(team.login("alice"))
    heard = []
    try:
        feed = ChangeFeed(proj, on_change=heard.append).start()
        with pytest.raises(WorkbenchError, match="not saved"):
            with proj.begin() as conn:
                conn.execute(text("SELECT 1"))
                kill()
                add_coding(conn, DOC, 13, 40, "Hidden work", team.name("alice"))
        with proj.begin() as conn:  # a new connection: the action can be retried
            _c, created = add_coding(conn, DOC, 13, 40, "Hidden work", team.name("alice"))
        assert created
        deadline = time.monotonic() + 10
        while "reconnected" not in [c.kind for c in heard] and time.monotonic() < deadline:
            time.sleep(0.1)
        feed.stop()
    finally:
        proj.close()
    kinds = [c.kind for c in heard]
    assert "disconnected" in kinds and "reconnected" in kinds
    assert kinds.index("disconnected") < kinds.index("reconnected")
    assert len(_codings(team)) == 1


def test_a_lead_codes_as_themselves_but_imports_others_codings(team: Team, tmp_path: Path) -> None:
    r = team.run("lead", "code", DOC, "--segment", "2", "--code", "Hidden work",
                 "--coder", team.name("bob"))  # fmt: skip
    assert r.returncode == 2 and "would act as someone else" in r.stderr
    other = tmp_path / "colleague.sqlite"
    for args in (
        ("import", SAMPLE / f"{DOC}.txt"),
        ("codebook", "import", CODEBOOK),
        ("code", DOC, "--segment", "4", "--code", "Hidden work", "--coder", "carol"),
    ):
        assert wb(tmp_path, *args, "--project", other).returncode == 0  # fmt: skip
    r = team.run("alice", "import", other)  # a coder cannot bring in a colleague's codings
    assert r.returncode == 2, r.stderr
    assert r.stderr == "refused: only a lead (workbench_lead) imports colleagues' codings\n"
    r = team.run("lead", "import", other)
    assert r.returncode == 0, r.stderr
    assert [row["coder"] for row in _codings(team)] == ["carol"]


def test_subscribe_listens_on_a_server_and_polls_a_file(team: Team, tmp_path: Path) -> None:
    from workbench.services.live import ChangeFeed, FileFeed, subscribe
    from workbench.store.db import open_project

    lap = open_project(tmp_path / "lap.sqlite", create=True)
    try:
        polled = subscribe(lap, print)
        assert isinstance(polled, FileFeed)  # a project file is polled, not LISTENed to
        polled.stop()
    finally:
        lap.close()
    heard: list[str] = []
    proj = open_project(team.login("rita"))
    try:
        feed = subscribe(proj, lambda c: heard.append(c.describe()))
        assert isinstance(feed, ChangeFeed)
        r = team.run("alice", "code", DOC, "--segment", "8", "--code", "Hidden work")
        assert r.returncode == 0
        deadline = time.monotonic() + 2
        while not any("coded" in h for h in heard) and time.monotonic() < deadline:
            time.sleep(0.05)
        feed.stop()
    finally:
        proj.close()
    assert f"{team.name('alice')} coded 'Hidden work' in {DOC}" in heard
