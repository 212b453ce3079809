"""REFI-QDA sources as other exporters point at them: every spelling of a source's path
imports every document and coding exactly; a coded source that cannot be read refuses the
import unless --skip-unreadable, which then names what it dropped."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from refi_support import build_study, make_zip, sorted_csv

PATH = re.compile(r'plainTextPath="internal://([^"]+)"')

# How each exporter quirk spells the path of member sources/NAME (NAME: the file name).
VARIANTS: dict[str, Callable[[str], str]] = {
    "bare file name": lambda n: n,
    "sources/ relative": lambda n: f"sources/{n}",
    "back-slashed": lambda n: f"Sources\\{n}",
    "absolute Windows path": lambda n: f"C:\\Users\\ana\\Documents\\Study\\sources\\{n}",
    "file:// URL": lambda n: f"file:///C:/Users/ana/My%20Study/sources/{n}",
    "absolute POSIX path": lambda n: f"/home/ana/study/sources/{n}",
    "upper-case internal://": lambda n: f"internal://{n.upper()}",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    from workbench.cli import main

    tmp = tmp_path_factory.mktemp("refi-paths")
    project = tmp / "study.sqlite"

    def cli(*args: object):  # type: ignore[no-untyped-def]
        from dataclasses import dataclass

        @dataclass
        class R:
            code: int
            out: str = ""
            err: str = ""

        return R(main([str(a) for a in args]))

    build_study(cli, tmp, project)
    qdpx = tmp / "study.qdpx"
    assert main(["export", "qdpx", "-o", str(qdpx), "-p", str(project)]) == 0
    csv = tmp / "study.csv"
    assert main(["export", "excerpts", "-o", str(csv), "-p", str(project)]) == 0
    return qdpx, sorted_csv(csv)


def _members(qdpx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(qdpx) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def _rewrite(qdpx: Path, out: Path, spell: Callable[[str], str]) -> Path:
    members = _members(qdpx)
    qde = members["project.qde"].decode("utf-8")
    assert PATH.search(qde), "our export should use internal:// paths"
    members["project.qde"] = PATH.sub(lambda m: f'plainTextPath="{spell(m[1])}"', qde).encode()
    return make_zip(out, members)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_path_spelling_imports_everything(
    cli, exported: tuple[Path, list[str]], tmp_path: Path, variant: str
) -> None:
    qdpx, expected = exported
    variant_file = _rewrite(qdpx, tmp_path / "variant.qdpx", VARIANTS[variant])
    project = tmp_path / "p.sqlite"
    r = cli("import", variant_file, "--project", project)
    assert r.code == 0, r.err
    assert "warning" not in r.out or "missing" not in r.out, r.out
    out = tmp_path / "again.csv"
    assert cli("export", "excerpts", "-o", out, "--project", project).code == 0
    assert sorted_csv(out) == expected


def test_member_found_by_guid_when_the_path_names_nothing(
    cli, exported: tuple[Path, list[str]], tmp_path: Path
) -> None:
    qdpx, expected = exported
    variant_file = _rewrite(qdpx, tmp_path / "v.qdpx", lambda n: "internal://renamed-away.txt")
    project = tmp_path / "p.sqlite"
    r = cli("import", variant_file, "--project", project)
    assert r.code == 0, r.err
    out = tmp_path / "again.csv"
    assert cli("export", "excerpts", "-o", out, "--project", project).code == 0
    assert sorted_csv(out) == expected


def _broken(qdpx: Path, out: Path) -> Path:
    """The first source's text member is gone (an exporter that forgot to pack it)."""
    members = _members(qdpx)
    qde = members["project.qde"].decode("utf-8")
    first = PATH.search(qde)
    assert first is not None
    gone = first[1]
    members = {k: v for k, v in members.items() if k.rsplit("/", 1)[-1] != gone}
    members["project.qde"] = qde.replace(gone, "not-there.txt").encode()
    return make_zip(out, members)


def test_unreadable_coded_source_refuses_the_import(
    cli, exported: tuple[Path, list[str]], tmp_path: Path
) -> None:
    qdpx, _ = exported
    broken = _broken(qdpx, tmp_path / "broken.qdpx")
    project = tmp_path / "p.sqlite"
    r = cli("import", broken, "--project", project)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "cannot be read" in lines[0] and "codings" in lines[0]
    assert not project.exists()  # nothing created
    assert cli("init", "--project", project).code == 0
    before = project.read_bytes()
    assert cli("import", broken, "--project", project).code == 2
    assert project.read_bytes() == before


def test_skip_unreadable_names_what_it_dropped(
    cli, exported: tuple[Path, list[str]], tmp_path: Path
) -> None:
    qdpx, expected = exported
    broken = _broken(qdpx, tmp_path / "broken.qdpx")
    project = tmp_path / "p.sqlite"
    r = cli("import", broken, "--skip-unreadable", "--project", project)
    assert r.code == 0, r.err
    dropped = [line for line in r.out.splitlines() if "dropped source" in line]
    assert len(dropped) == 1 and "codings" in dropped[0]
    n = int(re.search(r"its (\d+) codings", dropped[0])[1])  # type: ignore[index]
    out = tmp_path / "rest.csv"
    assert cli("export", "excerpts", "-o", out, "--project", project).code == 0
    assert len(sorted_csv(out)) == len(expected) - n
