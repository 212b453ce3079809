"""Suggestion quality on long interview passages: the sample study's reference codings.

    python benchmarks/long_passages.py [--folds 5] [--no-turns] [--no-prior] [--no-uncoded]
                                       [--codings CSV] [--codebook YAML]

The passages are the team's agreed codings of the sample study
(`transcripts_sample/codings/difacto.csv`, one row per coding; the rows of one span, grouped
by document, start and end, are one passage with all their codes), scored against two
versions of the study codebook (`codebooks/difacto.yaml`):
- "theme list": code names and their place in the tree only (no definitions, include or
  exclude notes, aliases or example quotes), what a researcher starting from a list of
  themes has;
- "full codebook": the codebook as shipped.

K-fold cross-validation grouped by document (every passage of a test document is held out
together; documents are dealt to folds largest first, to balance the folds), measured on the
test folds pooled, with `workbench.suggest.evaluate.metrics` (micro/macro F1, recall@1/@3):
- plain cosine: MiniLM embedding of the passage against that of the code's label text (its
  name; in the full codebook name, definition and include note); top-k by cosine; one
  threshold (and whether to keep the best code when none passes) chosen on the train folds;
- the engine zero-shot: `Ranker` fitted on the codebook alone (given, as a project would
  give it, the train documents' texts as uncoded passages; `--no-prior`: not);
- the engine with the train folds' codings (the researcher's own coded passages; and, as
  a project gives it, the train documents' turns no coding overlaps as uncoded passages it
  may learn from by self-training; `--no-uncoded`: not);
each scoring the whole text only, or the whole text and its sentences
(`workbench.suggest.scoring.score_units`: best piece plus MEAN_BONUS times the mean).
A second table scores the turns (outer segments, split into sentences as the engine splits
them, from a demo project built in a temporary folder) that overlap a coded passage, each
with the codes of every passage it overlaps, learning from the coded passages as before.
Prints markdown. Needs the bundled model (offline). `long_passages_aggregation.py` compares
other ways of combining the piece scores, chosen on the train folds.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from workbench.errors import WorkbenchError
from workbench.suggest.calibration import decide
from workbench.suggest.corpus import MIN_SENTENCES, Unit
from workbench.suggest.evaluate import EmbedFn, code_resolver, default_embed, metrics
from workbench.suggest.profiles import CodeProfile
from workbench.suggest.scoring import ScoredUnits, score_units

if TYPE_CHECKING:
    from workbench.suggest.ranker import Ranker

REPO = Path(__file__).resolve().parents[1]
CODINGS = REPO / "transcripts_sample" / "codings" / "difacto.csv"
CODEBOOK = REPO / "codebooks" / "difacto.yaml"
FOLDS = 5
NEEDED = ("document", "start", "end", "code_path", "text")
THRESHOLDS = np.round(np.arange(0.0, 1.0, 0.01), 2)  # plain cosine: candidate thresholds
WHOLE, PIECES = "whole text", "sentences + whole"
METHODS = ("plain cosine", "engine, zero-shot", "engine + train folds' codings")
FIGURES = ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "recall_at_1", "recall_at_3")
HEADS = ("micro-F1", "macro-F1", "precision", "recall", "recall@1", "recall@3", "codes applied")

Encode = Callable[[list[str]], np.ndarray]
Split = Callable[[str], list[str]]


@dataclass(frozen=True)
class Passage:
    document: str
    start: int
    end: int
    text: str  # whitespace-normalised
    pieces: tuple[str, ...]  # the text, then its sentences when it has MIN_SENTENCES or more
    codes: frozenset[str]  # code paths, as in the file

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Row:
    codebook: str
    method: str
    scoring: str
    figures: dict[str, Any]


def clean(text: str) -> str:
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """The sentences of a passage, as the project's sentence segments would cut them."""
    from workbench.ingest.sentences import paragraph_sentences

    return [s for a, b in paragraph_sentences(text, 0, len(text)) if (s := clean(text[a:b]))]


