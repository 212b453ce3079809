"""Shared helpers for the REFI-QDA tests: a small study built through the CLI, table dumps
that compare projects by meaning (documents by name, memo targets resolved), zips and XSDs."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from conftest import FIXTURES

REFI = FIXTURES / "refi"
GUID_ATTRS = ("guid", "targetGUID", "creatingUser")


@lru_cache(maxsize=2)
def schema(name: str):  # type: ignore[no-untyped-def]
    import xmlschema

    return xmlschema.XMLSchema(str(REFI / name))


def assert_valid_qdpx(path: Path) -> bytes:
    qde = zipfile.ZipFile(path).read("project.qde")
    schema("Project.xsd").validate(qde.decode("utf-8"))
    return qde


def build_study(cli, tmp_path: Path, project: Path) -> Path:  # type: ignore[no-untyped-def]
    """Two documents (interview with emoji and CJK, field notes), attributes, a codebook,
    codings by two coders, memos on every kind of target."""
    for name in ("staff_interview.txt", "reception_notes.txt"):
        shutil.copy(REFI / name, tmp_path / name)
    r = cli(
        "import",
        tmp_path / "staff_interview.txt",
        tmp_path / "reception_notes.txt",
        "--project",
        project,
    )
    assert r.code == 0, r.err
    attrs = tmp_path / "attrs.csv"
    attrs.write_text(
        "document,role,practice,quote\n"
        'staff_interview,staff,Moorside,"=not a formula, ""quoted"""\n'
        "reception_notes,observation,Moorside,\n",
        encoding="utf-8",
    )
    assert cli("attributes", attrs, "--project", project).code == 0
    r = cli("codebook", "import", REFI / "codebook.yaml", "--project", project)
    assert r.code == 0, r.err
    text = (REFI / "staff_interview.txt").read_text(encoding="utf-8")
    after_emoji = text.index("Well, they come")
    for args in (
        (
            "staff_interview",
            "--start",
            str(after_emoji),
            "--end",
            str(after_emoji + 38),
            "--code",
            "Passive facilitation",
            "--memo",
            "first line\nsecond line",
        ),
        (
            "staff_interview",
            "--start",
            str(after_emoji),
            "--end",
            str(after_emoji + 38),
            "--code",
            "Hidden work",
            "--coder",
            "bob",
        ),
        ("staff_interview", "--segment", "2", "--code", "Hidden work"),
        (
            "staff_interview",
            "--start",
            str(text.index("日本語")),
            "--end",
            str(text.index("日本語") + 3),
            "--code",
            "Digital exclusion",
            "--coder",
            "bob",
        ),
        ("reception_notes", "--start", "0", "--end", "40", "--code", "At the desk"),
    ):
        r = cli("code", *args, "--project", project)
        assert r.code == 0, r.err
    _add_memos(project)
    return project


def _add_memos(project: Path) -> None:
    from sqlalchemy import select

    from workbench.services.coding import add_memo
    from workbench.store import schema as s
    from workbench.store.db import open_project

    proj = open_project(project)
    try:
        with proj.begin() as conn:
            doc_id = conn.execute(
                select(s.documents.c.id).where(s.documents.c.name == "staff_interview")
            ).scalar_one()
            seg_id = conn.execute(
                select(s.segments.c.id)
                .where(s.segments.c.document_id == doc_id)
                .where(s.segments.c.idx == 4)
            ).scalar_one()
            coding_id = conn.execute(select(s.codings.c.id).order_by(s.codings.c.id)).first()[0]
            add_memo(conn, "document", str(doc_id), "alice", "Interview held in the back office.")
            add_memo(conn, "code", "hidden-work", "bob", "Overlaps with staff capacity?\r\nCheck.")
            add_memo(conn, "coding", str(coding_id), "bob", "I read this one differently.")
            add_memo(conn, "segment", str(seg_id), "alice", "Tone: <ironic> & tired")
            add_memo(conn, "project", "", "alice", "Second coding round planned.")
    finally:
        proj.close()


def dump(project: Path) -> dict[str, Any]:
    """Every table by meaning: ids replaced by names/GUIDs, volatile import times left out."""
    con = sqlite3.connect(project)
    con.row_factory = sqlite3.Row
    try:
        docs = {r["id"]: r["name"] for r in con.execute("SELECT id, name FROM documents")}
        segs = {
            r["id"]: (docs[r["document_id"]], r["idx"])
            for r in con.execute("SELECT id, document_id, idx FROM segments")
        }
        codings = {r["id"]: r["guid"] for r in con.execute("SELECT id, guid FROM codings")}

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in con.execute(sql))

        def target(kind: str, tid: str) -> Any:
            if kind == "document":
                return docs[int(tid)]
            if kind == "segment":
                return segs[int(tid)]
            if kind == "coding":
                return codings[int(tid)]
            return tid

        return {
            "documents": rows("SELECT name, kind, source_name, sha256, text, guid FROM documents"),
            "segments": sorted(
                (
                    docs[r["document_id"]],
                    r["idx"],
                    r["level"],
                    r["start"],
                    r["end"],
                    r["speaker"],
                    r["timestamp"],
                    segs[r["parent_id"]] if r["parent_id"] else None,
                )
                for r in con.execute("SELECT * FROM segments")
            ),
            "attributes": sorted(
                (docs[r["document_id"]], r["key"], r["value"])
                for r in con.execute("SELECT * FROM document_attributes")
            ),
            "codes": rows(
                "SELECT id, guid, parent_id, name, description, include, exclude, examples, "
                "aliases, groups, merged_from, color, position FROM codes"
            ),
            "codings": sorted(
                (
                    docs[r["document_id"]],
                    r["start"],
                    r["end"],
                    r["code_id"],
                    r["coder"],
                    r["created"],
                    r["memo"],
                    r["origin"],
                    r["guid"],
                )
                for r in con.execute("SELECT * FROM codings")
            ),
            "memos": sorted(
                (
                    r["target_type"],
                    json.dumps(target(r["target_type"], r["target_id"])),
                    r["author"],
                    r["created"],
                    r["text"],
                    r["guid"],
                )
                for r in con.execute("SELECT * FROM memos")
            ),
            "meta": rows("SELECT key, value FROM project_meta WHERE key LIKE 'codebook%'"),
        }
    finally:
        con.close()


def raw_tables(project: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as stored (to prove a refused import changed nothing)."""
    con = sqlite3.connect(project)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'segment_fts%'"
            )
        ]
        return {n: sorted(map(tuple, con.execute(f'SELECT * FROM "{n}"'))) for n in names}
    finally:
        con.close()


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buf.getvalue())
    return path


def zip_folder(folder: Path, path: Path) -> Path:
    members = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    return make_zip(path, members)


def sorted_csv(path: Path) -> list[str]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return [json.dumps(rows[0]), *sorted(json.dumps(r) for r in rows[1:])]
