"""Encodings, line ends and the files an importer must refuse (one clear line each)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from ingest_support import FIX, blocks, parse

from workbench.errors import WorkbenchError


def test_cp1252_with_pound_and_curly_quotes_warns() -> None:
    doc = parse("cp1252.txt")
    assert doc.warnings == ["cp1252.txt: not UTF-8, read as cp1252"]
    answer = blocks(doc)[1]
    assert answer[0] == "P03"
    assert answer[2] == (
        "They said \u201cit\u2019s \u00a35 for a copy\u201d, and I said that\u2019s not right "
        "\u2013 it\u2019s my record."
    )
    assert "\r" not in doc.text


def test_utf16_with_bom() -> None:
    doc = parse("utf16.txt")
    assert doc.warnings == []
    assert blocks(doc)[1] == (
        "P12",
        None,
        "Urdu. \u0627\u0631\u062f\u0648 The app is only in English.",
    )
    be = parse("utf16be.txt")
    assert be.text == "I: Caf\u00e9 or clinic?\nR: Clinic.\n"


def test_utf8_bom_and_crlf_cr_are_normalised() -> None:
    doc = parse("utf8_bom_crlf.txt")
    assert (
        doc.text == "Interviewer: First line.\nStill the interviewer.\nP01: Caf\u00e9 \u2013 yes.\n"
    )
    assert [s for s, _, _ in blocks(doc)] == ["Interviewer", "P01"]


def test_sha256_is_of_the_raw_bytes() -> None:
    doc = parse("utf8_bom_crlf.txt")
    assert doc.sha256 == hashlib.sha256((FIX / "utf8_bom_crlf.txt").read_bytes()).hexdigest()
    assert doc.source_name == "utf8_bom_crlf.txt"


def test_binary_file_is_refused() -> None:
    with pytest.raises(WorkbenchError) as err:
        parse("binary.txt")
    assert str(err.value) == (
        f"{FIX / 'binary.txt'}: looks like a binary file, not text: it contains NUL bytes"
    )


def test_undecodable_or_control_heavy_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(1, 32)) * 20 + b"\x81\x8d")  # no NULs; 0x81 is not cp1252
    with pytest.raises(WorkbenchError, match="not a text file: neither UTF-8 nor Windows-1252"):
        parse(path)
    path.write_bytes(bytes(range(1, 32)) * 20)
    with pytest.raises(WorkbenchError, match="binary file, not text"):
        parse(path)


def test_utf16_without_bom_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "nobom.txt"
    path.write_bytes("Interviewer: hello\n".encode("utf-16-le"))
    with pytest.raises(WorkbenchError, match="UTF-16 text needs a byte-order mark"):
        parse(path)


def test_bad_bytes_after_a_utf8_bom_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xef\xbb\xbfInterviewer: \xff\xfe oops\n")
    with pytest.raises(WorkbenchError, match="UTF-8 byte-order mark but is not valid UTF-8"):
        parse(path)


def test_empty_and_whitespace_files_are_refused() -> None:
    with pytest.raises(WorkbenchError) as err:
        parse("empty.txt")
    assert str(err.value) == f"{FIX / 'empty.txt'}: the file is empty"
    with pytest.raises(
        WorkbenchError, match=r"whitespace\.md: the file is empty \(only whitespace\)"
    ):
        parse("whitespace.md")


def test_oversized_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.txt"
    path.write_text("Interviewer: " + "words " * 400 + "\n")
    size = path.stat().st_size

    def no_read(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("read an oversized file")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    monkeypatch.setattr(Path, "open", no_read)
    with pytest.raises(WorkbenchError) as err:
        parse(path, max_bytes=1000)
    assert str(err.value) == (
        f"{path}: {size:,} bytes is over the import size limit of 1,000 bytes"
    )


def test_default_limit_is_twenty_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as fh:
        fh.truncate(20 * 1024 * 1024 + 1)  # sparse: no 20 MB written to disk
    with pytest.raises(WorkbenchError, match=r"20\.0 MB is over the import size limit of 20\.0 MB"):
        parse(path)


def test_limit_applies_exactly(tmp_path: Path) -> None:
    path = tmp_path / "exact.txt"
    path.write_bytes(b"I: Hi.\nR: Hello.\n")
    assert parse(path, max_bytes=len(path.read_bytes())).text == "I: Hi.\nR: Hello.\n"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"gone\.txt: cannot read the file"):
        parse(tmp_path / "gone.txt")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(WorkbenchError, match="is a folder, not a file"):
        parse(folder)
