"""Hostile REFI-QDA files: each is refused with exit 2, one clear line on stderr, and the
project exactly as it was (every table compared row by row)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from refi_support import REFI, build_study, make_zip, raw_tables, zip_folder

GUID = "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<{root} xmlns="urn:QDA-XML:{ns}:1.0"{extra}>{body}</{root}>'
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE {root} [\n <!ENTITY a "lol">\n'
    + "".join(f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + ']>\n<{root} xmlns="urn:QDA-XML:{ns}:1.0"{extra}>{body}</{root}>'
)
CODES = f'<Codes><Code guid="{GUID}" name="&j;" isCodable="true"/></Codes>'


def _qdc(template: str) -> bytes:
    return template.format(root="CodeBook", ns="codebook", extra="", body=CODES).encode()


def _qde(template: str) -> bytes:
    return template.format(
        root="Project",
        ns="project",
        extra=' name="evil"',
        body=f"<CodeBook>{CODES.replace('&j;', '&x;')}</CodeBook>",
    ).encode()


@pytest.fixture
def study(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    return build_study(cli, tmp_path, tmp_path / "study.sqlite")


def _refused(cli, study: Path, *args: object, expect: str) -> str:  # type: ignore[no-untyped-def]
    before = raw_tables(study)
    r = cli(*args, "--project", study)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], lines
    assert "Traceback" not in r.err and "root:x:0:0" not in r.err + r.out
    assert raw_tables(study) == before
    return lines[0]


@pytest.mark.parametrize(
    ("payload", "expect"),
    [
        (_qdc(XXE), "document type (DTD)"),
        (_qdc(LAUGHS), "document type (DTD)"),
        (b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>', "root element is <Project>"),
        (b"<CodeBook><Codes><Code", "not well-formed XML"),
    ],
    ids=["xxe", "billion-laughs", "wrong-root", "truncated-xml"],
)
def test_hostile_qdc(cli, study: Path, tmp_path: Path, payload: bytes, expect: str) -> None:
    path = tmp_path / "evil.qdc"
    path.write_bytes(payload)
    _refused(cli, study, "codebook", "import", path, expect=expect)
    r = cli("codebook", "validate", path)
    assert r.code == 2 and expect in r.err


def _valid_members() -> dict[str, bytes]:
    folder = REFI / "foreign"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _bomb(tmp_path: Path) -> Path:
    members = _valid_members()
    members["sources/padding.txt"] = b"\0" * (48 * 1024 * 1024)  # ~48 KB compressed
    return make_zip(tmp_path / "bomb.qdpx", members)


def _truncated(tmp_path: Path) -> Path:
    whole = zip_folder(REFI / "foreign", tmp_path / "whole.qdpx").read_bytes()
    path = tmp_path / "truncated.qdpx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


CASES = {
    "xxe": (lambda t: make_zip(t / "x.qdpx", {"project.qde": _qde(XXE)}), "document type (DTD)"),
    "billion-laughs": (
        lambda t: make_zip(t / "x.qdpx", {"project.qde": _qde(LAUGHS)}),
        "document type (DTD)",
    ),
    "dotdot": (
        lambda t: make_zip(t / "x.qdpx", {**_valid_members(), "../evil.txt": b"pwned"}),
        "leaves the archive '../evil.txt'",
    ),
    "dotdot-backslash": (
        lambda t: make_zip(t / "x.qdpx", {**_valid_members(), "sources\\..\\..\\evil.txt": b"x"}),
        "leaves the archive",
    ),
    "absolute": (
        lambda t: make_zip(t / "x.qdpx", {**_valid_members(), "/tmp/evil.txt": b"x"}),
        "absolute member path",
    ),
    "bomb": (_bomb, "a zip bomb?"),
    "truncated": (_truncated, "damaged or truncated"),
    "not-a-zip": (
        lambda t: (t / "x.qdpx").write_text("hello") and t / "x.qdpx",  # type: ignore[func-returns-value]
        "damaged or truncated",
    ),
    "wrong-root": (
        lambda t: make_zip(
            t / "x.qdpx", {"project.qde": (REFI / "sample-atlasti-23.qdc").read_bytes()}
        ),
        "root element is <CodeBook>, expected <Project>",
    ),
    "no-project": (
        lambda t: make_zip(t / "x.qdpx", {"sources/a.txt": b"text"}),
        "no project.qde",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_qdpx(cli, study: Path, tmp_path: Path, case: str) -> None:
    build, expect = CASES[case]
    path = build(tmp_path)
    _refused(cli, study, "import", path, "--merge", expect=expect)
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_limits_on_members_and_total_size(
    cli, study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench import safezip

    path = zip_folder(REFI / "foreign", tmp_path / "ok.qdpx")
    monkeypatch.setattr(safezip, "MAX_MEMBERS", 2)
    _refused(cli, study, "import", path, "--merge", expect="members (limit 2)")
    monkeypatch.setattr(safezip, "MAX_MEMBERS", 100)
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", 1000)
    _refused(cli, study, "import", path, "--merge", expect="over the limit of 1,000")


def test_a_member_whose_header_lies_is_refused(cli, study: Path, tmp_path: Path) -> None:
    """Sizes understated in the headers: we never read past them, and the CRC check fails."""
    import struct

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("project.qde", (REFI / "foreign" / "project.qde").read_bytes())
    data = bytearray(buf.getvalue())
    small = struct.pack("<II", 100, 100)
    data[18:26] = small  # local header: compressed, uncompressed size
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 20 : cd + 28] = small  # central directory: the same two sizes
    path = tmp_path / "lying.qdpx"
    path.write_bytes(bytes(data))
    _refused(cli, study, "import", path, "--merge", expect="is damaged")
