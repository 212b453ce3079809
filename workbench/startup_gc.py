"""The cyclic garbage collector at start-up: off while the program loads, on once it runs.

Starting `workbench tui` allocates some 300,000 objects that live as long as the process
(modules, classes, Textual's styles) and almost no garbage; the collector walked them about
250 times before the first frame (one full pass: 17-25 ms), 0.05-0.07 s of a 0.45 s start
on 2 cores. So `workbench` (cli.run) starts with the collector paused; a command turns it
back on before it does its work (cli.main), the TUI once its first frame is painted. On
resuming, what exists is frozen (`gc.freeze`: moved to a generation the collector never
walks again), so later full collections (in the middle of a coding, say) walk only what the
session itself made; `settle()` freezes once more after the project is open in full.

Only a pause made here is undone: a program that imports Workbench (the tests, a notebook)
keeps its collector as it is.
"""

from __future__ import annotations

import gc

_paused = False  # the collector was switched off by pause() and not yet resumed
_started_paused = False  # this process started paused (so settle() may freeze)


def pause() -> None:
    """Switch the collector off for the start-up (only if it is on)."""
    global _paused, _started_paused
    if gc.isenabled():
        gc.disable()
        _paused = _started_paused = True


def resume() -> None:
    """Freeze what start-up made and switch the collector back on, if pause() stopped it."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def settle() -> None:
    """After a late start-up step (the TUI's full open of the project): freeze again."""
    if _started_paused and not _paused:
        gc.freeze()
