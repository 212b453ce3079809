"""No output path can destroy anything: the project, another database, a folder, a FIFO, a
device; files are created with the umask; a symlink is written through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FIXTURES

CORE = FIXTURES / "core"


@pytest.fixture
def project(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    p = tmp_path / "p.sqlite"
    assert cli("import", CORE / "interview_a.txt", "-p", p).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "-p", p).code == 0
    assert cli("code", "interview_a", "--segment", "1", "--code", "hidden-work", "-p", p).code == 0
    return p


COMMANDS = {
    "export excerpts": lambda out, p: ("export", "excerpts", "-o", out, "-p", p),
    "export qdpx": lambda out, p: ("export", "qdpx", "-o", out, "-p", p),
    "codebook export": lambda out, p: ("codebook", "export", "-o", out, "-p", p),
    "codebook merge": lambda out, p: (
        "codebook",
        "merge",
        CORE / "codebook.yaml",
        CORE / "codebook.yaml",
        "-o",
        out,
    ),
}


def _targets(tmp: Path, project: Path) -> dict[str, Path]:
    other = tmp / "other.sqlite"
    other.write_bytes(project.read_bytes())
    folder = tmp / "folder.csv"
    folder.mkdir()
    fifo = tmp / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp / "link.sqlite"
    link.symlink_to(project)
    return {
        "the project": project,
        "the project by a symlink": link,
        "another database": other,
        "a folder": folder,
        "a FIFO": fifo,
        "a device": Path("/dev/null"),
        "a missing folder": tmp / "nowhere" / "x.csv",
    }


def _suffix(cmd: str) -> str:
    return {"export qdpx": ".qdpx", "codebook merge": ".yaml", "codebook export": ".yaml"}.get(
        cmd, ".csv"
    )


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_dangerous_targets_are_refused(cli, project: Path, tmp_path: Path, cmd: str) -> None:
    for what, target in _targets(tmp_path, project).items():
        before = sorted(p.name for p in tmp_path.iterdir())
        project_bytes = project.read_bytes()
        r = cli(*COMMANDS[cmd](target, project))
        assert r.code == 2, (what, r.out, r.err)
        assert len(r.err.strip().splitlines()) == 1, (what, r.err)
        assert project.read_bytes() == project_bytes, what
        assert sorted(p.name for p in tmp_path.iterdir()) == before, what
    assert Path("/dev/null").is_char_device()


def test_empty_path_is_refused(cli, project: Path) -> None:
    r = cli("export", "excerpts", "-o", "", "-p", project)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1  # typer reads "" as "."


def test_umask_and_symlink_write_through(cli, project: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "x.csv"
        assert cli("export", "excerpts", "-o", out, "-p", project).code == 0
        assert out.stat().st_mode & 0o777 == 0o644
        real = tmp_path / "real.csv"
        real.write_text("old", encoding="utf-8")
        link = tmp_path / "via.csv"
        link.symlink_to(real)
        assert cli("export", "excerpts", "-o", link, "-p", project).code == 0
        assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("document,")
    finally:
        os.umask(old)


def test_formula_guard_round_trips(cli, tmp_path: Path) -> None:
    """Our own CSV comes back exactly: the import removes just the `'` the export added."""
    outs = []
    for name in ("a", "b"):
        p = tmp_path / f"{name}.sqlite"
        assert cli("import", CORE / "interview_a.txt", "--name", "=EVILDOC()", "-p", p).code == 0
        assert cli("codebook", "import", CORE / "codebook.yaml", "-p", p).code == 0
        outs.append(p)
    a, b = outs
    r = cli(
        "code",
        "=EVILDOC()",
        "--segment",
        "1",
        "--code",
        "hidden-work",
        "--coder",
        "=coder()",
        "--memo",
        "+memo",
        "-p",
        a,
    )
    assert r.code == 0, r.err
    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    assert cli("export", "excerpts", "-o", x, "-p", a).code == 0
    r = cli("import", x, "-p", b)
    assert r.code == 0 and "1 codings imported" in r.out, r.out + r.err
    assert cli("export", "excerpts", "-o", y, "-p", b).code == 0
    assert x.read_bytes() == y.read_bytes()


def test_stale_temp_files_of_a_killed_export_are_removed(
    cli, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    old, fresh, other = (tmp_path / n for n in (".x.csv.abc.tmp", ".x.csv.def.tmp", ".y.tmp"))
    for f in (old, fresh, other):
        f.write_text("partial", encoding="utf-8")
    os.utime(old, (0, 0))
    os.utime(other, (0, 0))
    assert cli("export", "excerpts", "-o", out, "-p", project).code == 0
    assert not old.exists() and fresh.exists() and other.exists()
