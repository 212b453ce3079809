"""Regenerate the sample study's Word transcripts from their plain-text sources.

Every `NAME.src.txt` in this folder becomes `NAME.docx` next to it: one Word paragraph per
non-blank source line (the sources hold one paragraph per line). A leading speaker label such as
`Interviewer:` or `PM:` is set in bold as its own run, the way transcribers usually format it;
the paragraph's text is unchanged.

The output is byte-for-byte reproducible: the core properties (created, modified, author, ...)
are fixed, and the zip entries get a fixed timestamp, so rerunning this script on unchanged
sources gives identical files (the demo project's fingerprint hashes them).

Usage (needs python-docx, which Workbench already depends on):

    python transcripts_sample/make_docx.py [NAME.src.txt ...]

With no arguments every `*.src.txt` in this folder is converted.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sys
import zipfile
from pathlib import Path

import docx

FOLDER = Path(__file__).resolve().parent
SUFFIX = ".src.txt"
FIXED_TIME = dt.datetime(2022, 6, 1, 9, 0, 0)
ZIP_TIME = (2022, 6, 1, 9, 0, 0)
AUTHOR = "Workbench sample study (synthetic)"
LABEL = re.compile(r"^([A-Z][A-Za-z0-9 .'-]{0,30}:)(\s.*)?$")


def source_paragraphs(src: Path) -> list[str]:
    """The non-blank lines of `src`, without trailing whitespace."""
    text = src.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def build_document(paragraphs: list[str], title: str) -> bytes:
    """A .docx holding `paragraphs`, with fixed core properties, as (unnormalised) bytes."""
    document = docx.Document()
    for text in paragraphs:
        para = document.add_paragraph()
        m = LABEL.match(text)
        if m:
            para.add_run(m.group(1)).bold = True
            if m.group(2):
                para.add_run(m.group(2))
        else:
            para.add_run(text)
    props = document.core_properties
    props.title = title
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.revision = 1
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def normalise_zip(raw: bytes) -> bytes:
    """Rewrite the archive with a fixed timestamp and permissions on every entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def convert(src: Path) -> Path:
    """Write the .docx for one source file (temp file + rename) and return its path."""
    stem = src.name[: -len(SUFFIX)]
    target = src.with_name(stem + ".docx")
    data = normalise_zip(build_document(source_paragraphs(src), stem))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


def main(argv: list[str]) -> int:
    sources = [Path(a) for a in argv] or sorted(FOLDER.glob(f"*{SUFFIX}"))
    bad = [s for s in sources if not s.name.endswith(SUFFIX) or not s.is_file()]
    if bad:
        print(f"not a {SUFFIX} file: {bad[0]}", file=sys.stderr)
        return 1
    for src in sources:
        target = convert(src)
        print(f"{src.name} -> {target.name} ({len(source_paragraphs(src))} paragraphs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
