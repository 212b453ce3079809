"""`workbench eval` modes of issue 16: capped positives, macro-F1 over all codes, unique rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ranker_support import CODEBOOK, words
from test_eval_cli import write

from workbench.suggest import evaluate

# train rows: "Food" is on 4 rows, 3 of them shared with "Staff attitude"
ROWS = [  # text, codes, split
    ("the food was cold", "Food", "test"),  # a codebook example, so not unique
    ("  The BUS was   late ", "Transport", "test"),  # ditto, after folding
    ("cold tea again", "Food", "test"),  # also a training row
    ("no parking spaces left at all", "Parking", "test"),
    ("the nurses were kind and the soup was hot", "Staff attitude; Food", "test"),
    ("cold tea again", "Food", "train"),
    ("kind nurse brought soup", "Staff attitude; Food", "train"),
    ("nurse smiled at dinner", "Staff attitude; Food", "train"),
    ("nurse served lunch", "Staff attitude; Food", "train"),
    ("rude receptionist", "Staff attitude", "train"),
    ("taxi home was late", "Transport", "train"),
]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate, "default_embed", lambda texts, progress: words(texts))


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    cb = tmp_path / "codebook.yaml"
    cb.write_text(CODEBOOK, encoding="utf-8")
    return cb, write(tmp_path / "gold.csv", ["text", "codes", "split"], ROWS)


def test_choose_training_caps_positives_per_code() -> None:
    gold = [{"a", "b"}, {"a", "b"}, {"a"}, {"a"}, {"b"}, {"b"}, {"c"}, set()]
    rows = list(range(len(gold)))
    for seed in range(20):
        uncapped = evaluate.choose_training(gold, rows, ["a", "b", "c"], 2, seed)
        capped = evaluate.choose_training(gold, rows, ["a", "b", "c"], 2, seed, cap=True)
        count = {c: sum(c in gold[i] for i in capped) for c in "abc"}
        assert count == {"a": 2, "b": 2, "c": 1}, (seed, capped)
        assert 7 not in capped and 6 in capped
        assert max(sum(c in gold[i] for i in uncapped) for c in "ab") >= 2
    # a seed where sampling "a" then "b" gives "b" (or "a") three positives without the cap
    assert any(
        max(
            sum(c in gold[i] for i in evaluate.choose_training(gold, rows, ["a", "b"], 2, s))
            for c in "ab"
        )
        > 2
        for s in range(20)
    )


def test_cap_positives_in_json_and_table(cli, files) -> None:  # type: ignore[no-untyped-def]
    cb, gold = files
    base = ("eval", "--codebook", cb, "--gold", gold, "--train-per-code", "2", "--seed", "3")
    free = json.loads(cli(*base, "--format", "json").out)
    res = cli(*base, "--cap-positives", "--format", "json")
    assert res.code == 0, res.err
    capped = json.loads(res.out)
    n_train = {r["code"]: r["n_train"] for r in capped["per_code"]}
    assert max(n_train.values()) == 2 and n_train["Food"] == 2 and n_train["Transport"] == 1
    assert capped["cap_positives"] is True and free["cap_positives"] is False
    assert capped["train_positives"] == {"min": 0, "median": 1.0, "max": 2}
    assert free["train_positives"]["max"] > 2  # shared rows push a code over K without the cap
    table = cli(*base, "--cap-positives")
    assert table.code == 0 and "at most 2 positives per code" in table.out
    assert "unique rows" in table.out and "0 / 1 / 2" in table.out


def test_cap_positives_without_train_per_code_is_an_error(cli, files) -> None:  # type: ignore[no-untyped-def]
    cb, gold = files
    res = cli("eval", "--codebook", cb, "--gold", gold, "--cap-positives")
    assert res.code == 2 and "--cap-positives needs --train-per-code" in res.err


def test_macro_f1_all_counts_codes_without_support_as_zero() -> None:
    truth = np.array([[True, False, False], [False, True, False]])
    predicted = truth.copy()
    scores = truth.astype(float)
    out = evaluate.metrics(scores, predicted, truth, ["a", "b", "c"])
    assert out["macro_f1"] == 1.0
    assert out["macro_f1_all"] == pytest.approx(2 / 3)


def test_unique_rows_leave_out_training_and_codebook_texts(cli, files) -> None:  # type: ignore[no-untyped-def]
    cb, gold = files
    res = cli("eval", "--codebook", cb, "--gold", gold, "--format", "json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["n_test"] == 5 and data["unique"]["n_test"] == 2
    keys = {"micro_f1", "macro_f1", "macro_f1_all", "recall_at_1", "recall_at_3"}
    assert keys <= set(data["unique"]) and "per_code" not in data["unique"]
    inputs = evaluate.prepare(cb, gold)
    kept = [inputs.rows[inputs.test[r]].text for r in evaluate.unique_rows(inputs)]
    assert kept == ["no parking spaces left at all", "the nurses were kind and the soup was hot"]


def test_folder_embed_uses_the_given_model_folder(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    asked: list[object] = []

    class Fake:
        def encode(self, texts: list[str], progress: object = None) -> np.ndarray:
            return words(texts)

    def get_embedder(model: object = None) -> Fake:
        asked.append(model)
        return Fake()

    monkeypatch.setattr("workbench.suggest.embedder.get_embedder", get_embedder)
    out = evaluate.folder_embed(tmp_path / "tuned")(["cold tea"], None)
    assert asked == [tmp_path / "tuned"] and out.shape == (1, words(["x"]).shape[1])


def test_fine_tune_trains_on_the_training_rows_then_measures_with_the_tuned_model(
    cli, files, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from workbench.suggest import finetune

    seen: dict[str, object] = {}

    def fake_finetune(texts, labels, target, settings=None, **_):  # type: ignore[no-untyped-def]
        seen.update(texts=list(texts), labels=list(labels), target=target, settings=settings)
        target.mkdir(parents=True)
        return finetune.TuneResult(target, "classify", 7, 3, 2, 12.34)

    class Fake:
        def encode(self, texts: list[str], progress: object = None) -> np.ndarray:
            return words(texts)

    asked: list[object] = []

    def get_embedder(model: object = None) -> Fake:
        asked.append(model)
        return Fake()

    monkeypatch.setattr(finetune, "finetune", fake_finetune)
    monkeypatch.setattr("workbench.suggest.embedder.get_embedder", get_embedder)
    cb, gold = files
    base = ("eval", "--codebook", cb, "--gold", gold, "--format", "json")
    res = cli(*base, "--fine-tune")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["fine_tuned"] is True and data["finetune_seconds"] == 12.3
    assert data["finetune_objective"] == "classify" and data["mode"] == "all-train"
    assert data["finetune_examples"] == 7 and data["finetune_epochs"] == 3
    assert data["finetune_pairs"] is None  # classify trains on passages, not pairs
    assert sorted(seen["texts"]) == sorted(t for t, _, split in ROWS if split == "train")
    assert asked and all(m == seen["target"] for m in asked)  # every text by the tuned model
    assert not Path(str(seen["target"])).exists()  # the temporary folder is gone
    plain = json.loads(cli(*base).out)
    assert plain["fine_tuned"] is False and plain["finetune_seconds"] is None
    table = cli("eval", "--codebook", cb, "--gold", gold, "--fine-tune")
    assert table.code == 0 and "fine-tuned on 7 passages, 3" in table.out  # wraps at 80
    assert "passes, 12 s" in table.out
    assert seen["settings"].objective == "classify"
    assert cli(*base, "--fine-tune", "--objective", "pairs").code == 0
    assert seen["settings"].objective == "pairs"
    alone = cli(*base, "--objective", "pairs")
    assert alone.code == 2 and "--objective goes with --fine-tune" in alone.err
    zero = cli(*base, "--fine-tune", "--train-per-code", "0")
    assert zero.code != 0 and "--fine-tune needs training rows" in zero.err
