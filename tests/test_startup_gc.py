"""The collector pause at start-up (workbench/startup_gc.py): `workbench` turns it off while
it loads and back on before a command works (the TUI: once painted, tests/test_tui_fast_start),
and never touches a collector it did not switch off."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, sys
from workbench import startup_gc
{before}
startup_gc.pause()
from workbench.cli import main
code = main({args})
print(gc.isenabled(), gc.get_freeze_count() > 0, code)
"""


def run(args: list[str], before: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(before=before, args=args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_command_runs_with_the_collector_on() -> None:
    assert run(["--help"]) == "True True 0"
    assert run(["keys"]) == "True True 0"


def test_a_collector_switched_off_elsewhere_stays_off() -> None:
    assert run(["--help"], before="gc.disable()") == "False False 0"
