"""`workbench server push`: a laptop project moves up to an empty server project whole."""

from __future__ import annotations

import json
from pathlib import Path

from pgcluster import shared_cluster
from sqlalchemy import func, select, text

from workbench.store import schema as s
from workbench.store.db import open_project

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts_sample"
CODEBOOK = REPO / "codebooks" / "difacto.yaml"


def _laptop(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    lap = tmp_path / "laptop.sqlite"
    docs = [SAMPLE / "S01_receptionist.txt", SAMPLE / "S04_practice_nurse.txt"]
    assert cli("import", *docs, "--project", lap).code == 0
    assert cli("codebook", "import", CODEBOOK, "--project", lap).code == 0
    attrs = tmp_path / "a.csv"
    attrs.write_text("document,site\nS01_receptionist,Brookfield\nP99,Elmwood\n", encoding="utf-8")
    assert cli("attributes", attrs, "--project", lap).code == 0
    for coder, segs in (("alice", (1, 3, 5)), ("bob", (1, 4))):
        for seg in segs:
            r = cli("code", "S01_receptionist", "--segment", seg, "--code", "Hidden work",
                    "--coder", coder, "--memo", f"{coder} {seg}", "--project", lap)  # fmt: skip
            assert r.code == 0, r.err
    return lap


def _snapshot(where: str | Path) -> dict[str, object]:
    proj = open_project(where)
    try:
        with proj.read() as conn:
            out: dict[str, object] = {}
            for table in ("documents", "segments", "codes", "codings", "memos",
                          "case_attributes", "document_attributes", "segment_fts"):  # fmt: skip
                t = s.metadata.tables.get(table)
                if t is None:
                    out[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    continue
                cols = [c for c in t.c if c.computed is None]
                key = [t.c.id] if "id" in t.c else list(t.primary_key.columns)
                out[table] = [tuple(r) for r in conn.execute(select(*cols).order_by(*key))]
            out["learner"] = conn.execute(select(func.count()).select_from(s.codings)).scalar()
    finally:
        proj.close()
    return out


def test_push_copies_everything_and_ids_go_on(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lap = _laptop(cli, tmp_path)
    cluster = shared_cluster()
    url = cluster.url(db=cluster.new_database("push"))
    r = cli("server", "push", lap, url)
    assert r.code == 0, r.err
    assert "2 documents" in r.out and "5 codings" in r.out and "***" in r.out
    assert "throwaway" not in r.out  # no password in the output
    assert _snapshot(lap) == _snapshot(url)
    # the server's sequences went past the copied ids: a new coding gets a new id
    r = cli("code", "S01_receptionist", "--segment", 7, "--code", "Hidden work",
            "--coder", "carol", "--project", url)  # fmt: skip
    assert r.code == 0, r.err
    proj = open_project(url)
    try:
        with proj.read() as conn:
            ids = [i for (i,) in conn.execute(select(s.codings.c.id).order_by(s.codings.c.id))]
            counts = conn.execute(text("SELECT codings FROM document_counts WHERE document_id = 1"))
            assert counts.scalar_one() == 6  # the server's triggers kept the counts
    finally:
        proj.close()
    assert len(set(ids)) == 6 and ids[-1] == 6
    r = cli("documents", "--format", "json", "--project", url)
    assert {d["name"]: d["codings"] for d in json.loads(r.out)}["S01_receptionist"] == 6
    # a second push into the now non-empty project is refused whole
    again = cli("server", "push", lap, url)
    assert again.code == 2 and "not empty" in again.err


def test_push_bad_arguments(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("server", "push", tmp_path / "missing.sqlite", "postgresql://x@127.0.0.1:1/db")
    assert r.code == 2 and "missing" in r.err
    lap = tmp_path / "l.sqlite"
    assert cli("init", "--project", lap).code == 0
    r = cli("server", "push", lap, str(lap))
    assert r.code == 2 and "not a PostgreSQL URL" in r.err


def test_init_brings_an_older_server_project_up_to_date(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A server project made before the migrations that keep derived tables by triggers
    (migration 5's counts): opening it as the owner, or `server init`, adds the tables and
    their triggers (carried over from SQLite) and fills them from the rows already there."""
    import psycopg

    from workbench.store import migrations, postgres_port

    _ddl, derived = postgres_port.ported()
    assert derived  # migration 5's count tables
    modules = {name for name, _ in postgres_port.sqlite_triggers()}
    versions = [m.version for m in migrations.MIGRATIONS if m.apply.__module__ in modules]
    lap = _laptop(cli, tmp_path)
    cluster = shared_cluster()
    url = cluster.url(db=cluster.new_database("old"))
    assert cli("server", "push", lap, url).code == 0

    def derived_rows() -> dict[str, list[tuple[object, ...]]]:
        with psycopg.connect(url) as con:
            return {
                t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()  # type: ignore[arg-type]
                for t in sorted(derived)
            }

    before = derived_rows()
    assert any(before.values())
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP TABLE {', '.join(sorted(derived))} CASCADE")  # type: ignore[arg-type]
        con.execute("DELETE FROM schema_migrations WHERE version = ANY(%s)", (versions,))
    r = cli("documents", "--project", url)
    assert r.code == 0, r.err  # the owner opening it brings it up to date, as init does
    r = cli("server", "init", url)
    assert r.code == 0 and "was up to date" in r.out
    assert derived_rows() == before
    r = cli("code", "S01_receptionist", "--segment", 9, "--code", "Hidden work",
            "--coder", "carol", "--project", url)  # fmt: skip
    assert r.code == 0 and derived_rows() != before  # the triggers are back
