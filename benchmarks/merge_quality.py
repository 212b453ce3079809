"""Merge quality on labelled code pairs from real codebooks (benchmarks/merge_pairs/).

    python benchmarks/merge_quality.py [--pairs DIR] [--no-model] [--quick] [--sweep] [--misses]
        [--json FILE]

Each pair becomes two small codebooks (book A holds the pair's `a` code(s), book B its `b`
code(s)) merged by the real engine, `workbench.codebook.merge.merge_codebooks`, with the
bundled embedding model as `workbench codebook merge` loads it, and again without it (as
`--no-meaning`). The outcome of a pair is the strongest thing the merge did with its codes:
`merge` (some code of A merged with some code of B) > `clash` (a name-clash conflict) >
`split` (a possible-split conflict) > `separate`.

Two ways ("modes"): **alone**, each pair as its own two books; **in books**, the pairs of
one pair file and fold merged together (book A all their `a` codes, book B all their `b`
codes; a pair goes into the first such book where none of its names is taken), so the other
codes are distractors. In books a merge that joins codes of two different pairs counts as a
wrong merge decision. The shipped defaults are the in-books choice on all pairs.

Thresholds are chosen by 5-fold cross-validation on the pairs' `fold` column: for each fold,
the grid below is searched on the other four folds (train) and the choice is scored on the
held-out fold (test). The table gives precision and recall of the merge, clash and split
decisions on train (pooled over the five rounds) and on the held-out folds (each pair scored
once, with thresholds it was not tuned on), plus the engine's shipped defaults on all pairs.
Choice rule on train: no same-name/different-meaning pair merged, merge precision >= 0.95;
then the highest merge recall, then clash recall, split F1 and merge precision; ties go to
the lowest meaning threshold (the most merging the set cannot tell from the best), then the
higher stand-out margin and threshold (the safer stand-out rule: a wrong merge is worse than a
missed one), then the higher clash threshold (more same-name pairs flagged), then the smaller split margin
and the higher split threshold (fewer split flags). When no
setting meets the rule: fewest clash pairs merged, then the highest merge precision.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
for _folder in (REPO, REPO / "benchmarks"):  # the package, and the benchmark's own modules
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from merge_books import (  # noqa: E402, F401  (re-exported: the tests read them from here)
    Run,
    Scenario,
    make_scenarios,
    outcome,
    run_books,
    scenario_outcomes,
)
from merge_flags import cross_validate_flags, flag_table  # noqa: E402

from workbench.codebook.merge import MergeOptions, merge_codebooks  # noqa: E402
from workbench.codebook.model import Code, Codebook  # noqa: E402

PAIRS_DIR = REPO / "benchmarks" / "merge_pairs"
DECISIONS = ("merge", "clash", "split", "separate")
KINDS = (
    "same name",
    "different names",
    "fuzzy names",
    "alias",
    "broader-narrower",
    "related",
    "unrelated",
)
PAIR_KEYS = {"id", "expected", "kind", "fold", "field", "source", "why", "a", "b"}
FOLDS = 5
GOALS = {"merge_precision": 0.95, "merge_recall": 0.85, "clash_recall": 1.0}
Embed = Callable[[list[str]], np.ndarray]

# The grid searched on the train folds. With the model the clash check uses the model's
# cosine only, so the lexical threshold matters only to the merge without it.
GRID: dict[str, tuple[float, ...]] = {
    "meaning_threshold": (0.75, 0.8, 0.85),
    "clash_threshold": (0.48, 0.5, 0.52, 0.54),
    "lexical_clash_threshold": (0.02, 0.05, 0.08, 0.1, 0.15, 0.2),
    "split_margin": (0.05, 0.1),  # 0.15 flags a spurious split in codebooks/team
    "split_threshold": (0.5, 0.6),
    "standout_threshold": (0.4, 0.45, 0.5, 0.55, 0.6),
    "standout_margin": (0.15, 0.2, 0.25, 0.3),
}
MODEL_KEYS = (
    "meaning_threshold",
    "clash_threshold",
    "split_margin",
    "split_threshold",
    "standout_threshold",
    "standout_margin",
)
NO_MODEL_KEYS = ("lexical_clash_threshold",)
STANDOUT_KEYS = ("standout_threshold", "standout_margin")
QUICK_GRID: dict[str, tuple[float, ...]] = {  # holds the shipped defaults (the tests use it)
    "meaning_threshold": (0.75, 0.8, 0.85),
    "clash_threshold": (0.48, 0.52, 0.56),
    "lexical_clash_threshold": (0.05, 0.1, 0.15, 0.2),
    "split_margin": (0.05, 0.1),  # 0.15 flags a spurious split in codebooks/team
    "split_threshold": (0.5, 0.6, 0.75),
    "standout_threshold": (0.45, 0.5, 0.55),
    "standout_margin": (0.15, 0.2, 0.25),
}


@dataclass(frozen=True)
class Pair:
    id: str
    expected: str
    kind: str
    fold: int
    field: str
    source: str
    why: str
    a: tuple[Code, ...]
    b: tuple[Code, ...]
    file: str = ""  # the pair file's stem: the pairs merged together in books

    def books(self) -> list[tuple[str, Codebook]]:
        return [
            ("a.yaml", Codebook(codebook="A", codes=list(self.a))),
            ("b.yaml", Codebook(codebook="B", codes=list(self.b))),
        ]


def _codes(where: str, raw: Any) -> tuple[Code, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(c, dict) for c in items):
        raise ValueError(f"{where}: a code (mapping) or a list of codes is required")
    return tuple(Code.model_validate(c) for c in items)


def load_pairs(folder: Path = PAIRS_DIR) -> list[Pair]:
    """Every pair of every `*.yaml` file in `folder` (sorted by file name), checked."""
    pairs: list[Pair] = []
    for path in sorted(folder.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, raw in enumerate(doc["pairs"]):
            where = f"{path.name}: pair {i + 1} ({raw.get('id', '?')})"
            if set(raw) != PAIR_KEYS:
                raise ValueError(f"{where}: keys must be {sorted(PAIR_KEYS)}, got {sorted(raw)}")
            if raw["expected"] not in DECISIONS or raw["kind"] not in KINDS:
                raise ValueError(f"{where}: bad expected/kind {raw['expected']}/{raw['kind']}")
            if raw["fold"] not in range(1, FOLDS + 1):
                raise ValueError(f"{where}: fold must be 1..{FOLDS}")
            a, b = _codes(f"{where} a", raw["a"]), _codes(f"{where} b", raw["b"])
            fields_ = {k: str(raw[k]) for k in ("id", "expected", "kind", "field", "source", "why")}
            pairs.append(Pair(**fields_, fold=int(raw["fold"]), a=a, b=b, file=path.stem))
    ids = [p.id for p in pairs]
    if len(set(ids)) != len(ids):
        raise ValueError("pair ids must be unique")
    return pairs


class CachedEmbed:
    """The model's embed function with every text embedded once across all merges."""

    def __init__(self, embed: Embed) -> None:
        self.embed = embed
        self.vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.vectors})
        if missing:
            for text, vec in zip(missing, np.asarray(self.embed(missing)), strict=True):
                self.vectors[text] = vec
        return np.array([self.vectors[t] for t in texts])


