"""Analysis speed on a large project: a synthetic study of about a million segments, built with
bulk SQL inserts (or reused from the cache folder), then `count_matrix` and `cooccurrence` timed
as the CLI calls them. Goal: the codes x role matrix (codings) under 1 s.

    python benchmarks/analysis_speed.py [--cache DIR] [--runs 3] [--rebuild]

The project: 480 interviews of 400 turns of 4 sentences (2,000 segments each) with role and
practice attributes, one survey of 40,000 answers with an age-band attribute per respondent,
a three-level codebook of 61 codes, about 100,000 codings by two coders. It is built once in
the cache folder (default: the temp folder) and reused while this script's layout is unchanged.
Prints one row per query: the median of --runs runs and the size of its answer.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LAYOUT = "analysis-bench-v1"
INTERVIEWS, TURNS, SENTENCES = 480, 400, 4
SURVEY_ANSWERS = 40_000
CODINGS_PER_INTERVIEW, SURVEY_CODINGS = 200, 4_000
ROLES = ("staff", "patient", "stakeholder", "carer")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
SENTENCE = "We never had any training on it, it just lands on whoever is youngest."  # 71 chars


def _codes() -> list[tuple[str, str | None, str]]:
    """(id, parent id, name): 10 themes x 4 codes, and 5 of those with 2 children."""
    out: list[tuple[str, str | None, str]] = []
    for t in range(10):
        out.append((f"t{t}", None, f"Theme {t}"))
        for c in range(4):
            out.append((f"t{t}c{c}", f"t{t}", f"Theme {t} code {c}"))
    for t in range(5):
        for g in range(2):
            out.append((f"t{t}c0g{g}", f"t{t}c0", f"Theme {t} code 0 detail {g}"))
    out.append(("other", None, "Other"))
    return out


def build(path: Path) -> None:
    from workbench.store.db import open_project

    rng = random.Random(12)
    project = open_project(path, create=True)
    now = "2024-01-01T00:00:00+00:00"
    codes = _codes()
    leaves = [c[0] for c in codes]
    try:
        with project.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO codes (id, guid, parent_id, name, position, created, examples,"
                " aliases, groups, merged_from) VALUES (?, ?, ?, ?, ?, ?, '[]', '[]', '[]', '[]')",
                [
                    (cid, str(uuid.uuid4()), par, name, i, now)
                    for i, (cid, par, name) in enumerate(codes)
                ],
            )
            seg_id = 1
            turn_len = SENTENCES * (len(SENTENCE) + 1)
            one_turn = "P: " + " ".join([SENTENCE] * SENTENCES) + "\n\n"
            for d in range(INTERVIEWS + 1):
                survey = d == INTERVIEWS
                if survey:
                    body = "".join(SENTENCE + "\n" for _ in range(SURVEY_ANSWERS))
                else:
                    body = one_turn * TURNS
                name = "survey" if survey else f"I{d:04d}"
                sha = hashlib.sha256(body.encode()).hexdigest()
                doc_id = conn.exec_driver_sql(
                    "INSERT INTO documents (name, kind, source_name, sha256, imported_at, text,"
                    " guid, text_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        "survey" if survey else "interview",
                        name,
                        sha,
                        now,
                        body,
                        str(uuid.uuid4()),
                        sha,
                    ),
                ).lastrowid
                segs: list[tuple[object, ...]] = []
                attrs: list[tuple[object, ...]] = []
                spans: list[tuple[int, int]] = []
                if survey:
                    for i in range(SURVEY_ANSWERS):
                        start = i * (len(SENTENCE) + 1)
                        segs.append(
                            (
                                seg_id,
                                doc_id,
                                i,
                                "response",
                                start,
                                start + len(SENTENCE),
                                f"R{i}",
                                None,
                                None,
                            )
                        )
                        attrs.append((seg_id, "age_band", AGE_BANDS[i % len(AGE_BANDS)]))
                        spans.append((start, start + len(SENTENCE)))
                        seg_id += 1
                else:
                    idx = 0
                    for t in range(TURNS):
                        tstart = t * len(one_turn) + 3
                        turn_id = seg_id
                        segs.append(
                            (
                                seg_id,
                                doc_id,
                                idx,
                                "turn",
                                tstart,
                                tstart + turn_len - 1,
                                "P",
                                None,
                                None,
                            )
                        )
                        seg_id, idx = seg_id + 1, idx + 1
                        for k in range(SENTENCES):
                            s0 = tstart + k * (len(SENTENCE) + 1)
                            segs.append(
                                (
                                    seg_id,
                                    doc_id,
                                    idx,
                                    "sentence",
                                    s0,
                                    s0 + len(SENTENCE),
                                    "P",
                                    None,
                                    turn_id,
                                )
                            )
                            spans.append((s0, s0 + len(SENTENCE)))
                            seg_id, idx = seg_id + 1, idx + 1
                conn.exec_driver_sql(
                    'INSERT INTO segments (id, document_id, idx, level, start, "end", speaker,'
                    " timestamp, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    segs,
                )
                if attrs:
                    conn.exec_driver_sql(
                        "INSERT INTO segment_attributes (segment_id, key, value) VALUES (?, ?, ?)",
                        attrs,
                    )
                else:
                    conn.exec_driver_sql(
                        "INSERT INTO document_attributes (document_id, key, value) VALUES (?, ?, ?)",
                        [
                            (doc_id, "role", ROLES[d % len(ROLES)]),
                            (doc_id, "practice", f"Practice {d % 8}"),
                        ],
                    )
                n = SURVEY_CODINGS if survey else CODINGS_PER_INTERVIEW
                seen: set[tuple[int, int, str, str]] = set()
                rows = []
                for _ in range(n):
                    first = rng.randrange(len(spans))
                    last = min(len(spans) - 1, first + rng.choice((0, 0, 0, 1, 2)))
                    start = spans[first][0] + rng.choice((0, 0, 5))
                    end = spans[last][1]
                    key = (start, end, rng.choice(leaves), rng.choice(("alice", "bob")))
                    if key in seen:
                        continue
                    seen.add(key)
                    rows.append((doc_id, *key, now, str(uuid.uuid4())))
                conn.exec_driver_sql(
                    'INSERT INTO codings (document_id, start, "end", code_id, coder, created, guid,'
                    " origin) VALUES (?, ?, ?, ?, ?, ?, ?, 'imported')",
                    rows,
                )
            conn.exec_driver_sql(
                "INSERT INTO project_meta (key, value) VALUES ('benchmark_layout', ?)", (LAYOUT,)
            )
    finally:
        project.close()


def ensure_project(cache: Path, rebuild: bool) -> Path:
    from sqlalchemy import text

    from workbench.store.db import open_project

    cache.mkdir(parents=True, exist_ok=True)
    path = cache / "analysis-1m.sqlite"
    if path.exists() and not rebuild:
        project = open_project(path)
        try:
            with project.read() as conn:
                layout = conn.execute(
                    text("SELECT value FROM project_meta WHERE key = 'benchmark_layout'")
                ).scalar()
        finally:
            project.close()
        if layout == LAYOUT:
            return path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    print(f"building {path} ...", file=sys.stderr)
    build(path)
    print(f"built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    path = ensure_project(args.cache, args.rebuild)

    from sqlalchemy import text

    from workbench.analysis.cooccurrence import cooccurrence
    from workbench.analysis.matrix import count_matrix
    from workbench.analysis.units import Filters
    from workbench.store.db import open_project

    project = open_project(path)
    queries = [
        ("matrix code x attr:role, codings", lambda c: count_matrix(c, "code", "attr:role")),
        (
            "matrix code x attr:role, segments",
            lambda c: count_matrix(c, "code", "attr:role", count="segments"),
        ),
        (
            "matrix code x attr:role, documents",
            lambda c: count_matrix(c, "code", "attr:role", count="documents"),
        ),
        (
            "matrix code x attr:role, characters",
            lambda c: count_matrix(c, "code", "attr:role", count="characters"),
        ),
        (
            "matrix code x attr:age_band (respondents), codings",
            lambda c: count_matrix(c, "code", "attr:age_band"),
        ),
        ("matrix document x coder, codings", lambda c: count_matrix(c, "document", "coder")),
        (
            "matrix code x attr:role, --where role=staff --code 'Theme 3'",
            lambda c: count_matrix(
                c,
                "code",
                "attr:role",
                filters=Filters(codes=("Theme 3",), where=(("role", "staff"),)),
            ),
        ),
        ("cooccurrence, segment unit", lambda c: cooccurrence(c, unit="segment")),
        ("cooccurrence, document unit", lambda c: cooccurrence(c, unit="document")),
    ]
    try:
        with project.read() as conn:
            n_seg = conn.execute(text("SELECT count(*) FROM segments")).scalar_one()
            n_cod = conn.execute(text("SELECT count(*) FROM codings")).scalar_one()
            n_doc = conn.execute(text("SELECT count(*) FROM documents")).scalar_one()
        print(f"project: {n_doc:,} documents, {n_seg:,} segments, {n_cod:,} codings, 61 codes")
        print(f"| query | median of {args.runs} (s) | answer |")
        print("|---|---:|---|")
        for label, fn in queries:
            times = []
            result = None
            for _ in range(args.runs):
                with project.read() as conn:
                    t0 = time.perf_counter()
                    result = fn(conn)
                    times.append(time.perf_counter() - t0)
            if hasattr(result, "rows"):
                size = f"{len(result.rows)} x {len(result.cols)}, total {result.total:,}"  # type: ignore[union-attr]
            else:
                size = f"{len(result.codes)} x {len(result.codes)}"  # type: ignore[union-attr]
            print(f"| {label} | {statistics.median(times):.3f} | {size} |")
    finally:
        project.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
