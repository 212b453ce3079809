"""Reading files safely: size limit, empty and binary checks, encoding detection."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from workbench.errors import WorkbenchError

# Longest BOMs first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")


def format_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 10 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n:,} bytes"


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; refuses a missing, empty or oversized file without reading it all."""
    from workbench.inputcheck import require_regular_file

    size = require_regular_file(path)
    try:
        if size > max_bytes:
            raise _too_big(path, size, max_bytes)
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if len(raw) > max_bytes:  # the file grew after stat()
        raise _too_big(path, len(raw), max_bytes)
    if not raw:
        raise WorkbenchError(f"{path}: the file is empty")
    return raw


def _too_big(path: Path, size: int, max_bytes: int) -> WorkbenchError:
    return WorkbenchError(
        f"{path}: {format_size(size)} is over the import size limit of {format_size(max_bytes)}"
    )


def decode_bytes(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """Decode: a BOM decides (UTF-8/16/32), else UTF-8, else cp1252 with a warning.

    Returns the text exactly as decoded (BOM removed, line ends untouched) and warnings.
    """
    warnings: list[str] = []
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise WorkbenchError(
                    f"{path}: starts with a {label} byte-order mark but is not valid {label} "
                    f"(byte {exc.start})"
                ) from exc
            break
    else:
        if b"\x00" in raw:
            hint = " (UTF-16 text needs a byte-order mark)" if _looks_utf16(raw) else ""
            raise WorkbenchError(
                f"{path}: looks like a binary file, not text: it contains NUL bytes{hint}"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise WorkbenchError(
                    f"{path}: not a text file: neither UTF-8 nor Windows-1252 (cp1252)"
                ) from exc
            warnings.append(f"{path.name}: not UTF-8, read as cp1252")
    text = text.removeprefix("\ufeff")
    if _is_binaryish(text):
        raise WorkbenchError(f"{path}: looks like a binary file, not text (control characters)")
    if not text.strip():
        raise WorkbenchError(f"{path}: the file is empty (only whitespace)")
    return text, warnings


CSV_DELIMITERS = (",", ";", "\t")  # what spreadsheets separate CSV cells with, by locale


def header_delimiter(first_line: str) -> str:
    """The separator of a CSV: the most frequent of `,` `;` tab in its header line (ties,
    or none at all, go to the comma)."""
    return max(CSV_DELIMITERS, key=first_line.split("\n", 1)[0].count)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def read_text(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """Decoded text with line ends normalised to LF, and warnings."""
    text, warnings = decode_bytes(path, raw)
    return normalise_newlines(text), warnings


def _looks_utf16(raw: bytes) -> bool:
    sample = raw[:4096]
    evens, odds = sample[0::2].count(0), sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    return max(evens, odds) > 0.3 * half


def _is_binaryish(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:65536]
    count = len(_CONTROL.findall(sample))
    return count >= 3 and count > 0.02 * len(sample)
