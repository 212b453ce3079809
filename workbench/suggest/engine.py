"""The suggestion engine of a project: scores its segments against its codebook, learns from
the researcher's codings and decisions, and serves per-segment suggestions and a review queue.

Learning: the ranker is refitted on every coded span (manual, imported and accepted
suggestions are positives) and every rejected suggestion (a negative). After a decision the
refit runs in a background thread, so a front end never waits for it; `for_segment` waits for
a pending refit (its answer reflects every decision), the review queue moves on with the
previous model and picks up the new one when it is ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.coding import CodingRow, add_coding
from workbench.services.suggestion_feedback import record_feedback
from workbench.store.db import Project, open_project
from workbench.suggest.cache import CachedEncoder, TextEncoder
from workbench.suggest.corpus import (
    Unit,
    decided,
    load_units,
    sample_passages,
    store_signature,
    training_data,
)
from workbench.suggest.learning import LiveRanker
from workbench.suggest.profiles import profiles_from_tree
from workbench.suggest.ranker import Ranker
from workbench.suggest.scoring import ScoredUnits, pick, reason, score_units
from workbench.suggest.suggestion import Suggestion

if TYPE_CHECKING:
    from sqlalchemy import Connection

Order = Literal["confident", "uncertain"]
UNCERTAIN_PER_UNIT = 3  # codes per unit considered for the "most uncertain first" queue
NO_CODEBOOK = "the project has no codes: import a codebook first (workbench codebook import FILE)"


class SuggestionEngine:
    """Suggestions for one project. `encoder` defaults to the configured local model."""

    def __init__(
        self,
        project: Project | str | Path,
        coder: str | None = None,
        *,
        encoder: TextEncoder | None = None,
        model: str | None = None,
        background: bool = True,
    ) -> None:
        from workbench.config import default_coder

        self._owns_project = not isinstance(project, Project)
        self.project = project if isinstance(project, Project) else open_project(project)
        self.coder = default_coder(coder)
        try:
            with self.project.read() as conn:
                if not CodeTree.load(conn).codes:
                    raise WorkbenchError(NO_CODEBOOK)
            if encoder is None:
                from workbench.suggest.embedder import get_embedder
                from workbench.suggest.project_tuning import tuned_model_for

                # a fine-tuned model marked in use by `suggest train` (None: the configured one)
                encoder = get_embedder(
                    model if model is not None else tuned_model_for(self.project)
                )
        except BaseException:
            self.close()
            raise
        self.encoder = CachedEncoder(encoder, self.project)
        self.live = LiveRanker(
            self._fit, background=background, after_fit=self._rescore, refine=self._self_trained
        )
        self._fitted_on: tuple[object, ...] | None = None  # store signature of the last fit
        # the code tree as of a store signature: codes change only with the signature
        self._tree: tuple[tuple[object, ...], CodeTree] | None = None
        self._units: list[Unit] | None = None
        self._scored: tuple[int, ScoredUnits] | None = None  # corpus scores, by ranker version
        self._whole_corpus = False  # keep corpus scores current (once a queue or prepare ran)
        self.rank_seconds = 0.0  # duration of the last re-scoring of the corpus

    # Learning ---------------------------------------------------------------------------

    def _fit(self) -> Ranker:
        with self.project.read() as conn:
            signature = store_signature(conn)
            tree = self._code_tree(conn, signature)
            data = training_data(conn)
        if not tree.codes:
            raise WorkbenchError(NO_CODEBOOK)
        ranker = Ranker(profiles_from_tree(tree), self.encoder)
        background = self._embedded_passages(ranker.options.max_prior_passages)
        ranker.fit(data.texts, data.positives, data.negatives, unlabelled=background)
        self._fitted_on = signature
        return ranker

    def _self_trained(self, ranker: Ranker) -> Ranker | None:
        """The ranker fitted again with the uncoded passages it is sure about (run by the
        refit thread after the plain fit is in place, so no answer waits for it)."""
        uncoded = self._embedded_passages(ranker.options.max_prior_passages, uncoded=True)
        return ranker.self_trained(uncoded)

    def _embedded_passages(self, n: int, *, uncoded: bool = False) -> list[str]:
        """Up to `n` of the project's passages whose vectors are in the cache already (none
        is embedded for this): the ranker reads from them how common each code is
        (`Ranker.fit(unlabelled=)`); `uncoded`: only those no coding overlaps, which it may
        learn from (`Ranker.fit(uncoded=)`, self-training)."""
        with self.project.read() as conn:
            texts = sample_passages(conn, n, uncoded=uncoded)
        missing = set(self.encoder.missing(texts))
        return [t for t in texts if t not in missing]

    def _refresh(self, signature: tuple[object, ...] | None = None) -> None:
        """Retrain when the store changed since the last fit in a way no decision announced
        (codes coded by hand, codebook edits, another program). `signature`: the store's,
        read already by the caller."""
        if self._fitted_on is None or self.live.pending:
            return
        if signature is None:
            with self.project.read() as conn:
                signature = store_signature(conn)
        if signature != self._fitted_on:
            self.retrain()

    def _code_tree(self, conn: Connection, signature: tuple[object, ...]) -> CodeTree:
        """The codes, read again only when the store signature moved (every insert, update
        or delete of a code moves it, whichever program made it)."""
        kept = self._tree
        if kept is None or kept[0] != signature:
            kept = self._tree = (signature, CodeTree.load(conn))
        return kept[1]

    @property
    def fit_seconds(self) -> float:
        return self.live.fit_seconds

    def ranker(self, *, wait: bool = True) -> Ranker:
        """The ranker in use (fitted on first use); with wait, after any pending refit."""
        return self.live.current(wait=wait)

    def wait(self) -> None:
        """Block until the refits after earlier decisions are done."""
        self.live.wait()

    def retrain(self) -> None:
        """Refit after the store changed (in the background unless background=False)."""
        self.live.retrain()

    def _rescore(self, ranker: Ranker, version: int) -> None:
        """Score the whole corpus with a new ranker, for the review queue (runs after refits,
        in the refit thread, when a queue or a corpus-wide prepare has run)."""
        units = self._units
        if not self._whole_corpus or units is None:
            return
        t0 = time.perf_counter()
        scored = score_units(ranker, units)
        self.rank_seconds = time.perf_counter() - t0
        if self.live.version == version:
            self._scored = (version, scored)

    def _corpus_scores(self) -> tuple[Ranker, int, ScoredUnits]:
        """The ranker in place, its version and the whole corpus scored by it."""
        ranker, version = self.live.snapshot()
        units = self.units()
        snap = self._scored
        if snap is not None and snap[0] == version and snap[1].units is units:
            return ranker, version, snap[1]
        scored = score_units(ranker, units)
        self._scored = (version, scored)
        return ranker, version, scored

    def learn(self, suggestion: Suggestion, accepted: bool, coder: str | None = None) -> None:
        """A decision was saved in the store (by accept/reject, or by a front end): retrain."""
        self.retrain()

    def accept(self, suggestion: Suggestion, coder: str | None = None) -> CodingRow:
        """Code the suggestion's span (origin 'suggested') and record the decision, together."""
        who = coder or self.coder
        with self.project.begin() as conn:
            row, _ = add_coding(
                conn,
                suggestion.document,
                suggestion.start,
                suggestion.end,
                suggestion.code_id,
                who,
                origin="suggested",
            )
            record_feedback(
                conn, suggestion.segment_id, suggestion.code_id, "accepted", who, suggestion.score
            )
        self.learn(suggestion, True, who)
        return row

    def reject(self, suggestion: Suggestion, coder: str | None = None) -> None:
        """Remember the rejection (never suggested again for that segment; a negative)."""
        who = coder or self.coder
        with self.project.begin() as conn:
            record_feedback(
                conn, suggestion.segment_id, suggestion.code_id, "rejected", who, suggestion.score
            )
        self.learn(suggestion, False, who)

    # Corpus -----------------------------------------------------------------------------

    def units(self, document: str | None = None) -> list[Unit]:
        if document is not None:
            with self.project.read() as conn:
                from workbench.services.documents import document_row

                document_row(conn, document)  # a clear error for an unknown name
                return load_units(conn, document=document)
        if self._units is None:
            with self.project.read() as conn:
                self._units = load_units(conn)
        return self._units

    def prepare(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        *,
        document: str | None = None,
    ) -> bool:
        """Embed what suggestions need (the corpus, or one document, plus the training
        passages and code profiles), reporting (done, total); False when cancelled."""
        if document is None:
            self._units = None
            self._whole_corpus = True
        texts = self.needed_texts(document)
        if not self.encoder.fill(texts, progress=progress, cancelled=cancelled):
            return False
        self.wait()
        ranker, version = self.live.fit_and_refine()  # learn from the store as it is now
        self._rescore(ranker, version)
        return True

    def needed_texts(self, document: str | None = None) -> list[str]:
        """Every text suggestions embed: unit pieces, training passages, code profiles."""
        units = self.units(document)
        return [p for u in units for p in u.pieces] + self.learner_texts()

    def learner_texts(self) -> list[str]:
        """What the learner embeds before it can score anything: the coded and rejected
        passages and the code profiles."""
        with self.project.read() as conn:
            data = training_data(conn)
            tree = CodeTree.load(conn)
        texts = list(data.texts)
        for prof in profiles_from_tree(tree):
            texts.extend(t for _kind, t in prof.positive_texts())
            texts.extend(prof.negative_texts())
        return texts

    def warm_up(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> bool:
        """Embed what the learner needs (not the whole corpus), reporting (done, total), so
        the first suggestions for one passage come with visible progress; False when
        cancelled."""
        return self.encoder.fill(self.learner_texts(), progress=progress, cancelled=cancelled)

    def _widen(self, tree: CodeTree) -> Callable[[str], list[str]]:
        def ancestors(code: str) -> list[str]:
            out, cur = [], tree.codes[code].parent_id if code in tree.codes else None
            while cur is not None and cur not in out:
                out.append(cur)
                cur = tree.codes[cur].parent_id if cur in tree.codes else None
            return out

        return ancestors

    def _excluded(self, units: list[Unit]) -> dict[int, set[str]]:
        with self.project.read() as conn:
            return self._excluded_in(conn, units, store_signature(conn))

    def _excluded_in(
        self, conn: Connection, units: list[Unit], signature: tuple[object, ...]
    ) -> dict[int, set[str]]:
        """Per unit, the codes applied to it (with their ancestors) or rejected for it."""
        return decided(conn, units, self._widen(self._code_tree(conn, signature)))

    def _floors(self, ranker: Ranker, min_score: float | None) -> np.ndarray:
        if min_score is None:
            return np.asarray(ranker.thresholds, dtype=np.float64)
        return np.full(len(ranker.codes), float(min_score))

    # Suggestions ------------------------------------------------------------------------

    def for_segment(
        self, segment_id: int, top_k: int = 5, min_score: float | None = 0.0
    ) -> list[Suggestion]:
        """The `top_k` best codes for one segment (a turn, entry or response; or a sentence),
        best first, leaving out codes already applied to it or rejected for it. By default
        every code competes (the researcher sees the ranking and the scores); with
        `min_score=None` only codes reaching their own threshold are shown."""
        with self.project.read() as conn:  # one read: the unit, what it may not get
            units = load_units(conn, segment_ids=[segment_id])
            if not units:
                raise WorkbenchError(f"segment {segment_id}: no such segment")
            signature = store_signature(conn)
            excluded = self._excluded_in(conn, units, signature)[segment_id]
        self._refresh(signature)
        ranker = self.ranker()
        scored = score_units(ranker, units)
        return pick(ranker, scored, 0, excluded, top_k, self._floors(ranker, min_score))

    def first_for_segment(
        self, segment_id: int, top_k: int = 5, min_score: float | None = 0.0
    ) -> tuple[list[Suggestion], bool]:
        """The current passage first: (suggestions, learned). When the learner is ready (fitted,
        or its texts all embedded so fitting is quick), its answer (learned=True). Otherwise a zero-shot answer
        from the codebook alone, which embeds only the code profiles (short texts) and this
        passage, so it comes in seconds on a cold start (learned=False); call `warm_up` and
        `for_segment` after it for the learned answer."""
        if self._fitted_on is not None or not self.encoder.missing(self.learner_texts()):
            return self.for_segment(segment_id, top_k, min_score), True
        with self.project.read() as conn:
            units = load_units(conn, segment_ids=[segment_id])
            tree = CodeTree.load(conn)
        if not units:
            raise WorkbenchError(f"segment {segment_id}: no such segment")
        if not tree.codes:
            raise WorkbenchError(NO_CODEBOOK)
        ranker = Ranker(profiles_from_tree(tree), self.encoder)
        ranker.fit([], [], [])
        scored = score_units(ranker, units)
        excluded = self._excluded(units)[segment_id]
        return pick(ranker, scored, 0, excluded, top_k, self._floors(ranker, min_score)), False

    def suggest(
        self, document: str | None = None, top_k: int = 3, min_score: float | None = None
    ) -> list[tuple[Unit, list[Suggestion]]]:
        """Suggestions for every unit of the corpus (or of one document), in document order."""
        self._refresh()
        if document is None:
            self.wait()
            ranker, _version, scored = self._corpus_scores()
            units = scored.units
        else:
            units = self.units(document)
            ranker = self.ranker()
            scored = score_units(ranker, units)
        excluded = self._excluded(units)
        floors = self._floors(ranker, min_score)
        return [
            (u, pick(ranker, scored, i, excluded[u.segment_id], top_k, floors))
            if u.worth_suggesting
            else (u, [])
            for i, u in enumerate(units)
        ]

    def queue(
        self, coder: str | None = None, order: Order = "confident", min_score: float | None = None
    ) -> Iterator[Suggestion]:
        """Corpus-wide (segment, code) suggestions for review, skipping decided ones and those
        already shown by this queue. "confident": highest score first (codes at or above their
        threshold); "uncertain": closest to the threshold first (what the learner gains most
        from). Re-ranked whenever the learner has been refitted."""
        if order not in ("confident", "uncertain"):
            raise WorkbenchError(f"order '{order}': use confident or uncertain")
        self._whole_corpus = True
        shown: set[tuple[int, str]] = set()
        version = -1
        ranked: list[tuple[int, int]] = []
        scored: ScoredUnits | None = None
        ranker: Ranker | None = None
        pos = 0
        while True:
            self._refresh()
            if ranker is None or version != self.live.version:
                ranker, version, scored = self._corpus_scores()
                ranked = self._rank(ranker, scored, self._excluded(scored.units), order, min_score)
                pos = 0
            while pos < len(ranked):
                i, j = ranked[pos]
                key = (scored.units[i].segment_id, ranker.codes[j])
                if key not in shown:
                    break
                pos += 1
            if pos >= len(ranked):
                return
            i, j = ranked[pos]
            unit = scored.units[i]
            shown.add((unit.segment_id, ranker.codes[j]))
            yield Suggestion(
                unit.segment_id,
                unit.document,
                unit.start,
                unit.end,
                ranker.codes[j],
                float(scored.scores[i, j]),
                reason(ranker, scored, i, j),
            )

    def _rank(
        self,
        ranker: Ranker,
        scored: ScoredUnits,
        excluded: dict[int, set[str]],
        order: Order,
        min_score: float | None,
    ) -> list[tuple[int, int]]:
        floors = self._floors(ranker, min_score)
        scores = scored.scores
        mask = np.ones(scores.shape, dtype=bool)
        col = {c: j for j, c in enumerate(ranker.codes)}
        for i, u in enumerate(scored.units):
            if not u.worth_suggesting:
                mask[i, :] = False
            for code in excluded.get(u.segment_id, ()):
                if code in col:
                    mask[i, col[code]] = False
        if order == "confident":
            mask &= scores >= floors[None, :]
            key = -scores
        else:
            masked = np.where(mask, scores, -np.inf)
            top = np.argsort(-masked, axis=1)[:, :UNCERTAIN_PER_UNIT]
            keep = np.zeros(scores.shape, dtype=bool)
            np.put_along_axis(keep, top, True, axis=1)
            mask &= keep
            key = np.abs(scores - floors[None, :])
        ii, jj = np.nonzero(mask)
        order_idx = np.argsort(key[ii, jj], kind="stable")
        return [(int(ii[k]), int(jj[k])) for k in order_idx]

    def close(self) -> None:
        live = getattr(self, "live", None)
        if live is not None:
            live.settle()
        if self._owns_project:
            self.project.close()
