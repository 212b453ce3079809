"""Every segment of every importable fixture (and of the sample study) is an exact, trimmed,
non-empty span; sentences sit inside their parent, in order."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from ingest_support import FIX, check_segments, parse

from workbench.errors import WorkbenchError
from workbench.ingest import ImportOptions, parse_file

REFUSED = {"binary.txt", "empty.txt", "whitespace.md", "broken.docx", "codings.csv"}
SAMPLE = Path(__file__).resolve().parents[1] / "transcripts_sample"
SURVEY = {"text_column": "answer", "id_column": "respondent_id"}


def _fixtures() -> list[str]:
    return sorted(p.name for p in FIX.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("name", _fixtures())
def test_fixture_invariants(name: str) -> None:
    if name in REFUSED:
        with pytest.raises(WorkbenchError):
            parse(name, **SURVEY)
        return
    kind = "field-notes" if name.startswith("fieldnotes") else None
    doc = parse(name, kind=kind, **SURVEY)  # parse() checks the invariants
    assert doc.segments
    levels = {s.level for s in doc.segments}
    assert "sentence" in levels and len(levels) == 2


def _sample_files() -> list[Path]:
    if not SAMPLE.is_dir():
        return []
    skip = {"README.md", "participants.csv"}
    return sorted(
        p
        for p in SAMPLE.iterdir()
        if p.is_file() and p.name not in skip and ".src." not in p.name and p.suffix != ".py"
    )


@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.name)
def test_sample_study_invariants(path: Path) -> None:
    kind = "field-notes" if path.name.startswith("FN") else None
    doc = parse_file(path, ImportOptions(kind=kind, **SURVEY))
    check_segments(doc)
    tops = [s for s in doc.segments if s.level != "sentence"]
    if doc.kind == "interview":
        labelled = [s for s in tops if s.speaker]
        assert len({s.speaker for s in labelled}) >= 2, "an interview has at least two speakers"
        assert len(labelled) >= len(tops) - 2  # at most a preamble and a heading unlabelled
    elif doc.kind == "field-notes":
        assert sum(1 for s in tops if s.timestamp) >= 2


_POOL = [
    "Interviewer: How do you order repeat prescriptions?",
    "P07: On the app.   Mostly.  ",
    "  continuation with leading spaces. And a second sentence!",
    "",
    "   ",
    "\t",
    "He said: no. She said: yes?",
    "# A heading",
    "**Interviewer:** bold label",
    "**R**:",
    "[00:12:31] Speaker 2: timestamped… with an ellipsis",
    "Jane Smith  00:38",
    "Note: not a speaker",
    "Café – £5 – “quoted” text.\u00a0Trailing nbsp\u00a0",
    "Dr Patel:",
    "2021-11-04 09:10 — dated line",
    "Date: 12/01/2022",
    "...",
]


@pytest.mark.parametrize("seed", range(12))
def test_random_texts_keep_invariants(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lines = [rng.choice(_POOL) for _ in range(rng.randint(1, 60))]
    if not "".join(lines).strip():
        lines.append("Interviewer: something")
    newline = rng.choice(["\n", "\r\n", "\r"])
    path = tmp_path / f"random{seed}.{rng.choice(['txt', 'md'])}"
    path.write_bytes(newline.join(lines).encode("utf-8"))
    for kind in (None, "interview", "field-notes"):
        doc = parse(path, kind=kind)  # checks the span invariants
        raw = path.read_bytes().decode("utf-8")
        assert doc.text == raw.replace("\r\n", "\n").replace("\r", "\n")
