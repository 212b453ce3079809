"""Scale benchmark (issue 15): every figure of the "big projects stay instant" table, on the
demo project and on a project of N copies of the sample study, side by side, medians.

    nice python benchmarks/scale.py --copies 280 [--rows 1000000] [--runs 3] [--keep DIR]
        [--skip-tui] [--skip-model]

280 copies of the sample interviews and field notes give 1.3 million segments (the issue's
project had 985,880). The survey and attributes CSVs have --rows rows (default 1,000,000).
Each figure is measured in a fresh child process (`--child KIND ...`) so one measurement never warms up the next; peak
memory is the child's own maximum resident set (wait4). Times are wall-clock medians of
--runs where a figure is cheap to repeat (start-up, export, TUI), single runs for imports.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "transcripts_sample"
CODINGS = ("difacto.csv", "coder-a.csv", "coder-b.csv")
SURVEY_COLUMNS = ["--text-column", "answer", "--id-column", "respondent_id"]
BIG_ENV = {"WORKBENCH_MAX_IMPORT_MB": "4000", "WORKBENCH_CODER": "bench"}
# Children run as on a user's machine, where Python keeps its bytecode cache: an environment
# that sets PYTHONDONTWRITEBYTECODE (some sandboxes and CI images do) would make every child
# compile Workbench's own modules again (about 0.1 s of every start-up).
NO_CACHE_VAR = "PYTHONDONTWRITEBYTECODE"


def child_env() -> dict[str, str]:
    env = {**os.environ, **BIG_ENV}
    env.pop(NO_CACHE_VAR, None)
    return env


def compile_workbench() -> None:
    """Write the bytecode cache of the workbench package (what pip does for an installed
    package, and a first run does for an editable one)."""
    import compileall

    compileall.compile_dir(str(ROOT / "workbench"), quiet=1)


# Children: each prints one JSON object on its last stdout line -------------------------------


def child_import_docs(project: str, folder: str) -> dict[str, float]:
    from workbench.ingest.sentences import _nlp
    from workbench.services.importing import ImportRequest, import_files
    from workbench.store.db import open_project

    _nlp()  # spaCy's one-off load is not import speed
    files = sorted(p for p in Path(folder).iterdir() if p.is_file())
    size = sum(p.stat().st_size for p in files)
    proj = open_project(Path(project), create=True)
    t0 = time.perf_counter()
    for i in range(0, len(files), 120):  # one transaction per batch: bounded memory
        import_files(proj, ImportRequest(paths=files[i : i + 120], max_bytes=1 << 30))
    seconds = time.perf_counter() - t0
    with proj.read() as conn:
        segs = conn.exec_driver_sql("SELECT count(*) FROM segments").scalar_one()
    proj.close()
    return {"seconds": seconds, "bytes": size, "segments": segs, "files": len(files)}


def child_import_codings(project: str, *paths: str) -> dict[str, float]:
    from workbench.services.importing import ImportRequest, import_files
    from workbench.store.db import open_project

    proj = open_project(Path(project))
    with proj.read() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM codings").scalar_one()
    t0 = time.perf_counter()
    import_files(proj, ImportRequest(paths=[Path(p) for p in paths], max_bytes=1 << 30))
    seconds = time.perf_counter() - t0
    with proj.read() as conn:
        after = conn.exec_driver_sql("SELECT count(*) FROM codings").scalar_one()
    proj.close()
    return {"seconds": seconds, "codings": after - before}


def child_excerpts(project: str, code: str, runs: str) -> dict[str, float]:
    from workbench.services.excerpts import excerpts
    from workbench.store.db import open_project

    proj = open_project(Path(project))
    times, n = [], 0
    for _ in range(int(runs)):
        t0 = time.perf_counter()
        with proj.read() as conn:
            n = len(excerpts(conn, codes=[code]))
        times.append(time.perf_counter() - t0)
    proj.close()
    return {"seconds": statistics.median(times), "rows": n}


async def _tui(project: Path) -> dict[str, float]:
    """`home`: from before the app's import to the first frame that shows the documents'
    rows (what the researcher sees; the app opens the rest of the project after it, in the
    background); `ready`: until the process is idle again, that open done."""
    t_start = time.perf_counter()
    from textual.widgets import DataTable

    from workbench.tui.app import WorkbenchApp
    from workbench.tui.screens.home import HomeScreen

    out: dict[str, float] = {}
    app = WorkbenchApp(project, "bench")
    display = app._display

    def painted(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        display(screen, renderable)
        if "home" in out or renderable is None or not isinstance(screen, HomeScreen):
            return
        if screen.query_one("#documents", DataTable).row_count:
            out["home"] = time.perf_counter() - t_start

    app._display = painted  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, HomeScreen) and app.screen.docs and "home" in out):
            await asyncio.sleep(0.001)
        await pilot.pause()
        while not app.handle.is_open:
            await asyncio.sleep(0.001)
        await pilot.pause()
        out["ready"] = time.perf_counter() - t_start
        from workbench.tui.screens.coding import CodingScreen
        from workbench.tui.screens.picker import Picked

        name = app.screen.docs[0].name
        app.open_document(name)
        while not (isinstance(app.screen, CodingScreen) and app.screen.state is not None):
            await asyncio.sleep(0.001)
        await pilot.pause()
        screen = app.screen
        turns = screen.doc.turns  # type: ignore[attr-defined]
        seg = turns[random.Random(os.getpid()).randrange(len(turns))].seg
        code_id = next(iter(screen.state.tree.codes))  # type: ignore[union-attr]
        t0 = time.perf_counter()
        screen.apply_code((seg.start, seg.end), Picked(code_id, code_id))  # type: ignore[attr-defined]
        await pilot.pause()
        out["code"] = time.perf_counter() - t0
    return out


def child_tui(project: str) -> dict[str, float]:
    return asyncio.run(_tui(Path(project)))


def child_suggest(project: str) -> dict[str, float]:
    """Cold, as the TUI does it: load the model, answer for the current passage from the
    codebook (the first answer), then embed what the learner needs and answer again."""
    t0 = time.perf_counter()
    from workbench.store.db import open_project
    from workbench.suggest import tui_engine

    proj = open_project(Path(project))
    with proj.read() as conn:
        seg = conn.exec_driver_sql(
            "SELECT id FROM segments WHERE level = 'turn' ORDER BY id LIMIT 1 OFFSET 3"
        ).scalar_one()
    engine = tui_engine(Path(project), "bench")
    n = len(engine.first_for_segment(int(seg))[0])
    seconds = time.perf_counter() - t0
    engine.warm_up()
    engine.for_segment(int(seg))
    learned = time.perf_counter() - t0
    engine.close()
    proj.close()
    return {"seconds": seconds, "learned": learned, "suggestions": n}


def child_similar(project: str) -> dict[str, float]:
    """Cold: the first answer (after the passages sharing words with the query), then all."""
    t0 = time.perf_counter()
    from workbench.store.db import open_project
    from workbench.suggest.similar import similar_passages

    first: list[float] = []
    proj = open_project(Path(project))
    hits = similar_passages(
        proj,
        query="nobody showed me how to use the app",
        limit=10,
        interim=lambda _h, _a, _b: first.append(time.perf_counter() - t0),
    )
    seconds = time.perf_counter() - t0
    proj.close()
    return {"seconds": first[0] if first else seconds, "all": seconds, "hits": len(hits)}


CHILDREN = {
    "import-docs": child_import_docs,
    "import-codings": child_import_codings,
    "excerpts": child_excerpts,
    "tui": child_tui,
    "suggest": child_suggest,
    "similar": child_similar,
}


# Parent: build the corpora, run the children, print the table ----------------------------


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Like `run`, but the peak RSS is the child's own (wait4 on a Popen we reap)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])}... failed: {err.strip()[-400:]}")
    return wall, usage.ru_maxrss / 1024, out


def child(kind: str, *args: str) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]
    _wall, _rss, out = run_measured(cmd)
    return json.loads(out.strip().splitlines()[-1])


def workbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbench", *args]


def sample_files() -> list[Path]:
    from workbench.services.demo import read_participants, sample_documents

    roles = read_participants(SAMPLE)
    return [p for p in sample_documents(SAMPLE) if roles.get(p.stem, {}).get("role") != "survey"]


def build_copies(folder: Path, copies: int) -> dict[str, Path]:
    """N renamed copies of the sample documents, their participants sheet and codings."""
    docs = folder / "docs"
    docs.mkdir()
    files = sample_files()
    names = {p.stem for p in files}
    for c in range(copies):
        for p in files:
            shutil.copyfile(p, docs / f"c{c:04d}_{p.name}")
    with (SAMPLE / "participants.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    with (folder / "participants.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0])
        w.writerows([f"c{c:04d}_{r[0]}", *r[1:]] for c in range(copies) for r in rows[1:])
    codings = []
    for name in CODINGS:
        with (SAMPLE / "codings" / name).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        out = folder / f"big-{name}"
        with out.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(rows[0])
            w.writerows(
                [f"c{c:04d}_{r[0]}", *r[1:]]
                for c in range(copies)
                for r in rows[1:]
                if r[0] in names
            )
        codings.append(out)
    return {"docs": docs, "participants": folder / "participants.csv", "codings": codings[0]}


def write_survey(path: Path, rows: int) -> None:
    with (SAMPLE / "survey_online_services.csv").open(encoding="utf-8-sig", newline="") as fh:
        sample = list(csv.reader(fh))
    header, body = sample[0], sample[1:]
    rng = random.Random(15)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(rows):
            r = list(body[rng.randrange(len(body))])
            r[0] = f"R{i:07d}"
            w.writerow(r)


def write_attributes(path: Path, rows: int, documents: list[str]) -> None:
    rng = random.Random(16)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "role", "practice", "age_band", "region"])
        for i in range(rows):
            name = documents[i] if i < len(documents) else f"R{i:07d}"
            w.writerow(
                [
                    name,
                    rng.choice(["patient", "staff", "carer"]),
                    rng.choice(["Brookfield", "Moorside", "Elmwood", "Ashgrove"]),
                    rng.choice(["18-34", "35-54", "55-74", "75+"]),
                    rng.choice(["North West", "South West", "London"]),
                ]
            )


def median_wall(cmd: list[str], runs: int) -> float:
    return statistics.median(run_measured(cmd)[0] for _ in range(runs))


def biggest_code(project: Path) -> tuple[str, int]:
    """The code with the number of codings nearest the issue's 1,300 excerpts."""
    import sqlite3

    con = sqlite3.connect(project)
    row = con.execute(
        "SELECT code_id, count(*) AS n FROM codings GROUP BY code_id "
        "ORDER BY abs(count(*) - 1300), code_id LIMIT 1"
    ).fetchone()
    con.close()
    return str(row[0]), int(row[1])


