"""Settling coder disagreements (workbench.services.resolve) and the v2 `resolutions` table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import create_engine, inspect, select

from workbench.analysis.agreement import compute_agreement
from workbench.analysis.disagreements import list_disagreements
from workbench.errors import WorkbenchError
from workbench.services.coding import add_coding, list_codings
from workbench.services.resolve import (
    CONSENSUS,
    list_resolutions,
    passage_span,
    reopen,
    resolve,
    top_coders,
)
from workbench.store import schema as s
from workbench.store.db import Project, open_project
from workbench.store.migrations import MIGRATIONS, migrate

CORE = FIXTURES / "core"
# interview_a: P01's turn 11 (322-430) has sentences 12 (322-325) "No.", 13 (326-333)
# "Nobody.", 14 (334-388) and 15 (389-430).
TURN = (322, 430)


@pytest.fixture
def project(cli, project_file: Path, tmp_path: Path) -> Project:  # type: ignore[no-untyped-def]
    shutil.copy(CORE / "interview_a.txt", tmp_path / "interview_a.txt")
    assert cli("import", tmp_path / "interview_a.txt", "--project", project_file).code == 0
    assert cli("codebook", "import", CORE / "codebook.yaml", "--project", project_file).code == 0
    proj = open_project(project_file)
    with proj.begin() as conn:
        # A: "No training" over sentences 12-14; B only over 14; B alone: "Hidden work" on 15
        add_coding(conn, "interview_a", 322, 388, "no-training", "coder-a", memo="A's memo")
        add_coding(conn, "interview_a", 334, 388, "no-training", "coder-b")
        add_coding(conn, "interview_a", 389, 430, "hidden-work", "coder-b")
        add_coding(conn, "interview_a", 138, 188, "hidden-work", "coder-b")
        add_coding(conn, "interview_a", 138, 188, "hidden-work", "coder-a")
        add_coding(conn, "interview_a", 0, 66, "hidden-work", "alice")
    yield proj
    proj.close()


def originals(proj: Project) -> list[tuple[object, ...]]:
    with proj.read() as conn:
        return [
            (c.start, c.end, c.code_id, c.coder, c.created, c.memo, c.guid)
            for c in list_codings(conn)
            if c.coder != CONSENSUS
        ]


def consensus(proj: Project) -> list[tuple[int, int, str, str]]:
    with proj.read() as conn:
        return [(c.start, c.end, c.code_id, c.origin) for c in list_codings(conn, coder=CONSENSUS)]


def settle(proj: Project, segment: int, code: str, decision: str, **kw: str):  # type: ignore[no-untyped-def]
    a, b = kw.pop("a", "coder-a"), kw.pop("b", "coder-b")
    with proj.begin() as conn:
        return resolve(conn, "interview_a", segment, code, a, b, decision, kw.pop("by", "pi"))


def test_disagreements_list_units_codes_and_who_applied(project: Project) -> None:
    with project.read() as conn:
        found = list_disagreements(conn, "coder-a", "coder-b")
        assert passage_span(conn, found[0].document_id, 13) == TURN
    assert [(d.segment, d.code_id, d.applied_by, d.missing_from) for d in found] == [
        (12, "no-training", "coder-a", "coder-b"),
        (13, "no-training", "coder-a", "coder-b"),
        (15, "hidden-work", "coder-b", "coder-a"),
    ]
    assert {d.speaker for d in found} == {"P01"}
    assert all(d.resolution is None for d in found)


def test_settling_writes_consensus_codings_and_never_touches_the_coders(project: Project) -> None:
    before = originals(project)
    with project.read() as conn:
        kappa = compute_agreement(conn, "coder-a", "coder-b").to_json()
    res = settle(project, 12, "No training", "keep_a", by="pi")
    assert (res.resolver, res.decision, res.kept) == ("pi", "keep_a", ["coder-a"])
    assert (res.start, res.end, res.segment) == (322, 325, 12)
    # A's coding 322-388 is copied clipped to the unit, as the consensus coder
    assert consensus(project) == [(322, 325, "no-training", "resolved")]
    settle(project, 15, "Hidden work", "neither")
    settle(project, 13, "No training", "keep_both")
    assert consensus(project) == [
        (322, 325, "no-training", "resolved"),
        (326, 333, "no-training", "resolved"),
    ]
    assert originals(project) == before
    with project.read() as conn:
        assert compute_agreement(conn, "coder-a", "coder-b").to_json() == kappa
        rows = conn.execute(select(s.resolutions).order_by(s.resolutions.c.segment)).all()
        found = list_disagreements(conn, "coder-a", "coder-b")
    assert [(r.segment, r.decision, r.resolver, r.consensus) for r in rows] == [
        (12, "keep_a", "pi", CONSENSUS),
        (13, "keep_both", "pi", CONSENSUS),
        (15, "neither", "pi", CONSENSUS),
    ]
    assert all(r.created for r in rows)
    assert [d.resolution.decision for d in found if d.resolution] == [
        "keep_a",
        "keep_both",
        "neither",
    ]


def test_settling_again_replaces_and_reopen_removes(project: Project) -> None:
    settle(project, 12, "no-training", "keep_a")
    settle(project, 12, "no-training", "neither", by="bo")
    assert consensus(project) == []
    with project.read() as conn:
        (only,) = list_resolutions(conn)
    assert (only.segment, only.decision, only.resolver) == (12, "neither", "bo")
    settle(project, 13, "no-training", "keep_a")
    with project.begin() as conn:
        assert reopen(conn, "interview_a", 13, "no-training", "coder-b", "coder-a")
        assert not reopen(conn, "interview_a", 13, "no-training", "coder-a", "coder-b")
    assert consensus(project) == []
    with project.read() as conn:
        assert [r.segment for r in list_resolutions(conn)] == [12]


def test_coder_order_does_not_matter(project: Project) -> None:
    res = settle(project, 15, "hidden-work", "keep_a", a="coder-b", b="coder-a")
    assert (res.coder_a, res.coder_b, res.decision, res.kept) == (
        "coder-a",
        "coder-b",
        "keep_b",
        ["coder-b"],
    )
    assert consensus(project) == [(389, 430, "hidden-work", "resolved")]
    with project.read() as conn:
        swapped = list_disagreements(conn, "coder-b", "coder-a")
    assert [d.resolution.kept for d in swapped if d.resolution] == [["coder-b"]]


def test_keep_both_joins_overlapping_spans(project: Project) -> None:
    # sentence 14: both applied "No training" (not a disagreement): one consensus coding
    settle(project, 14, "no-training", "keep_both")
    assert consensus(project) == [(334, 388, "no-training", "resolved")]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"decision": "maybe"}, "decision 'maybe'"),
        ({"a": "coder-a", "b": "coder-a"}, "two different coders"),
        ({"a": CONSENSUS}, "holds the settled codings"),
        ({"segment": 99}, "segment 99"),
        ({"code": "Nope"}, "no such code"),
        ({"by": " "}, "resolver name is empty"),
    ],
)
def test_bad_requests_change_nothing(project: Project, kw: dict[str, object], message: str) -> None:
    args = {"segment": 12, "code": "no-training", "decision": "keep_a"} | kw
    with pytest.raises(WorkbenchError, match=message):
        settle(project, args.pop("segment"), args.pop("code"), args.pop("decision"), **args)  # type: ignore[arg-type]
    assert consensus(project) == []
    with project.read() as conn:
        assert list_resolutions(conn) == []


def test_top_coders_leave_out_the_consensus_layer(project: Project) -> None:
    settle(project, 12, "no-training", "keep_a")
    with project.begin() as conn:
        for i in range(5):
            add_coding(conn, "interview_a", 444, 445 + i, "hidden-work", CONSENSUS)
        assert top_coders(conn, 2) == ["coder-b", "coder-a"]
        assert top_coders(conn, 5) == ["coder-b", "coder-a", "alice"]


def test_v1_project_is_migrated_to_the_latest(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        MIGRATIONS[0].apply(conn)
        conn.execute(
            s.schema_migrations.insert().values(version=1, name="initial schema", applied_at="x")
        )
        assert not inspect(conn).has_table("resolutions")
    engine.dispose()
    proj = open_project(path)
    try:
        with proj.begin() as conn:
            assert inspect(conn).has_table("resolutions")
            versions = [r[0] for r in conn.execute(select(s.schema_migrations.c.version))]
            assert versions == [m.version for m in MIGRATIONS]
            assert migrate(conn) == []
    finally:
        proj.close()


def test_codes_sharing_a_name_are_told_apart(project: Project) -> None:
    from workbench.services.code_edit import add_code

    with project.begin() as conn:
        twin = add_code(conn, "No training", "mental-health").id
        add_coding(conn, "interview_a", 389, 430, twin, "coder-a")
        found = list_disagreements(conn, "coder-a", "coder-b")
    assert [(d.segment, d.code, d.code_id, d.applied_by) for d in found] == [
        (12, "No training", "no-training", "coder-a"),
        (13, "No training", "no-training", "coder-a"),
        (15, "Hidden work", "hidden-work", "coder-b"),
        (15, "No training", twin, "coder-a"),
    ]
    res = settle(project, 15, twin, "keep_a")
    assert res.code_id == twin
    assert consensus(project) == [(389, 430, twin, "resolved")]
