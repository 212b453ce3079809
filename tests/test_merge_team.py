"""The sample study's team codebooks (codebooks/team/coder-a.yaml, coder-b.yaml).

Generic guarantees for whatever the two coders wrote; the planted cases of
codebooks/team/README.md are checked case by case in the tests below them.
"""

from __future__ import annotations

from conftest import REPO

from workbench.codebook.markdown import md_escape
from workbench.codebook.merge import merge_codebooks, render_report, write_plan
from workbench.codebook.model import effective_id, iter_codes
from workbench.codebook.yaml_io import dump_codebook, load_codebook, parse_codebook

TEAM = REPO / "codebooks" / "team"
FILES = ("coder-a.yaml", "coder-b.yaml")


def books():  # type: ignore[no-untyped-def]
    return [(f, load_codebook(TEAM / f)) for f in FILES]


def test_team_merge_is_valid_complete_and_deterministic() -> None:
    result = merge_codebooks(books())
    text = dump_codebook(result.codebook)
    assert dump_codebook(parse_codebook(text)) == text
    seen = sorted(
        (m.codebook, m.id) for c, _, _ in iter_codes(result.codebook) for m in c.merged_from
    )
    assert seen == sorted(
        (f, effective_id(c, p)) for f, cb in books() for c, p, _ in iter_codes(cb)
    )
    again = merge_codebooks(books())
    assert dump_codebook(again.codebook) == text
    assert render_report(again) == render_report(result)
    assert write_plan(again) == write_plan(result)


def test_team_merge_finds_duplicates_and_conflicts() -> None:
    result = merge_codebooks(books())
    assert any(d.action == "merge" for d in result.decisions)
    report = render_report(result)
    for i, conflict in enumerate(result.conflicts, 1):
        assert f"### C{i}. " in report and md_escape(conflict.message) in report
    assert result.counts["merged"] < result.counts["coder-a.yaml"] + result.counts["coder-b.yaml"]
