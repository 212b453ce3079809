"""Output paths can never destroy anything (issue #10), through the real entry point.

Every command that takes an output path, times every bad target: exit 2, one line on
stderr, the target unchanged (bytes, inode, type), no new file in the folder. Then what a
good target gets: symlink write-through, the umask, a kept mode, stale temp files swept,
`-o -` to stdout.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES
from tui_project import build_project

from workbench.errors import WorkbenchError

CORE = FIXTURES / "core"
Args = Callable[[str, Path], tuple[object, ...]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two interviews, six codes, codings by alice and one by bob (built once, copied)."""
    from workbench.services.coding import add_coding
    from workbench.store.db import open_project

    path = build_project(tmp_path_factory.mktemp("template") / "p.sqlite")
    project = open_project(path)
    try:
        with project.begin() as conn:
            add_coding(conn, "staff_s1", 0, 20, "Hidden work", "bob")
    finally:
        project.close()
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    p = tmp_path / "p.sqlite"
    shutil.copyfile(template, p)
    return p


@pytest.fixture
def books(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "inputs"
    folder.mkdir()
    a, b = folder / "a.yaml", folder / "b.yaml"
    shutil.copyfile(CORE / "codebook.yaml", a)
    shutil.copyfile(CORE / "codebook.yaml", b)
    return a, b


def _merge(*extra: object) -> Args:
    def args(out: str, tmp: Path) -> tuple[object, ...]:
        inputs = tmp / "inputs"
        return ("codebook", "merge", inputs / "a.yaml", inputs / "b.yaml", *extra, out)

    return args


def _merge_report(out: str, tmp: Path) -> tuple[object, ...]:
    inputs = tmp / "inputs"
    good = inputs / "merged.yaml"  # a fine -o: must not be written either
    a, b = inputs / "a.yaml", inputs / "b.yaml"
    return ("codebook", "merge", a, b, "--no-meaning", "-o", good, "--report", out)


# The project is given before the command name, so every command (merge too) sees it.
OWN_COMMANDS: dict[str, Args] = {
    "export excerpts": lambda out, tmp: ("export", "excerpts", "-o", out),
    "export qdpx": lambda out, tmp: ("export", "qdpx", "-o", out),
    "codebook export yaml": lambda out, tmp: ("codebook", "export", "--format", "yaml", "-o", out),
    "codebook export md": lambda out, tmp: ("codebook", "export", "--format", "md", "-o", out),
    "codebook export qdc": lambda out, tmp: ("codebook", "export", "--format", "qdc", "-o", out),
    "codebook merge -o": _merge("--no-meaning", "-o"),
    "codebook merge --report": _merge_report,
    "codebook merge --plan": _merge("--no-meaning", "--plan"),
    "agreement --disagreements": lambda out, tmp: (
        "agreement",
        "--coder",
        "alice",
        "--coder",
        "bob",
        "--disagreements",
        out,
    ),
}
OTHER_COMMANDS: dict[str, Args] = {  # analysis commands: their writers share the guard
    "matrix": lambda out, tmp: ("matrix", "--rows", "code", "--cols", "document", "-o", out),
    "cooccurrence": lambda out, tmp: ("cooccurrence", "-o", out),
    "report": lambda out, tmp: ("report", "-o", out),
    "chart": lambda out, tmp: ("chart", "frequency", "-o", out),
}
PROJECT_COMMANDS = {
    k for k in OWN_COMMANDS if not k.startswith("codebook merge")
}  # those that pass their own project to the guard (merge has none)

TARGETS = [
    "the project (absolute)",
    "the project (relative)",
    "the project by a symlink",
    "the project by a hard link",
    "the project's -wal file",
    "another SQLite file",
    "a folder",
    "a FIFO",
    "a device (/dev/null)",
    "an empty path",
    "a missing folder",
    "a name ending in /",
    "a read-only folder",
    "a read-only file",
    "a symlink loop",
]
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _make_target(what: str, tmp: Path, project: Path) -> str:
    if what == "the project (absolute)":
        return str(project)
    if what == "the project (relative)":
        return project.name  # the test runs in tmp
    if what == "the project by a symlink":
        (tmp / "link.csv").symlink_to(project)
        return str(tmp / "link.csv")
    if what == "the project by a hard link":
        os.link(project, tmp / "hard.csv")
        return str(tmp / "hard.csv")
    if what == "the project's -wal file":
        return f"{project}-wal"
    if what == "another SQLite file":
        shutil.copyfile(project, tmp / "other.sqlite")
        return str(tmp / "other.sqlite")
    if what == "a folder":
        (tmp / "folder.csv").mkdir()
        return str(tmp / "folder.csv")
    if what == "a FIFO":
        os.mkfifo(tmp / "pipe.csv")
        return str(tmp / "pipe.csv")
    if what == "a device (/dev/null)":
        return "/dev/null"
    if what == "an empty path":
        return ""
    if what == "a missing folder":
        return str(tmp / "nowhere" / "out.csv")
    if what == "a name ending in /":
        return f"{tmp / 'newdir'}/"
    if what == "a read-only folder":
        (tmp / "ro").mkdir()
        (tmp / "ro").chmod(0o555)
        return str(tmp / "ro" / "out.csv")
    if what == "a read-only file":
        (tmp / "kept.csv").write_text("keep me\n", encoding="utf-8")
        (tmp / "kept.csv").chmod(0o444)
        return str(tmp / "kept.csv")
    if what == "a symlink loop":
        (tmp / "loop1.csv").symlink_to(tmp / "loop2.csv")
        (tmp / "loop2.csv").symlink_to(tmp / "loop1.csv")
        return str(tmp / "loop1.csv")
    raise AssertionError(what)


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Every entry under `folder` by lstat (never opening a FIFO): type, inode, size, bytes."""
    out: dict[str, tuple[int, int, int, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = os.lstat(p)
            data = p.read_bytes() if stat.S_ISREG(st.st_mode) else None
            out[str(p.relative_to(folder))] = (stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, data)
    return out


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for p in (tmp_path / "ro", tmp_path / "kept.csv"):
        if p.exists():
            p.chmod(0o755)


def _cases() -> list[object]:
    cases = []
    for cmd in [*OWN_COMMANDS, *OTHER_COMMANDS]:
        for what in TARGETS:
            if what.startswith("a read-only") and ROOT:
                continue  # root writes through permissions: nothing to refuse, not a skip
            if what == "the project's -wal file" and cmd not in PROJECT_COMMANDS:
                continue  # only a command that has a project knows its side files by name
            cases.append(pytest.param(cmd, what, id=f"{cmd}|{what}"))
    return cases


@pytest.mark.parametrize(("cmd", "what"), _cases())
def test_bad_target_is_refused(
    cli, project: Path, books, in_tmp: Path, cmd: str, what: str
) -> None:
    target = _make_target(what, in_tmp, project)
    before = _snapshot(in_tmp)
    dev_before = os.stat("/dev/null")
    args = {**OWN_COMMANDS, **OTHER_COMMANDS}[cmd](target, in_tmp)
    r = cli("-p", project, *args)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert _snapshot(in_tmp) == before  # target, project and folder exactly as they were
    dev_after = os.stat("/dev/null")
    assert stat.S_ISCHR(dev_after.st_mode)
    assert (dev_after.st_ino, dev_after.st_mode) == (dev_before.st_ino, dev_before.st_mode)


def test_refusals_name_the_path_and_the_reason(cli, project: Path, tmp_path: Path) -> None:
    def err(target: object) -> str:
        r = cli("export", "excerpts", "-o", target, "-p", project)
        assert r.code == 2
        return r.err.strip()

    assert (
        err(project)
        == f"{project}: is the project (or one of its files); refusing to write over it"
    )
    (tmp_path / "d").mkdir()
    assert "is a folder" in err(tmp_path / "d")
    assert "named pipe" in err(_fifo(tmp_path / "f"))
    assert "is a device" in err("/dev/null")
    assert "output path is empty" in err("")
    assert "does not exist" in err(tmp_path / "no" / "x.csv")
    other = tmp_path / "o.sqlite"
    shutil.copyfile(project, other)
    assert "SQLite database" in err(other)


def _fifo(p: Path) -> Path:
    os.mkfifo(p)
    return p


def test_an_open_project_is_never_opened_to_read_its_header(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing any descriptor of an open SQLite file drops the process's locks on it."""
    from workbench import fsutil
    from workbench.services.excerpts import excerpts, write_excerpts_csv
    from workbench.store.db import open_project

    opened: list[str] = []
    real_open = open

    def spy(file, *a, **k):  # type: ignore[no-untyped-def]
        opened.append(os.path.realpath(file))
        return real_open(file, *a, **k)

    link = tmp_path / "alias.csv"
    link.symlink_to(project)
    proj = open_project(project)
    try:
        with proj.read() as conn:
            rows = excerpts(conn)
        monkeypatch.setattr(fsutil, "open", spy, raising=False)
        for target in (project, link, Path(os.path.relpath(project))):
            with pytest.raises(WorkbenchError, match="is the project"):
                write_excerpts_csv(rows, target)  # the TUI's path: no project given
        assert str(project.resolve()) not in opened
        assert not list(tmp_path.glob(".*.tmp"))
    finally:
        proj.close()


def test_symlink_is_written_through(cli, project: Path, tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "excerpts.csv"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    for args in (("export", "excerpts", "-o", link), ("export", "qdpx", "-o", link)):
        r = cli(*args, "-p", project)
        assert r.code == 0, r.err
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert real.stat().st_mode & 0o777 == 0o640  # the real file keeps its mode
        assert not list(real_dir.glob(".*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    assert real.read_bytes().startswith(b"PK")  # the last one written was the archive


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_files_honour_the_umask(
    cli, project: Path, books, tmp_path: Path, umask: int, mode: int
) -> None:
    a, b = books
    old = os.umask(umask)
    try:
        outs = {
            "x.csv": ("export", "excerpts", "-o", tmp_path / "x.csv"),
            "x.qdpx": ("export", "qdpx", "-o", tmp_path / "x.qdpx"),
            "cb.qdc": ("codebook", "export", "-o", tmp_path / "cb.qdc"),
            "m.yaml": ("codebook", "merge", a, b, "--no-meaning", "-o", tmp_path / "m.yaml"),
        }
        for name, args in outs.items():
            r = cli("-p", project, *args)
            assert r.code == 0, r.err
            assert (tmp_path / name).stat().st_mode & 0o777 == mode, name
    finally:
        os.umask(old)


def test_an_existing_file_keeps_its_mode(cli, project: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o660)
    assert cli("export", "excerpts", "-o", out, "-p", project).code == 0
    assert out.stat().st_mode & 0o777 == 0o660 and out.read_text().startswith("document,")


def test_stale_temp_files_are_swept(cli, project: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    names = {
        "stale": ".x.csv.abcd1234.tmp",
        "fresh": ".x.csv.efgh5678.tmp",
        "other target": ".y.csv.abcd1234.tmp",
        "not our pattern": ".x.csv.abcd1234.bak",
        "a folder": ".x.csv.dir.tmp",
    }
    paths = {k: tmp_path / v for k, v in names.items()}
    for key, p in paths.items():
        if key == "a folder":
            p.mkdir()
        else:
            p.write_text("partial", encoding="utf-8")
        if key != "fresh":
            os.utime(p, (0, 0))
    assert cli("export", "excerpts", "-o", out, "-p", project).code == 0
    assert not paths["stale"].exists()
    assert all(p.exists() for k, p in paths.items() if k != "stale")


def test_a_failed_write_leaves_no_temp_and_the_target_unchanged(tmp_path: Path) -> None:
    from workbench.fsutil import atomic_write

    out = tmp_path / "x.csv"
    out.write_text("before\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_write(out) as fh:
        fh.write("half")
        raise RuntimeError("killed")
    assert out.read_text(encoding="utf-8") == "before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_dash_writes_to_stdout(cli, project: Path, books, tmp_path: Path) -> None:
    a, b = books
    cases: list[tuple[tuple[object, ...], str]] = [
        (("export", "excerpts"), "x.csv"),
        (("codebook", "export"), "cb.yaml"),  # -o - without --format: YAML
        (("codebook", "export", "--format", "md"), "cb.md"),
        (("codebook", "export", "--format", "qdc"), "cb.qdc"),
        (("codebook", "merge", a, b, "--no-meaning"), "m.yaml"),
        (("agreement", "--coder", "alice", "--coder", "bob", "--disagreements"), "d.csv"),
    ]
    for prefix, name in cases:
        flag = () if prefix[0] == "agreement" else ("-o",)
        to_file = cli("-p", project, *prefix, *flag, tmp_path / name)
        assert to_file.code == 0, to_file.err
        to_out = cli("-p", project, *prefix, *flag, "-")
        assert to_out.code == 0, to_out.err
        expected = (tmp_path / name).read_bytes().decode("utf-8")
        if prefix[0] == "agreement":
            assert to_out.out == expected  # the table went to stderr
            assert "kappa" in to_out.err
        else:
            assert to_out.out == expected, name
            assert "stdout" in to_out.err
    assert not list(tmp_path.glob("-"))


def test_merge_report_and_plan_to_stdout(cli, books, tmp_path: Path) -> None:
    a, b = books
    r = cli("codebook", "merge", a, b, "--no-meaning", "-o", tmp_path / "m.yaml", "--report", "-")
    assert r.code == 0, r.err
    assert r.out.startswith("#") and "wrote report to stdout" in r.err
    r = cli("codebook", "merge", a, b, "--no-meaning", "--plan", "-")
    assert r.code == 0 and "nothing merged yet" in r.err and r.out.strip()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "qdpx", "-o", "-"), "cannot go to stdout"),
        (("codebook", "merge", "A", "B", "--no-meaning", "-o", "-", "--report", "-"), "only one"),
        (
            (
                "agreement",
                "--coder",
                "alice",
                "--coder",
                "bob",
                "--disagreements",
                "-",
                "--format",
                "json",
            ),
            "both want stdout",
        ),
    ],
)
def test_dash_refused_where_it_makes_no_sense(
    cli, project: Path, books, args: tuple[str, ...], message: str
) -> None:
    a, b = books
    args = tuple(str(a) if x == "A" else str(b) if x == "B" else x for x in args)
    r = cli("-p", project, *args)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and message in r.err, r.err
    assert r.out == ""


def test_merge_outputs_must_differ_from_inputs_and_each_other(cli, books, tmp_path: Path) -> None:
    a, b = books
    same = tmp_path / "same.yaml"
    r = cli("codebook", "merge", a, b, "--no-meaning", "-o", same, "--report", same)
    assert r.code == 2 and "given to both" in r.err and not same.exists()
    hard = tmp_path / "hard.yaml"
    os.link(a, hard)
    r = cli("codebook", "merge", a, b, "--no-meaning", "-o", hard)
    assert r.code == 2 and "input codebooks" in r.err
    assert hard.read_bytes() == (CORE / "codebook.yaml").read_bytes()


def test_unwritable_folder_is_said_not_crashed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root can write anywhere, so the refusal is simulated: os.access says no."""
    from workbench import fsutil

    folder = tmp_path / "shared"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        fsutil.os, "access", lambda p, m: False if Path(p) == folder else real_access(p, m)
    )
    with pytest.raises(WorkbenchError, match=r"cannot write in folder .*permission denied"):
        fsutil.check_output(folder / "x.csv", project=project)
    assert list(folder.iterdir()) == []


def test_a_temp_file_that_cannot_be_created_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench import fsutil

    def refuse(*a, **k):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fsutil.os, "open", refuse)
    with pytest.raises(WorkbenchError, match="Permission denied") as info:
        fsutil.atomic_write_bytes(tmp_path / "x.qdpx", b"data")
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
