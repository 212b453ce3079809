"""How to combine a long passage's piece scores (whole text and sentences): a study for
`workbench.suggest.scoring`, on the sample study's reference codings.

    python benchmarks/long_passages_aggregation.py [--folds 5]

Same passages, codebook variants and document-grouped folds as `long_passages.py`. For the
engine (zero-shot, and with the train folds' codings) and each candidate aggregation of the
piece scores, prints the figures on the test folds pooled; then, per setting, the candidate
chosen on the train folds alone (by micro-F1 on held-out scores of the train passages: for
the trained engine an inner cross-validation over the train documents, refitted without the
inner test document; zero-shot, the train passages themselves, which it never learnt from)
and what that choice gives on the test folds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from long_passages import (
    CODEBOOK,
    CODINGS,
    FOLDS,
    HEADS,
    Passage,
    Study,
    document_folds,
    figure_cells,
    figures,
    load_variants,
    make_study,
    read_passages,
    scored,
    turns,
)

from workbench.errors import WorkbenchError
from workbench.suggest.evaluate import EmbedFn, default_embed
from workbench.suggest.profiles import CodeProfile
from workbench.suggest.scoring import MEAN_BONUS

if TYPE_CHECKING:
    from workbench.suggest.ranker import Ranker

Aggregate = Callable[["Ranker", Sequence[Passage]], np.ndarray]
BONUSES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
WHOLE_SHARES = (0.25, 0.5, 0.75)
DEFAULT = f"best + {MEAN_BONUS:g}·mean"


def mean_bonus(bonus: float, ranker: Ranker, passages: Sequence[Passage]) -> np.ndarray:
    """scoring.py's own aggregation with this MEAN_BONUS (0.1 is the shipped one)."""
    return scored(ranker, passages, True, bonus=bonus).scores


