"""Fine-tuning the sentence model on coded passages (issue 16), by one of two objectives.

- **classify** (the default, finetune_classify.py): model and a per-code head trained
  together with binary cross-entropy on every coded passage, SetFit's end-to-end phase.
- **pairs**: SetFit-style contrastive pairs. Two passages are "same" (target cosine 1) when
  they share at least one code, "different" (target 0) when they share none; a passage whose
  suggestion of code C was rejected is also paired, as "different", with a passage coded C.
  Trained with a cosine-similarity loss (mean squared error between the pair's cosine and
  its target). Kept for comparison (benchmarks/suggest_quality.py --objective pairs): on
  the NHS benchmark's training split it gained less than classify, and took longer.

Both run in a plain torch loop (no `datasets` / `accelerate` needed) within a token budget,
so a thousand codings train in minutes on 2 CPU cores. torch and sentence-transformers are
imported inside `finetune` only.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError

Progress = Callable[[int, int], None]
Pair = tuple[int, int, float]  # passage index, passage index, target cosine
TUNED_INFO = "workbench_tuned.json"  # written into every tuned folder (part of its fingerprint)
NEGATIVE_TRIES = 20  # random draws to find a passage sharing no code with the anchor


@dataclass(frozen=True)
class TuneSettings:
    """Objective and budget. The defaults keep 1,000 codings under 5 minutes on 2 cores."""

    objective: str = "classify"  # or "pairs"
    max_tokens: int = 300_000  # classify: tokens seen over all passes, caps time
    max_epochs: int = 4  # classify: passes over the passages, as many as the budget allows
    max_pairs: int = 2000  # pairs
    pair_tokens: int = 150_000  # pairs: tokens per epoch (both sides of every pair)
    epochs: int = 1  # pairs
    batch_size: int = 16
    max_seq_length: int = 128
    learning_rate: float | None = None  # None: 1e-4 for classify, 6e-5 for pairs
    seed: int = 0
    threads: int = 2

    @property
    def rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-4 if self.objective == "classify" else 6e-5


@dataclass(frozen=True)
class TuneResult:
    folder: Path
    objective: str
    examples: int  # passages (classify) or pairs (pairs) trained on
    epochs: int
    steps: int
    seconds: float


def describe(objective: str, examples: int, epochs: int) -> str:
    """What a tuning trained on, in words: "788 passages, 4 passes" or "2000 pairs"."""
    if objective == "pairs":
        return f"{examples} pairs" + (f", {epochs} passes" if epochs > 1 else "")
    return f"{examples} passages, {epochs} pass{'es' if epochs != 1 else ''}"


def build_pairs(
    labels: Sequence[set[str]],
    rejected: Sequence[set[str]] | None = None,
    *,
    max_pairs: int = 2000,
    seed: int = 0,
) -> list[Pair]:
    """Balanced "same" / "different" pairs over passages with codes (and rejections).

    Each round visits every coded passage once, in a random order, and draws one partner
    sharing a code (target 1.0) and one sharing none (target 0.0); rejected suggestions add
    "different" pairs with a passage coded with the rejected code. Pairs are unordered and
    distinct; drawing stops at `max_pairs` or when a round finds nothing new.
    """
    rng = np.random.default_rng(seed)
    rejected = rejected or [set() for _ in labels]
    coded = [i for i, codes in enumerate(labels) if codes]
    having: dict[str, list[int]] = {}
    for i in coded:
        for code in sorted(labels[i]):
            having.setdefault(code, []).append(i)
    seen: set[tuple[int, int]] = set()
    pairs: list[Pair] = []

    def add(i: int, j: int, target: float) -> None:
        key = (min(i, j), max(i, j))
        if i != j and key not in seen and len(pairs) < max_pairs:
            seen.add(key)
            pairs.append((i, j, target))

    def partner_sharing(i: int) -> int | None:
        codes = sorted(labels[i])
        rows = having[codes[int(rng.integers(len(codes)))]]
        j = rows[int(rng.integers(len(rows)))]
        return j if j != i else None

    def partner_apart(i: int, away: set[str]) -> int | None:
        for _ in range(NEGATIVE_TRIES):
            j = coded[int(rng.integers(len(coded)))]
            if not labels[j] & away:
                return j
        return None

    anchors = coded + [i for i, r in enumerate(rejected) if r and not labels[i]]
    while len(pairs) < max_pairs and coded:
        before = len(pairs)
        for k in rng.permutation(len(anchors)):
            i = anchors[int(k)]
            if labels[i]:
                j = partner_sharing(i)
                if j is not None:
                    add(i, j, 1.0)
                j = partner_apart(i, labels[i])
                if j is not None:
                    add(i, j, 0.0)
            for code in sorted(rejected[i] - labels[i]):
                rows = having.get(code, [])
                if rows:
                    j = rows[int(rng.integers(len(rows)))]
                    if not labels[j] & labels[i]:
                        add(i, j, 0.0)
        if len(pairs) == before:
            break
    return pairs


def _replace_folder(tmp: Path, target: Path) -> None:
    """Move a finished folder into place: the old one (if any) aside first, then removed."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        if old.exists():
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def finetune(
    texts: Sequence[str],
    labels: Sequence[set[str]],
    target: Path,
    *,
    base: Path | None = None,
    rejected: Sequence[set[str]] | None = None,
    settings: TuneSettings | None = None,
    info: dict[str, Any] | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TuneResult | None:
    """Fine-tune the model in `base` (default: the configured one) on `texts` with their codes
    (and rejected codes), save it to `target` (written to a temporary folder beside it, then
    renamed into place). Reports (done, total) training steps; returns None, saving nothing,
    when cancelled."""
    from workbench.suggest.embedder import go_offline, model_folder
    from workbench.suggest.finetune_classify import label_matrix

    settings = settings or TuneSettings()
    if settings.objective not in ("classify", "pairs"):
        raise WorkbenchError(f"unknown fine-tuning objective {settings.objective!r}")
    if settings.objective == "pairs":
        pairs = build_pairs(labels, rejected, max_pairs=settings.max_pairs, seed=settings.seed)
        if not pairs:
            raise WorkbenchError("nothing to fine-tune on: no two coded passages make a pair")
    else:
        codes, targets, mask, usable = label_matrix(labels, rejected)
        if len(codes) < 2 or not any(labels):
            raise WorkbenchError("nothing to fine-tune on: it needs passages of two codes")
    base = model_folder(base)
    started = time.perf_counter()
    go_offline()
    import torch
    from sentence_transformers import SentenceTransformer

    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, settings.threads))
    try:
        torch.manual_seed(settings.seed)
        model = SentenceTransformer(str(base), device="cpu", local_files_only=True)
        saved_length = model.max_seq_length
        model.max_seq_length = min(saved_length or settings.max_seq_length, settings.max_seq_length)
        lengths = _token_lengths(model, list(texts))
        if settings.objective == "pairs":
            pairs = within_budget(pairs, lengths, settings.pair_tokens)
            examples, epochs = len(pairs), max(1, settings.epochs)
            steps = _train(model, list(texts), lengths, pairs, settings, progress, cancelled)
            extra: dict[str, Any] = {
                "pairs": len(pairs),
                "positive_pairs": sum(1 for p in pairs if p[2] > 0),
            }
        else:
            from workbench.suggest.finetune_classify import plan_rows, train_classify

            plan = plan_rows(
                usable, lengths, settings.max_tokens, settings.max_epochs, settings.seed
            )
            examples, epochs = len(plan.rows), plan.epochs
            steps = train_classify(
                model, list(texts), targets, mask, plan, lengths, settings, progress, cancelled
            )
            extra = {"passages": len(plan.rows), "codes": len(codes), "tokens": plan.tokens}
        if steps is None:
            return None
        model.max_seq_length = saved_length  # encode as the base model does
        model.eval()
        extra["base"] = str(base)
        seconds = _save(model, target, started, info, settings, steps, epochs, extra)
    finally:
        torch.set_num_threads(threads)
    return TuneResult(target, settings.objective, examples, epochs, steps, seconds)


