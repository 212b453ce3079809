"""kill -9 at a random moment: every write command leaves the project sound and its work
either wholly done or not done at all, and no export leaves a partial file.

For each command: one uninterrupted run on a copy measures its duration and when it begins
to write (the project's -wal grows, or the export's temporary file appears), and gives the
state "after"; then each trial runs it on a fresh copy and SIGKILLs it after a seeded random
delay: half the delays anywhere in the run, half in the stretch where it writes. After the
kill a new process must open the project (`workbench documents` exits 0), `PRAGMA
integrity_check` must say ok, `PRAGMA foreign_key_check` must find nothing, every table must
hold what it held before or what it holds after a whole run (row counts and the codes
themselves), and the export target must be absent (or the old file, untouched) or the whole
export. `WORKBENCH_KILL9_TRIALS` and `WORKBENCH_KILL9_SEED` change the number of trials per
command and the seed.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import shutil
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from defusedxml import ElementTree
from proc_support import (
    SAMPLE,
    cli_env,
    copy_project,
    demo_project,
    ok,
    query,
    run_cli,
    settle,
    store_problems,
    wb_argv,
    write_codings_csv,
)

from workbench.services.excerpts import EXCERPT_COLUMNS

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("WORKBENCH_KILL9_TRIALS", "8"))
SEED = int(os.environ.get("WORKBENCH_KILL9_SEED", "20261202"))
WORKERS = 2  # trials run two at a time
TRANSCRIPTS = (".txt", ".md", ".vtt", ".srt", ".docx")  # the sample's, under new names
N_CODINGS = 15_000


@dataclass(frozen=True)
class Command:
    name: str
    base: str  # "demo" or "coded" (the demo with N_CODINGS more codings)
    args: Callable[[Path], tuple[object, ...]]  # from the inputs folder
    target: str | None = None  # the export's file name
    trials: int = TRIALS


COMMANDS = [
    Command(
        "import transcripts",
        "demo",
        lambda inputs: ("import", *sorted(inputs.glob("K9_*"))),
        trials=max(2, TRIALS // 2),  # spaCy's start-up makes each run 6-8 s
    ),
    Command("import codings", "demo", lambda inputs: ("import", inputs / "codings.csv")),
    Command("codebook import", "demo", lambda inputs: ("codebook", "import", inputs / "big.yaml")),
    Command("export excerpts", "coded", lambda _: ("export", "excerpts"), target="out.csv"),
    Command("export qdpx", "coded", lambda _: ("export", "qdpx"), target="out.qdpx"),
]


@dataclass
class Measured:
    seconds: float
    writes_from: float  # when the project's WAL first grew or the export's temp file appeared
    before: dict[str, object]
    after: dict[str, object]
    export: bytes | None = None
    export_names: list[str] = field(default_factory=list)


@dataclass
class Trial:
    delay: float
    killed: bool  # by the SIGKILL (not: it had ended)
    state: str  # "before", "after" or "neither"
    problems: list[str]
    while_writing: bool  # killed once the command had begun to write


@dataclass(frozen=True)
class Kill:
    """When to kill: `delay` seconds after the start, or (after_writes) after the command
    has begun to write."""

    delay: float
    after_writes: bool | None = None


# The state of a project ------------------------------------------------------------------


def state(project: Path) -> dict[str, object]:
    """Row counts of every table (FTS shadow tables aside) and a digest of the codebook."""
    tables = [
        r[0]
        for r in query(
            project,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'segment_fts%' ORDER BY name",
        )
    ]
    out: dict[str, object] = {
        t: query(project, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables
    }
    codes = query(project, "SELECT id, parent_id, name, description FROM codes ORDER BY id")
    out["codes digest"] = hashlib.sha256(repr(codes).encode()).hexdigest()[:16]
    return out


def which(now: dict[str, object], m: Measured) -> str:
    return "after" if now == m.after else "before" if now == m.before else "neither"


def diff(now: dict[str, object], m: Measured) -> str:
    keys = [k for k in m.after if now.get(k) != m.before.get(k) or now.get(k) != m.after.get(k)]
    return ", ".join(f"{k}: {m.before.get(k)} / {now.get(k)} / {m.after.get(k)}" for k in keys)


# Fixtures: the inputs and the base projects ----------------------------------------------


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kill9-inputs")
    for path in SAMPLE.iterdir():  # 19 documents: storing them takes a few 100 ms
        if path.suffix in TRANSCRIPTS and path.name != "README.md" and ".src." not in path.name:
            shutil.copyfile(path, folder / f"K9_{path.name}")
    lines = ["codebook: Killed mid-import", "version: 1", "codes:"]
    for i in range(40):
        lines += [f"  - name: Theme {i}", f"    description: Theme {i}.", "    children:"]
        for j in range(25):
            lines += [f"      - name: Sub {i}.{j}", f"        description: Sub-theme {i}.{j}."]
    (folder / "big.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory, inputs: Path) -> dict[str, Path]:
    demo = demo_project(tmp_path_factory.getbasetemp())
    folder = tmp_path_factory.mktemp("kill9-bases")
    write_codings_csv(demo, inputs / "codings.csv", N_CODINGS, "bulk")
    coded = copy_project(demo, folder / "coded.sqlite")
    ok(run_cli(folder, "import", inputs / "codings.csv", "-p", coded))
    settle(coded)
    return {"demo": demo, "coded": coded}


# Running and killing ---------------------------------------------------------------------


def _start(folder: Path, project: Path, cmd: Command, inputs: Path) -> subprocess.Popen[bytes]:
    args = [*cmd.args(inputs)]
    if cmd.target:
        args += ["-o", folder / cmd.target]
    return subprocess.Popen(
        wb_argv(*args, "-p", project),
        env=cli_env(folder),
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


OLD_EXPORT = b"an earlier export\n"


def _writing(folder: Path, project: Path, cmd: Command) -> bool:
    """Whether the command has begun to write: its export's temporary file (or the export
    itself) is there, or the project's WAL has grown."""
    if cmd.target:
        target = folder / cmd.target
        return any(folder.glob(f".{cmd.target}.*.tmp")) or (
            target.exists() and target.stat().st_size != len(OLD_EXPORT)
        )
    wal = Path(f"{project}-wal")
    return wal.exists() and wal.stat().st_size > 0


