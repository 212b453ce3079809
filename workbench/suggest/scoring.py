"""Scoring units with a ranker: long units are scored per piece (the whole text and each
sentence) and aggregated; the reason comes from the piece that carried the code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from workbench.suggest.corpus import Unit
from workbench.suggest.suggestion import Suggestion

if TYPE_CHECKING:
    from workbench.suggest.ranker import Ranker

MEAN_BONUS = 0.1  # how much a code carried by many sentences of a long unit adds to its best
# a ranker calibrated on coded passages: share of a long unit's score taken from its whole
# text (the rest from its best piece); chosen on the sample study's training folds
WHOLE_SHARE = 0.75


@dataclass
class ScoredUnits:
    units: list[Unit]
    pieces: np.ndarray  # (n_pieces, n_codes): the ranker's score of every piece
    offsets: np.ndarray  # first piece row of each unit
    scores: np.ndarray  # (n_units, n_codes): aggregated

    def best_piece(self, i: int, j: int) -> int:
        """Index (within unit i's pieces) of the piece scoring highest for code j."""
        lo = int(self.offsets[i])
        n = len(self.units[i].pieces)
        return int(np.argmax(self.pieces[lo : lo + n, j]))


def score_units(
    ranker: Ranker,
    units: list[Unit],
    bonus: float = MEAN_BONUS,
    whole_share: float | None = None,
) -> ScoredUnits:
    """Scores of every code for every unit of two or more pieces (the whole text, then each
    sentence): from the codebook alone, the best piece plus a small bonus for the mean over
    the pieces (so a code running through a long turn outranks a one-sentence match); once
    the ranker is calibrated on coded passages, whose scores are those of whole passages,
    `whole_share` (default WHOLE_SHARE) of the whole text's score and the rest of the best
    piece's (the best piece alone suggests too many codes per turn, and ranks worse)."""
    if whole_share is None:
        trained = bool(getattr(ranker, "calibrated_on_passages", False))
        whole_share = WHOLE_SHARE if trained else 0.0
    n_codes = len(ranker.codes)
    if not units or not n_codes:
        empty = np.zeros((len(units), n_codes))
        return ScoredUnits(units, empty, np.zeros(len(units), dtype=np.int64), empty)
    texts = [p for u in units for p in u.pieces]
    counts = np.array([len(u.pieces) for u in units])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    pieces = np.asarray(ranker.score(texts), dtype=np.float64)
    best = np.maximum.reduceat(pieces, offsets, axis=0)
    mean = np.add.reduceat(pieces, offsets, axis=0) / counts[:, None]
    if whole_share > 0:
        combined = whole_share * pieces[offsets] + (1.0 - whole_share) * best
    else:
        combined = best + bonus * mean * (1.0 - best)
    scores = np.where(counts[:, None] > 1, combined, best)
    return ScoredUnits(units, pieces, offsets, np.clip(scores, 0.0, 1.0))


def short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def reason(ranker: Ranker, scored: ScoredUnits, i: int, j: int) -> str:
    unit = scored.units[i]
    k = scored.best_piece(i, j)
    text = unit.pieces[k]
    why = ranker.explain(text, ranker.codes[j])
    return f'sentence "{short(text)}": {why}' if k > 0 else why


def pick(
    ranker: Ranker,
    scored: ScoredUnits,
    i: int,
    excluded: set[str],
    top_k: int,
    floors: np.ndarray,
) -> list[Suggestion]:
    """Unit i's best codes at or above their floor, not excluded, best first, with reasons."""
    unit = scored.units[i]
    row = scored.scores[i]
    out: list[Suggestion] = []
    for j in np.argsort(-row, kind="stable"):
        if len(out) >= top_k:
            break
        code = ranker.codes[j]
        if code in excluded or row[j] < floors[j]:
            continue
        out.append(
            Suggestion(
                unit.segment_id,
                unit.document,
                unit.start,
                unit.end,
                code,
                float(row[j]),
                reason(ranker, scored, i, int(j)),
            )
        )
    return out
