"""Importers refuse bombs and odd files with one line, change nothing, and never hang."""

from __future__ import annotations

import io
import os
import resource
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

CORE = FIXTURES / "core"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(path: Path, body: bytes | None = None, doctype: bool = False) -> Path:
    """A real .docx from python-docx, its body replaced by `body` (streamed) if given."""
    import docx

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("Interviewer: Hello.")
    d.save(buf)
    with (
        zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                if doctype:
                    data = data.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY x "boom">]>', 1)
                if body is not None:
                    continue
            out.writestr(info, data)
        if body is not None:
            with out.open("word/document.xml", "w") as fh:
                fh.write(f"<w:document {W}><w:body>".encode())
                fh.write(body)
                fh.write(b"</w:body></w:document>")
    return path


def _dump(project: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(project)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM segments), "
            "(SELECT count(*) FROM codings)"
        ).fetchall()
    finally:
        con.close()


def _project(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    p = tmp_path / "p.sqlite"
    assert cli("import", CORE / "interview_a.txt", "-p", p).code == 0
    return p


def test_docx_with_a_dtd_is_refused(cli, tmp_path: Path) -> None:
    project = _project(cli, tmp_path)
    before = _dump(project)
    r = cli("import", _docx(tmp_path / "dtd.docx", doctype=True), "-p", project)
    assert r.code == 2 and "DTD" in r.err and len(r.err.splitlines()) == 1
    assert _dump(project) == before


def test_docx_text_over_the_limit(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_MAX_IMPORT_MB", "0.05")
    project = _project(cli, tmp_path)
    before = _dump(project)
    para = b"<w:p><w:r><w:t>" + b"words " * 100 + b"</w:t></w:r></w:p>"
    r = cli("import", _docx(tmp_path / "big.docx", body=para * 200), "-p", project)
    assert r.code == 2 and "size limit" in r.err and len(r.err.splitlines()) == 1
    assert _dump(project) == before


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


def _wb(tmp: Path, *args: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), WORKBENCH_CONFIG=str(tmp / "none.toml"))
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limited,
    )


def test_docx_bomb_at_real_scale_is_refused_quickly(tmp_path: Path) -> None:
    """document.xml inflating to ~200 MB of empty paragraphs (a 1 MB file): refused in a
    process that may use at most 1.5 GB, within a minute."""
    bomb = _docx(tmp_path / "bomb.docx", body=b"<w:p/>" * (200 * 1024 * 1024 // 6))
    assert bomb.stat().st_size < 2 * 1024 * 1024
    r = _wb(tmp_path, "import", bomb, "-p", tmp_path / "new.sqlite")
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new.sqlite").exists()


@pytest.mark.parametrize("command", ["import", "attributes", "codebook import"])
def test_fifo_and_folder_are_refused_without_hanging(cli, tmp_path: Path, command: str) -> None:
    project = _project(cli, tmp_path)
    before = _dump(project)
    ext = ".yaml" if command.startswith("codebook") else ".csv"
    fifo = tmp_path / f"pipe{ext}"
    os.mkfifo(fifo)
    folder = tmp_path / f"folder{ext}"
    folder.mkdir()
    for target in (fifo, folder):
        r = _wb(tmp_path, *command.split(), target, "-p", project, timeout=30)
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "not a file" in r.stderr
    assert _dump(project) == before


def _other_project(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.sqlite"
    assert cli("import", CORE / "interview_a.txt", "-p", other).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "-p", other).code == 0
    assert (
        cli("code", "interview_a", "--segment", "1", "--code", "hidden-work", "-p", other).code == 0
    )
    return other


def test_damaged_other_project_is_refused(cli, tmp_path: Path) -> None:
    other = _other_project(cli, tmp_path)
    con = sqlite3.connect(other, isolation_level=None)  # what the sqlite3 shell can do
    con.execute("DROP TRIGGER documents_coded_undeletable")
    con.execute("DROP TRIGGER segments_coded_undeletable")
    con.execute("DELETE FROM segments")
    con.execute("DELETE FROM documents")
    con.close()
    project = tmp_path / "p.sqlite"
    assert cli("import", CORE / "interview_a.txt", "-p", project).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "-p", project).code == 0
    before = _dump(project)
    r = cli("import", other, "-p", project)
    assert r.code == 2 and "missing document" in r.err and len(r.err.splitlines()) == 1
    assert _dump(project) == before


@pytest.mark.parametrize("content", [b"", b"not a database at all"])
def test_not_a_project_sqlite_is_refused(cli, tmp_path: Path, content: bytes) -> None:
    project = _project(cli, tmp_path)
    before = _dump(project)
    fake = tmp_path / "fake.sqlite"
    fake.write_bytes(content)
    r = cli("import", fake, "-p", project)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert _dump(project) == before