def measure(cmd: Command, base: Path, inputs: Path, folder: Path) -> Measured:
    folder.mkdir()
    project = copy_project(base, folder / "p.sqlite")
    before = state(project)
    t0 = time.monotonic()
    proc = _start(folder, project, cmd, inputs)
    writes_from = None
    while proc.poll() is None:
        if writes_from is None and _writing(folder, project, cmd):
            writes_from = time.monotonic() - t0
        if time.monotonic() - t0 > 180:
            proc.kill()
        time.sleep(0.002)
    seconds = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    assert proc.wait() == 0, f"{cmd.name}: exit {proc.returncode}: {err[-1500:]}"
    m = Measured(seconds, writes_from if writes_from is not None else seconds, before, {})
    ok(run_cli(folder, "documents", "-p", project))
    m.after = state(project)
    if cmd.target:
        out = folder / cmd.target
        m.export = out.read_bytes()
        if cmd.target.endswith(".qdpx"):
            with zipfile.ZipFile(out) as z:
                m.export_names = sorted(z.namelist())
    else:
        assert m.after != m.before, f"{cmd.name} changed nothing: the trials would prove nothing"
    return m


def trial(
    cmd: Command, base: Path, inputs: Path, folder: Path, m: Measured, when: Kill, old: bool
) -> Trial:
    folder.mkdir()
    project = copy_project(base, folder / "p.sqlite")
    target = folder / cmd.target if cmd.target else None
    if target is not None and old:
        target.write_bytes(OLD_EXPORT)
    t0 = time.monotonic()
    proc = _start(folder, project, cmd, inputs)
    due = t0 + when.delay if when.after_writes is None else None
    writing = False
    while proc.poll() is None and time.monotonic() - t0 < 180:
        if due is None and _writing(folder, project, cmd):
            writing = True
            due = time.monotonic() + when.delay
        if due is not None and time.monotonic() >= due:
            writing = writing or _writing(folder, project, cmd)
            break
        time.sleep(0.002)
    delay = time.monotonic() - t0
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    try:
        code = proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait(timeout=30)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    problems: list[str] = []
    if code not in (0, -signal.SIGKILL):
        problems.append(f"exit {code}: {err[-800:]}")
    killed = killed and code == -signal.SIGKILL

    opened = run_cli(folder, "documents", "-p", project)
    if opened.returncode != 0:
        problems.append(f"`workbench documents` exit {opened.returncode}: {opened.stderr[-500:]}")
    problems += store_problems(project)
    now = state(project)
    where = which(now, m)
    if where == "neither":
        problems.append(f"part of the work is there (before / now / after): {diff(now, m)}")
    if not killed and where != "after":
        problems.append(f"ran to the end yet the project is {where!r}")
    if target is not None:
        problems += _export_problems(cmd, target, m, old, killed)
    if problems:
        problems = [f"{cmd.name}, killed after {delay:.2f} s: {p}" for p in problems]
    return Trial(delay, killed, where, problems, killed and writing)


