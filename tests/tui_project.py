"""Small projects for the TUI tests, built through the services (not the importer, which is
tested on its own): `Speaker [hh:mm:ss]: text` lines become turns."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from workbench.ingest.model import ParsedDocument, ParsedSegment
from workbench.services import code_edit
from workbench.services.coding import add_coding
from workbench.services.documents import store_document
from workbench.store.db import open_project

FIXTURES = Path(__file__).parent / "fixtures" / "tui"
LINE = re.compile(r"^(?P<speaker>[^\[:]+?) \[(?P<ts>[\d:]+)\]: (?P<body>.*)$")

ATTRIBUTES = {
    "patient_p1": {"role": "patient", "practice": "Brookfield"},
    "staff_s1": {"role": "staff", "practice": "Moorside"},
}
CODES = [
    # (name, parent name, colour)
    ("Facilitation", None, "#4e79a7"),
    ("Passive facilitation", "Facilitation", "#59a14f"),
    ("Reactive facilitation", "Facilitation", "#f28e2b"),
    ("Hidden work", None, "#e15759"),
    ("Responsibility of others", None, "#b07aa1"),
    ("COVID-19", None, "#76b7b2"),
]


def parse_fixture(path: Path) -> ParsedDocument:
    """Turn each `Speaker [ts]: text` line into a turn; the text keeps only the bodies."""
    text = ""
    segments: list[ParsedSegment] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        if text:
            text += "\n\n"
        start = len(text) + len(m["speaker"]) + 2
        text += f"{m['speaker']}: {m['body']}"
        segments.append(
            ParsedSegment(start, len(text), "turn", speaker=m["speaker"], timestamp=m["ts"])
        )
    return ParsedDocument(
        name=path.stem,
        kind="interview",
        text=text,
        segments=segments,
        source_name=path.name,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        warnings=[],
    )


def build_project(path: Path, with_codings: bool = True) -> Path:
    """Two interviews, a six-code codebook and (optionally) two codings by 'alice'."""
    project = open_project(path, create=True)
    try:
        with project.begin() as conn:
            for f in sorted(FIXTURES.glob("*.txt")):
                store_document(conn, parse_fixture(f), attributes=ATTRIBUTES[f.stem])
            ids: dict[str, str] = {}
            for name, parent, colour in CODES:
                ids[name] = code_edit.add_code(conn, name, ids.get(parent or ""), color=colour).id
            code_edit.edit_code(conn, ids["Hidden work"], aliases=["invisible labour"])
            if with_codings:
                doc = parse_fixture(FIXTURES / "staff_s1.txt")
                s = doc.text.index("No training at all.")
                add_coding(
                    conn, "staff_s1", s, s + len("No training at all."), "Hidden work", "alice"
                )
                s = doc.text.index("We send a text")
                add_coding(conn, "staff_s1", s, s + 46, "Passive facilitation", "alice")
    finally:
        project.close()
    return path
