"""`workbench tui` in a real terminal: seconds from starting the command to the first
document row on screen. The program runs on a pseudo-terminal (120x40) with its real
driver, and the time is taken when its output first holds the first document's name, so
Python's start, the CLI, the app and writing the frame are all in it.

    python benchmarks/terminal_start.py PROJECT [--runs N]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import signal
import sqlite3
import statistics
import struct
import sys
import time
from pathlib import Path

WORKBENCH = Path(sys.executable).with_name("workbench")


def first_name(project: Path) -> str:
    """What the first row shows of the first document by name (at most 12 characters:
    a long name is cut with … on screen)."""
    con = sqlite3.connect(project)
    try:
        (name,) = con.execute("SELECT name FROM documents ORDER BY name LIMIT 1").fetchone()
    finally:
        con.close()
    return str(name)[:12]


def once(project: Path, needle: bytes, timeout: float = 30.0) -> float:
    import fcntl
    import termios

    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command as a researcher types it
        os.environ.update(TERM="xterm-256color", WORKBENCH_CODER="bench")
        os.execv(WORKBENCH, [str(WORKBENCH), "tui", "--project", str(project)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen, found = b"", None
    try:
        while found is None and time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                seen += os.read(fd, 1 << 16)
            except OSError:  # the program ended
                break
            if needle in seen:
                found = time.perf_counter() - t0
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if found is None:
        raise RuntimeError(f"no document row on screen within {timeout:.0f} s: {seen[-300:]!r}")
    return found


def terminal_home(project: Path, runs: int) -> float:
    """Median seconds to the first document row, over `runs` starts."""
    needle = first_name(project).encode()
    return statistics.median(once(project, needle) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{terminal_home(args.project, args.runs):.3f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