def read_passages(path: Path, split: Split = sentences) -> list[Passage]:
    """One passage per coded span (document, start, end) with every code coded on it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in NEEDED if c not in (reader.fieldnames or [])]
            if missing:
                raise WorkbenchError(f"{path}: missing column(s) {', '.join(missing)}")
            spans: dict[tuple[str, int, int], tuple[str, set[str]]] = {}
            for rec in reader:
                key = (rec["document"], int(rec["start"]), int(rec["end"]))
                spans.setdefault(key, (rec["text"], set()))[1].add(rec["code_path"])
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise WorkbenchError(f"{path}: cannot read the codings ({exc})") from None
    out = []
    for (doc, start, end), (raw, codes) in sorted(spans.items()):
        text = clean(raw)
        parts = split(raw)
        pieces = (text, *parts) if len(parts) >= MIN_SENTENCES else (text,)
        out.append(Passage(doc, start, end, text, pieces, frozenset(codes)))
    if not out:
        raise WorkbenchError(f"{path}: no codings")
    return out


def theme_list(profiles: Sequence[CodeProfile]) -> list[CodeProfile]:
    """The codebook as a list of themes: names and tree only."""
    return [
        replace(p, description=None, include=None, exclude=None, examples=(), aliases=())
        for p in profiles
    ]


def document_folds(passages: Sequence[Passage], k: int) -> dict[str, int]:
    """Fold of each document: whole documents, largest first, to the emptiest fold."""
    counts = Counter(p.document for p in passages)
    k = max(1, min(k, len(counts)))
    load = [0] * k
    fold_of: dict[str, int] = {}
    for doc, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        f = min(range(k), key=lambda i: (load[i], i))
        fold_of[doc] = f
        load[f] += n
    return fold_of


def turns(passages: Sequence[Passage]) -> tuple[list[Passage], list[Passage]]:
    """The turns (outer segments, scored whole and per sentence exactly as the engine does)
    of the sample study that overlap a coded passage, each with the codes of every passage
    overlapping it; and the turns no coded passage overlaps (the uncoded units of a project,
    which self-training may learn from). Read from a demo project built in a temporary
    folder."""
    import tempfile

    from workbench.services.demo import build_demo
    from workbench.store.db import open_project
    from workbench.suggest.corpus import load_units

    with tempfile.TemporaryDirectory(prefix="workbench-long-") as tmp:
        project = open_project(build_demo(Path(tmp)).project)
        try:
            with project.read() as conn:
                units = load_units(conn)
        finally:
            project.close()
    out, uncoded = [], []
    for u in units:
        codes = {
            c
            for p in passages
            if p.document == u.document and p.start < u.end and p.end > u.start
            for c in p.codes
        }
        turn = Passage(u.document, u.start, u.end, u.text, u.pieces, frozenset(codes))
        (out if codes else uncoded).append(turn)
    return out, uncoded


def memo_encoder(embed: EmbedFn, texts: Sequence[str]) -> Encode:
    """Embed `texts` once (one model call); later calls look them up (others are embedded)."""
    wanted = list(dict.fromkeys(texts))
    memo = dict(zip(wanted, np.asarray(embed(wanted, None), dtype=np.float32), strict=True))

    def encode(batch: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(batch) if t not in memo]
        if missing:
            memo.update(zip(missing, np.asarray(embed(missing, None)), strict=True))
        return np.stack([memo[t] for t in batch])

    return encode


def unit_list(passages: Sequence[Passage], pieces: bool) -> list[Unit]:
    return [
        Unit(i, 0, p.document, i, p.start, p.end, p.text, p.pieces if pieces else (p.text,))
        for i, p in enumerate(passages)
    ]


class CosineScorer:
    """Plain cosine of a passage to each code's label text, in the ranker's interface (the
    `codes` and `score` that `score_units` uses)."""

    def __init__(self, profiles: Sequence[CodeProfile], encode: Encode) -> None:
        self.codes = [p.code_id for p in profiles]
        self.encode = encode
        self.labels = normalised(encode([p.definition for p in profiles]))

    def score(self, texts: list[str]) -> np.ndarray:
        return normalised(self.encode(texts)) @ self.labels.T


def normalised(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float64)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0)


def scored(scorer: object, passages: Sequence[Passage], pieces: bool, **kw: Any) -> ScoredUnits:
    """`score_units` over the passages (each one unit; `pieces=False`: the whole text only)."""
    return score_units(cast("Ranker", scorer), unit_list(passages, pieces), **kw)


def truth_matrix(passages: Sequence[Passage], codes: list[str], ids: dict[str, str]) -> np.ndarray:
    col = {c: j for j, c in enumerate(codes)}
    truth = np.zeros((len(passages), len(codes)), dtype=bool)
    for i, p in enumerate(passages):
        truth[i, [col[ids[c]] for c in p.codes]] = True
    return truth


def choose_cut(scores: np.ndarray, truth: np.ndarray) -> tuple[float, bool]:
    """The threshold (and keep-the-best-code choice) with the best micro-F1 on these rows."""
    names = [str(j) for j in range(truth.shape[1])]
    best = (-1.0, 0.0, False)
    for t in THRESHOLDS:
        for force in (False, True):
            pred = decide(scores, np.full(truth.shape[1], t), force)
            f1 = metrics(scores, pred, truth, names)["micro_f1"]
            if f1 > best[0]:
                best = (f1, float(t), force)
    return best[1], best[2]


@dataclass
class Study:
    """What every method needs: the passages, their codes and the embedder."""

    passages: list[Passage]
    truth: np.ndarray  # (passages, codes)
    ids: dict[str, str]  # code path -> code id
    folds: list[int]
    encode: Encode
    n_train: int  # the first n_train passages are the coded ones (training rows)
    test_from: int  # passages from here on are scored (test rows)
    prior: bool = True  # give rankers uncoded passages (`background`)
    uncoded: Sequence[Passage] = ()  # units no coding overlaps (self-training's candidates)

    def positives(self, idx: Sequence[int]) -> list[set[str]]:
        return [{self.ids[c] for c in self.passages[i].codes} for i in idx]

    def ranker(
        self, profiles: Sequence[CodeProfile], train: Sequence[int], background: Sequence[int]
    ) -> Ranker:
        """A ranker fitted on the `train` rows' codes. As `SuggestionEngine` does, it also
        gets the project's passages (the `background` rows' texts, codes unknown), to read
        how common each code is (see `Ranker.fit`)."""
        from workbench.suggest.ranker import Ranker

        ranker = Ranker(profiles, self.encode)
        texts = [self.passages[i].text for i in train]
        unlabelled = [self.passages[i].text for i in background]
        docs = {self.passages[i].document for i in train}
        uncoded = [p.text for p in self.uncoded if p.document in docs] if self.prior else []
        ranker.fit(texts, self.positives(train), unlabelled=unlabelled, uncoded=uncoded)
        return ranker

    def background(self, train: Sequence[int]) -> list[int]:
        """The rows of the kind being scored (test rows) in the documents of `train` (none
        without `prior`)."""
        if not self.prior:
            return []
        docs = {self.passages[i].document for i in train}
        return [
            i
            for i in range(self.test_from, len(self.passages))
            if self.passages[i].document in docs
        ]

    def subset(self, idx: Sequence[int]) -> list[Passage]:
        return [self.passages[i] for i in idx]

    def split(self, fold: int) -> tuple[list[int], list[int]]:
        """(training rows outside the fold, test rows inside it)."""
        train = [i for i, f in enumerate(self.folds[: self.n_train]) if f != fold]
        test = [i for i, f in enumerate(self.folds) if f == fold and i >= self.test_from]
        return train, test


# (study, profiles, train rows, test rows, pieces) -> (scores, predicted) of the test rows
Method = Callable[
    [Study, list[CodeProfile], list[int], list[int], bool], tuple[np.ndarray, np.ndarray]
]


def plain_cosine(
    study: Study, profiles: list[CodeProfile], train: list[int], test: list[int], pieces: bool
) -> tuple[np.ndarray, np.ndarray]:
    scorer = CosineScorer(profiles, study.encode)
    fit = scored(scorer, study.subset(train), pieces).scores
    cut, force = choose_cut(fit, study.truth[train])
    scores = scored(scorer, study.subset(test), pieces).scores
    return scores, decide(scores, np.full(len(profiles), cut), force)


def engine(learn: bool) -> Method:
    def run(
        study: Study, profiles: list[CodeProfile], train: list[int], test: list[int], pieces: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        ranker = study.ranker(profiles, train if learn else [], study.background(train))
        scores = scored(ranker, study.subset(test), pieces).scores
        texts = [study.passages[i].text for i in test]
        return scores, ranker.predict(texts, scores=scores)

    return run


def cross_validate(
    study: Study, profiles: list[CodeProfile], method: Method, pieces: bool
) -> dict[str, Any]:
    """The method's figures on every test row, each scored in the fold that held it out."""
    n, m = study.truth.shape
    scores = np.zeros((n, m))
    predicted = np.zeros((n, m), dtype=bool)
    for fold in sorted(set(study.folds)):
        train, test = study.split(fold)
        scores[test], predicted[test] = method(study, profiles, train, test, pieces)
    lo = study.test_from
    return figures(scores[lo:], predicted[lo:], study.truth[lo:], profiles)


