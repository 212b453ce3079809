"""The TUI's start-up reader (store/lite.py) and the project opened after it, with another
process writing to the same file: the TUI's reads stay whole.

Closing any descriptor of a SQLite file drops every POSIX lock the process holds on it. When
the project was opened while the start-up reader's connection was open, the open checked the
file's header by opening and closing it, so another process (the CLI in a second terminal)
found no other reader, checkpointed and reset the WAL under the TUI, whose next read failed
with "database disk image is malformed". Run for real, with subprocesses."""

from __future__ import annotations

from pathlib import Path

from proc_support import run_cli

from workbench.store.lite import reader_holds
from workbench.tui.project_handle import ProjectHandle

TURNS = (
    "Interviewer: How do you book?\nP01: By phone, mostly.\nInterviewer: And online?\nP01: No.\n"
)


def _documents(handle: ProjectHandle) -> list[str]:
    with handle.reading() as con:
        sql = "SELECT name FROM documents ORDER BY name"
        run = getattr(con, "exec_driver_sql", None) or con.execute
        return [r[0] for r in run(sql).fetchall()]


def test_reads_stay_whole_while_the_cli_writes_after_the_full_open(tmp_path: Path) -> None:
    project = tmp_path / "study.sqlite"
    for name in ("P01", "P02", "P03"):
        (tmp_path / f"{name}.txt").write_text(TURNS * 20, encoding="utf-8")
    r = run_cli(tmp_path, "import", "P01.txt", "P02.txt", "--project", project)
    assert r.returncode == 0, r.stderr
    handle = ProjectHandle(project)  # the start-up reader, as the TUI opens
    try:
        assert reader_holds(project)
        assert _documents(handle) == ["P01", "P02"]
        handle.open_fully(lambda _project: None)  # the full project, the reader handed over
        assert not reader_holds(project)
        sheet = tmp_path / "participants.csv"
        sheet.write_text("document,role\nP01,patient\nP03,staff\n", encoding="utf-8")
        for args in (("attributes", sheet), ("import", "P03.txt")):  # a second terminal
            r = run_cli(tmp_path, *args, "--project", project)
            assert r.returncode == 0, r.stderr
        assert _documents(handle) == ["P01", "P02", "P03"]
    finally:
        handle.close()
    assert not reader_holds(project)
