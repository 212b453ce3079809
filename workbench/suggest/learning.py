"""Keeping the ranker current: refits after each decision, in a background thread.

`LiveRanker` holds the ranker in use and a version number bumped with every new one. After
a decision, `retrain()` returns at once; a worker thread refits (repeatedly, while decisions
keep coming) and swaps the new ranker in. Readers either wait for the pending refit
(`current()`, so an answer reflects every decision) or take the ranker in place
(`current(wait=False)`). Once the refits have settled, `after_fit` runs in the same thread
(the engine re-scores the corpus there for the review queue), outside what `wait` waits for.
Before it, `refine` (the engine: self-training) may replace the ranker in place by a better
copy of it, also outside what `wait` waits for: a reader gets the plain refit as soon as it
is ready, the refined one a moment later (unless a newer decision came in meanwhile).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.suggest.ranker import Ranker


class LiveRanker:
    def __init__(
        self,
        fit: Callable[[], Ranker],
        *,
        background: bool = True,
        after_fit: Callable[[Ranker, int], None] | None = None,
        refine: Callable[[Ranker], Ranker | None] | None = None,
    ) -> None:
        self._fit = fit
        self.background = background
        self.after_fit = after_fit
        self.refine = refine
        self.refine_seconds = 0.0  # duration of the last refine
        self._ranker: Ranker | None = None
        self._version = 0
        self._cond = threading.Condition()
        self._dirty = False
        self._fitting = False
        self._thread: threading.Thread | None = None
        self._error: Exception | None = None
        self._fit_lock = threading.Lock()
        self.fit_seconds = 0.0  # duration of the last fit

    def fit_now(self) -> tuple[Ranker, int]:
        """Fit on the current store and put the result in place; (ranker, version)."""
        with self._fit_lock:
            t0 = time.perf_counter()
            ranker = self._fit()
            self.fit_seconds = time.perf_counter() - t0
            with self._cond:
                self._ranker = ranker
                self._version += 1
                return ranker, self._version

    def current(self, *, wait: bool = True) -> Ranker:
        """The ranker in use (fitted on first use); with wait, after any pending refit."""
        if wait:
            self.wait()
        with self._cond:
            ranker = self._ranker
        return ranker if ranker is not None else self.fit_and_refine()[0]

    def fit_and_refine(self) -> tuple[Ranker, int]:
        """Fit now, in this thread, and refine: without a worker thread at once (the ranker
        returned is the refined one), else in the worker (the plain fit is returned)."""
        ranker, version = self.fit_now()
        if self.refine is None:
            return ranker, version
        if not self.background:
            self._refined()
            return self.snapshot()
        with self._cond:  # a worker already running refines after its own refits
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="workbench-refit", daemon=True
                )
                self._thread.start()
        return ranker, version

    def _refined(self) -> None:
        """Replace the ranker in place by its refined copy (`refine`), unless a newer ranker
        or a decision came in while it was made."""
        with self._cond:
            ranker, version = self._ranker, self._version
        if self.refine is None or ranker is None:
            return
        t0 = time.perf_counter()
        better = self.refine(ranker)
        self.refine_seconds = time.perf_counter() - t0
        with self._cond:
            if better is not None and self._version == version and not self._dirty:
                self._ranker = better
                self._version += 1

    def snapshot(self) -> tuple[Ranker, int]:
        """The ranker in place and its version, read together (no waiting)."""
        self.current(wait=False)
        with self._cond:
            assert self._ranker is not None
            return self._ranker, self._version

    @property
    def version(self) -> int:
        return self._version

    @property
    def pending(self) -> bool:
        """A refit has been asked for and is not finished yet."""
        return self._fitting

    def retrain(self) -> None:
        """The store changed: refit (in the background unless background=False)."""
        if not self.background:
            self.fit_now()
            self._refined()
            if self.after_fit is not None:
                self.after_fit(*self.snapshot())
            return
        with self._cond:
            self._dirty = True
            self._fitting = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="workbench-refit", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._dirty:
                    self._fitting = False
                    self._cond.notify_all()
                    break
                self._dirty = False
            try:
                self.fit_now()
            except Exception as exc:  # kept for the next reader; the old ranker stays
                self._error = exc
        try:
            try:
                self._refined()
            except Exception as exc:  # kept for the next reader; the plain refit stays
                self._error = exc
            if self.after_fit is not None and self._ranker is not None:
                self.after_fit(*self.snapshot())
        finally:
            with self._cond:
                self._thread = None
                if self._dirty:  # a decision came in meanwhile: go again
                    self._thread = threading.Thread(
                        target=self._loop, name="workbench-refit", daemon=True
                    )
                    self._thread.start()

    def wait(self) -> None:
        """Block until pending refits are done; re-raise a refit's error once."""
        with self._cond:
            while self._fitting:
                self._cond.wait()
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def settle(self) -> None:
        """Block until the worker thread (refits and after_fit) has finished."""
        while True:
            with self._cond:
                thread = self._thread
            if thread is None:
                return
            thread.join()
