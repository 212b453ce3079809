"""Suggestion quality on the NHS patient-experience benchmark (test split).

    python benchmarks/suggest_quality.py [--data DIR] [--seed 0] [--json FILE]

Runs `workbench eval` (each in its own process, so every run pays for loading the model and
embedding its texts, like a user's run) for:
- zero-shot: the codebook only (`--train-per-code 0`);
- `--train-per-code 5` and `--train-per-code 25`: up to K training rows per code (seed 0);
- all training rows (4,324);
and prints one table: micro-F1, macro-F1, micro precision and recall, recall@1, recall@3,
the training rows used, the learner's fit time (retraining; includes calibration) and the
wall-clock seconds of the whole run. Data: `../shared/benchmarks/nhs-patient-experience`
next to the repository (README.md there describes it and its fixed split).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "nhs-patient-experience"
SETTINGS: list[tuple[str, list[str]]] = [
    ("zero-shot (codebook only)", ["--train-per-code", "0"]),
    ("5 rows per code", ["--train-per-code", "5"]),
    ("25 rows per code", ["--train-per-code", "25"]),
    ("all training rows", []),
]
TARGETS = {  # setting -> (measure, minimum), from the issue
    "zero-shot (codebook only)": [("recall_at_3", 0.62)],
    "25 rows per code": [("micro_f1", 0.58), ("recall_at_3", 0.80)],
    "all training rows": [("micro_f1", 0.67), ("seconds", -180.0)],
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {cores} cores, load {load:.1f} at start, Python {platform.python_version()}"


def run_one(data: Path, extra: list[str], seed: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "workbench",
        "eval",
        "--codebook",
        str(data / "codebook.yaml"),
        "--gold",
        str(data / "gold.csv"),
        "--seed",
        str(seed),
        "--format",
        "json",
        *extra,
    ]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"eval failed ({proc.returncode}): {proc.stderr.strip()}")
    result: dict[str, Any] = json.loads(proc.stdout)
    result["wall_seconds"] = wall
    return result


def table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    head = (
        "| setting | train rows | micro-F1 | macro-F1 | precision | recall | recall@1 | "
        "recall@3 | fit s | seconds |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['n_train_used']} | {r['micro_f1']:.3f} | {r['macro_f1']:.3f} | "
            f"{r['micro_precision']:.3f} | {r['micro_recall']:.3f} | {r['recall_at_1']:.3f} | "
            f"{r['recall_at_3']:.3f} | {r['fit_seconds']:.1f} | {r['wall_seconds']:.0f} |"
        )
    return "\n".join(lines)


def check_targets(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = []
    for name, r in rows:
        for key, minimum in TARGETS.get(name, []):
            if key == "seconds":
                ok = r["wall_seconds"] <= -minimum
                out.append(f"{name}: {r['wall_seconds']:.0f} s <= {-minimum:.0f} s: {_ok(ok)}")
            else:
                ok = r[key] >= minimum
                out.append(f"{name}: {key} {r[key]:.3f} >= {minimum}: {_ok(ok)}")
    return out


def _ok(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write every run's JSON to this file")
    args = ap.parse_args()
    if not (args.data / "gold.csv").is_file():
        sys.exit(f"{args.data}: no gold.csv (pass --data DIR)")
    print(f"machine: {machine()}", flush=True)
    rows = []
    for name, extra in SETTINGS:
        print(f"running: {name} ...", file=sys.stderr, flush=True)
        rows.append((name, run_one(args.data, extra, args.seed)))
    n_test = rows[0][1]["n_test"]
    print(f"\nNHS patient experience, test split ({n_test} comments, 41 codes), seed {args.seed}")
    print(table(rows))
    print("\n" + "\n".join(check_targets(rows)))
    if args.json:
        args.json.write_text(json.dumps(dict(rows), indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