def piece_matrix(ranker: Ranker, passages: Sequence[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """(piece scores, first piece row of each passage), as score_units computes them."""
    units = scored(ranker, passages, True, bonus=0.0)
    return units.pieces, units.offsets


def whole_share(share: float, ranker: Ranker, passages: Sequence[Passage]) -> np.ndarray:
    """share * whole-text score + (1 - share) * best piece."""
    pieces, offsets = piece_matrix(ranker, passages)
    best = np.maximum.reduceat(pieces, offsets, axis=0)
    return share * pieces[offsets] + (1 - share) * best


def top_mean(k: int, ranker: Ranker, passages: Sequence[Passage]) -> np.ndarray:
    """Mean of the k best pieces (all of them when fewer)."""
    pieces, offsets = piece_matrix(ranker, passages)
    ends = [*offsets[1:], len(pieces)]
    rows = [
        -np.sort(-pieces[a:b], axis=0)[:k].mean(axis=0) for a, b in zip(offsets, ends, strict=True)
    ]
    return np.array(rows).reshape(len(passages), pieces.shape[1])


def candidates() -> dict[str, Aggregate]:
    out: dict[str, Aggregate] = {"whole text only": partial(whole_share, 1.0)}
    out.update({f"best + {b:g}·mean": partial(mean_bonus, b) for b in BONUSES})
    out.update({f"{s:g}·whole + {1 - s:g}·best": partial(whole_share, s) for s in WHOLE_SHARES})
    out.update({f"mean of top {k} pieces": partial(top_mean, k) for k in (2, 3)})
    return out


def models(
    study: Study, profiles: list[CodeProfile], learn: bool, fold: int, inner: bool
) -> list[tuple[Ranker, list[int]]]:
    """(fitted ranker, rows it scores held out). Not `inner`: the fold's test rows, by a model
    of the train folds' coded passages (or of none, zero-shot). `inner`: the train folds'
    test rows, each scored by a model of the coded passages of the other train documents."""
    train, test = study.split(fold)
    if not inner:
        return [(study.ranker(profiles, train if learn else [], study.background(train)), test)]
    doc = [p.document for p in study.passages]
    rows = study.background(train)  # the train folds' test rows
    if not learn:
        return [(study.ranker(profiles, [], rows), rows)]
    group = document_folds(study.subset(train), FOLDS)
    out = []
    for g in sorted(set(group.values())):
        fit = [i for i in train if group[doc[i]] != g]
        out.append(
            (
                study.ranker(profiles, fit, study.background(fit)),
                [i for i in rows if group[doc[i]] == g],
            )
        )
    return out


Part = tuple["Ranker", list[int], Aggregate]  # a fitted ranker, the rows it scores, how


def pooled(study: Study, profiles: list[CodeProfile], parts: list[Part]) -> dict[str, Any]:
    """Figures over every part's rows, pooled (each part scored with its own aggregation)."""
    idx = [i for _, rows, _ in parts for i in rows]
    scores = np.zeros((len(idx), study.truth.shape[1]))
    predicted = np.zeros_like(scores, dtype=bool)
    at = 0
    for ranker, rows, aggregate in parts:
        block = aggregate(ranker, study.subset(rows))
        texts = [study.passages[i].text for i in rows]
        scores[at : at + len(rows)] = block
        predicted[at : at + len(rows)] = ranker.predict(texts, scores=block)
        at += len(rows)
    return figures(scores, predicted, study.truth[idx], profiles)


@dataclass
class Setting:
    """One codebook variant and engine: its fitted models and train-fold figures."""

    codebook: str
    engine: str
    profiles: list[CodeProfile]
    outer: dict[int, list[tuple[Ranker, list[int]]]]  # fold -> models scoring its test rows
    inner_f1: dict[int, dict[str, float]]  # fold -> candidate -> micro-F1 on the train folds

    def measured(self, study: Study, choice: dict[int, str]) -> dict[str, Any]:
        """Test-fold figures, each fold aggregated with its `choice` of candidate."""
        cands = candidates()
        parts = [
            (r, rows, cands[choice[f]]) for f, models in self.outer.items() for r, rows in models
        ]
        return pooled(study, self.profiles, parts)

    def cells(self, name: str, figs: dict[str, Any]) -> str:
        return f"| {self.codebook} | {self.engine} | {name} | {figure_cells(figs)} |"


def setting(study: Study, codebook: str, profiles: list[CodeProfile], learn: bool) -> Setting:
    folds = sorted(set(study.folds))
    inner_f1 = {}
    for f in folds:
        inner = models(study, profiles, learn, f, inner=True)
        inner_f1[f] = {
            name: pooled(study, profiles, [(r, rows, agg) for r, rows in inner])["micro_f1"]
            for name, agg in candidates().items()
        }
    outer = {f: models(study, profiles, learn, f, inner=False) for f in folds}
    engine = "+ train folds' codings" if learn else "zero-shot"
    return Setting(codebook, engine, profiles, outer, inner_f1)


def best(f1: dict[str, float]) -> str:
    return max(f1, key=lambda n: (f1[n], n == DEFAULT))  # ties: the shipped aggregation


def picks(choice: dict[int, str]) -> str:
    return ", ".join(f"{n} ×{c}" for n, c in Counter(choice.values()).most_common())


def aggregation_report(
    passages: list[Passage],
    variants: dict[str, list[CodeProfile]],
    embed: EmbedFn,
    folds: int,
    units: list[Passage] | None = None,
) -> str:
    """Three tables, scoring the coded passages (or, given `units`, the turns)."""
    study = make_study(passages, variants, embed, folds, units)
    settings = [
        setting(study, name, profiles, learn)
        for name, profiles in variants.items()
        for learn in (False, True)
    ]
    head = "| codebook | engine | aggregation | " + " | ".join(HEADS) + " |"
    rule = "|---|---|---|" + "---:|" * len(HEADS)
    every, own, shared = [head, rule], [head, rule], [head, rule]
    fold_ids = sorted(set(study.folds))
    # one rule for every setting: the best mean train-fold micro-F1 over the settings
    common = {
        f: best({n: float(np.mean([st.inner_f1[f][n] for st in settings])) for n in candidates()})
        for f in fold_ids
    }
    for st in settings:
        for name in candidates():
            every.append(st.cells(name, st.measured(study, dict.fromkeys(fold_ids, name))))
        choice = {f: best(st.inner_f1[f]) for f in fold_ids}
        own.append(st.cells(f"chosen: {picks(choice)}", st.measured(study, choice)))
        shared.append(st.cells(f"chosen: {picks(common)}", st.measured(study, common)))
    return (
        "Every candidate, test folds pooled:\n\n" + "\n".join(every) + "\n\n"
        "Chosen per setting on its train folds (per outer fold), measured on the test folds:"
        "\n\n" + "\n".join(own) + "\n\n"
        "One aggregation for every setting, chosen on the train folds by the mean micro-F1 of "
        "the four settings:\n\n" + "\n".join(shared)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--turns", action="store_true", help="score the turns, not the passages")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        passages = read_passages(CODINGS)
        units = turns(passages)[0] if args.turns else None
        report = aggregation_report(
            passages, load_variants(CODEBOOK), default_embed, args.folds, units
        )
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = " ".join(["python benchmarks/long_passages_aggregation.py", *(argv or sys.argv[1:])])
    scored_rows = "turns" if units is not None else "coded passages"
    print(f"{time.strftime('%Y-%m-%d')}, `{command}` ({time.perf_counter() - t0:.0f} s),")
    print(f"scoring the {scored_rows}.\n\n{report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
