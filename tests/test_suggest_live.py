"""LiveRanker: refits in a thread, and the refined copy (self-training) that no reader waits
for. Plain objects stand in for rankers: LiveRanker only passes them around."""

from __future__ import annotations

import threading
from typing import Any

from workbench.suggest.learning import LiveRanker


class Fits:
    """fit() returns ("plain", n); refine() returns ("refined", n), optionally held back."""

    def __init__(self) -> None:
        self.n = 0
        self.hold = threading.Event()
        self.hold.set()
        self.refining = threading.Event()

    def fit(self) -> Any:
        self.n += 1
        return ("plain", self.n)

    def refine(self, ranker: Any) -> Any:
        self.refining.set()
        assert self.hold.wait(10)
        return ("refined", ranker[1])


def test_without_a_thread_the_refined_ranker_is_in_place_at_once() -> None:
    fits = Fits()
    seen: list[Any] = []
    live = LiveRanker(
        fits.fit, background=False, refine=fits.refine, after_fit=lambda r, v: seen.append(r)
    )
    assert live.current() == ("refined", 1)
    live.retrain()
    assert live.current() == ("refined", 2) and live.version == 4
    assert seen == [("refined", 2)]  # after_fit sees the refined one


def test_readers_do_not_wait_for_the_refine() -> None:
    fits = Fits()
    live = LiveRanker(fits.fit, background=True, refine=fits.refine)
    fits.hold.clear()
    assert live.current() == ("plain", 1)  # first answer: the plain fit, refine behind it
    assert fits.refining.wait(10)
    live.retrain()  # a decision while the refine runs: that refine is not used
    fits.hold.set()
    live.settle()
    assert live.current() == ("refined", 2)
    fits.hold.clear()
    fits.refining.clear()
    live.retrain()
    live.wait()  # the plain refit is what wait() waits for ...
    assert fits.refining.wait(10) and live.current() == ("plain", 3)
    fits.hold.set()  # ... the refined copy comes after it
    live.settle()
    assert live.current() == ("refined", 3)


def test_no_refined_copy_keeps_the_plain_fit() -> None:
    live = LiveRanker(lambda: ("plain", 1), background=False, refine=lambda r: None)
    assert live.current() == ("plain", 1) and live.version == 1


def test_fit_and_refine_refines_at_once_or_in_the_worker() -> None:
    fits = Fits()
    now = LiveRanker(fits.fit, background=False, refine=fits.refine)
    assert now.fit_and_refine() == (("refined", 1), 2)
    fits = Fits()
    later = LiveRanker(fits.fit, background=True, refine=fits.refine)
    fits.hold.clear()
    assert later.fit_and_refine() == (("plain", 1), 1)
    fits.hold.set()
    later.settle()
    assert later.current() == ("refined", 1)
