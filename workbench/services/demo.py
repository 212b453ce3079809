"""The demo project: the bundled sample study, built once and reused while it is current."""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workbench import __version__
from workbench.errors import WorkbenchError
from workbench.store.migrations import latest_version

DOC_EXTENSIONS = (".txt", ".md", ".docx", ".vtt", ".srt", ".csv")
SKIP_NAMES = {"README.md", "participants.csv"}
ROLE_KIND = {"observation": "field-notes", "survey": "survey"}
SURVEY_COLUMNS = {"text_column": "answer", "id_column": "respondent_id"}


@dataclass
class DemoResult:
    project: Path
    reused: bool
    lines: list[str] = field(default_factory=list)


def repo_root() -> Path:
    env = os.environ.get("WORKBENCH_SAMPLE_ROOT")
    return Path(env) if env else Path(__file__).resolve().parents[2]


def sample_dir() -> Path:
    return repo_root() / "transcripts_sample"


def codebook_path() -> Path:
    return repo_root() / "codebooks" / "difacto.yaml"


def default_demo_dir() -> Path:
    from workbench.config import data_dir

    return data_dir() / "demo"


def sample_documents(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in DOC_EXTENSIONS
        and p.name not in SKIP_NAMES
        and not p.name.endswith(".src.txt")
        and not p.name.startswith(".")
    )


def read_participants(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "participants.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {row["document"]: row for row in csv.DictReader(fh)}


def coding_files(folder: Path) -> list[Path]:
    codings = folder / "codings"
    return sorted(codings.glob("difacto*.csv")) if codings.is_dir() else []


def fingerprint() -> str:
    h = hashlib.sha256(f"{__version__}:{latest_version()}".encode())
    files = [
        *sample_documents(sample_dir()),
        sample_dir() / "participants.csv",
        codebook_path(),
        *coding_files(sample_dir()),
    ]
    for p in files:
        if p.exists():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _is_current(project: Path, fp: str) -> bool:
    if not project.exists():
        return False
    from workbench.services.codes import get_meta
    from workbench.store.db import open_project

    try:
        proj = open_project(project)
    except WorkbenchError:
        return False
    try:
        with proj.read() as conn:
            return get_meta(conn, "demo_fingerprint") == fp
    finally:
        proj.close()


def build_demo(
    folder: Path, *, rebuild: bool = False, progress: Callable[[int, int, str], None] | None = None
) -> DemoResult:
    """Build the demo in `folder` (a temp file renamed into place), or reuse a current one."""
    src = sample_dir()
    if not src.is_dir():
        raise WorkbenchError(f"{src}: sample study folder not found (set WORKBENCH_SAMPLE_ROOT)")
    folder.mkdir(parents=True, exist_ok=True)
    project = folder / "demo.sqlite"
    fp = fingerprint()
    if not rebuild and _is_current(project, fp):
        return DemoResult(project, True, [f"demo project is current: {project}"])
    tmp = folder / ".demo.sqlite.building"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    lines = _populate(tmp, src, fp, progress)
    for suffix in ("-wal", "-shm"):
        Path(f"{project}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, project)
    return DemoResult(project, False, [f"built demo project {project}", *lines])


def _populate(
    path: Path, src: Path, fp: str, progress: Callable[[int, int, str], None] | None
) -> list[str]:
    from workbench.codebook.yaml_io import load_codebook
    from workbench.ingest import ImportOptions, parse_file
    from workbench.services.codebook_sync import import_codebook
    from workbench.services.codes import set_meta
    from workbench.services.documents import store_document
    from workbench.store.db import open_project

    participants = read_participants(src)
    files = sample_documents(src)
    parsed = []
    for i, p in enumerate(files):
        role = participants.get(p.stem, {}).get("role", "")
        kind = ROLE_KIND.get(role, "interview")
        extra = SURVEY_COLUMNS if kind == "survey" else {}
        parsed.append(parse_file(p, ImportOptions(kind=kind, **extra)))
        if progress:
            progress(i + 1, len(files), p.name)
    proj = open_project(path, create=True)
    lines: list[str] = []
    try:
        with proj.begin() as conn:
            for doc in parsed:
                attrs = {
                    k: v for k, v in participants.get(doc.name, {}).items() if k != "document" and v
                }
                out = store_document(conn, doc, attributes=attrs)
                lines.append(f"{out.name}\t{out.kind}\t{out.segments} segments")
            cb_file = codebook_path()
            if cb_file.exists():
                report = import_codebook(conn, load_codebook(cb_file))
                lines.append(f"codebook {cb_file.name}: {report.lines()[0]}")
            for cf in coding_files(src):
                from workbench.services.codings_import import import_codings_file

                lines.extend(import_codings_file(conn, cf))
            set_meta(conn, "demo_fingerprint", fp)
    finally:
        proj.close()
    return lines
