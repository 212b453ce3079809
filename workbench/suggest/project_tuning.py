"""`workbench suggest train`: fine-tune the sentence model on a project's own codings, check
it, and use it only when the check says it is better (docs/suggestions-quality.md).

The coded passages (the learner's training data: every coded span with its codes, rejected
suggestions as negatives) are split in a seeded order: 4 of every 5 train the model, the 5th
is held back. The learner is fitted on the 4 with the bundled model and with the tuned one,
both score the held-back passages (evaluate.py's metrics), and the tuned model is marked in
use only if its micro-F1 is higher. It lives beside the project, in `<project>.models/
tuned-<hash of the codings it saw and the base model>/`; the mark is `<project>.models/
in-use.json`. The suggestion engine uses the tuned model while the mark names it, the base
model is still the configured one, and every coding it was trained on is still in the
project (new codings do not stop it; removed or recoded ones do, until the next train).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError
from workbench.store.db import Project
from workbench.suggest.evaluate import EvalInputs, GoldRow, evaluate, folder_embed
from workbench.suggest.finetune import TUNED_INFO, TuneSettings, describe, finetune

StageProgress = Callable[[str, int, int], None]  # stage ("training" / "checking"), done, total
MODELS_SUFFIX = ".models"
IN_USE = "in-use.json"
HOLD_OUT_EVERY = 5  # one passage in five is held back for the check
MIN_PASSAGES = 10  # coded passages needed (at least 2 held back)
COMPARED = ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "recall_at_1", "recall_at_3")


def models_dir(project: Project) -> Path:
    """`<project file>.models/` beside the project file."""
    if project.is_server:
        raise WorkbenchError("fine-tuning works on a project file, not on a server project")
    return project.path.with_name(project.path.name + MODELS_SUFFIX)


def base_model_id() -> str:
    """The configured model's id (name@fingerprint), without loading it."""
    from workbench.suggest.embedder import fingerprint, model_folder, model_name

    folder = model_folder()
    return f"{model_name(folder)}@{fingerprint(folder)}"


def coding_keys(texts: Sequence[str], positives: Sequence[set[str]]) -> list[str]:
    """One short digest per (passage text, code), sorted: what a tuned model saw."""
    keys = {
        hashlib.sha256(f"{code}\0{text}".encode()).hexdigest()[:16]
        for text, codes in zip(texts, positives, strict=True)
        for code in codes
    }
    return sorted(keys)


def codings_hash(keys: Sequence[str], base_id: str) -> str:
    return hashlib.sha256("\n".join([base_id, *keys]).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class TrainReport:
    folder: Path
    in_use: bool
    bundled: dict[str, float]
    tuned: dict[str, float]
    n_train: int
    n_test: int
    objective: str
    examples: int  # passages (classify) or pairs (pairs) the model was trained on
    epochs: int
    finetune_seconds: float
    reused: bool  # the same codings were tuned on before: that model was checked again

    @property
    def trained_on(self) -> str:
        return describe(self.objective, self.examples, self.epochs)

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "in_use": self.in_use,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "objective": self.objective,
            "examples": self.examples,
            "epochs": self.epochs,
            "pairs": self.examples if self.objective == "pairs" else None,
            "finetune_seconds": round(self.finetune_seconds, 1),
            "reused": self.reused,
            "bundled": self.bundled,
            "tuned": self.tuned,
        }


def hold_out(n: int, seed: int) -> tuple[list[int], list[int]]:
    """(train, test) indices: every HOLD_OUT_EVERY-th of a seeded order is a test index."""
    order = [int(i) for i in np.random.default_rng(seed).permutation(n)]
    test = sorted(order[::HOLD_OUT_EVERY])
    return sorted(set(order) - set(test)), test


