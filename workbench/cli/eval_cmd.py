"""eval: measure suggestion quality against human codes (CONTRACT §6)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from workbench.cli import app
from workbench.cli.common import TableJsonFormat, info, print_json, print_table, progress_bar
from workbench.errors import WorkbenchError


class Objective(StrEnum):
    classify = "classify"
    pairs = "pairs"


def _pct(x: float) -> str:
    return f"{x:.3f}"


def _model_line(result: dict[str, Any]) -> str:
    if not result.get("fine_tuned"):
        return "bundled"
    from workbench.suggest.finetune import describe

    what = describe(
        result["finetune_objective"], result["finetune_examples"], result["finetune_epochs"]
    )
    return f"fine-tuned on {what}, {result['finetune_seconds']:.0f} s"


def _print_report(result: dict[str, Any]) -> None:
    capped = "at most" if result.get("cap_positives") else "up to"
    mode = {
        "zero-shot": "zero-shot (codebook only)",
        "per-code": f"{capped} {result['train_per_code']} "
        f"{'positives' if result.get('cap_positives') else 'training rows'} per code "
        f"(seed {result['seed']})",
        "all-train": "all training rows",
    }[result["mode"]]
    pos = result["train_positives"]
    uniq = result["unique"]
    info_rows = [
        ("learner", mode),
        ("training rows used", result["n_train_used"]),
        ("uncoded rows learnt from (self-training)", result.get("self_training_rows", 0)),
        (
            "positives per code (min / median / max)",
            f"{pos['min']} / {pos['median']:g} / {pos['max']}",
        ),
        ("test rows (all / unique)", f"{result['n_test']} / {uniq['n_test']}"),
        ("codes", result["n_codes"]),
        ("model", _model_line(result)),
    ]
    measures = [
        ("micro F1", "micro_f1"),
        ("macro F1 (codes in the test rows)", "macro_f1"),
        ("macro F1 (all codes)", "macro_f1_all"),
        ("precision (micro)", "micro_precision"),
        ("recall (micro)", "micro_recall"),
        ("recall@1", "recall_at_1"),
        ("recall@3", "recall_at_3"),
    ]
    summary = [(label, value, "") for label, value in info_rows]
    summary += [(label, _pct(result[key]), _pct(uniq[key])) for label, key in measures]
    summary.append(("seconds", f"{result['seconds']:.1f}", ""))
    print_table(
        ["measure", "all test rows", "unique rows"],
        summary,
        title="Suggestion quality (unique: test text not also a training row or codebook example)",
    )
    per_code = sorted(result["per_code"], key=lambda r: (-r["support"], r["code"]))
    print_table(
        ["code", "support", "pred.", "prec.", "recall", "F1", "thresh.", "train"],
        [
            (
                r["code"],
                r["support"],
                r["predicted"],
                _pct(r["precision"]),
                _pct(r["recall"]),
                _pct(r["f1"]),
                f"{r['threshold']:.2f}",
                r["n_train"],
            )
            for r in per_code
        ],
        title="Per code (test rows; pred. = predicted, train = training rows)",
    )


def _plain(update: Any, item: str = "") -> Any:
    """A (done, total) callback for a progress bar's update (None without a bar)."""
    return None if update is None else (lambda done, total: update(done, total, item))


@app.command("eval")
def eval_(
    codebook: Annotated[
        Path, typer.Option("--codebook", help="Codebook .yaml with the codes to suggest.")
    ],
    gold: Annotated[
        Path,
        typer.Option("--gold", help="CSV with text, codes (names separated by ;), optional split."),
    ],
    train_per_code: Annotated[
        int | None,
        typer.Option(
            "--train-per-code",
            help="Give the learner up to K training rows per code (0: zero-shot). "
            "Default: every training row.",
        ),
    ] = None,
    cap_positives: Annotated[
        bool,
        typer.Option(
            "--cap-positives",
            help="With --train-per-code K: at most K positives per code (skip sampled rows "
            "that would push one of their codes over K).",
        ),
    ] = False,
    fine_tune: Annotated[
        bool,
        typer.Option(
            "--fine-tune",
            help="Fine-tune the sentence model on the training rows first (minutes), "
            "then measure with the tuned model.",
        ),
    ] = False,
    objective: Annotated[
        Objective,
        typer.Option(
            "--objective",
            help="With --fine-tune: classify (the default, as `suggest train` does) or "
            "pairs (the contrastive pairs it replaced, for comparison).",
        ),
    ] = Objective.classify,
    seed: Annotated[int, typer.Option("--seed", help="Seed for choosing training rows.")] = 0,
    format: Annotated[
        TableJsonFormat, typer.Option("--format", help="table or json")
    ] = TableJsonFormat.table,
) -> None:
    """Measure suggestion quality: train on the gold file's train rows, score its test rows."""
    from workbench.suggest.evaluate import evaluate, evaluate_fine_tuned, prepare

    inputs = prepare(
        codebook, gold, train_per_code=train_per_code, seed=seed, cap_positives=cap_positives
    )
    if not inputs.has_split and train_per_code:
        info("no split column: every row is a test row, --train-per-code is ignored (zero-shot)")
    if objective != Objective.classify and not fine_tune:
        raise WorkbenchError("--objective goes with --fine-tune")
    if fine_tune:
        from workbench.suggest.finetune import TuneSettings

        with progress_bar("Fine-tuning, then embedding") as update:
            result = evaluate_fine_tuned(
                inputs,
                settings=TuneSettings(objective=objective.value),
                tune_progress=_plain(update, "training steps"),
                progress=_plain(update, "texts embedded"),
            )
    else:
        with progress_bar("Embedding") as update:
            result = evaluate(inputs, progress=_plain(update))
    if format == TableJsonFormat.json:
        print_json(result)
    else:
        _print_report(result)
