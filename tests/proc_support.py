"""Helpers for the tests that use real processes (test_multiprocess.py, test_kill9.py).

Every command runs as `sys.executable -m workbench` with this repository first on
PYTHONPATH (so a clean clone tests its own code, whatever is installed) and an isolated
environment: no network model download, a coder name, no user config, a private data folder.
Every wait has a timeout, so a hung process fails the test instead of hanging it.

Run as a script, this module is also the child processes the tests need:

- `python proc_support.py tui PROJECT CODER`: a stand-in for the TUI process. It opens the
  project as `WorkbenchApp.__init__` does, loads the suggestion engine as the TUI's worker
  does (`load_engine` in a thread, `warm_up`, `for_segment`: the real model), keeps all of it
  open, then obeys one command per stdin line and answers with one JSON line on stdout
  (see `TuiChild`).
- `python proc_support.py barrier FILE ARGS...`: import the CLI, wait until FILE exists, then
  run `workbench ARGS...` (the same `main` as `python -m workbench`). Processes started
  this way begin their command within milliseconds of each other.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts_sample"
CODEBOOK = REPO / "codebooks" / "difacto.yaml"
CODER_A_CSV = SAMPLE / "codings" / "coder-a.csv"
HERE = Path(__file__).resolve()
CLI_TIMEOUT = 180.0  # seconds; a command that takes longer has hung


# Environment and commands ---------------------------------------------------------------


def cli_env(tmp: Path, coder: str = "cli-bob", **extra: str) -> dict[str, str]:
    """The environment of a child process (tests/conftest.py's _isolated_env, for children)."""
    env = dict(os.environ)
    env.pop("WORKBENCH_PROJECT", None)
    old = env.get("PYTHONPATH")
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        WORKBENCH_CODER=coder,
        WORKBENCH_CONFIG=str(tmp / "no-config.toml"),
        WORKBENCH_DATA_DIR=str(tmp / "data"),
        PYTHONPATH=str(REPO) + (os.pathsep + old if old else ""),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wb_argv(*args: object) -> list[str]:
    return [sys.executable, "-m", "workbench", *map(str, args)]


def run_cli(
    tmp: Path, *args: object, coder: str = "cli-bob", timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run one workbench command to the end (in `tmp`), output captured."""
    return subprocess.run(
        wb_argv(*args),
        env=cli_env(tmp, coder),
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def start_cli(
    tmp: Path, *args: object, coder: str = "cli-bob", barrier: Path | None = None
) -> subprocess.Popen[str]:
    """Start one workbench command; with `barrier`, it loads the CLI, says so (the file
    `BARRIER.ready.PID`), then waits for `barrier` to exist before it runs the command."""
    argv = (
        [sys.executable, str(HERE), "barrier", str(barrier), *map(str, args)]
        if barrier is not None
        else wb_argv(*args)
    )
    return subprocess.Popen(
        argv,
        env=cli_env(tmp, coder),
        cwd=tmp,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def open_barrier(
    barrier: Path, procs: Sequence[subprocess.Popen[str]], timeout: float = 120
) -> None:
    """Start processes waiting at `barrier` together, once each has said it is ready."""
    deadline = time.monotonic() + timeout
    ready = [Path(f"{barrier}.ready.{p.pid}") for p in procs]
    while not all(r.exists() for r in ready):
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"ended before the barrier: {dead}"
        assert time.monotonic() < deadline, "processes never reached the barrier"
        time.sleep(0.01)
    barrier.touch()


def finish(proc: subprocess.Popen[str], timeout: float = CLI_TIMEOUT) -> tuple[int, str, str]:
    """Wait for a started command: (exit code, stdout, stderr); kill it if it hangs."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=30)
        return -999, out, f"TIMED OUT after {timeout:.0f} s\n{err}"
    return proc.returncode, out, err


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """stdout of a command that must succeed (else the assertion shows its stderr)."""
    assert result.returncode == 0, (result.args[3:], result.returncode, result.stderr[-2000:])
    return result.stdout


# Projects ----------------------------------------------------------------------------------


def demo_project(base: Path) -> Path:
    """The demo project (`workbench demo DIR --no-tui`: the sample study, the difacto
    codebook and its reference codings), built once per test session under `base`."""
    folder = base / "proc-support-demo"
    project = folder / "study" / "demo.sqlite"
    if not project.exists():
        folder.mkdir(parents=True, exist_ok=True)
        ok(run_cli(folder, "demo", folder / "study", "--no-tui", timeout=600))
        settle(project)
    return project


def settle(project: Path) -> None:
    """Fold any WAL into the file so that copying the one file copies the whole project."""
    con = sqlite3.connect(project)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{project}{suffix}").unlink(missing_ok=True)


def copy_project(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def query(project: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query, on a connection of this (test) process closed at once."""
    con = sqlite3.connect(project, timeout=30)
    try:
        return con.execute(sql, tuple(params)).fetchall()
    finally:
        con.close()


def scalar(project: Path, sql: str, params: Sequence[object] = ()) -> Any:
    return query(project, sql, params)[0][0]


def store_problems(project: Path) -> list[str]:
    """What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` find (empty: sound)."""
    con = sqlite3.connect(project, timeout=30)
    try:
        integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        fks = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    problems = [] if integrity == ["ok"] else [f"integrity_check: {integrity[:5]}"]
    if fks:
        problems.append(f"foreign_key_check: {len(fks)} rows, e.g. {fks[:3]}")
    return problems


def segment_spans(project: Path) -> list[tuple[str, int, int]]:
    """The distinct (document, start, end) spans of the project's segments (a sentence
    that is a whole turn has its turn's span), in store order."""
    rows = query(
        project,
        'SELECT d.name, s.start, s."end" FROM segments s '
        "JOIN documents d ON d.id = s.document_id ORDER BY s.id",
    )
    return list(dict.fromkeys((str(d), int(s), int(e)) for d, s, e in rows))


def write_codings_csv(project: Path, out: Path, n: int, coder: str) -> int:
    """A codings CSV (the excerpt format's key columns) of `n` distinct codings over the
    project's segments and codes; returns n."""
    spans = segment_spans(project)
    codes = [r[0] for r in query(project, "SELECT id FROM codes ORDER BY id")]
    if n > len(spans) * len(codes):
        raise ValueError(f"only {len(spans) * len(codes)} distinct codings are possible")
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "start", "end", "code", "coder"])
        for i in range(n):
            doc, start, end = spans[i % len(spans)]
            code = codes[(i % len(spans) * 7 + i // len(spans)) % len(codes)]
            w.writerow([doc, start, end, code, coder])
    return n


# /proc -------------------------------------------------------------------------------------


def project_fds(pid: int, project: Path) -> list[str]:
    """Where process `pid`'s open descriptors on the project's files point (Linux /proc);
    a link that ends in ' (deleted)' is a file removed while the process still uses it."""
    fd_dir = Path(f"/proc/{pid}/fd")
    links: list[str] = []
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if Path(target.removesuffix(" (deleted)")).name.startswith(project.name):
            links.append(target)
    return sorted(links)


def deleted_wal_or_shm(links: list[str]) -> list[str]:
    return [x for x in links if x.endswith(" (deleted)") and ("-wal" in x or "-shm" in x)]


# The TUI stand-in, parent side -------------------------------------------------------------


class TuiChild:
    """The TUI process (see `_tui_main`), driven one JSON line at a time."""

    def __init__(self, project: Path, tmp: Path, coder: str, timeout: float = 300) -> None:
        self.timeout = timeout
        self.stderr_path = tmp / "tui-child.stderr"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE), "tui", str(project), coder],
            env=cli_env(tmp, coder),
            cwd=tmp,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.pid = self.proc.pid
        self.tolerate = False
        self.ready = self._read()
        self.tolerate = True  # model loaded, suggestions shown

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()))  # type: ignore[union-attr]
        reader.daemon = True
        reader.start()
        reader.join(self.timeout)
        if reader.is_alive() or not box or not box[0]:
            self.kill()
            raise AssertionError(
                f"TUI child gave no answer (exit {self.proc.returncode}): {self.stderr()[-3000:]}"
            )
        answer: dict[str, Any] = json.loads(box[0])
        if "error" in answer and not self.tolerate:
            raise AssertionError(f"TUI child failed: {answer['error']}\n{self.stderr()[-3000:]}")
        return answer

    def ask(self, command: str) -> dict[str, Any]:
        """The answer to a command: {"error": "..."} when the child's action raised."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def quit(self) -> tuple[dict[str, Any], int]:
        """Quit as the TUI does (close the app's project handle, leave the engine, exit):
        the last answer and the exit code (-999: it did not exit, and was killed)."""
        answer = self.ask("quit")
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return answer, self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            return answer, -999

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        """End the child if it still runs (the tests call this in `finally`)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for stream in (self.proc.stdin, self.proc.stdout, self._stderr):
            if stream is not None and not stream.closed:
                stream.close()


# The TUI stand-in, child side --------------------------------------------------------------


def _tui_main(path: Path, coder: str) -> None:
    from workbench.services.undo import UndoStack
    from workbench.store.db import open_project
    from workbench.tui.suggestions import load_engine

    # WorkbenchApp.__init__
    project = open_project(path)
    undo = UndoStack(project)

    # `t`: SuggestPanel.fetch, a thread worker: app.get_engine(), warm_up, for_segment
    with project.read() as conn:
        first_turn = int(
            conn.exec_driver_sql(
                "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
                "WHERE d.name = 'S01_receptionist' AND s.level = 'turn' ORDER BY s.idx LIMIT 1"
            ).scalar_one()
        )
    loaded: dict[str, Any] = {}

    def worker() -> None:
        try:
            engine = load_engine(path, coder)
            warm_up = getattr(engine, "warm_up", None)
            if warm_up is not None:
                warm_up(lambda _done, _total: None, lambda: False)
            loaded["engine"] = engine
            loaded["shown"] = engine.for_segment(first_turn)
        except BaseException as exc:  # reported to the parent below
            loaded["error"] = f"{type(exc).__name__}: {exc}"

    t = threading.Thread(target=worker, name="suggest")
    t.start()
    t.join()
    if "error" in loaded:
        _reply({"error": loaded["error"]})
        return
    engine = loaded["engine"]
    _reply({"ready": True, "pid": os.getpid(), "suggestions": len(loaded["shown"])})

    for line in sys.stdin:
        cmd = line.strip()
        try:
            if cmd.startswith("write "):  # write N: the Nth round of writes (N = 1, 2, ...)
                _reply(_tui_writes(project, undo, engine, coder, int(cmd.split()[1])))
            elif cmd == "quit":  # what quitting the TUI does: WorkbenchApp.on_unmount, exit
                project.close()  # (the app never closes its suggestion engine)
                _reply({"bye": True})
                return
            else:
                _reply({"error": f"unknown command {cmd!r}"})
        except Exception as exc:
            import traceback

            _reply({"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"})


def _tui_writes(project: Any, undo: Any, engine: Any, coder: str, n: int) -> dict[str, Any]:
    """What a researcher does in the TUI, each action its own transaction as there; round
    `n` works on other passages and names than the earlier rounds."""
    from workbench.analysis.disagreements import list_disagreements
    from workbench.errors import WorkbenchError
    from workbench.services.code_edit import add_code
    from workbench.services.resolve import resolve
    from workbench.services.suggestion_feedback import record_feedback

    done: dict[str, Any] = {}
    # the suggestion panel again (the CLI changed the codings meanwhile), then accept the
    # best one: WorkbenchApp.decide
    with project.read() as conn:
        turn_id = int(
            conn.exec_driver_sql(
                "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
                "WHERE d.name = 'S01_receptionist' AND s.level = 'turn' ORDER BY s.idx "
                f"LIMIT 1 OFFSET {n}"
            ).scalar_one()
        )
    best = engine.for_segment(turn_id)[0]
    row, created = undo.code_span(
        best.document, best.start, best.end, best.code_id, coder, origin="suggested"
    )
    with project.begin() as conn:
        record_feedback(conn, best.segment_id, best.code_id, "accepted", coder, best.score)
    engine.learn(best, True, coder)
    done["accepted"] = {"guid": row.guid, "created": created, "segment": best.segment_id}
    done["accepted"]["code"] = best.code_id

    # select a passage and code it 'Hidden work' from the picker: CodingScreen.apply_code
    with project.read() as conn:
        start, end = (
            int(v)
            for v in conn.exec_driver_sql(
                'SELECT s.start, s."end" FROM segments s JOIN documents d '
                "ON d.id = s.document_id WHERE d.name = 'S04_practice_nurse' "
                f"AND s.level = 'turn' ORDER BY s.idx LIMIT 1 OFFSET {2 * n + 1}"
            ).one()
        )
    row, created = undo.code_span("S04_practice_nurse", start, end, "hidden-work", coder)
    done["coding"] = {"guid": row.guid, "created": created}

    # type a new code's name in the picker: created, then applied
    with project.begin() as conn:
        code_id = add_code(conn, f"Made in the TUI picker {n}").id
    row, created = undo.code_span("S04_practice_nurse", start, end, code_id, coder)
    done["new_code"] = {"id": code_id, "guid": row.guid, "created": created}

    # settle a disagreement between coder-a (imported by the CLI) and the reference coder
    with project.begin() as conn:
        try:
            todo = [
                d
                for d in list_disagreements(conn, "coder-a", "difacto-team")
                if d.resolution is None
            ]
        except WorkbenchError:  # "coder 'coder-a' has no codings"
            todo = []
        if todo:
            d = todo[0]
            target = (d.document, d.segment, d.code_id)
        else:  # this process does not see the CLI's import: settle a unit anyway
            target = ("S01_receptionist", n, "hidden-work")
        res = resolve(conn, *target, "coder-a", "difacto-team", "keep_both", coder)
    done["resolution"] = {"id": res.id, "target": list(target), "saw_import": bool(todo)}
    return done


def _reply(data: object) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def _barrier_main(barrier: Path, args: list[str]) -> int:
    import workbench.cli  # loaded, with what a command needs, before the start signal
    import workbench.services.coding
    import workbench.store.db

    Path(f"{barrier}.ready.{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not barrier.exists():
        if time.monotonic() > deadline:
            print("barrier never opened", file=sys.stderr)
            return 98
        time.sleep(0.002)
    return workbench.cli.main(args)


if __name__ == "__main__":
    if sys.argv[1] == "tui":
        _tui_main(Path(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "barrier":
        sys.exit(_barrier_main(Path(sys.argv[2]), sys.argv[3:]))
    else:
        sys.exit(f"unknown mode {sys.argv[1]!r}")