def figures(
    scores: np.ndarray, predicted: np.ndarray, truth: np.ndarray, profiles: list[CodeProfile]
) -> dict[str, Any]:
    return {**metrics(scores, predicted, truth, [p.name for p in profiles]), "n": len(truth)}


def make_study(
    passages: list[Passage],
    variants: dict[str, list[CodeProfile]],
    embed: EmbedFn,
    folds: int,
    units: list[Passage] | None = None,
    prior: bool = True,
    uncoded: Sequence[Passage] = (),
) -> Study:
    """The coded passages as training rows; as test rows the passages themselves or, given
    `units` (turns), those."""
    fold_of = document_folds(passages, folds)
    n_coded = len(passages)
    test_from = n_coded if units is not None else 0
    passages = [*passages, *(units or [])]
    first = next(iter(variants.values()))
    resolve = code_resolver(first)
    ids: dict[str, str] = {}
    for path in sorted({c for p in passages for c in p.codes}):
        cid = resolve(path)
        if cid is None:
            raise WorkbenchError(f"code {path!r} is not in the codebook (or is ambiguous)")
        ids[path] = cid
    book = [
        t
        for profiles in variants.values()
        for p in profiles
        for t in [p.definition, *(x for _, x in p.positive_texts()), *p.negative_texts()]
    ]
    encode = memo_encoder(embed, [t for p in [*passages, *uncoded] for t in p.pieces] + book)
    truth = truth_matrix(passages, [p.code_id for p in first], ids)
    fold = [fold_of[p.document] for p in passages]
    return Study(passages, truth, ids, fold, encode, n_coded, test_from, prior, uncoded)


