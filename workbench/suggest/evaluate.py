"""`workbench eval`: measure suggestion quality against human codes (CONTRACT §6).

The gold file is a CSV with `text`, `codes` (code names separated by `;`) and optionally
`split` (`train`/`test`). Training rows (all of them, or up to K per code with
`--train-per-code K`, chosen with `--seed`) are given to the ranker as accepted codings; every
test row is scored. Without a `split` column every row is a test row and only the codebook is
used (zero-shot). Nothing is written anywhere: embeddings live in memory for the run.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import WorkbenchError
from workbench.inputcheck import require_regular_file
from workbench.suggest.profiles import CodeProfile

if TYPE_CHECKING:
    from workbench.suggest.finetune import TuneSettings

Progress = Callable[[int, int], None]
EmbedFn = Callable[[list[str], Progress | None], np.ndarray]
SPLITS = ("train", "test")
MAX_GOLD_BYTES = 100 * 1024 * 1024  # gold files are read whole, then embedded row by row


@dataclass(frozen=True)
class GoldRow:
    line: int
    text: str
    codes: tuple[str, ...]  # as written in the file
    split: str | None


def read_gold(path: Path) -> tuple[list[GoldRow], bool]:
    """Rows of the gold CSV and whether it has a split column; WorkbenchError if malformed."""
    label = str(path)
    if not Path(path).exists():
        raise WorkbenchError(f"{label}: no such file")
    size = require_regular_file(path, "gold file")  # not a folder, FIFO or device
    if size > MAX_GOLD_BYTES:
        raise WorkbenchError(
            f"{label}: {size:,} bytes is too large for a gold file "
            f"(the limit is {MAX_GOLD_BYTES // (1024 * 1024)} MB)"
        )
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if not header:
                raise WorkbenchError(f"{label}: empty file (expected a header: text,codes[,split])")
            missing = [c for c in ("text", "codes") if c not in header]
            if missing:
                raise WorkbenchError(
                    f"{label}: missing column(s) {', '.join(missing)} "
                    f"(need text and codes, optionally split; found {', '.join(header)})"
                )
            reader.fieldnames = header
            has_split = "split" in header
            rows = []
            for rec in reader:
                line = reader.line_num
                split = (rec.get("split") or "").strip().lower() if has_split else None
                if has_split and split not in SPLITS:
                    raise WorkbenchError(
                        f"{label}:{line}: split must be train or test, not {rec.get('split')!r}"
                    )
                codes = tuple(c.strip() for c in (rec.get("codes") or "").split(";") if c.strip())
                rows.append(GoldRow(line, rec.get("text") or "", codes, split))
    except FileNotFoundError:
        raise WorkbenchError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise WorkbenchError(f"{label}: is a folder, not a file") from None
    except OSError as exc:
        raise WorkbenchError(f"{label}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise WorkbenchError(f"{label}: not UTF-8 text") from None
    except csv.Error as exc:
        raise WorkbenchError(f"{label}: not a readable CSV ({exc})") from None
    if not rows:
        raise WorkbenchError(f"{label}: no rows after the header")
    return rows, has_split


def code_resolver(profiles: Sequence[CodeProfile]) -> Callable[[str], str | None]:
    """Code name (or path, or id; case-insensitive) -> code id; None if unknown or ambiguous."""
    by_key: dict[str, set[str]] = {}
    for p in profiles:
        for key in (p.name, p.path, p.code_id):
            by_key.setdefault(key.casefold(), set()).add(p.code_id)

    def resolve(name: str) -> str | None:
        ids = by_key.get(name.casefold(), set())
        return next(iter(ids)) if len(ids) == 1 else None

    return resolve


def resolve_gold(
    rows: list[GoldRow], profiles: Sequence[CodeProfile], label: str
) -> list[set[str]]:
    resolve = code_resolver(profiles)
    out: list[set[str]] = []
    unknown: dict[str, int] = {}
    for row in rows:
        ids = set()
        for name in row.codes:
            cid = resolve(name)
            if cid is None:
                unknown.setdefault(name, row.line)
            else:
                ids.add(cid)
        out.append(ids)
    if unknown:
        listed = "; ".join(f"{n!r} (line {line})" for n, line in list(unknown.items())[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise WorkbenchError(
            f"{label}: {len(unknown)} code name(s) not in the codebook (or ambiguous): {listed}{more}"
        )
    return out


def choose_training(
    gold: list[set[str]],
    candidates: list[int],
    codes: list[str],
    per_code: int | None,
    seed: int,
    *,
    cap: bool = False,
) -> list[int]:
    """All candidate rows with codes, or up to `per_code` of them per code (random, seeded).

    Without `cap` a sampled row brings all its codes, so a code can end up with more than
    `per_code` positives. With `cap` no code gets more than `per_code`: codes are filled
    rarest first, and a sampled row that would push any of its codes over the cap is skipped.
    """
    coded = [i for i in candidates if gold[i]]
    if per_code is None:
        return coded
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    having = {code: [i for i in coded if code in gold[i]] for code in codes}
    if not cap:
        for code in codes:
            rows = having[code]
            if rows and per_code > 0:
                pick = rng.choice(len(rows), size=min(per_code, len(rows)), replace=False)
                chosen.update(rows[k] for k in pick)
        return sorted(chosen)
    count = dict.fromkeys(codes, 0)
    for code in sorted(codes, key=lambda c: (len(having[c]), codes.index(c))):
        for k in rng.permutation(len(having[code])):
            if count[code] >= per_code:
                break
            i = having[code][k]
            if i in chosen or any(count[c] >= per_code for c in gold[i]):
                continue
            chosen.add(i)
            for c in gold[i]:
                count[c] += 1
    return sorted(chosen)


def fold(text: str) -> str:
    """Text compared case- and whitespace-insensitively (for "unique" test rows)."""
    return " ".join(text.split()).casefold()


def unique_rows(inputs: EvalInputs) -> list[int]:
    """Test rows whose text (folded) is neither a training-split row nor a codebook example."""
    seen = {fold(r.text) for r in inputs.rows if r.split == "train"}
    seen.update(
        fold(t) for p in inputs.profiles for kind, t in p.positive_texts() if kind == "example"
    )
    return [r for r, i in enumerate(inputs.test) if fold(inputs.rows[i].text) not in seen]


def metrics(
    scores: np.ndarray, predicted: np.ndarray, truth: np.ndarray, names: list[str]
) -> dict[str, Any]:
    """Micro/macro F1, micro precision/recall, recall@1/@3 and per-code figures."""
    tp = (predicted & truth).sum(axis=0)
    fp = (predicted & ~truth).sum(axis=0)
    fn = (~predicted & truth).sum(axis=0)
    support = truth.sum(axis=0)

    def ratio(a: float, b: float) -> float:
        return float(a / b) if b else 0.0

    prec = [ratio(tp[j], tp[j] + fp[j]) for j in range(len(names))]
    rec = [ratio(tp[j], tp[j] + fn[j]) for j in range(len(names))]
    f1 = [ratio(2 * tp[j], 2 * tp[j] + fp[j] + fn[j]) for j in range(len(names))]
    out: dict[str, Any] = {
        "micro_f1": ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum()),
        "macro_f1": float(np.mean([f1[j] for j in range(len(names)) if support[j]]))
        if support.any()
        else 0.0,
        # every code in the codebook; one with no test support scores 0
        "macro_f1_all": float(np.mean(f1)) if names else 0.0,
        "micro_precision": ratio(tp.sum(), tp.sum() + fp.sum()),
        "micro_recall": ratio(tp.sum(), tp.sum() + fn.sum()),
    }
    has_gold = truth.any(axis=1)
    order = np.argsort(-scores, axis=1, kind="stable")
    for k in (1, 3):
        top = np.zeros_like(truth)
        np.put_along_axis(top, order[:, :k], True, axis=1)
        hits = (top & truth).sum(axis=1)[has_gold] / truth.sum(axis=1)[has_gold]
        out[f"recall_at_{k}"] = float(hits.mean()) if has_gold.any() else 0.0
    out["per_code"] = [
        {
            "code": names[j],
            "precision": prec[j],
            "recall": rec[j],
            "f1": f1[j],
            "support": int(support[j]),
            "predicted": int(tp[j] + fp[j]),
        }
        for j in range(len(names))
    ]
    return out


def positives_spread(n_pos: np.ndarray) -> dict[str, float]:
    """Min, median and max training positives per code (all codes; zeros if none)."""
    if not len(n_pos):
        return {"min": 0, "median": 0.0, "max": 0}
    return {"min": int(n_pos.min()), "median": float(np.median(n_pos)), "max": int(n_pos.max())}


def default_embed(texts: list[str], progress: Progress | None) -> np.ndarray:
    from workbench.suggest.embedder import get_embedder

    return get_embedder().encode(texts, progress=progress)


def folder_embed(folder: Path) -> EmbedFn:
    """Embed with the model in `folder` (a fine-tuned copy, say) instead of the bundled one."""

    def embed(texts: list[str], progress: Progress | None) -> np.ndarray:
        from workbench.suggest.embedder import get_embedder

        return get_embedder(folder).encode(texts, progress=progress)

    return embed


@dataclass(frozen=True)
class EvalInputs:
    """A validated codebook and gold file, with the rows chosen for training and testing."""

    profiles: list[CodeProfile]
    rows: list[GoldRow]
    gold: list[set[str]]  # code ids per row
    train: list[int]
    test: list[int]
    has_split: bool
    train_per_code: int | None
    seed: int
    started: float  # perf_counter() when reading began (for `seconds`)
    cap_positives: bool = False


def prepare(
    codebook: Path,
    gold_path: Path,
    *,
    train_per_code: int | None = None,
    seed: int = 0,
    cap_positives: bool = False,
) -> EvalInputs:
    """Read and check both files (WorkbenchError with one line if anything is wrong)."""
    from workbench.codebook.yaml_io import load_codebook
    from workbench.suggest.profiles import profiles_from_codebook

    started = time.perf_counter()
    if train_per_code is not None and train_per_code < 0:
        raise WorkbenchError("--train-per-code must be 0 or more")
    if cap_positives and train_per_code is None:
        raise WorkbenchError("--cap-positives needs --train-per-code K")
    profiles = profiles_from_codebook(load_codebook(Path(codebook)))
    rows, has_split = read_gold(Path(gold_path))
    gold = resolve_gold(rows, profiles, str(gold_path))
    codes = [p.code_id for p in profiles]
    if has_split:
        test = [i for i, r in enumerate(rows) if r.split == "test"]
        train_rows = [i for i, r in enumerate(rows) if r.split == "train"]
        train = choose_training(gold, train_rows, codes, train_per_code, seed, cap=cap_positives)
    else:
        test, train = list(range(len(rows))), []
    if not test:
        raise WorkbenchError(f"{gold_path}: no test rows (split = test)")
    return EvalInputs(
        profiles, rows, gold, train, test, has_split, train_per_code, seed, started, cap_positives
    )


def run_eval(
    codebook: Path,
    gold_path: Path,
    *,
    train_per_code: int | None = None,
    seed: int = 0,
    cap_positives: bool = False,
    embed: EmbedFn | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fit on the training rows, score the test rows, return the figures (CONTRACT §6)."""
    inputs = prepare(
        codebook, gold_path, train_per_code=train_per_code, seed=seed, cap_positives=cap_positives
    )
    return evaluate(inputs, embed=embed, progress=progress)


