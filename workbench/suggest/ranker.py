"""Rank codes for passages: zero-shot code profiles blended with a learner.

How a passage gets a score for a code:
1. Profile score (zero-shot, codebook only): cosine similarity of the passage's embedding to
   the code's texts - the mean of the best few example quotes / aliases / definition, mixed
   with the similarity to the definition itself, lowered when the passage is closer to the
   code's exclude note or to a passage the researcher rejected for that code, and mixed with
   the parent code's profile score.
2. Learner score: kernel ridge over word n-grams, character n-grams and embeddings (see
   `workbench.suggest.learner`), trained on the codebook's example quotes (so it works with
   no coded data) plus every labelled passage: applied codes are positives, rejected codes and
   codes a coded passage did not get are negatives.
3. raw = learner + w_c * profile, where w_c shrinks as the code gets more positives: a code
   with no examples relies on its definition, a code with many on what the researcher did.
4. Calibration (see `workbench.suggest.calibration`): per-code Platt curves and thresholds
   fitted on leave-one-out scores of the labelled passages (or of the codebook's examples
   when there are fewer than `min_calibration_rows` labelled passages).
5. Prior (see `workbench.suggest.priors`): curves fitted on the codebook's texts assume each
   code is as common as its share of those texts, curves fitted on coded passages as common
   as among them (a researcher codes examples of each theme: rare ones over-represented).
   Given unlabelled passages, each code's curve is moved so that it assumes instead the
   code's share among them (its mean score over them, one step of Saerens et al.'s prior
   correction), so common themes rank above rare ones. On coded passages the thresholds move
   with the curves, the shared part chosen again on the unlabelled passages.
6. Self-training (see `workbench.suggest.self_training`): with coded passages, uncoded ones
   the fitted ranker is sure about join the training rows as coded with the codes it is sure
   of, and the learner is fitted again; calibration stays on the real codings.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from workbench.suggest.calibration import Decisions, Platt, choose_decisions, decide, fit_platt
from workbench.suggest.learner import Features, Featurizer, RidgeFit, fit_kernel_ridge
from workbench.suggest.priors import (
    implied_base,
    prior_sample,
    prior_shift,
    shifted,
    shifted_decisions,
)
from workbench.suggest.profiles import CodeProfile
from workbench.suggest.reasons import reason
from workbench.suggest.self_training import rows_for

__all__ = ["Ranker", "RankerOptions", "prior_sample"]

Encode = Callable[[list[str]], np.ndarray]
SCORE_CHUNK = 1024  # passages scored per block (kernel block: chunk x training rows)
EXPLAIN_CACHE = 256  # texts whose explanation parts are kept (for the current fit)
EXPLAIN_BATCH = 64  # a scoring call of at most this many texts keeps their parts


@dataclass(frozen=True)
class RankerOptions:
    top_examples: int = 3  # profile score: mean of this many best-matching code texts
    definition_weight: float = 0.35  # ... mixed with the similarity to the definition
    parent_weight: float = 0.25  # share of the parent's profile score in a child's
    exclude_weight: float = 0.5  # penalty when closer to an exclude note / rejected passage
    ridge_lambda: float = 3.0  # learner regularisation
    char_weight: float = 1.0  # kernel weight of character n-grams (word n-grams: 1)
    emb_weight: float = 1.0  # kernel weight (as a scale) of the sentence embedding
    profile_weight: float = 0.5  # w_c for a code with no labelled positives
    profile_halflife: float = 50.0  # w_c halves when a code has this many positives
    platt_strength: float = 5.0  # pull of each code's calibration curve to the shared one
    threshold_shrink: float = 25.0  # positives at which a code's own threshold counts half
    min_calibration_rows: int = 30  # fewer labelled passages: calibrate on codebook examples
    offset_prior_rows: float = 10.0  # coded passages at which a code's own base rate counts half
    max_train_rows: int = 6000  # more labelled passages: a deterministic random subset
    # with fewer than min_calibration_rows labelled passages (calibration on the codebook):
    book_platt_strength: float = 100.0  # a code's 3-12 texts say little about its own curve
    book_profile_weight: float = 1.0  # w_c: the profile counts more with nothing coded
    prior_rows: float = 10.0  # pseudo-passages at the codebook's share when estimating priors
    max_prior_passages: int = 1000  # unlabelled passages used for the priors (evenly spaced)
    # self-training (workbench.suggest.self_training), with labelled passages only:
    pseudo_threshold: float = 0.7  # an uncoded passage this sure of a code joins as coded
    pseudo_per_labelled: float = 3.0  # at most this many such passages per labelled one
    max_pseudo_rows: int = 2000  # ... and at most this many in all
    max_pseudo_candidates: int = 3000  # uncoded passages scored to find them


@dataclass
class _Trained:
    texts: list[str]  # training rows: codebook rows first, then labelled passages
    kinds: list[str]  # "definition" / "example" / "alias" / "exclude" / "passage" / "pseudo"
    targets: np.ndarray  # (n, n_codes) +1 / -1 / nan
    featurizer: Featurizer
    features: Features
    ridge: RidgeFit
    profile_w: np.ndarray  # (n_codes,)
    platt: Platt
    decisions: Decisions
    n_labelled: int
    from_book: bool  # calibrated on the codebook's texts (too few coded passages)


class Ranker:
    def __init__(
        self,
        profiles: Sequence[CodeProfile],
        encode: Encode,
        options: RankerOptions | None = None,
    ) -> None:
        self.profiles = list(profiles)
        self.encode = encode
        self.options = options or RankerOptions()
        self.codes: list[str] = [p.code_id for p in self.profiles]
        index = {c: j for j, c in enumerate(self.codes)}
        self._index = index
        self._parent = np.array([index.get(p.parent_id or "", -1) for p in self.profiles])
        self._ptexts: list[tuple[str, str, int]] = [
            (kind, text, j)
            for j, p in enumerate(self.profiles)
            for kind, text in p.positive_texts()
        ]
        self._ntexts: list[tuple[str, int]] = [
            (text, j) for j, p in enumerate(self.profiles) for text in p.negative_texts()
        ]
        vecs = self._encode([t for _, t, _ in self._ptexts] + [t for t, _ in self._ntexts])
        self._pvecs = vecs[: len(self._ptexts)]
        self._powner = np.array([j for _, _, j in self._ptexts], dtype=np.int64)
        # each code's columns among the profile texts, found once (scoring one passage
        # would otherwise build a mask over every profile text for every code)
        self._pcols = [np.flatnonzero(self._powner == j) for j in range(len(self.codes))]
        self._pdef = np.full(len(self.codes), -1)
        for i, (kind, _, j) in enumerate(self._ptexts):
            if kind == "definition":
                self._pdef[j] = i
        self._base_neg = (vecs[len(self._ptexts) :], np.array([j for _, j in self._ntexts]))
        self._nvecs, self._nowner = self._base_neg
        self._trained: _Trained | None = None
        # what the last fit() learnt from, after its checks (self_trained() fits on it again)
        self._inputs: tuple[list[str], list[set[str]], list[set[str]], list[str]] = ([], [], [], [])
        # explain(): per text, (embedding, kernel row to the training rows, own profile),
        # for the current fit; a passage's reasons for its five codes share one entry
        self._explained: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # --- encoding and the profile (zero-shot) score -----------------------------------------

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim()), dtype=np.float32)
        vecs = np.asarray(self.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0)

    def _dim(self) -> int:
        pvecs = getattr(self, "_pvecs", None)
        return int(pvecs.shape[1]) if pvecs is not None and pvecs.size else 1

    def _own_profile(self, vecs: np.ndarray, mask_self: np.ndarray | None = None) -> np.ndarray:
        """(n, n_codes) similarity to each code's own texts (before parent and negatives)."""
        o = self.options
        sims = vecs @ self._pvecs.T if len(self._pvecs) else np.zeros((len(vecs), 0))
        if mask_self is not None:  # codebook rows must not match themselves
            rows = np.flatnonzero(mask_self >= 0)
            sims[rows, mask_self[rows]] = -1.0
        out = np.zeros((len(vecs), len(self.codes)))
        for j, where in enumerate(self._pcols):
            if len(where) == 0:
                continue
            cols = sims[:, where]
            k = min(o.top_examples, cols.shape[1])
            top = -np.sort(-cols, axis=1)[:, :k].mean(axis=1)
            d = self._pdef[j]
            out[:, j] = (1 - o.definition_weight) * top + o.definition_weight * sims[:, d]
        return out

    def _profile(
        self,
        vecs: np.ndarray,
        mask_self: np.ndarray | None = None,
        rejections: bool = True,
        own: np.ndarray | None = None,
    ) -> np.ndarray:
        """Profile scores; `rejections=False` leaves out the penalty for rejected passages;
        `own`: `_own_profile(vecs, mask_self)`, computed already."""
        o = self.options
        nvecs, nowner = (self._nvecs, self._nowner) if rejections else self._base_neg
        own = self._own_profile(vecs, mask_self) if own is None else own
        z = own.copy()
        has_parent = self._parent >= 0
        if has_parent.any():
            par = own[:, self._parent[has_parent]]
            z[:, has_parent] = (1 - o.parent_weight) * own[:, has_parent] + o.parent_weight * par
        if len(nvecs):
            nsims = vecs @ nvecs.T
            for j in np.unique(nowner):
                worst = nsims[:, nowner == j].max(axis=1)
                z[:, j] -= o.exclude_weight * np.maximum(0.0, worst - own[:, j])
        return z

    # --- learning ----------------------------------------------------------------------------

    def _targets(self, positives: Sequence[set[str]], negatives: Sequence[set[str]]) -> np.ndarray:
        n_codes = len(self.codes)
        rows = []
        for _, _, j in self._ptexts:  # a code's own text: positive for it, negative else
            t = np.full(n_codes, -1.0)
            t[j] = 1.0
            rows.append(t)
        for _, j in self._ntexts:  # an exclude note: negative for its code only
            t = np.full(n_codes, np.nan)
            t[j] = -1.0
            rows.append(t)
        for pos, neg in zip(positives, negatives, strict=True):
            pos_idx = [self._index[c] for c in pos if c in self._index]
            t = np.full(n_codes, -1.0 if pos_idx else np.nan)
            t[pos_idx] = 1.0
            t[[self._index[c] for c in neg if c in self._index and c not in pos]] = -1.0
            rows.append(t)
        return np.array(rows).reshape(len(rows), n_codes)

    def fit(
        self,
        texts: list[str],
        positives: list[set[str]],
        negatives: list[set[str]] | None = None,
        unlabelled: Sequence[str] = (),
        uncoded: Sequence[str] = (),
    ) -> None:
        """Learn from labelled passages (none: zero-shot from the codebook alone).

        `unlabelled`: passages of the same kind as those to be scored, labels unknown (a
        project's passages; coded ones among them count with their held-out scores): they
        set how common each code is (step 5 of the module docstring). `uncoded`: passages
        known to carry no coding at all (not a part of a coded one either); with coded
        passages to learn from, those it is sure about are learnt from too (step 6,
        `workbench.suggest.self_training`)."""
        o = self.options
        negatives = negatives if negatives is not None else [set() for _ in texts]
        if not len(texts) == len(positives) == len(negatives):
            raise ValueError("texts, positives and negatives must have the same length")
        keep = [i for i in range(len(texts)) if texts[i].strip() and (positives[i] or negatives[i])]
        if len(keep) > o.max_train_rows:
            rng = np.random.default_rng(0)
            keep = sorted(rng.choice(keep, size=o.max_train_rows, replace=False).tolist())
        texts = [texts[i] for i in keep]
        positives = [positives[i] for i in keep]
        negatives = [negatives[i] for i in keep]
        self._fit_rows(texts, positives, negatives, unlabelled, [])
        self._inputs = (texts, positives, negatives, list(unlabelled))
        pseudo = rows_for(self, uncoded)
        if pseudo:
            self._fit_rows(texts, positives, negatives, unlabelled, pseudo)

    def self_trained(self, uncoded: Sequence[str]) -> Ranker | None:
        """A copy of this fitted ranker fitted again with the `uncoded` passages it is sure
        about (what `fit(uncoded=)` does in one go); None when there are none to add (nothing
        coded, or nothing sure). This ranker is left as it is: the engine keeps answering
        with it while the copy is fitted."""
        pseudo = rows_for(self, uncoded)
        if not pseudo:
            return None
        twin = copy.copy(self)
        twin._fit_rows(*self._inputs, pseudo)
        return twin

    def _fit_rows(
        self,
        texts: list[str],
        positives: list[set[str]],
        negatives: list[set[str]],
        unlabelled: Sequence[str],
        pseudo: list[tuple[str, set[str]]],
    ) -> None:
        """Fit on the labelled passages and the self-training rows `pseudo`, which are
        learnt from but left out of calibration and of the reasons."""
        o = self.options
        n_real = len(texts)
        texts = texts + [t for t, _ in pseudo]
        positives = positives + [c for _, c in pseudo]
        negatives = negatives + [set() for _ in pseudo]
        vecs = self._encode(texts)
        # rejected passages join the exclude notes as negative texts of their codes
        rej = [
            (i, self._index[c]) for i, neg in enumerate(negatives) for c in neg if c in self._index
        ]
        base_vecs, base_owner = self._base_neg
        self._nvecs = np.vstack([base_vecs, vecs[[i for i, _ in rej]]]) if rej else base_vecs
        self._nowner = np.concatenate([base_owner, [j for _, j in rej]]).astype(np.int64)

        n_book = len(self._ptexts) + len(self._ntexts)
        all_texts = [t for _, t, _ in self._ptexts] + [t for t, _ in self._ntexts] + texts
        kinds = [k for k, _, _ in self._ptexts] + ["exclude"] * len(self._ntexts)
        kinds += ["passage"] * n_real + ["pseudo"] * len(pseudo)
        all_vecs = np.vstack([self._pvecs, self._base_neg[0], vecs]).astype(np.float32)
        targets = self._targets(positives, negatives)
        featurizer = Featurizer(o.char_weight, o.emb_weight)
        feats = featurizer.fit_transform(all_texts, all_vecs)
        ridge = fit_kernel_ridge(
            featurizer.kernel(feats, feats), targets, o.ridge_lambda, self._offset(targets, n_book)
        )

        n_pos = (targets[n_book:] == 1).sum(axis=0)
        labelled = np.flatnonzero(~np.isnan(targets[n_book:]).all(axis=1)) + n_book
        labelled = labelled[labelled < n_book + n_real]  # calibrated on real codings only
        full = [i for i in labelled if not np.isnan(targets[i]).any()]
        from_book = len(full) < o.min_calibration_rows
        weight = o.book_profile_weight if from_book else o.profile_weight
        profile_w = weight * o.profile_halflife / (o.profile_halflife + n_pos)
        if not from_book:
            rows = np.array(labelled)
            z = self._profile(all_vecs[rows], rejections=False)
            t = targets[rows]
        else:  # calibrate on the codebook's own texts, each scored without itself
            rows = np.arange(len(self._ptexts))
            z = self._profile(self._pvecs, mask_self=rows, rejections=False)
            t = targets[rows].copy()
            # a code's own text says little once left out, unless the code has 3+ texts
            n_texts = np.bincount(self._powner, minlength=len(self.codes))
            thin = n_texts[self._powner] < 3
            t[np.flatnonzero(thin), self._powner[thin]] = np.nan
        raw = ridge.loo[rows] + profile_w * z
        known = ~np.isnan(t)
        strength = o.book_platt_strength if from_book else o.platt_strength
        platt = fit_platt(raw, t == 1, known, strength)
        full_mask = known.all(axis=1)
        decisions = choose_decisions(platt(raw[full_mask]), t[full_mask] == 1, o.threshold_shrink)
        self._explained = {}
        self._trained = _Trained(
            texts=all_texts,
            kinds=kinds,
            targets=targets,
            featurizer=featurizer,
            features=feats,
            ridge=ridge,
            profile_w=profile_w,
            platt=platt,
            decisions=decisions,
            n_labelled=n_real,
            from_book=from_book,
        )
        sample = prior_sample(unlabelled, o.max_prior_passages)
        if sample and from_book:
            self._trained.platt = self._with_prior(platt, t, sample)
        elif sample:
            held_out = dict(zip([all_texts[i] for i in rows], raw, strict=True))
            self._trained.platt, self._trained.decisions = self._with_trained_prior(
                platt, decisions, (raw, known, t[full_mask] == 1), sample, held_out
            )

    def _with_prior(self, platt: Platt, t: np.ndarray, sample: list[str]) -> Platt:
        """`platt` moved from each code's share of the calibration rows `t` to its estimated
        share of the unlabelled passages `sample` (a shift of the curve's intercept).

        Unchanged when no calibration row is positive for its code (a theme list: each code
        has its name only, left out when scored): the curves then assume no share at all."""
        known = ~np.isnan(t)
        pos = (t == 1) & known
        if not pos.any():
            return platt
        probs = platt(self._raw(sample))
        pooled = pos.sum() / max(int(known.sum()), 1)  # the shared curve's share
        n_pos = pos.sum(axis=0)
        base = np.where(n_pos > 0, n_pos / np.maximum(known.sum(axis=0), 1), pooled)
        return shifted(platt, prior_shift(probs, base, self.options.prior_rows))

    def _with_trained_prior(
        self,
        platt: Platt,
        decisions: Decisions,
        calibration: tuple[np.ndarray, np.ndarray, np.ndarray],
        sample: list[str],
        held_out: dict[str, np.ndarray],
    ) -> tuple[Platt, Decisions]:
        """Curves fitted on coded passages moved from the share of each code they assume
        (`calibration`: their held-out raw scores, which are labelled, and the fully labelled
        rows' labels) to its share among `sample`, and thresholds moved with them.

        A passage of `sample` that is a coded one (`held_out`: its held-out raw score) counts
        as one at the assumed share (coded passages are what the curves were fitted on), so
        when every passage is coded nothing moves."""
        raw, known, labels = calibration
        fresh = [t for t in sample if t not in held_out]
        if not fresh:
            return platt, decisions
        base = implied_base(platt(raw), known)
        scores = self._raw(fresh)
        n_coded = len(sample) - len(fresh)
        shift = prior_shift(platt(scores), base, self.options.prior_rows + n_coded)
        moved = shifted(platt, shift)
        coded = np.array([held_out[t] for t in sample if t in held_out]).reshape(
            -1, len(self.codes)
        )
        pool = moved(np.vstack([scores, coded]))
        support = labels.sum(axis=0).astype(np.float64)
        share = len(fresh) / len(sample)
        o = self.options
        return moved, shifted_decisions(decisions, shift, support, o.threshold_shrink, pool, share)

    def _offset(self, targets: np.ndarray, n_book: int) -> np.ndarray:
        """Each code's score for a passage unlike any training row: its share among the coded
        passages, shrunk to one value shared by all codes (how many examples the codebook
        happens to give a code says nothing about how often it applies)."""
        shared = float(np.nanmean(targets[: len(self._ptexts)])) if n_book else -1.0
        passages = targets[n_book:]
        known = ~np.isnan(passages)
        total = np.where(known, passages, 0.0).sum(axis=0)
        m = self.options.offset_prior_rows
        return (total + m * shared) / (known.sum(axis=0) + m)

    # --- scoring -----------------------------------------------------------------------------

    def _parts(
        self, texts: list[str], vecs: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(kernel to training rows, learner score, profile score) for new passages. A few
        texts (one passage and its sentences, as the TUI asks) leave their parts for
        explain(), which then computes nothing again."""
        tr = self._require()
        vecs = self._encode(texts) if vecs is None else vecs
        kern = tr.featurizer.kernel(tr.featurizer.transform(texts, vecs), tr.features)
        learner = kern @ tr.ridge.dual + tr.ridge.offset
        own = self._own_profile(vecs)
        if len(texts) <= EXPLAIN_BATCH:
            for text, vec, row, mine in zip(texts, vecs, kern, own, strict=True):
                self._remember(text, (vec, row, mine))
        return kern, learner, self._profile(vecs, own=own)

    def _raw(self, texts: list[str]) -> np.ndarray:
        """(len(texts), n_codes) the blend the calibration curves map: learner + w_c profile."""
        _, learner, profile = self._parts(texts)
        return learner + self._require().profile_w * profile

    def _require(self) -> _Trained:
        if self._trained is None:  # not fitted yet: zero-shot, from the codebook alone
            self.fit([], [])
        assert self._trained is not None
        return self._trained

    @property
    def thresholds(self) -> np.ndarray:
        """(n_codes,) per-code decision thresholds on the score, calibrated by fit() (0.5
        for a code never contrasted with anything, whose score is a plain similarity)."""
        tr = self._require()
        return np.where(self._no_negatives(tr), 0.5, tr.decisions.thresholds)

    def score(self, texts: list[str]) -> np.ndarray:
        """(len(texts), len(codes)) calibrated scores in [0, 1]."""
        if not texts:
            return np.zeros((0, len(self.codes)))
        tr = self._require()
        texts = list(texts)
        out = np.zeros((len(texts), len(self.codes)))
        blind = self._no_negatives(tr)
        for lo in range(0, len(texts), SCORE_CHUNK):  # bounded memory for the kernel rows
            _, learner, profile = self._parts(texts[lo : lo + SCORE_CHUNK])
            block = tr.platt(learner + tr.profile_w * profile)
            # a code never contrasted with anything (a one-code codebook, say) would score
            # near 1 everywhere: show its plain similarity to the codebook's texts instead
            block[:, blind] = np.clip(profile[:, blind], 0.0, 1.0)
            out[lo : lo + SCORE_CHUNK] = block
        return out

    @staticmethod
    def _no_negatives(tr: _Trained) -> np.ndarray:
        """(n_codes,) True for codes with no negative training row at all."""
        return ~(tr.targets == -1).any(axis=0)

    def predict(self, texts: list[str], scores: np.ndarray | None = None) -> np.ndarray:
        """(len(texts), len(codes)) booleans: the codes the ranker would apply."""
        tr = self._require()
        probs = self.score(texts) if scores is None else scores
        return decide(probs, self.thresholds, tr.decisions.force_top1)

    @property
    def self_training_rows(self) -> int:
        """Uncoded passages the current fit learnt from (self-training)."""
        return self._require().kinds.count("pseudo")

    @property
    def calibrated_on_passages(self) -> bool:
        """True once enough coded passages were learnt from to calibrate on them (whole
        passages, so long units are scored mostly from their whole text: see
        `workbench.suggest.scoring`)."""
        return not self._require().from_book

    @property
    def force_top1(self) -> bool:
        return self._require().decisions.force_top1

    # --- explanations (workbench.suggest.reasons) ---------------------------------------------

    def explain(self, text: str, code_id: str) -> str:
        """A short reason: the nearest coded passage or codebook text, or the parent code."""
        return reason(self, text, code_id)

    def _remember(self, text: str, parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        if len(self._explained) >= EXPLAIN_CACHE:
            self._explained.clear()
        self._explained[text] = parts
