"""Team server under load: N coders (default 10) coding at once on loopback, each in its own
process with its own login, for a minute. Prints codings/s, the median and p95 latency of one
coding (the whole `project.begin()` transaction: look-ups, the insert, the commit), and checks
that every coding a coder was told was saved is in the database.

    python benchmarks/server_load.py [--coders 10] [--seconds 60] [--url postgresql://OWNER...]

Without --url a throwaway cluster is started (tests/pgcluster.py, the pgserver binaries) and
removed afterwards; with --url the owner's URL of an EMPTY database is used (`server init`,
logins bench_coder_N are created and kept). Exit 1 when an acknowledged coding is missing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

DOC = ROOT / "transcripts_sample" / "S01_receptionist.txt"
CODEBOOK = ROOT / "codebooks" / "difacto.yaml"


def _coder(url: str, index: int, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from workbench.services.coding import add_coding
    from workbench.services.documents import document_row
    from workbench.store.db import open_project

    proj = open_project(url)
    me = proj.engine.url.username or ""
    with proj.read() as conn:
        spans = [(int(r[0]), int(r[1])) for r in conn.exec_driver_sql(
            "SELECT start, \"end\" FROM segments WHERE document_id = 1 ORDER BY idx")]  # fmt: skip
        codes = [str(r[0]) for r in conn.exec_driver_sql("SELECT id FROM codes ORDER BY id")]
        document_row(conn, "S01_receptionist")
    latencies: list[float] = []
    acked: list[tuple[int, int, str]] = []
    errors = 0
    end = time.monotonic() + seconds
    n = index  # each coder walks the (segment, code) grid from its own place
    while time.monotonic() < end:
        start, stop = spans[n % len(spans)]
        code = codes[(n // len(spans)) % len(codes)]
        n += 7
        t0 = time.perf_counter()
        try:
            with proj.begin() as conn:
                coding, created = add_coding(conn, "S01_receptionist", start, stop, code, me)
        except Exception as exc:  # counted and reported, never silent
            errors += 1
            print(f"coder {index}: not saved: {exc}", file=sys.stderr)
            continue
        latencies.append(time.perf_counter() - t0)
        if created:
            acked.append((start, stop, coding.code_id))
    proj.close()
    out.put((me, latencies, acked, errors))


def _setup(owner: str, coders: int) -> list[str]:
    from sqlalchemy.engine import make_url

    from workbench.cli import main

    assert main(["server", "init", owner]) == 0
    url = make_url(owner)
    logins = []
    import os

    for i in range(coders):
        name = f"bench_coder_{i}"
        os.environ["WORKBENCH_NEW_PASSWORD"] = f"pw-{i}"
        assert main(["server", "add-user", owner, name, "--role", "coder"]) == 0
        logins.append(
            url.set(username=name, password=f"pw-{i}").render_as_string(hide_password=False)
        )
    os.environ.pop("WORKBENCH_NEW_PASSWORD", None)
    lead = url.render_as_string(hide_password=False)
    assert main(["import", str(DOC), "--project", lead]) == 0
    assert main(["codebook", "import", str(CODEBOOK), "--project", lead]) == 0
    return logins


def _present(owner: str) -> set[tuple[str, int, int, str]]:
    from sqlalchemy import select

    from workbench.store import schema as s
    from workbench.store.db import open_project

    proj = open_project(owner)
    try:
        with proj.read() as conn:
            c = s.codings.c
            rows = conn.execute(select(c.coder, c.start, c.end, c.code_id)).all()
    finally:
        proj.close()
    return {(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows}


def run(owner: str, coders: int, seconds: float) -> int:
    logins = _setup(owner, coders)
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_coder, args=(u, i, seconds, out)) for i, u in enumerate(logins)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    results = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=1.0))
        except queue.Empty:
            if not any(p.is_alive() for p in procs) and out.empty():
                print("a coder process died before reporting", file=sys.stderr)
                return 1
    for p in procs:
        p.join(60)
    wall = time.monotonic() - t0
    lat = sorted(x for _, ls, _, _ in results for x in ls)
    acked = {(me, a, b, code) for me, _, acks, _ in results for a, b, code in acks}
    errors = sum(e for *_, e in results)
    present = _present(owner)
    missing = acked - present
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
    print(f"coders: {coders}, seconds: {seconds:g} (wall {wall:.1f} s incl. start-up)")
    print(f"codings saved: {len(lat)} ({len(lat) / seconds:.1f} codings/s), errors: {errors}")
    med = statistics.median(lat) * 1000 if lat else float("nan")
    print(f"latency per coding: median {med:.1f} ms, p95 {p95 * 1000:.1f} ms")
    print(f"acknowledged new codings: {len(acked)}, in the database: {len(acked) - len(missing)}")
    if missing:
        print(f"MISSING: {len(missing)} acknowledged codings are not in the database")
        return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coders", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--url", help="owner URL of an empty database (default: a throwaway one)")
    args = ap.parse_args()
    if args.url:
        return run(args.url, args.coders, args.seconds)
    import signal

    from pgcluster import start_cluster

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the cluster on a kill too
    cluster = start_cluster()
    try:
        return run(cluster.url(db=cluster.new_database("bench")), args.coders, args.seconds)
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
