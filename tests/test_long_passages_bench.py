"""benchmarks/long_passages.py on a tiny coded study, with the bag-of-words stand-in for the
model (ranker_support.words): the passages are grouped and split as the benchmark says, the
folds keep documents whole, and the table has every method x scoring x codebook row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from conftest import load_benchmark
from ranker_support import CODEBOOK, words

lp = load_benchmark("long_passages")

# (document, code path, text): long turns that talk about one theme, in the codebook's words
PASSAGES = [
    (
        "d1",
        "Access > Parking",
        "The car park was full again. I drove round for twenty minutes. "
        "In the end I parked on the road and got a ticket.",
    ),
    ("d1", "Food", "The food was cold when it came. Nobody offered tea. The meals were late."),
    ("d1", "Staff attitude", "The nurses were kind to me. They took time to talk."),
    (
        "d2",
        "Access > Transport",
        "The bus was late and I missed my appointment. Hospital transport never arrived either.",
    ),
    ("d2", "Food", "Lovely hot meals and tea on the ward. The food was the best part."),
    ("d2", "Access > Parking", "No parking spaces left at the hospital car park. I had to leave."),
    ("d3", "Staff attitude", "A rude receptionist shouted at my mother. Staff were unkind."),
    ("d3", "Access > Transport", "The taxi never came. The bus to the hospital was late again."),
    ("d3", "Food", "Cold food, cold tea. The meals on the ward were awful."),
    ("d4", "Access > Parking", "The car park is too small. Parking costs a fortune."),
    ("d4", "Staff attitude", "The nurses were lovely and kind. Staff treated me well."),
]
HEADER = ["document", "kind", "segment", "start", "end", "code", "code_path", "coder", "text"]


@pytest.fixture
def coded(tmp_path: Path) -> tuple[Path, Path]:
    codings = tmp_path / "codings.csv"
    with codings.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i, (doc, path, text) in enumerate(PASSAGES):
            start = 1000 * i
            row = [doc, "interview", i, start, start + len(text)]
            out.writerow([*row, path.split(" > ")[-1], path, "team", text])
        # a second code on the first span: the same passage, not a new one
        text = PASSAGES[0][2]
        out.writerow(["d1", "interview", 0, 0, len(text), "Access", "Access", "team", text])
    book = tmp_path / "codebook.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    return codings, book


def embed(texts: list[str], progress: object = None) -> np.ndarray:
    return words(texts)


def test_passages_are_grouped_by_span_and_split_into_sentences(coded: tuple[Path, Path]) -> None:
    passages = lp.read_passages(coded[0])
    assert len(passages) == len(PASSAGES)
    first = next(p for p in passages if p.start == 0)
    assert first.codes == {"Access > Parking", "Access"}
    assert first.pieces[0] == first.text and len(first.pieces) == 1 + 3  # whole, 3 sentences
    two = next(p for p in passages if p.text.startswith("The nurses were kind to me"))
    assert two.pieces == (two.text, "The nurses were kind to me.", "They took time to talk.")


def test_theme_list_keeps_names_and_tree_only(coded: tuple[Path, Path]) -> None:
    variants = lp.load_variants(coded[1])
    themes, full = variants["theme list"], variants["full codebook"]
    assert [(p.code_id, p.name, p.path, p.parent_id) for p in themes] == [
        (p.code_id, p.name, p.path, p.parent_id) for p in full
    ]
    assert all(p.positive_texts() == [("definition", p.name + ".")] for p in themes)
    assert not any(p.negative_texts() for p in themes)
    assert any(p.examples for p in full)


def test_folds_keep_each_document_whole_and_balance(coded: tuple[Path, Path]) -> None:
    passages = lp.read_passages(coded[0])
    fold_of = lp.document_folds(passages, 3)
    folds = [fold_of[p.document] for p in passages]
    by_doc: dict[str, set[int]] = {}
    for p, f in zip(passages, folds, strict=True):
        by_doc.setdefault(p.document, set()).add(f)
    assert all(len(f) == 1 for f in by_doc.values())
    sizes = np.bincount(folds)
    assert sorted(sizes) == [3, 3, 5]  # documents of 3, 3, 3 and 2: the two smallest share
    assert lp.document_folds(passages, 10) == lp.document_folds(passages, 4)  # one per document


def test_table_has_every_row_and_sane_figures(coded: tuple[Path, Path]) -> None:
    passages = lp.read_passages(coded[0])
    rows = lp.measure(passages, lp.load_variants(coded[1]), embed, folds=4)
    keys = [(r.codebook, r.method, r.scoring) for r in rows]
    assert keys == [
        (book, method, scoring)
        for book in ("theme list", "full codebook")
        for method in lp.METHODS
        for scoring in (lp.WHOLE, lp.PIECES)
    ]
    for r in rows:
        assert all(0.0 <= r.figures[k] <= 1.0 for k in lp.FIGURES), r
        assert r.figures["recall_at_1"] <= r.figures["recall_at_3"]
    figures = {k: r.figures for k, r in zip(keys, rows, strict=True)}
    # the passages share words with their codes' examples: the engine finds most of them
    full = figures[("full codebook", "engine, zero-shot", lp.WHOLE)]
    assert full["recall_at_1"] >= 0.8, full
    # the sentences are scored: somewhere the two scorings differ
    assert any(figures[k] != figures[(k[0], k[1], lp.WHOLE)] for k in keys if k[2] == lp.PIECES)
    table = lp.render(rows).splitlines()
    assert len(table) == 2 + len(rows)
    assert all(line.count("|") == 3 + len(lp.HEADS) + 1 for line in table)
    assert "| full codebook | plain cosine | sentences + whole |" in lp.render(rows)
    summary = lp.summary(passages)
    assert summary.startswith("11 passages from 4 documents (1 with 2+ codes)"), summary


def test_unknown_code_is_a_one_line_error(coded: tuple[Path, Path], tmp_path: Path) -> None:
    from workbench.errors import WorkbenchError

    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(HEADER) + "\nd1,interview,0,0,5,Nope,Nope,team,hello\n", encoding="utf-8"
    )
    with pytest.raises(WorkbenchError, match="'Nope' is not in the codebook"):
        lp.measure(lp.read_passages(bad), lp.load_variants(coded[1]), embed, folds=2)


def test_turns_of_the_sample_study_carry_the_codes_of_their_passages() -> None:
    passages = lp.read_passages(lp.CODINGS)
    turns, uncoded = lp.turns(passages)
    assert len(turns) > 50 and all(t.codes for t in turns)
    assert uncoded and not any(t.codes for t in uncoded)
    assert not any(  # the uncoded turns: none overlaps a coded passage
        t.document == p.document and t.start < p.end and t.end > p.start
        for t in uncoded
        for p in passages
    )
    assert all(t.pieces[0] == t.text for t in turns)
    assert sum(len(t.pieces) > 1 for t in turns) > len(turns) // 2  # long turns, split
    assert any(len(t.codes) >= 2 for t in turns)
    for p in passages:  # every coded passage lies in a turn that carries its codes
        assert any(
            t.document == p.document and t.start < p.end and t.end > p.start and p.codes <= t.codes
            for t in turns
        ), p


def test_aggregation_study_reports_every_candidate(coded: tuple[Path, Path]) -> None:
    agg = load_benchmark("long_passages_aggregation")
    passages = lp.read_passages(coded[0])
    report = agg.aggregation_report(passages, lp.load_variants(coded[1]), embed, 4)
    tables = [t for t in report.split("\n\n") if t.startswith("|")]
    assert len(tables) == 3
    settings = 2 * 2  # codebook variants x (zero-shot, trained)
    assert len(tables[0].splitlines()) == 2 + settings * len(agg.candidates())
    assert all(len(t.splitlines()) == 2 + settings for t in tables[1:])
    assert "| full codebook | + train folds' codings | best + 0.1·mean |" in tables[0]