def evaluate_fine_tuned(
    inputs: EvalInputs,
    *,
    settings: TuneSettings | None = None,
    tune_progress: Progress | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fine-tune the model on the training rows (in a temporary folder, removed afterwards),
    then evaluate exactly as `evaluate` does, embedding with the tuned model."""
    from workbench.suggest.embedder import unload
    from workbench.suggest.finetune import finetune

    if not inputs.train:
        raise WorkbenchError(
            "--fine-tune needs training rows (a split column, and --train-per-code other than 0)"
        )
    texts = [inputs.rows[i].text for i in inputs.train]
    with tempfile.TemporaryDirectory(prefix="workbench-tune-") as tmp:
        tuned = finetune(
            texts,
            [inputs.gold[i] for i in inputs.train],
            Path(tmp) / "tuned",
            settings=settings,
            progress=tune_progress,
        )
        if tuned is None:  # pragma: no cover - nothing cancels here
            raise WorkbenchError("fine-tuning was cancelled")
        try:
            result = evaluate(inputs, embed=folder_embed(tuned.folder), progress=progress)
        finally:
            unload(tuned.folder)
    result.update(
        {
            "fine_tuned": True,
            "finetune_seconds": round(tuned.seconds, 1),
            "finetune_objective": tuned.objective,
            "finetune_examples": tuned.examples,
            "finetune_epochs": tuned.epochs,
            "finetune_pairs": tuned.examples if tuned.objective == "pairs" else None,
        }
    )
    return result


def evaluate(
    inputs: EvalInputs, *, embed: EmbedFn | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Embed, fit, score and measure prepared inputs."""
    from workbench.suggest.ranker import Ranker, RankerOptions, prior_sample
    from workbench.suggest.self_training import candidate_pool

    profiles, rows, gold = inputs.profiles, inputs.rows, inputs.gold
    train, test = inputs.train, inputs.test
    codes = [p.code_id for p in profiles]

    # embed every text once, up front, behind one progress bar
    book = [t for p in profiles for _, t in p.positive_texts()] + [
        t for p in profiles for t in p.negative_texts()
    ]
    # the training split's texts (never their codes) stand for a project's passages, from
    # which the ranker estimates how common each code is (the ones it learns from count
    # with their held-out scores)
    # with coded passages, the uncoded ones it is sure about are learnt from too (self-training)
    pool = [r.text for r in rows if r.split == "train"]
    options = RankerOptions()
    background = prior_sample(pool, options.max_prior_passages)
    trained = {rows[i].text for i in train}
    uncoded = [t for t in pool if t not in trained] if train else []
    candidates = candidate_pool(uncoded, [], options.max_pseudo_candidates)
    wanted = list(
        dict.fromkeys([rows[i].text for i in train + test] + book + background + candidates)
    )
    embed_fn = embed or default_embed
    t0 = time.perf_counter()
    vectors = np.asarray(embed_fn(wanted, progress), dtype=np.float32)
    memo = dict(zip(wanted, vectors, strict=True))
    embed_seconds = time.perf_counter() - t0

    def encode(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            memo.update(zip(missing, np.asarray(embed_fn(missing, None)), strict=True))
        return np.stack([memo[t] for t in texts]) if texts else np.zeros((0, vectors.shape[1]))

    t0 = time.perf_counter()
    ranker = Ranker(profiles, encode, options)
    ranker.fit(
        [rows[i].text for i in train],
        [gold[i] for i in train],
        unlabelled=pool,
        uncoded=uncoded,
    )
    fit_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    test_texts = [rows[i].text for i in test]
    scores = ranker.score(test_texts)
    predicted = ranker.predict(test_texts, scores=scores)
    score_seconds = time.perf_counter() - t0

    col = {c: j for j, c in enumerate(codes)}
    truth = np.zeros((len(test), len(codes)), dtype=bool)
    for r, i in enumerate(test):
        truth[r, [col[c] for c in gold[i]]] = True
    names = [p.name for p in profiles]
    result = metrics(scores, predicted, truth, names)
    keep = unique_rows(inputs)
    unique = metrics(scores[keep], predicted[keep], truth[keep], names)
    del unique["per_code"]
    unique["n_test"] = len(keep)
    n_pos = np.zeros(len(codes), dtype=int)
    for i in train:
        for c in gold[i]:
            n_pos[col[c]] += 1
    for j, entry in enumerate(result["per_code"]):
        entry["threshold"] = round(float(ranker.thresholds[j]), 3)
        entry["n_train"] = int(n_pos[j])
    per_code = result.pop("per_code")
    if not train:
        mode = "zero-shot"
    else:
        mode = "all-train" if inputs.train_per_code is None else "per-code"
    result.update(
        {
            "n_test": len(test),
            "n_train_used": len(train),
            "self_training_rows": ranker.self_training_rows,
            "n_codes": len(codes),
            "seconds": round(time.perf_counter() - inputs.started, 2),
            "mode": mode,
            "train_per_code": inputs.train_per_code if inputs.has_split else None,
            "cap_positives": inputs.cap_positives and bool(train),
            "train_positives": positives_spread(n_pos),
            "unique": unique,
            "seed": inputs.seed,
            "embed_seconds": round(embed_seconds, 2),
            "fit_seconds": round(fit_seconds, 2),
            "score_seconds": round(score_seconds, 2),
            "n_texts_embedded": len(wanted),
            "fine_tuned": False,
            "finetune_seconds": None,
            "finetune_objective": None,
            "per_code": per_code,
        }
    )
    return result
