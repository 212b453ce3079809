"""`workbench eval` (CONTRACT §6): JSON figures on a small gold file, and one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from ranker_support import CODEBOOK, words

from workbench.suggest import evaluate

REAL_EMBED = evaluate.default_embed

KEYS = {
    "micro_f1",
    "macro_f1",
    "micro_precision",
    "micro_recall",
    "recall_at_1",
    "recall_at_3",
    "n_test",
    "n_train_used",
    "self_training_rows",
    "n_codes",
    "seconds",
    "per_code",
}

ROWS = [  # text, codes, split
    ("the food was cold and late", "Food", "test"),
    ("cold tea again", "Food", "train"),
    ("lovely hot meals", "Food", "train"),
    ("the bus was late", "Transport", "test"),
    ("hospital transport never arrived", "Transport", "train"),
    ("taxi home was late", "Transport", "train"),
    ("no parking spaces left at all", "Parking", "test"),
    ("car park full", "Parking", "train"),
    ("the nurses were kind and the food was hot", "Staff attitude; Food", "test"),
    ("rude receptionist", "Staff attitude", "train"),
    ("nothing to add", "", "test"),
]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The hashed bag of words instead of the model; records how many texts it embedded."""
    calls: list[int] = []

    def embed(texts: list[str], progress: object) -> np.ndarray:
        calls.append(len(texts))
        return words(texts)

    monkeypatch.setattr("workbench.suggest.evaluate.default_embed", embed)
    return calls


def write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    cb = tmp_path / "codebook.yaml"
    cb.write_text(CODEBOOK, encoding="utf-8")
    return cb, write(tmp_path / "gold.csv", ["text", "codes", "split"], ROWS)


def test_eval_json_has_the_contract_fields(cli, files, fake_model) -> None:  # type: ignore[no-untyped-def]
    cb, gold = files
    res = cli("eval", "--codebook", cb, "--gold", gold, "--train-per-code", "1", "--format", "json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert KEYS <= set(data)
    assert data["n_test"] == 5 and data["n_codes"] == 5
    assert data["n_train_used"] == 4  # one row for each of the four codes that have train rows
    counts = {"per_code", "n_test", "n_train_used", "self_training_rows", "n_codes", "seconds"}
    for key in KEYS - counts:
        assert 0.0 <= data[key] <= 1.0
    per_code = {r["code"]: r for r in data["per_code"]}
    assert set(per_code) == {"Access", "Parking", "Transport", "Food", "Staff attitude"}
    assert per_code["Food"]["support"] == 2 and per_code["Access"]["support"] == 0
    assert {"precision", "recall", "f1", "support"} <= set(per_code["Food"])
    assert data["recall_at_3"] >= data["recall_at_1"] > 0.5  # the fake model gets these right
    assert len(fake_model) == 1  # every text embedded once, up front, in one call


def test_eval_uses_all_training_rows_by_default_and_table_output(cli, files) -> None:  # type: ignore[no-untyped-def]
    cb, gold = files
    data = json.loads(cli("eval", "--codebook", cb, "--gold", gold, "--format", "json").out)
    assert data["n_train_used"] == 6 and data["mode"] == "all-train"
    assert data["self_training_rows"] == 0  # every train row is coded: nothing uncoded
    res = cli("eval", "--codebook", cb, "--gold", gold)
    assert res.code == 0 and "recall@3" in res.out and "│ Food" in res.out


def test_without_split_column_every_row_is_a_zero_shot_test_row(cli, tmp_path, files) -> None:  # type: ignore[no-untyped-def]
    cb, _ = files
    gold = write(tmp_path / "nosplit.csv", ["text", "codes"], [r[:2] for r in ROWS])
    res = cli("eval", "--codebook", cb, "--gold", gold, "--train-per-code", "3", "--format", "json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["n_test"] == len(ROWS) and data["n_train_used"] == 0
    assert data["mode"] == "zero-shot" and "ignored" in res.err


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (["text", "split"], [("a", "test")], "missing column(s) codes"),
        (["text", "codes"], [("a", "Food; Dessert; Parking; Snacks")], "'Dessert' (line 2)"),
        (["text", "codes", "split"], [("a", "Food", "dev")], "split must be train or test"),
        (["text", "codes", "split"], [("a", "Food", "train")], "no test rows"),
        (["text", "codes"], [], "no rows after the header"),
    ],
)
def test_bad_gold_files_exit_2_with_one_line(cli, tmp_path, files, header, rows, message) -> None:  # type: ignore[no-untyped-def]
    cb, _ = files
    gold = write(tmp_path / "bad.csv", header, rows)
    res = cli("eval", "--codebook", cb, "--gold", gold)
    assert res.code == 2 and res.out == ""
    assert len(res.err.strip().splitlines()) == 1 and message in res.err, res.err


def test_empty_or_missing_files_exit_2(cli, tmp_path, files) -> None:  # type: ignore[no-untyped-def]
    cb, gold = files
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    for args, message in (
        (("--gold", empty), "empty file"),
        (("--gold", tmp_path / "nope.csv"), "no such file"),
    ):
        res = cli("eval", "--codebook", cb, *args)
        assert res.code == 2 and message in res.err and len(res.err.strip().splitlines()) == 1
    res = cli("eval", "--codebook", tmp_path / "nope.yaml", "--gold", gold)
    assert res.code == 2 and "no such file" in res.err


@pytest.mark.model
def test_eval_with_the_real_model(cli, files, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(evaluate, "default_embed", REAL_EMBED)  # the bundled MiniLM
    cb, gold = files
    res = cli("eval", "--codebook", cb, "--gold", gold, "--format", "json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["recall_at_3"] > 0.7 and data["n_test"] == 5