def run_pairs(pairs: Sequence[Pair], options: MergeOptions, embed: Embed | None) -> list[str]:
    return [outcome(merge_codebooks(p.books(), options, embed)) for p in pairs]


def run_alone(pairs: Sequence[Pair], options: MergeOptions, embed: Embed | None) -> Run:
    return Run(run_pairs(pairs, options, embed), {})


def scores(expected: Sequence[str], got: Sequence[str], stray: int = 0) -> dict[str, float]:
    """Precision and recall of each decision; the count of clash pairs merged. `stray`
    merges (joining codes of two different pairs) count as wrong merge decisions."""
    out: dict[str, float] = {"n": len(expected)}
    for d in ("merge", "clash", "split"):
        tp = sum(e == d and g == d for e, g in zip(expected, got, strict=True))
        n_got, n_exp = got.count(d) + (stray if d == "merge" else 0), list(expected).count(d)
        p = tp / n_got if n_got else 1.0
        r = tp / n_exp if n_exp else 1.0
        out |= {f"{d}_precision": p, f"{d}_recall": r, f"{d}_f1": 2 * p * r / (p + r or 1)}
    out["clash_merged"] = sum(
        e == "clash" and g == "merge" for e, g in zip(expected, got, strict=True)
    )
    out["wrong_merges"] = stray + sum(
        e != "merge" and g == "merge" for e, g in zip(expected, got, strict=True)
    )
    out["stray_merges"] = stray
    return out


def grid_options(grid: dict[str, tuple[float, ...]], keys: Iterable[str]) -> list[MergeOptions]:
    keys = list(keys)
    base = MergeOptions()
    values = [grid[k] for k in keys]
    return [
        replace(base, **dict(zip(keys, combo, strict=True))) for combo in itertools.product(*values)
    ]