def _export_problems(cmd: Command, target: Path, m: Measured, old: bool, killed: bool) -> list[str]:
    if not target.exists():
        return ["the earlier export is gone"] if old else ([] if killed else ["no export"])
    data = target.read_bytes()
    if old and data == OLD_EXPORT:
        return [] if killed else ["the export did not replace the earlier file"]
    if cmd.target and cmd.target.endswith(".csv"):
        if data != m.export:
            rows = list(csv.reader(data.decode("utf-8", errors="replace").splitlines()))
            head = rows[0][: len(EXCERPT_COLUMNS)] if rows else []
            return [f"a partial CSV: {len(data)} of {len(m.export or b'')} bytes, header {head}"]
        return []
    try:
        with zipfile.ZipFile(target) as z:
            bad = z.testzip()
            names = sorted(z.namelist())
            ElementTree.fromstring(z.read("project.qde"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        return [f"a broken .qdpx ({len(data)} bytes): {exc}"]
    if bad is not None or names != m.export_names:
        return [f"a partial .qdpx: bad member {bad}, {len(names)} of {len(m.export_names)}"]
    return []


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_kill9(cmd: Command, bases: dict[str, Path], inputs: Path, tmp_path: Path) -> None:
    base = bases[cmd.base]
    m = measure(cmd, base, inputs, tmp_path / "measure")
    rng = random.Random(f"{SEED}:{cmd.name}")
    # half anywhere in the run (and a little past its end); half once this run has begun
    # to write (seen as in `measure`), anywhere in what is left of it: these do not depend
    # on how fast the machine is today
    writing = max(0.05, m.seconds - m.writes_from)
    kills = [
        Kill(rng.uniform(0, 1.1 * m.seconds)) if i % 2 else Kill(rng.uniform(0, writing), True)
        for i in range(cmd.trials)
    ]
    with ThreadPoolExecutor(WORKERS) as pool:
        trials = list(
            pool.map(
                lambda i: trial(cmd, base, inputs, tmp_path / f"t{i}", m, kills[i], i % 4 == 1),
                range(cmd.trials),
            )
        )
    leftovers = sorted(p.name for p in tmp_path.glob("t*/.*.tmp"))
    summary = (
        f"{cmd.name}: run {m.seconds:.2f} s, writes from {m.writes_from:.2f} s; "
        f"{sum(t.killed for t in trials)}/{len(trials)} killed, "
        f"{sum(t.while_writing for t in trials)} while writing; states "
        f"{[(round(t.delay, 2), t.state, t.while_writing) for t in trials]}; "
        f"temp files left: {len(leftovers)}"
    )
    print(summary)
    problems = [p for t in trials for p in t.problems]
    assert not problems, "\n".join([summary, *problems])
    assert any(t.while_writing for t in trials), (
        f"no trial was killed while the command wrote: {summary}"
    )
