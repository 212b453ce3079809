"""Embedding the corpus in the background, after the current passage has its suggestions.

Lowest priority (the thread is niced where the OS allows it), cancellable between blocks,
and resumable: every block of vectors is written to the store's cache in its own
transaction, so the next run (or review mode, or search by meaning) starts from what is
already there. Best effort: an error stops it quietly; whoever needs the vectors embeds
what is missing with a progress bar.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def lower_priority() -> None:
    """Make the calling thread yield the CPU to the interface (Linux: per-thread nice)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        pass


def embed_in_background(engine: Any, cancelled: Callable[[], bool]) -> bool:
    """Fill the engine's cache with every text suggestions need; False when cancelled or
    when the engine has no cache to fill (a stand-in engine in tests, say)."""
    encoder = getattr(engine, "encoder", None)
    needed = getattr(engine, "needed_texts", None)
    if encoder is None or needed is None or not hasattr(encoder, "fill"):
        return False
    lower_priority()
    try:
        return bool(encoder.fill(needed(), cancelled=cancelled))
    except Exception as exc:  # the project closed under it, a model error: stop quietly
        if not cancelled():
            log.warning("background embedding stopped: %s", exc)
        return False