def choose(
    expected: Sequence[str],
    table: dict[MergeOptions, list[str]],
    stray: dict[MergeOptions, int] | None = None,
) -> MergeOptions:
    """The option setting the choice rule (module docstring) prefers on these pairs."""

    def key(opt: MergeOptions) -> tuple[float, ...]:
        s = scores(expected, table[opt], stray[opt] if stray else 0)
        feasible = s["clash_merged"] == 0 and s["merge_precision"] >= GOALS["merge_precision"]
        return (
            float(feasible),
            -s["clash_merged"],
            round(s["merge_recall"], 6) if feasible else round(s["merge_precision"], 6),
            round(s["clash_recall"], 6),
            round(s["split_f1"], 6),
            round(s["merge_precision"], 6),
            -opt.meaning_threshold,
            opt.standout_margin,
            opt.standout_threshold,
            opt.clash_threshold,
            opt.lexical_clash_threshold,
            -opt.split_margin,
            opt.split_threshold,
        )

    return max(table, key=key)


@dataclass
class CvResult:
    train: dict[str, float]
    test: dict[str, float]
    chosen: list[MergeOptions]  # one per held-out fold
    final: MergeOptions  # chosen on all pairs
    test_outcomes: dict[str, str]  # pair id -> outcome on its held-out fold


def cross_validate(
    pairs: Sequence[Pair],
    options: list[MergeOptions],
    embed: Embed | None,
    run: Callable[[MergeOptions], Run] | None = None,
) -> CvResult:
    """5-fold cross-validation of `options`; `run` gives the outcomes of one setting
    (default: each pair merged alone)."""
    runner = run or (lambda opt: run_alone(pairs, opt, embed))
    runs = {opt: runner(opt) for opt in options}
    table = {opt: r.outcomes for opt, r in runs.items()}
    expected = [p.expected for p in pairs]
    train_exp: list[str] = []
    train_got: list[str] = []
    train_stray = test_stray = 0
    test_got: dict[str, str] = {}
    chosen = []
    for k in range(1, FOLDS + 1):
        tr = [i for i, p in enumerate(pairs) if p.fold != k]
        te = [i for i, p in enumerate(pairs) if p.fold == k]
        stray = {o: sum(n for f, n in r.stray.items() if f != k) for o, r in runs.items()}
        sub = {o: [g[i] for i in tr] for o, g in table.items()}
        opt = choose([expected[i] for i in tr], sub, stray)
        chosen.append(opt)
        train_exp += [expected[i] for i in tr]
        train_got += [table[opt][i] for i in tr]
        train_stray += stray[opt]
        test_stray += runs[opt].stray.get(k, 0)
        test_got |= {pairs[i].id: table[opt][i] for i in te}
    test = scores(expected, [test_got[p.id] for p in pairs], test_stray)
    final = choose(expected, table, {o: sum(r.stray.values()) for o, r in runs.items()})
    return CvResult(scores(train_exp, train_got, train_stray), test, chosen, final, test_got)


def changed(opt: MergeOptions, keys: Iterable[str]) -> str:
    return ", ".join(f"{k} {getattr(opt, k):g}" for k in keys)


ROW_KEYS = (
    "merge_precision",
    "merge_recall",
    "clash_precision",
    "clash_recall",
    "split_precision",
    "split_recall",
)


def table_rows(rows: list[tuple[str, dict[str, float]]]) -> str:
    head = "| run | merge P | merge R | clash P | clash R | split P | split R | wrong merges |"
    lines = [head, "|---|" + "---:|" * 7]
    for label, s in rows:
        cells = " | ".join(f"{s[k]:.2f}" for k in ROW_KEYS)
        lines.append(f"| {label} | {cells} | {int(s['wrong_merges'])} |")
    return "\n".join(lines)


