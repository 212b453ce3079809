"""Typed messages that carry thread-worker results up to the screen that asked for them
("attributes down, messages up"): workers never call into widgets directly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # types only: importing this module must stay cheap (start-up time)
    from workbench.services.merge_review import MergeReview
    from workbench.services.segment_hits import SegmentHit
    from workbench.suggest.suggestion import Suggestion


class WorkerStatus(Message):
    """A line of progress text from a worker (model loading, embedding, errors)."""

    def __init__(self, text: str, done: bool = False) -> None:
        super().__init__()
        self.text = text
        self.done = done  # the worker has stopped (e.g. with an error)


class WorkerProgress(Message):
    """`done` of `total` units embedded."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class SuggestionsReady(Message):
    """The engine's suggestions for one segment."""

    def __init__(self, segment_id: int, items: list[Suggestion], preliminary: bool = False) -> None:
        super().__init__()
        self.segment_id = segment_id
        self.items = items
        self.preliminary = preliminary  # from the codebook alone; the learned answer follows


class QueueReady(Message):
    """The review queue, ready to show (the corpus is embedded)."""

    def __init__(self, queue: Iterator[Suggestion]) -> None:
        super().__init__()
        self.queue = queue


class HitsReady(Message):
    """Passages found by a meaning search, best first."""

    def __init__(self, hits: list[SegmentHit], summary: str, partial: bool = False) -> None:
        super().__init__()
        self.hits = hits
        self.summary = summary
        self.partial = partial  # a first answer: more passages are being embedded


class WorkerFailed(Message):
    """A worker stopped with an error (shown by the screen, reported by the app)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class MergeReady(Message):
    """The merge engine's proposals, ready to review."""

    def __init__(self, review: MergeReview) -> None:
        super().__init__()
        self.review = review
