"""A stand-in for the TUI process, driven over stdin by tests/test_two_processes.py.

It opens the project the way the TUI does, loads the suggestion engine the way the TUI's
worker does (real model), keeps both open, and on command writes what the TUI writes: a
coding, a code made from the picker, a settled disagreement. `WORKBENCH_TEST_OLD_BUG=1`
re-creates the old fault (a plain open()/close() of the project file while connected) so
the test can show that its harness sees lost work.

Protocol: one command per line on stdin, one JSON line per reply on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(path: Path, coder: str) -> None:
    from workbench.analysis.disagreements import list_disagreements
    from workbench.services.code_edit import add_code
    from workbench.services.coding import add_coding
    from workbench.services.resolve import resolve
    from workbench.store.db import open_project
    from workbench.tui.suggestions import load_engine

    project = open_project(path)
    engine = load_engine(path, coder)
    with project.read() as conn:
        seg = conn.exec_driver_sql(
            "SELECT id FROM segments WHERE level = 'turn' ORDER BY id LIMIT 1"
        ).scalar_one()
    engine.for_segment(int(seg))
    if os.environ.get("WORKBENCH_TEST_OLD_BUG"):
        with open(path, "rb") as fh:  # what store/db.py used to do on every open
            fh.read(16)
    reply({"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "write":
            with project.begin() as conn:
                coding, created = add_coding(conn, "S01_receptionist", 0, 40, "hidden-work", coder)
            with project.begin() as conn:
                code = add_code(conn, "Made in the picker")
            with project.begin() as conn:
                todo = list_disagreements(conn, "coder-a", "difacto-team")[0]
                resolve(
                    conn,
                    todo.document,
                    todo.segment,
                    todo.code_id,
                    "coder-a",
                    "difacto-team",
                    "keep_both",
                    coder,
                )
            reply(
                {
                    "coding": coding.guid,
                    "created": created,
                    "code": code.id,
                    "resolved": [todo.document, todo.segment, todo.code_id],
                }
            )
        elif cmd == "fds":
            fd_dir = Path("/proc/self/fd")
            links = [os.readlink(p) for p in fd_dir.iterdir() if p.is_symlink()]
            reply({"fds": [x for x in links if str(path.name) in x]})
        elif cmd == "quit":
            engine.close()  # type: ignore[attr-defined]
            project.close()
            reply({"bye": True})
            return


def reply(data: object) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