def misses(pairs: Sequence[Pair], got: dict[str, str]) -> list[str]:
    return [
        f"{p.id}: expected {p.expected}, got {got[p.id]} ({p.kind})"
        for p in pairs
        if got[p.id] != p.expected
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pairs", type=Path, default=PAIRS_DIR)
    ap.add_argument("--no-model", action="store_true", help="only the run without the model")
    ap.add_argument("--quick", action="store_true", help="a coarser grid (faster)")
    ap.add_argument("--misses", action="store_true", help="list the held-out pairs gone wrong")
    ap.add_argument(
        "--sweep", action="store_true", help="merge P/R by meaning threshold (pairs alone)"
    )
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    pairs = load_pairs(args.pairs)
    grid = QUICK_GRID if args.quick else GRID
    counts = {d: sum(p.expected == d for p in pairs) for d in DECISIONS}
    print(f"{len(pairs)} pairs: " + ", ".join(f"{n} {d}" for d, n in counts.items()))
    runs: list[tuple[str, Embed | None, list[str]]] = []
    if not args.no_model:
        from workbench.suggest.merge_embed import default_embed

        model, why = default_embed()
        if model is None:
            print(f"no model: {why}", file=sys.stderr)
            return 2
        runs.append(("model", CachedEmbed(model), list(MODEL_KEYS)))
    runs.append(("no model", None, list(NO_MODEL_KEYS)))
    rows: list[tuple[str, dict[str, float]]] = []
    report: dict[str, Any] = {}
    scenarios = make_scenarios(pairs)
    sizes = [len(sc.pairs) for sc in scenarios]
    print(f"in books: {len(scenarios)} merges of two books, {min(sizes)}-{max(sizes)} pairs each")
    modes: list[tuple[str, Callable[[MergeOptions, Embed | None], Run]]] = [
        ("alone", lambda opt, emb: run_alone(pairs, opt, emb)),
        ("in books", lambda opt, emb: run_books(pairs, scenarios, opt, emb)),
    ]
    for (label, embed, keys), (mode, runner) in itertools.product(runs, modes):
        # alone (one code a side) a stand-out match never applies: its keys stay at defaults
        keys = [k for k in keys if k in grid and not (mode == "alone" and k in STANDOUT_KEYS)]
        name = f"{label}, {mode}"
        t0 = time.perf_counter()
        shipped = runner(MergeOptions(), embed)
        rows.append(
            (
                f"{name}: shipped defaults, all pairs",
                scores(expected_of(pairs), shipped.outcomes, sum(shipped.stray.values())),
            )
        )
        cv = cross_validate(
            pairs, grid_options(grid, keys), embed, lambda o, r=runner, e=embed: r(o, e)
        )
        rows.append((f"{name}: train folds (CV)", cv.train))
        rows.append((f"{name}: held-out folds (CV)", cv.test))
        secs = time.perf_counter() - t0
        print(f"\n{name}: {secs:.1f} s; chosen per held-out fold:")
        for k, opt in enumerate(cv.chosen, 1):
            print(f"  fold {k}: {changed(opt, keys)}")
        print(f"  all pairs: {changed(cv.final, keys)}")
        if args.sweep and embed is not None and mode == "alone":
            print(sweep(pairs, embed))
        if args.misses:
            print("  held-out pairs gone wrong:")
            for line in misses(pairs, cv.test_outcomes):
                print(f"    {line}")
        report[name] = {
            "shipped": scores(expected_of(pairs), shipped.outcomes, sum(shipped.stray.values())),
            "train": cv.train,
            "test": cv.test,
            "chosen": [changed(o, keys) for o in cv.chosen],
            "final": changed(cv.final, keys),
            "seconds": round(secs, 1),
        }
    print()
    print(table_rows(rows))
    if runs[0][1] is not None:  # the model ran: its possible matches, flags for a person
        flag_rows = []
        for mode, runner in modes:
            shipped_f, held_f, chosen_f, final_f = cross_validate_flags(
                pairs, lambda o, r=runner: r(o, runs[0][1]), MergeOptions()
            )
            flag_rows += [(f"model, {mode}: shipped, all pairs", shipped_f)]
            flag_rows += [(f"model, {mode}: held-out folds (CV)", held_f)]
            report[f"possible matches, {mode}"] = {"shipped": shipped_f, "test": held_f}
            print(
                f"\npossible matches, {mode}: review threshold per held-out fold",
                chosen_f,
                f"on all pairs {final_f}",
            )
        print()
        print(flag_table(flag_rows))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


def sweep(pairs: Sequence[Pair], embed: Embed) -> str:
    """Merge precision and recall on all pairs as the meaning threshold moves (the other
    thresholds at their defaults): the trade-off the model allows."""
    lines = ["| meaning threshold | merge P | merge R | wrong merges |", "|---:|---:|---:|---:|"]
    for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85):
        s = scores(expected_of(pairs), run_pairs(pairs, MergeOptions(meaning_threshold=t), embed))
        lines.append(
            f"| {t:.2f} | {s['merge_precision']:.2f} | {s['merge_recall']:.2f} "
            f"| {int(s['wrong_merges'])} |"
        )
    return "\n".join(lines)


def expected_of(pairs: Sequence[Pair]) -> list[str]:
    return [p.expected for p in pairs]


if __name__ == "__main__":
    raise SystemExit(main())