def measure(
    passages: list[Passage],
    variants: dict[str, list[CodeProfile]],
    embed: EmbedFn,
    *,
    folds: int = FOLDS,
    units: list[Passage] | None = None,
    prior: bool = True,
    uncoded: Sequence[Passage] = (),
) -> list[Row]:
    """Every method, scoring and codebook variant, cross-validated by document: learning
    from the coded passages of the train folds, scoring those of the test fold (or, given
    `units`, the test fold's turns)."""
    study = make_study(passages, variants, embed, folds, units, prior, uncoded)
    methods: dict[str, Method] = dict(
        zip(METHODS, (plain_cosine, engine(learn=False), engine(learn=True)), strict=True)
    )
    rows = []
    for name, profiles in variants.items():
        for label, method in methods.items():
            for scoring, pieces in ((WHOLE, False), (PIECES, True)):
                figures = cross_validate(study, profiles, method, pieces)
                rows.append(Row(name, label, scoring, figures))
    return rows


def summary(passages: Sequence[Passage], what: str = "passages") -> str:
    """Counts and lengths of the rows of one table."""
    n_docs = len({p.document for p in passages})
    words = np.array([p.words for p in passages])
    long = sum(len(p.pieces) > 1 for p in passages)
    sents = np.mean([max(1, len(p.pieces) - 1) for p in passages])
    codes = Counter(len(p.codes) for p in passages)
    several = sum(n for k, n in codes.items() if k > 1)
    return (
        f"{len(passages)} {what} from {n_docs} documents ({several} with 2+ codes); length: "
        f"mean {words.mean():.1f} words (median {np.median(words):g}, max {words.max()}), "
        f"{sents:.1f} sentences; {long} of {MIN_SENTENCES}+ sentences (scored per sentence too)"
    )