def _save(
    model: Any,
    target: Path,
    started: float,
    info: dict[str, Any] | None,
    settings: TuneSettings,
    steps: int,
    epochs: int,
    extra: dict[str, Any],
) -> float:
    """Save the model with its record into a temporary folder, then rename it into place;
    the seconds from `started` to the save."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save(str(tmp), create_model_card=False)
        seconds = time.perf_counter() - started
        record = {
            **(info or {}),
            "objective": settings.objective,
            **extra,
            "epochs": epochs,
            "steps": steps,
            "seconds": round(seconds, 1),
            "trained_at": time.time(),
            "settings": asdict(settings),
        }
        (tmp / TUNED_INFO).write_text(json.dumps(record, indent=1), encoding="utf-8")
        _replace_folder(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return seconds


def _token_lengths(model: Any, texts: list[str]) -> list[int]:
    """Tokens per text as the model sees them in training (truncated to max_seq_length)."""
    ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return [len(x) for x in ids]


def within_budget(pairs: list[Pair], lengths: Sequence[int], max_tokens: int) -> list[Pair]:
    """The first pairs whose texts add up to at most `max_tokens` tokens (at least one)."""
    out: list[Pair] = []
    used = 0
    for pair in pairs:
        used += lengths[pair[0]] + lengths[pair[1]]
        if out and used > max_tokens:
            break
        out.append(pair)
    return out


def length_batches(
    pairs: list[Pair], lengths: Sequence[int], batch: int, rng: np.random.Generator
) -> list[list[Pair]]:
    """Pairs in batches of similar length (less padding), the batches in a random order."""
    from workbench.suggest.finetune_classify import by_length

    return by_length(pairs, [max(lengths[i], lengths[j]) for i, j, _ in pairs], batch, rng)


def _train(
    model: Any,
    texts: list[str],
    lengths: Sequence[int],
    pairs: list[Pair],
    settings: TuneSettings,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> int | None:
    """The training loop; the number of steps taken, or None when cancelled."""
    import torch
    import torch.nn.functional as F

    from workbench.suggest.finetune_classify import make_optimizer, take_step

    rng = np.random.default_rng(settings.seed)
    batch = max(1, settings.batch_size)
    per_epoch = -(-len(pairs) // batch)
    total = per_epoch * max(1, settings.epochs)
    optimizer, schedule = make_optimizer(model, settings.rate, total)
    model.train()
    step = 0
    if progress is not None:
        progress(0, total)
    for _ in range(max(1, settings.epochs)):
        for chunk in length_batches(pairs, lengths, batch, rng):
            if cancelled is not None and cancelled():
                return None
            both = [texts[i] for i, _, _ in chunk] + [texts[j] for _, j, _ in chunk]
            features = model.preprocess(both)
            emb = model(dict(features))["sentence_embedding"]
            cos = F.cosine_similarity(emb[: len(chunk)], emb[len(chunk) :])
            goal = torch.tensor([t for _, _, t in chunk], dtype=cos.dtype)
            loss = F.mse_loss(cos, goal)
            take_step(loss, optimizer, schedule)
            step += 1
            if progress is not None:
                progress(step, total)
    return step