def measure(project: Path, work: Path, args: argparse.Namespace, big: bool) -> dict[str, str]:
    """Every figure for one project (`work` holds its inputs)."""
    f: dict[str, str] = {}
    code, _n = biggest_code(project)
    out_csv = work / "excerpts.csv"
    export = workbench("export", "excerpts", "-o", str(out_csv), "--code", code)
    wall = median_wall([*export, "--project", str(project)], args.runs)
    q = child("excerpts", str(project), code, str(args.runs))
    f["export"] = f"{wall:.2f} s, query {q['seconds'] * 1000:.0f} ms ({q['rows']:,} rows)"
    if not args.skip_tui:
        try:
            tui = [child("tui", str(project)) for _ in range(args.runs)]
            f["home"] = (
                f"{statistics.median(t['home'] for t in tui):.2f} s "
                f"(all open: {statistics.median(t['ready'] for t in tui):.2f} s)"
            )
            f["code"] = f"{statistics.median(t['code'] for t in tui) * 1000:.0f} ms"
        except RuntimeError as exc:  # the TUI is someone else's moving target: say so
            f["home"] = f["code"] = f"failed: {str(exc)[-80:]}"
        from terminal_start import terminal_home  # benchmarks/terminal_start.py

        f["terminal"] = f"{terminal_home(project, args.runs):.2f} s"
    rows = args.rows if big else None
    survey = work / "survey.csv"
    if rows:
        write_survey(survey, rows)
    else:
        shutil.copyfile(SAMPLE / "survey_online_services.csv", survey)
    target = work / "survey.sqlite"
    wall, rss, _ = run_measured(
        [*workbench("import", str(survey), *SURVEY_COLUMNS), "--project", str(target)]
    )
    n_rows = rows or sum(1 for _ in survey.open(encoding="utf-8")) - 1
    f["survey"] = f"{wall:.1f} s, {rss:,.0f} MB ({n_rows:,} rows)"
    attrs = work / "attributes.csv"
    if rows:
        import sqlite3

        con = sqlite3.connect(project)
        names = [r[0] for r in con.execute("SELECT name FROM documents ORDER BY id")]
        con.close()
        write_attributes(attrs, rows, names)
    else:
        shutil.copyfile(SAMPLE / "participants.csv", attrs)
    wall, rss, _ = run_measured([*workbench("attributes", str(attrs)), "--project", str(project)])
    f["attributes"] = f"{wall:.1f} s, {rss:,.0f} MB ({rows or 20:,} rows)"
    if not args.skip_model and not big:
        for key, then in (("suggest", "learned"), ("similar", "all")):
            try:
                r = child(key, str(project))
                f[key] = f"{r['seconds']:.1f} s ({then}: {r[then]:.1f} s)"
            except RuntimeError as exc:
                f[key] = f"failed: {str(exc)[-80:]}"
    return f