def _read(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / TUNED_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def train_project(
    project: Project,
    *,
    settings: TuneSettings | None = None,
    seed: int = 0,
    progress: StageProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TrainReport | None:
    """Fine-tune on the project's codings, compare on held-back passages, mark the tuned
    model in use if it is better. None (nothing changed) when cancelled."""
    from workbench.services.codes import CodeTree
    from workbench.suggest.cache import CachedEncoder
    from workbench.suggest.corpus import training_data
    from workbench.suggest.embedder import get_embedder, unload
    from workbench.suggest.profiles import profiles_from_tree

    where = models_dir(project)
    with project.read() as conn:
        tree = CodeTree.load(conn)
        data = training_data(conn)
    coded = [i for i, pos in enumerate(data.positives) if pos]
    if len(coded) < MIN_PASSAGES or len({c for i in coded for c in data.positives[i]}) < 2:
        raise WorkbenchError(
            f"too few codings to fine-tune: {len(coded)} coded passage(s); "
            f"need at least {MIN_PASSAGES}, with at least 2 different codes"
        )
    train_pos, test_pos = hold_out(len(coded), seed)
    train = [coded[k] for k in train_pos]
    test = [coded[k] for k in test_pos]
    # rejected suggestions on passages nobody coded still teach "different"
    tune_rows = train + [i for i, pos in enumerate(data.positives) if not pos]
    base_id = base_model_id()
    keys = coding_keys([data.texts[i] for i in train], [data.positives[i] for i in train])
    folder = where / f"tuned-{codings_hash(keys, base_id)}"
    record = _read(folder)
    reused = record is not None and record.get("base_id") == base_id
    if not reused:

        def step(done: int, total: int) -> None:
            if progress is not None:
                progress("training", done, total)

        tuned = finetune(
            [data.texts[i] for i in tune_rows],
            [data.positives[i] for i in tune_rows],
            folder,
            rejected=[data.negatives[i] for i in tune_rows],
            settings=settings,
            info={"base_id": base_id, "codings": folder.name, "items": keys},
            progress=step,
            cancelled=cancelled,
        )
        if tuned is None:
            return None
        record = _read(folder) or {}
    assert record is not None
    if cancelled is not None and cancelled():
        return None

    rows = [
        GoldRow(i + 1, data.texts[i], tuple(sorted(data.positives[i])), None)
        for i in range(len(data.texts))
    ]
    inputs = EvalInputs(
        profiles_from_tree(tree),
        rows,
        [set(p) for p in data.positives],
        train,
        test,
        True,
        None,
        seed,
        time.perf_counter(),
    )

    def check(done: int, total: int) -> None:
        if progress is not None:
            progress("checking", done, total)

    cached = CachedEncoder(get_embedder(), project)  # the bundled vectors are in the store

    def bundled_embed(texts: list[str], p: Callable[[int, int], None] | None) -> np.ndarray:
        return cached.encode(texts, progress=p)

    before = evaluate(inputs, embed=bundled_embed, progress=check)
    try:
        after = evaluate(inputs, embed=folder_embed(folder), progress=check)
    finally:
        unload(folder)
    if cancelled is not None and cancelled():
        return None  # the tuned model stays saved (reused next time), nothing is marked
    better = after["micro_f1"] > before["micro_f1"]
    report = TrainReport(
        folder=folder,
        in_use=better,
        bundled={k: round(float(before[k]), 4) for k in COMPARED},
        tuned={k: round(float(after[k]), 4) for k in COMPARED},
        n_train=len(train),
        n_test=len(test),
        objective=str(record.get("objective", "pairs")),  # tuned before objectives existed
        examples=int(record.get("passages", record.get("pairs", 0))),
        epochs=int(record.get("epochs", 1)),
        finetune_seconds=float(record.get("seconds", 0.0)),
        reused=reused,
    )
    _mark(where, report if better else None, keys, base_id, project)
    return report


def _mark(
    where: Path, report: TrainReport | None, keys: list[str], base_id: str, project: Project
) -> None:
    """Write (report given) or remove the in-use mark; written to a temp file, renamed."""
    from workbench.fsutil import atomic_write

    marker = where / IN_USE
    if report is None:
        marker.unlink(missing_ok=True)
        return
    mark = {
        "folder": report.folder.name,
        "base_id": base_id,
        "items": keys,
        "bundled": report.bundled,
        "tuned": report.tuned,
        "decided_at": time.time(),
    }
    with atomic_write(marker, project=project.path) as fh:
        fh.write(json.dumps(mark, indent=1))


def tuned_model_for(project: Project) -> Path | None:
    """The tuned model folder the suggestion engine should use, or None for the configured
    model: the mark exists, its model is there, was tuned from the configured model, and
    every coding it saw is still in the project."""
    from workbench.suggest.corpus import training_data

    if project.is_server:
        return None
    where = models_dir(project)
    try:
        mark = json.loads((where / IN_USE).read_text(encoding="utf-8"))
        folder = where / str(mark["folder"])
        items = set(mark["items"])
        base_id = str(mark["base_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _read(folder) is None or base_id != base_model_id():
        return None
    with project.read() as conn:
        data = training_data(conn)
    return folder if items <= set(coding_keys(data.texts, data.positives)) else None