def render(rows: Sequence[Row]) -> str:
    lines = [
        "| codebook | method | scoring | " + " | ".join(HEADS) + " |",
        "|---|---|---|" + "---:|" * len(HEADS),
    ]
    for r in rows:
        lines.append(f"| {r.codebook} | {r.method} | {r.scoring} | {figure_cells(r.figures)} |")
    return "\n".join(lines)


def figure_cells(figures: dict[str, Any]) -> str:
    """The FIGURES, then the codes predicted per passage (precision's other side)."""
    n = figures["n"]
    per = sum(c["predicted"] for c in figures["per_code"]) / n if n else 0.0
    return " | ".join([*(f"{figures[k]:.3f}" for k in FIGURES), f"{per:.2f}"])


def load_variants(codebook: Path) -> dict[str, list[CodeProfile]]:
    from workbench.codebook.yaml_io import load_codebook
    from workbench.suggest.profiles import profiles_from_codebook

    full = profiles_from_codebook(load_codebook(codebook))
    return {"theme list": theme_list(full), "full codebook": full}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codings", type=Path, default=CODINGS, help="coded-excerpt CSV")
    ap.add_argument("--codebook", type=Path, default=CODEBOOK, help="codebook YAML")
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--no-turns", action="store_true", help="leave out the table of turns")
    ap.add_argument(
        "--no-prior",
        action="store_true",
        help="give the engine no uncoded passages (no estimate of how common each code is)",
    )
    ap.add_argument(
        "--no-uncoded",
        action="store_true",
        help="give the engine no uncoded turns to learn from (no self-training)",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        passages = read_passages(args.codings)
        variants = load_variants(args.codebook)
        prior = not args.no_prior
        units, uncoded = turns(passages)
        uncoded = [] if args.no_uncoded else uncoded
        kw = {"folds": args.folds, "prior": prior, "uncoded": uncoded}
        rows = measure(passages, variants, default_embed, **kw)  # type: ignore[arg-type]
        if args.no_turns:
            units = None
        else:
            turn_rows = measure(passages, variants, default_embed, units=units, **kw)  # type: ignore[arg-type]
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = " ".join(["python benchmarks/long_passages.py", *(argv or sys.argv[1:])])
    k = len(set(document_folds(passages, args.folds).values()))
    print(f"{time.strftime('%Y-%m-%d')}, `{command}` ({time.perf_counter() - t0:.0f} s).")
    print(f"{k}-fold cross-validation grouped by document.\n")
    print(f"Coded passages: {summary(passages)}.\n\n{render(rows)}")
    if units is not None:
        print(f"\nTurns: {summary(units, 'turns')}. Learning from the coded passages of the")
        print(f"train folds, scoring the turns of the test fold.\n\n{render(turn_rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