def build(work: Path, copies: int) -> tuple[Path, dict[str, str]]:
    """The project of `copies` copies, with the import figures measured on the way."""
    inputs = build_copies(work, copies)
    project = work / "big.sqlite"
    r = child("import-docs", str(project), str(inputs["docs"]))
    f = {
        "transcripts": f"{r['bytes'] / r['seconds'] / 1e6:.2f} MB/s "
        f"({r['bytes'] / 1e6:.1f} MB, {r['files']:,} files, {r['segments']:,} segments)"
    }
    run_measured([*workbench("attributes", str(inputs["participants"])), "--project", str(project)])
    book = str(ROOT / "codebooks" / "difacto.yaml")
    subprocess.run(
        workbench("codebook", "import", book, "--project", str(project)),
        check=True,
        capture_output=True,
    )
    paths = [str(work / f"big-{name}") for name in CODINGS]
    r = child("import-codings", str(project), *paths)
    f["codings"] = f"{r['codings'] / r['seconds']:,.0f}/s ({r['codings']:,} codings)"
    return project, f


GOALS = [
    ("home", "TUI home screen shown", "< 0.5 s"),
    ("terminal", "the same in a terminal, from typing `workbench tui`", "< 0.5 s"),
    ("code", "one coding in the TUI, saved and repainted", "< 50 ms"),
    ("export", "export excerpts --code X (wall; query)", "< 0.3 s; < 100 ms"),
    ("startup", "CLI start-up (workbench --help)", "< 0.25 s"),
    ("transcripts", "import of transcripts", ">= 2 MB/s"),
    ("codings", "import codings.csv", ">= 20,000/s"),
    ("survey", "survey CSV import (wall, peak RSS)", "< 60 s, < 1 GB"),
    ("attributes", "attributes CSV (wall, peak RSS)", "< 30 s"),
    ("suggest", "first suggestions, current passage (cold; then learned)", "< 10 s"),
    ("similar", "first search by meaning (cold; then the whole corpus)", "< 10 s"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of the sample study")
    parser.add_argument("--rows", type=int, default=1_000_000, help="survey/attributes rows")
    parser.add_argument("--runs", type=int, default=3, help="repeats of the cheap figures")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--skip-tui", action="store_true")
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*args.child[1:])))
        return
    if args.copies < 1 or args.rows < 1 or args.runs < 1:
        parser.error("--copies, --rows and --runs must be at least 1")
    work = args.keep or Path(tempfile.mkdtemp(prefix="wb-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    compile_workbench()
    try:
        t0 = time.perf_counter()
        demo_dir, big_dir = work / "demo", work / "big"
        demo_dir.mkdir(exist_ok=True)
        big_dir.mkdir(exist_ok=True)
        startup = median_wall(workbench("--help"), max(5, args.runs))
        demo_work = demo_dir / "one"
        demo_work.mkdir(exist_ok=True)
        _one, demo = build(demo_work, 1)
        run_measured(workbench("demo", str(demo_dir), "--no-tui"))
        demo["transcripts"] += " [1 copy]"
        demo_f = measure(demo_dir / "demo.sqlite", demo_work, args, big=False)
        demo.update(demo_f)
        big_project, bigf = build(big_dir, args.copies)
        bigf.update(measure(big_project, big_dir, args, big=True))
        demo["startup"] = bigf["startup"] = f"{startup:.2f} s"
        print(
            f"scale benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{os.cpu_count()} cores, {args.copies} copies, {args.rows:,} rows, "
            f"medians of {args.runs} ({time.perf_counter() - t0:.0f} s in all)"
        )
        print("| what | demo | big | goal |")
        print("|---|---|---|---|")
        for key, label, goal in GOALS:
            print(f"| {label} | {demo.get(key, '-')} | {bigf.get(key, '-')} | {goal} |")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
