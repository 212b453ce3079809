"""Fine-tuning by classification: the sentence model learns to tell the project's codes apart.

The default objective of `finetune` (finetune.py). A head with one weight vector per code sits
on the model's normalised sentence vector (a code's score is its cosine with the passage,
scaled, plus a bias); model and head are trained together with binary cross-entropy on every
coded passage: 1 for each of its codes, 0 for every other code. A rejected suggestion is a 0
for that code; on a passage nobody coded, only its rejected codes count (the rest is unknown
and left out of the loss). The head is thrown away afterwards: what is kept is the model,
whose vectors now place passages of one code together. The learner (learner.py) then works on
those vectors as on the bundled model's.

Each head vector starts at its code's centroid (the mean of its passages' vectors under the
model being tuned), so training starts from a sensible classifier instead of noise. The
budget is in tokens: as many passes over the passages as fit in `max_tokens` (at most
`max_epochs`), and when one pass does not fit, a seeded sample of passages that does.

Measured on the NHS benchmark's training split (docs/suggestions-quality.md, "Fine-tuning"):
better than the contrastive pairs objective and than pairs followed by this, and faster.
torch is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from workbench.suggest.finetune import Progress, TuneSettings

T = TypeVar("T")
SCALE = 20.0  # cosine -> logit: the head's scores span -20..20 before the bias
HEAD_LEARNING_RATE = 3e-3  # the head moves faster than the model under it


@dataclass(frozen=True)
class Plan:
    """Which passages are trained on, and how many passes."""

    rows: list[int]
    epochs: int
    tokens: int  # tokens seen over all passes


def label_matrix(
    labels: Sequence[set[str]], rejected: Sequence[set[str]] | None = None
) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
    """(codes, targets, mask, usable rows): targets[i, j] is 1 when passage i has code j;
    mask[i, j] says whether that target is known (a coded passage: every code; a passage with
    only rejections: its rejected codes). Usable rows have at least one known target."""
    rejected = rejected or [set() for _ in labels]
    codes = sorted({c for s in labels for c in s} | {c for s in rejected for c in s})
    col = {c: j for j, c in enumerate(codes)}
    targets = np.zeros((len(labels), len(codes)), dtype=np.float32)
    mask = np.zeros_like(targets)
    for i, (have, rej) in enumerate(zip(labels, rejected, strict=True)):
        if have:
            mask[i, :] = 1.0
            targets[i, [col[c] for c in have]] = 1.0
        elif rej:
            mask[i, [col[c] for c in rej]] = 1.0
    usable = [i for i in range(len(labels)) if mask[i].any()]
    return codes, targets, mask, usable


def plan_rows(
    rows: Sequence[int], lengths: Sequence[int], max_tokens: int, max_epochs: int, seed: int
) -> Plan:
    """As many whole passes over `rows` as fit in `max_tokens` (1 to `max_epochs`); when not
    even one fits, one pass over a seeded sample that does (at least one passage)."""
    per_pass = sum(lengths[i] for i in rows)
    if per_pass and per_pass <= max_tokens:
        epochs = max(1, min(max_epochs, max_tokens // per_pass))
        return Plan(list(rows), epochs, per_pass * epochs)
    order = [rows[int(k)] for k in np.random.default_rng(seed).permutation(len(rows))]
    kept: list[int] = []
    used = 0
    for i in order:
        if kept and used + lengths[i] > max_tokens:
            break
        kept.append(i)
        used += lengths[i]
    return Plan(sorted(kept), 1, used)


def by_length(
    items: Sequence[T], keys: Sequence[int], batch: int, rng: np.random.Generator
) -> list[list[T]]:
    """Items in batches of similar length `keys` (little padding: 3.5 times faster here than
    random batches), ties broken at random, the batches in a random order."""
    noise = rng.random(len(items))
    order = sorted(range(len(items)), key=lambda k: (keys[k], noise[k]))
    groups = [[items[k] for k in order[lo : lo + batch]] for lo in range(0, len(order), batch)]
    return [groups[int(g)] for g in rng.permutation(len(groups))]


def length_groups(
    rows: Sequence[int], lengths: Sequence[int], batch: int, rng: np.random.Generator
) -> list[list[int]]:
    """Passages (row indices) in batches of similar length, the batches in a random order."""
    return by_length(rows, [lengths[i] for i in rows], batch, rng)


def make_optimizer(
    model: Any, rate: float, total: int, head: Sequence[Any] = ()
) -> tuple[Any, Any]:
    """AdamW over the model's weights (the word-embedding table, a third of them, stays as it
    is: cheaper, and steadier) and `head` (at HEAD_LEARNING_RATE), with a schedule warming up
    over the first tenth of `total` steps and falling linearly to 0 after."""
    import torch

    for p in model[0].auto_model.embeddings.word_embeddings.parameters():
        p.requires_grad = False
    groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": rate}]
    if head:
        groups.append({"params": list(head), "lr": HEAD_LEARNING_RATE})
    optimizer = torch.optim.AdamW(groups)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup + 1)))
    )
    return optimizer, schedule


def take_step(loss: Any, optimizer: Any, schedule: Any) -> None:
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()


def train_classify(
    model: Any,
    texts: list[str],
    targets: np.ndarray,
    mask: np.ndarray,
    plan: Plan,
    lengths: Sequence[int],
    settings: TuneSettings,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> int | None:
    """Train model and head together; the number of steps taken, or None when cancelled."""
    import torch
    import torch.nn.functional as F

    y = torch.from_numpy(targets)
    known = torch.from_numpy(mask)
    batch = max(1, settings.batch_size)
    with torch.no_grad():
        vectors = torch.from_numpy(
            np.asarray(model.encode([texts[i] for i in plan.rows], batch_size=64))
        )
        vectors = F.normalize(vectors.float(), dim=1)
        on = y[plan.rows] * known[plan.rows]
        centroids = on.T @ vectors / on.sum(0).clamp(min=1.0).unsqueeze(1)
        missing = on.sum(0) == 0  # a code only ever rejected: start from the mean passage
        centroids[missing] = vectors.mean(0)
    head = torch.nn.Parameter(F.normalize(centroids, dim=1))
    bias = torch.nn.Parameter(torch.full((targets.shape[1],), -0.5 * SCALE))
    rng = np.random.default_rng(settings.seed)
    total = plan.epochs * -(-len(plan.rows) // batch)
    optimizer, schedule = make_optimizer(model, settings.rate, total, [head, bias])
    model.train()
    step = 0
    if progress is not None:
        progress(0, total)
    for _ in range(plan.epochs):
        for group in length_groups(plan.rows, lengths, batch, rng):
            if cancelled is not None and cancelled():
                return None
            features = model.preprocess([texts[i] for i in group])
            emb = F.normalize(model(dict(features))["sentence_embedding"], dim=1)
            logits = SCALE * emb @ F.normalize(head, dim=1).T + bias
            weight = known[group]
            loss = F.binary_cross_entropy_with_logits(logits, y[group], weight=weight)
            loss = loss * weight.numel() / weight.sum().clamp(min=1.0)  # mean over known targets
            take_step(loss, optimizer, schedule)
            step += 1
            if progress is not None:
                progress(step, total)
    return step
